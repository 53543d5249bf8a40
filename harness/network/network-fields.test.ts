// The scenario's network fields (split horizon, public resolvers, delay and
// loss): what the loader accepts, what it refuses (naming file, line and
// field), and what the plan makes of them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { planScenario } from '../plan.js';
import { parseScenario } from '../scenario/load.js';
import { networkMap } from './simulated-internet.js';

let dir: string;
let file: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dnsparity-network-fields-'));
  file = join(dir, 'scenario.yaml');
  writeFileSync(join(dir, 'unbound.conf'), 'server:\n    interface: 127.0.0.1\n');
  writeFileSync(join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\nnameserver 169.254.169.253\n');
  writeFileSync(join(dir, 'public.zone'), '@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n@ IN NS ns1\nns1 IN A 198.51.100.53\nwww IN A 203.0.113.80\n');
  writeFileSync(join(dir, 'private.zone'), '@ IN SOA ns hostmaster 1 3600 600 86400 300\n@ IN NS ns\nns IN A 10.20.0.2\nwww IN A 10.20.0.80\ndb IN A 10.20.0.5\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const scenario = (network: string) => `name: sample
resolver:
  config: unbound.conf
stub:
  resolvConf: resolv.conf
network:
${network}
environments:
  - name: production
    egress: allow
    reference: true
  - name: staging
    egress: drop
queries:
  names:
    - www.example.io
  privateZones: true
  publicZones: true
`;

const SPLIT = `  provider:
    zones:
      - origin: example.io
        file: private.zone
  public:
    zones:
      - origin: example.io
        file: public.zone`;

function errorOf(f: () => unknown): InputError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an input error');
}
async function planError(text: string): Promise<InputError> {
  const e = await planScenario(parseScenario(text, file)).then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(InputError);
  return e as InputError;
}
const lineOf = (text: string, marker: string, nth = 1): number => {
  let seen = 0;
  const i = text.split('\n').findIndex((l) => l.includes(marker) && ++seen === nth);
  if (i < 0) throw new Error(`marker not in text: ${marker}`);
  return i + 1;
};

describe('split horizon', () => {
  it('accepts the same origin under the provider and the Internet, each with its own view', async () => {
    const plan = await planScenario(parseScenario(scenario(SPLIT), file));
    expect(plan.internet.provider.zones.map((z) => z.origin)).toEqual(['example.io']);
    const pub = plan.internet.servers.find((s) => s.zones[0]!.origin === 'example.io')!;
    expect(pub.zones[0]!.records.find((r) => r.name === 'www.example.io')!.data).toBe('203.0.113.80');
    expect(plan.internet.provider.zones[0]!.records.find((r) => r.name === 'www.example.io')!.data).toBe('10.20.0.80');
    // A name of both views is asked once; names of either view are asked.
    const names = plan.queries.map((q) => `${q.name} ${q.type}`);
    expect(names.filter((n) => n === 'www.example.io A')).toHaveLength(1);
    expect(names).toEqual(expect.arrayContaining(['db.example.io A', 'ns1.example.io A']));
  });

  it('still refuses an origin listed twice in one list, naming the second', () => {
    const text = scenario(SPLIT.replace('        file: public.zone', '        file: public.zone\n      - origin: example.io\n        file: public.zone'));
    const e = errorOf(() => parseScenario(text, file));
    expect(e.location).toEqual({ file, line: lineOf(text, 'origin: example.io', 3), field: 'network.public.zones[1].origin' });
    expect(e.message).toContain('zone example.io is listed twice under network.public.zones (first at index 0)');
  });
});

describe('public resolvers', () => {
  const withResolvers = (list: string) => scenario(`${SPLIT}\n  publicResolvers:\n${list}`);

  it('plans each as a recursive resolver of the simulated Internet, known to the network map', async () => {
    const plan = await planScenario(parseScenario(withResolvers('    - address: 8.8.8.8\n    - { address: 1.1.1.1 }'), file));
    expect(plan.internet.publicResolvers).toEqual([{ address: '8.8.8.8' }, { address: '1.1.1.1' }]);
    // Not an authoritative server: the docker backend builds no network for its /24.
    expect(plan.internet.addresses).not.toContain('8.8.8.8');
    expect(networkMap(plan.internet).publicResolvers).toEqual(['8.8.8.8', '1.1.1.1']);
  });

  it.each([
    ['not an address', '    - address: dns.google', 'network.publicResolvers[0].address', 'expected an IPv4 address'],
    ['an unknown field', '    - { address: 8.8.8.8, zones: [] }', 'network.publicResolvers[0].zones', 'unknown field'],
  ])('refuses %s when loading', (_what, list, field, message) => {
    const text = withResolvers(list);
    const e = errorOf(() => parseScenario(text, file));
    expect(e.location?.field).toBe(field);
    expect(e.location?.line).toBe(lineOf(text, list.trim().slice(2, 12)));
    expect(e.message).toContain(message);
  });

  it.each([
    ['listed twice', '    - address: 8.8.8.8\n    - address: 8.8.8.8', 1, 'public resolver 8.8.8.8 is listed twice (first at index 0)'],
    ["the provider's address", '    - address: 169.254.169.253', 0, "169.254.169.253 is the provider's resolver address"],
    ["a name server's address", '    - address: 198.51.100.53', 0, '198.51.100.53 is also a name server of the simulated Internet'],
    ['loopback', '    - address: 127.0.0.53', 0, 'loopback'],
    ['the link range of the netns backend', '    - address: 100.127.0.9', 0, '100.127.0.0/16'],
    ['multicast', '    - address: 224.0.0.251', 0, 'multicast'],
  ])('refuses an address that is %s when planning, naming file, line and field', async (_what, list, index, message) => {
    const text = withResolvers(list);
    const e = await planError(text);
    expect(e.location).toEqual({ file, line: lineOf(text, '- address:', index + 1), field: `network.publicResolvers.${index}.address` });
    expect(e.message).toContain(message);
  });
});

describe('delay and loss', () => {
  const shaped = scenario(`  provider:
    rttMs: 2
    zones:
      - origin: example.io
        file: private.zone
  public:
    rttMs: 50
    zones:
      - { origin: example.io, file: public.zone, rttMs: 3000, lossPercent: 30 }
  publicResolvers:
    - address: 8.8.8.8`);

  it('gives every server of the simulated Internet its round trip, a zone its own, the provider its own', async () => {
    const plan = await planScenario(parseScenario(shaped, file));
    const by = Object.fromEntries(plan.internet.shaping.map((s) => [s.address, [s.rttMs, s.lossPercent]]));
    expect(by).toEqual({
      '198.51.100.1': [50, 0], // the root
      [plan.internet.servers.find((s) => s.id === 'io')!.nameServers[0]!.address]: [50, 0], // the TLD
      '198.51.100.53': [3000, 30], // the zone's own figures
      '8.8.8.8': [50, 0],
      '169.254.169.253': [2, 0],
    });
  });

  it('shapes nothing unless asked', async () => {
    const plan = await planScenario(parseScenario(scenario(SPLIT), file));
    expect(plan.internet.shaping).toEqual([]);
    expect(networkMap(plan.internet).shaping).toBeUndefined();
  });

  it.each([
    ['rttMs: 50', 'rttMs: -1', 'network.public.rttMs', 'expected 0 or more milliseconds'],
    ['rttMs: 50', 'rttMs: 1.5', 'network.public.rttMs', 'expected a whole number of milliseconds'],
    ['rttMs: 2', 'rttMs: soon', 'network.provider.rttMs', 'expected number'],
    ['rttMs: 2', 'rttMs: 60000', 'network.provider.rttMs', 'expected at most 30000 ms'],
    ['lossPercent: 30', 'lossPercent: 130', 'network.public.zones[0].lossPercent', 'expected a percentage from 0 to 100'],
    ['rttMs: 3000', 'rttMs: -3', 'network.public.zones[0].rttMs', 'expected 0 or more milliseconds'],
  ])('refuses %s replaced by %s, naming file, line and field', (good, bad, field, message) => {
    const text = shaped.replace(good, bad);
    expect(text).not.toBe(shaped);
    const e = errorOf(() => parseScenario(text, file));
    expect(e.location).toEqual({ file, line: lineOf(text, bad), field });
    expect(e.message).toContain(message);
  });
});

describe('IPv6', () => {
  const dual = scenario(`${SPLIT}\n  ipv6: true`).replace('    egress: drop\n', '    egress: drop\n    egress6: allow\n');

  it('makes every name server dual stack, with AAAA glue and AAAA root hints', async () => {
    const { rootHints } = await import('./simulated-internet.js');
    const plan = await planScenario(parseScenario(dual, file));
    const root = plan.internet.servers.find((s) => s.id === 'root')!;
    expect(root.nameServers[0]).toEqual({ name: 'a.root-servers.test', address: '198.51.100.1', address6: '2001:db8::198:51:100:1' });
    expect(rootHints(plan.internet)).toContain('a.root-servers.test.\t3600000\tIN\tAAAA\t2001:db8::198:51:100:1');
    const io = plan.internet.servers.find((s) => s.id === 'io')!;
    expect(io.zones[0]!.records).toContainEqual({ name: 'ns1.example.io', ttl: 3600, type: 'AAAA', data: '2001:db8::198:51:100:53' });
    expect(plan.internet.addresses6).toContain('2001:db8::198:51:100:53');
    expect(networkMap(plan.internet).servers).toContainEqual({ zone: 'example.io', name: 'ns1.example.io', address: '2001:db8::198:51:100:53' });
    expect(plan.environments[1]!.egress6).toBe('allow');
  });

  it('stays IPv4 only unless asked', async () => {
    const plan = await planScenario(parseScenario(scenario(SPLIT), file));
    expect(plan.internet.addresses6).toEqual([]);
    expect(plan.internet.servers.every((s) => s.nameServers.every((n) => n.address6 === undefined))).toBe(true);
  });

  it('refuses egress6 without a dual-stack Internet, and a bad egress6, naming file, line and field', async () => {
    const v4 = dual.replace('\n  ipv6: true', '');
    const e = await planError(v4);
    expect(e.location).toEqual({ file, line: lineOf(v4, 'egress6: allow'), field: 'environments.1.egress6' });
    expect(e.message).toContain('egress6 needs a dual-stack simulated Internet');
    const bad = dual.replace('egress6: allow', 'egress6: open');
    const b = errorOf(() => parseScenario(bad, file));
    expect(b.location).toEqual({ file, line: lineOf(bad, 'egress6: open'), field: 'environments[1].egress6' });
    expect(b.message).toContain('expected allow, drop or reject');
    const notBool = dual.replace('ipv6: true', 'ipv6: yes please');
    expect(errorOf(() => parseScenario(notBool, file)).location?.field).toBe('network.ipv6');
  });
});
