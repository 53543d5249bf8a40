import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import type { LoadedZone, ZoneRecord } from '../zone/zonefile.js';
import { planSimulatedInternet, rootHints, zoneText, zoneTextChunks, type SimulatedInternet } from './simulated-internet.js';

const r = (name: string, type: string, data: string, ttl = 300): ZoneRecord => ({ name, ttl, type, data });
const soa = (origin: string) => r(origin, 'SOA', `ns1.${origin}. hostmaster.${origin}. 1 3600 600 86400 300`);

const EXAMPLE_IO: LoadedZone = {
  origin: 'example.io',
  file: '/scenarios/zones/example.io.zone',
  records: [
    soa('example.io'),
    r('example.io', 'NS', 'ns1.example.io.'),
    r('ns1.example.io', 'A', '198.51.100.53'),
    r('www.example.io', 'A', '203.0.113.80'),
  ],
};

const INTERNAL: LoadedZone = {
  origin: 'internal.example.io',
  file: '/scenarios/zones/internal.example.io.zone',
  records: [soa('internal.example.io'), r('internal.example.io', 'NS', 'ns.internal.example.io.'), r('proxysql.internal.example.io', 'A', '10.20.30.40')],
};

const PROVIDER = { address: '169.254.169.253', zones: [INTERNAL] };

const serverFor = (net: SimulatedInternet, origin: string) => {
  const s = net.servers.find((x) => x.zones.some((z) => z.origin === origin));
  if (!s) throw new Error(`no server for ${origin || 'the root'}`);
  return s;
};
const recordsOf = (net: SimulatedInternet, origin: string) => serverFor(net, origin).zones.find((z) => z.origin === origin)!.records;
const has = (records: readonly ZoneRecord[], name: string, type: string, data: string) =>
  records.some((x) => x.name === name && x.type === type && x.data === data);

describe('planSimulatedInternet', () => {
  const net = planSimulatedInternet([EXAMPLE_IO], PROVIDER);

  it('has a root, a generated TLD and the public zone, one server each', () => {
    expect(net.servers.map((s) => s.id)).toEqual(['root', 'example-io', 'io']);
    expect(net.root).toEqual([{ name: 'a.root-servers.test', address: '198.51.100.1' }]);
    expect(serverFor(net, 'io').zones[0]!.source).toBe('generated TLD io');
  });

  it('delegates io from the root, with glue', () => {
    const root = recordsOf(net, '');
    const [tldNs] = serverFor(net, 'io').nameServers;
    expect(tldNs).toEqual({ name: 'ns.nic.io', address: '198.51.100.2' });
    expect(has(root, 'io', 'NS', 'ns.nic.io.')).toBe(true);
    expect(has(root, 'ns.nic.io', 'A', '198.51.100.2')).toBe(true);
    expect(root.filter((x) => x.type === 'SOA' && x.name === '')).toHaveLength(1);
  });

  it('delegates example.io from io, with glue for its in-zone name server', () => {
    const io = recordsOf(net, 'io');
    expect(has(io, 'example.io', 'NS', 'ns1.example.io.')).toBe(true);
    expect(has(io, 'ns1.example.io', 'A', '198.51.100.53')).toBe(true);
    // A delegation lives only in the closest ancestor.
    expect(recordsOf(net, '').some((x) => x.name === 'example.io')).toBe(false);
  });

  it('keeps a zone\'s own in-zone name server address and its records', () => {
    const s = serverFor(net, 'example.io');
    expect(s.nameServers).toEqual([{ name: 'ns1.example.io', address: '198.51.100.53' }]);
    expect(s.zones[0]!.records).toEqual(EXAMPLE_IO.records);
    expect(s.zones[0]!.source).toBe(EXAMPLE_IO.file);
  });

  it('lists every server address and passes the provider through', () => {
    expect([...net.addresses].sort()).toEqual(['198.51.100.1', '198.51.100.2', '198.51.100.53']);
    expect(net.provider).toEqual({
      address: '169.254.169.253',
      zones: [{ origin: 'internal.example.io', source: INTERNAL.file, records: INTERNAL.records, signed: false }],
    });
  });

  it('generates ns1.<zone> when the apex NS lies outside the zone', () => {
    const hosted: LoadedZone = {
      origin: 'hosted.io',
      file: '/z/hosted.io.zone',
      records: [soa('hosted.io'), r('hosted.io', 'NS', 'ns-1.dns-provider.net.'), r('www.hosted.io', 'A', '203.0.113.5')],
    };
    const n = planSimulatedInternet([hosted], PROVIDER);
    const s = serverFor(n, 'hosted.io');
    expect(s.nameServers).toHaveLength(1);
    expect(s.nameServers[0]!.name).toBe('ns1.hosted.io');
    expect(s.nameServers[0]!.address).toMatch(/^198\.51\.100\.\d+$/);
    const records = recordsOf(n, 'hosted.io');
    // The generated server replaces the apex NS set, and has its own address record.
    expect(records.filter((x) => x.name === 'hosted.io' && x.type === 'NS')).toEqual([r('hosted.io', 'NS', 'ns1.hosted.io.', 3600)]);
    expect(has(records, 'ns1.hosted.io', 'A', s.nameServers[0]!.address)).toBe(true);
    expect(has(records, 'www.hosted.io', 'A', '203.0.113.5')).toBe(true);
    expect(has(recordsOf(n, 'io'), 'ns1.hosted.io', 'A', s.nameServers[0]!.address)).toBe(true);
  });

  it('generates a server when an in-zone NS has no address, without reusing an existing owner name', () => {
    const zone: LoadedZone = {
      origin: 'bare.io',
      file: '/z/bare.io.zone',
      records: [soa('bare.io'), r('bare.io', 'NS', 'ns.bare.io.'), r('ns1.bare.io', 'TXT', '"taken"')],
    };
    expect(serverFor(planSimulatedInternet([zone], PROVIDER), 'bare.io').nameServers[0]!.name).toBe('ns2.bare.io');
  });

  it('keeps generated addresses clear of the provider address', () => {
    const n = planSimulatedInternet([EXAMPLE_IO], { address: '198.51.100.2', zones: [] });
    expect(serverFor(n, 'io').nameServers[0]!.address).toBe('198.51.100.3');
  });

  it('delegates a public zone from a served public parent, not from the TLD', () => {
    const dev: LoadedZone = {
      origin: 'dev.example.io',
      file: '/z/dev.example.io.zone',
      records: [soa('dev.example.io'), r('dev.example.io', 'NS', 'ns.dev.example.io.'), r('ns.dev.example.io', 'A', '192.0.2.10')],
    };
    const n = planSimulatedInternet([EXAMPLE_IO, dev], PROVIDER);
    expect(has(recordsOf(n, 'example.io'), 'dev.example.io', 'NS', 'ns.dev.example.io.')).toBe(true);
    expect(has(recordsOf(n, 'example.io'), 'ns.dev.example.io', 'A', '192.0.2.10')).toBe(true);
    expect(recordsOf(n, 'io').some((x) => x.name === 'dev.example.io')).toBe(false);
  });

  it('rejects two zones claiming the same name server address', () => {
    const other: LoadedZone = {
      origin: 'sample.net',
      file: '/z/sample.net.zone',
      records: [soa('sample.net'), r('sample.net', 'NS', 'ns1.sample.net.'), r('ns1.sample.net', 'A', '198.51.100.53')],
    };
    const run = () => planSimulatedInternet([EXAMPLE_IO, other], PROVIDER);
    expect(run).toThrow(InputError);
    expect(run).toThrow(/198\.51\.100\.53 is used by zone example\.io\. and zone sample\.net\./);
  });

  it.each([
    ['a public name server', '198.51.100.53'],
    ['the root server', '198.51.100.1'],
  ])('rejects a provider address that is also %s', (_what, address) => {
    const run = () => planSimulatedInternet([EXAMPLE_IO], { address, zones: [] });
    expect(run).toThrow(InputError);
    expect(run).toThrow(`the provider's resolver address ${address} is also a public name server's address`);
  });
});

describe('rootHints and zoneText', () => {
  it('writes root hints naming the simulated root', () => {
    const text = rootHints(planSimulatedInternet([EXAMPLE_IO], PROVIDER));
    expect(text).toContain('a.root-servers.test');
    expect(text).toContain('198.51.100.1');
    expect(text.split('\n')).toEqual([
      '; root hints of the simulated Internet, written by dnsparity',
      '.\t3600000\tIN\tNS\ta.root-servers.test.',
      'a.root-servers.test.\t3600000\tIN\tA\t198.51.100.1',
      '',
    ]);
  });

  it('writes a zone with fully qualified owners', () => {
    const text = zoneText({ origin: 'example.io', source: 'x.zone', signed: false, records: [r('www.example.io', 'A', '203.0.113.80')] });
    expect(text).toBe('; zone example.io. from x.zone\nwww.example.io.\t300\tIN\tA\t203.0.113.80\n');
  });

  it('writes the same text in pieces of at most so many records, whatever the count', () => {
    for (const n of [0, 1, 3, 4, 5, 9]) {
      const zone = { origin: 'example.io', source: 'x.zone', signed: false, records: Array.from({ length: n }, (_, i) => r(`h${i}.example.io`, 'A', `203.0.113.${i + 1}`)) };
      const whole = `; zone example.io. from x.zone\n${zone.records.map((x) => `${x.name}.\t300\tIN\tA\t${x.data}`).join('\n')}\n`;
      const pieces = [...zoneTextChunks(zone, 4)];
      expect(pieces.join(''), `${n} records`).toBe(whole);
      expect(zoneText(zone), `${n} records`).toBe(whole);
      // The header, then one piece per four records (a zone of none gets its empty line).
      expect(pieces.length, `${n} records`).toBe(1 + Math.max(1, Math.ceil(n / 4)));
    }
  });
});

/** What must not depend on names or numbers: servers, delegations, glue, record counts. */
function shape(net: SimulatedInternet) {
  return net.servers.map((s) => {
    const z = s.zones[0]!;
    const types = z.records.map((x) => `${x.name === z.origin ? '@' : x.name.endsWith(`.${z.origin}`) || z.origin === '' ? 'in' : 'out'} ${x.type}`).sort();
    return { servers: s.nameServers.length, records: types };
  }).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

function renamed(zone: LoadedZone, origin: string, renumber: (a: string) => string): LoadedZone {
  const name = (n: string) => (n === zone.origin ? origin : n.endsWith(`.${zone.origin}`) ? `${n.slice(0, -zone.origin.length)}${origin}` : n);
  const data = (x: ZoneRecord) =>
    x.type === 'A' ? renumber(x.data) : x.data.replace(new RegExp(`(^|\\.|\\s)${zone.origin.replace(/\./g, '\\.')}\\.`, 'g'), `$1${origin}.`);
  return { origin, file: `/z/${origin}.zone`, records: zone.records.map((x) => ({ ...x, name: name(x.name), data: data(x) })) };
}

describe('planSimulatedInternet: renaming and renumbering', () => {
  const base = shape(planSimulatedInternet([EXAMPLE_IO], PROVIDER));

  it('example.io -> sample.net keeps the same servers and delegations', () => {
    const zone = renamed(EXAMPLE_IO, 'sample.net', (a) => a.replace('198.51.100.53', '192.0.2.53').replace('203.0.113.80', '203.0.113.8'));
    expect(zone.records).toContainEqual(r('ns1.sample.net', 'A', '192.0.2.53'));
    const net = planSimulatedInternet([zone], PROVIDER);
    expect(net.servers.map((s) => s.id)).toEqual(['root', 'sample-net', 'net']);
    expect(shape(net)).toEqual(base);
    expect(has(recordsOf(net, 'net'), 'ns1.sample.net', 'A', '192.0.2.53')).toBe(true);
  });

  it('holds for any second-level name and server address', () => {
    const label = fc.stringMatching(/^[a-z][a-z0-9]{0,9}$/);
    fc.assert(
      fc.property(label, label, fc.integer({ min: 1, max: 254 }), (sld, tld, host) => {
        fc.pre(tld !== 'test');
        const zone = renamed(EXAMPLE_IO, `${sld}.${tld}`, (a) => (a === '198.51.100.53' ? `192.0.2.${host}` : a));
        expect(shape(planSimulatedInternet([zone], PROVIDER))).toEqual(base);
      }),
      { numRuns: 100 },
    );
  });
});
