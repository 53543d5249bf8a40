import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SimulatedInternet } from '../../network/simulated-internet.js';
import type { EnvironmentData } from '../../scenario/schema.js';
import { envRuleset, freeRange, overlaps, parseRoutes, planDockerTopology, setElements, watchRuleset } from './topology.js';

const server = (id: string, ...addresses: string[]) => ({ id, nameServers: addresses.map((address, i) => ({ name: `ns${i}.${id}`, address })), zones: [] });
const internet: SimulatedInternet = {
  root: [{ name: 'a.root-servers.test', address: '198.51.100.1' }],
  servers: [server('root', '198.51.100.1'), server('io', '198.51.100.2'), server('example-io', '198.51.100.53', '203.0.113.53')],
  addresses: ['198.51.100.1', '198.51.100.2', '198.51.100.53', '203.0.113.53'],
  provider: { address: '169.254.169.253', zones: [] },
  publicResolvers: [],
  shaping: [],
  addresses6: [],
};
const env = (name: string, egress: EnvironmentData['egress'], provider: EnvironmentData['provider'] = 'reachable'): EnvironmentData => ({ name, egress, provider, reference: egress === 'allow' });
const name = (role: string) => `dnsparity-abc123-${role}`;

describe('docker topology', () => {
  const t = planDockerTopology(name, internet, [env('production', 'allow'), env('staging', 'drop'), env('preprod', 'reject')]);

  it('puts each /24 of the simulated Internet on its own network, gateway and dynamic range clear of every server', () => {
    const inet = t.networks.filter((n) => n.role === 'internet');
    expect(inet.map((n) => n.subnet)).toEqual(['198.51.100.0/24', '203.0.113.0/24']);
    for (const n of inet) {
      expect(internet.addresses).not.toContain(n.gateway);
      const [base, bits] = n.ipRange!.split('/') as [string, string];
      const start = Number(base.split('.')[3]);
      const inRange = (a: string) => a.startsWith(base.split('.').slice(0, 3).join('.') + '.') && Number(a.split('.')[3]) >= start && Number(a.split('.')[3]) < start + 2 ** (32 - Number(bits));
      expect(internet.addresses.filter(inRange)).toEqual([]);
      expect(inRange(n.gateway!)).toBe(false);
    }
    expect(t.networks.find((n) => n.role === 'provider')).toEqual({ role: 'provider', name: name('provider') });
  });

  it('runs one nsd container per server address, on the network of that address', () => {
    expect(t.nsd.map((n) => [n.name, n.address, n.network])).toEqual([
      [name('nsd-root'), '198.51.100.1', name('internet0')],
      [name('nsd-io'), '198.51.100.2', name('internet0')],
      [name('nsd-example-io-0'), '198.51.100.53', name('internet0')],
      [name('nsd-example-io-1'), '203.0.113.53', name('internet1')],
    ]);
    expect(t.nsd[2]!.config.nameServers).toEqual([{ name: 'ns0.example-io', address: '198.51.100.53' }]);
  });

  it('attaches only environments with egress to the Internet networks; every one to the provider network', () => {
    expect(t.envs.map((e) => [e.env.name, e.networks])).toEqual([
      ['production', [name('provider'), name('internet0'), name('internet1')]],
      ['staging', [name('provider')]],
      ['preprod', [name('provider')]],
    ]);
    expect(t.provider.networks).toEqual([name('provider'), name('internet0'), name('internet1')]);
  });

  it('has a refuser only when an environment rejects', () => {
    expect(t.refuser).toBe(name('refuser'));
    expect(planDockerTopology(name, internet, [env('production', 'allow'), env('staging', 'drop')]).refuser).toBeUndefined();
    expect(planDockerTopology(name, internet, [env('production', 'allow'), env('vpcless', 'allow', 'reject')]).refuser).toBe(name('refuser'));
  });
});

describe('environment NAT rules', () => {
  const targets = { provider: '172.18.0.2', refuser: '172.18.0.3' };
  it('sends the provider address to the provider, and nothing else, where egress is allowed or dropped', () => {
    for (const e of [env('production', 'allow'), env('staging', 'drop')]) {
      const rules = envRuleset(e, '169.254.169.253', targets).split('\n').filter((l) => l.includes('dnat'));
      expect(rules).toEqual(['    ip daddr 169.254.169.253 counter dnat to 172.18.0.2']);
    }
  });
  it('sends everything but the provider and loopback to the refuser where egress is rejected', () => {
    const text = envRuleset(env('preprod', 'reject'), '169.254.169.253', targets);
    expect(text).toContain('ip daddr != { 169.254.169.253, 127.0.0.0/8 } counter dnat to 172.18.0.3');
    expect(text).toContain('ip daddr 169.254.169.253 counter dnat to 172.18.0.2');
  });
  it('leaves a dropped provider unrouted and sends a rejected one to the refuser', () => {
    expect(envRuleset(env('a', 'allow', 'drop'), '169.254.169.253', targets)).not.toContain('dnat');
    expect(envRuleset(env('b', 'allow', 'reject'), '169.254.169.253', targets)).toContain('ip daddr 169.254.169.253 counter dnat to 172.18.0.3');
  });
  it('refuses Docker\'s embedded DNS server in every environment', () => {
    for (const e of [env('production', 'allow'), env('staging', 'drop'), env('preprod', 'reject')]) {
      expect(envRuleset(e, '169.254.169.253', targets)).toContain('ip daddr 127.0.0.11 counter reject');
    }
  });
  it('refuses to write a reject rule without a refuser', () => {
    expect(() => envRuleset(env('preprod', 'reject'), '169.254.169.253', { provider: '172.18.0.2' })).toThrow(/no refuser/);
  });
});

describe('free address ranges', () => {
  it('never hands out a used address, .0 or .255', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 254 }), { maxLength: 60 }), (used) => {
        const set = new Set(used.map((u) => `10.0.0.${u}`));
        const [base, bits] = freeRange('10.0.0', set).split('/') as [string, string];
        const start = Number(base.split('.')[3]);
        for (let a = start; a < start + 2 ** (32 - Number(bits)); a++) {
          expect(a === 0 || a === 255 || set.has(`10.0.0.${a}`)).toBe(false);
        }
      }),
    );
  });
  it('fails with advice when the /24 is full', () => {
    const full = new Set(Array.from({ length: 254 }, (_, i) => `10.0.0.${i + 1}`));
    expect(() => freeRange('10.0.0', full)).toThrow(/nearly every address/);
  });
});

describe('routes of this machine', () => {
  const table = [
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
    'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
    'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
    'docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
  ].join('\n');
  it('reads /proc/net/route', () => {
    expect(parseRoutes(table)).toEqual([
      { iface: 'eth0', network: '0.0.0.0', prefix: 0 },
      { iface: 'eth0', network: '192.0.2.0', prefix: 24 },
      { iface: 'docker0', network: '172.17.0.0', prefix: 16 },
    ]);
  });
  it('finds overlaps, and never with a default route', () => {
    expect(overlaps({ network: '192.0.2.0', prefix: 24 }, { network: '192.0.2.0', prefix: 24 })).toBe(true);
    expect(overlaps({ network: '172.16.0.0', prefix: 12 }, { network: '172.18.5.0', prefix: 24 })).toBe(true);
    expect(overlaps({ network: '198.51.100.0', prefix: 24 }, { network: '192.0.2.0', prefix: 24 })).toBe(false);
    expect(overlaps({ network: '0.0.0.0', prefix: 0 }, { network: '198.51.100.0', prefix: 24 })).toBe(false);
  });
});

describe('the unknown-destination set of each pod', () => {
  const text = watchRuleset(internet, '169.254.169.253');
  const rule = text.split('\n').find((l) => l.includes('update @unknown'))!;

  it('records new flows to anything the simulated network does not have, before NAT rewrites them', () => {
    expect(text).toContain('set unknown { type ipv4_addr; flags dynamic; size 4096; }');
    expect(text).toContain('type filter hook output priority -150;');
    expect(rule.trim()).toBe(
      'ct state new ip daddr != { 169.254.169.253, 198.51.100.1, 198.51.100.2, 198.51.100.53, 203.0.113.53, 127.0.0.0/8, 224.0.0.0/4, 255.255.255.255 } update @unknown { ip daddr } counter',
    );
  });

  it('knows every server address and the provider\'s, once each', () => {
    const dup = watchRuleset({ addresses: ['198.51.100.1', '198.51.100.1', '169.254.169.253'] }, '169.254.169.253');
    expect(dup).toContain('ip daddr != { 169.254.169.253, 198.51.100.1, 127.0.0.0/8,');
  });

  it('knows the public resolvers, at their scenario addresses and their containers\' own', () => {
    const withPublic = watchRuleset(internet, '169.254.169.253', ['8.8.8.8', '198.51.100.130']);
    expect(withPublic).toContain('ip daddr != { 169.254.169.253, 198.51.100.1, 198.51.100.130, 198.51.100.2, 198.51.100.53, 203.0.113.53, 8.8.8.8, 127.0.0.0/8,');
  });

  it('reads the addresses of nft\'s JSON listing, bare and with timeouts', () => {
    const json = JSON.stringify({ nftables: [{ metainfo: { version: '1.0.6' } }, { set: { family: 'ip', name: 'unknown', table: 'dnsparity_watch', type: 'ipv4_addr', elem: ['192.0.2.99', { elem: { val: '8.8.8.8', expires: 1000 } }] } }] });
    expect(setElements(json)).toEqual(['192.0.2.99', '8.8.8.8']);
    expect(setElements(JSON.stringify({ nftables: [{ set: { name: 'unknown' } }] }))).toEqual([]);
  });
});
