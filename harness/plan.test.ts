import { describe, expect, it } from 'vitest';
import type { Query } from './model.js';
import { listQueries, ownerQueries } from './plan.js';
import type { Scenario } from './scenario/load.js';
import type { LoadedZone, ZoneRecord } from './zone/zonefile.js';

const r = (name: string, type: string, data: string): ZoneRecord => ({ name, ttl: 300, type, data });

const EXAMPLE_IO: LoadedZone = {
  origin: 'example.io',
  file: '/z/example.io.zone',
  records: [
    r('example.io', 'SOA', 'ns1.example.io. hostmaster.example.io. 1 3600 600 86400 300'),
    r('example.io', 'NS', 'ns1.example.io.'),
    r('ns1.example.io', 'A', '198.51.100.53'),
    r('www.example.io', 'A', '203.0.113.80'),
    r('www.example.io', 'AAAA', '2001:db8::80'),
    r('lists.example.io', 'MX', '10 mx.example.io.'),
    r('alias.example.io', 'CNAME', 'www.example.io.'),
    r('_dmarc.example.io', 'TXT', '"v=DMARC1; p=none"'),
    r('*.dyn.example.io', 'A', '203.0.113.99'),
    r('dev.example.io', 'NS', 'ns.dev.example.io.'),
    r('ns.dev.example.io', 'A', '192.0.2.10'),
    r('deep.ns.dev.example.io', 'A', '192.0.2.11'),
  ],
};

const INTERNAL: LoadedZone = {
  origin: 'internal.example.io',
  file: '/z/internal.example.io.zone',
  records: [
    r('internal.example.io', 'SOA', 'ns.internal.example.io. hostmaster.internal.example.io. 1 3600 600 86400 300'),
    r('internal.example.io', 'NS', 'ns.internal.example.io.'),
    r('ns.internal.example.io', 'A', '10.20.30.2'),
    r('proxysql.internal.example.io', 'A', '10.20.30.40'),
  ],
};

const asText = (qs: readonly Query[]) => qs.map((q) => `${q.name} ${q.type} ${q.source}`);

describe('ownerQueries', () => {
  it('asks each owner for the types it has, and skips wildcards, delegations and glue', () => {
    expect(asText(ownerQueries(EXAMPLE_IO, 'public-zone'))).toEqual([
      // The apex has only SOA and NS: an application would look up its address.
      'example.io A public-zone',
      'ns1.example.io A public-zone',
      'www.example.io A public-zone',
      'www.example.io AAAA public-zone',
      'lists.example.io MX public-zone',
      'alias.example.io A public-zone',
      '_dmarc.example.io TXT public-zone',
    ]);
  });

  it('asks in a fixed type order, whatever the order of records', () => {
    const zone: LoadedZone = {
      origin: 'example.io',
      file: '/z/x.zone',
      records: [r('example.io', 'TXT', '"x"'), r('example.io', 'MX', '10 mx.example.io.'), r('example.io', 'AAAA', '2001:db8::1'), r('example.io', 'A', '192.0.2.1')],
    };
    expect(ownerQueries(zone, 'private-zone').map((q) => q.type)).toEqual(['A', 'AAAA', 'MX', 'TXT']);
  });
});

/** listQueries reads only the queries and expectations of a scenario. */
function scenario(queries: Partial<Scenario['queries']>, answers: Scenario['expect']['answers'] = []): Scenario {
  return {
    queries: { names: [], privateZones: false, publicZones: false, ...queries },
    expect: { latencyThresholdMs: 1000, differences: [], answers },
    stub: {},
  } as unknown as Scenario;
}

describe('listQueries', () => {
  it('keeps explicit names that are also zone owners once, under the zone source', () => {
    const s = scenario(
      { names: ['www.example.io', { name: 'example.io', type: 'MX' }, 'proxysql.internal.example.io', 'www.example.io'], privateZones: true, publicZones: true },
      [{ name: 'proxysql.internal.example.io', type: 'A', addresses: ['10.20.30.40'] }, { name: 'new.example.io', type: 'AAAA', outcome: 'not-found' }],
    );
    const qs = listQueries(s, [INTERNAL], [EXAMPLE_IO]);
    expect(asText(qs)).toEqual([
      'www.example.io A public-zone',
      // The public apex has no MX, so this one stays explicit.
      'example.io MX explicit',
      'proxysql.internal.example.io A private-zone',
      'new.example.io AAAA explicit',
      'internal.example.io A private-zone',
      'ns.internal.example.io A private-zone',
      'example.io A public-zone',
      'ns1.example.io A public-zone',
      'www.example.io AAAA public-zone',
      'lists.example.io MX public-zone',
      'alias.example.io A public-zone',
      '_dmarc.example.io TXT public-zone',
    ]);
    expect(new Set(qs.map((q) => `${q.name} ${q.type}`)).size).toBe(qs.length);
  });

  it('adds names from expected answers even without zone queries', () => {
    const s = scenario({ names: ['www.example.io'] }, [{ name: 'proxysql.internal.example.io', type: 'A', outcome: 'answer' }]);
    expect(asText(listQueries(s, [INTERNAL], [EXAMPLE_IO]))).toEqual(['www.example.io A explicit', 'proxysql.internal.example.io A explicit']);
  });

  it('leaves zones out unless the scenario asks for them', () => {
    const s = scenario({ names: ['www.example.io'], privateZones: true });
    expect(asText(listQueries(s, [INTERNAL], [EXAMPLE_IO]))).toEqual([
      'www.example.io A explicit',
      'internal.example.io A private-zone',
      'ns.internal.example.io A private-zone',
      'proxysql.internal.example.io A private-zone',
    ]);
  });
});

