import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SimulatedInternet } from '../../network/simulated-internet.js';
import type { EnvironmentData } from '../../scenario/schema.js';
import { HARNESS_OUTGOING_PORTS } from '../../network/public-resolvers.js';
import { addressesInSubnet, envRuleset, inSubnet, INTERNET_PORT_BASE, internetAddressBatch, internetClientRuleset, internetPodRuleset, internetPorts, internetRouteBatch, planDockerTopology, REFUSE_PORT, setElements, watchRuleset } from './topology.js';

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

  it('makes one Internet network and one provider network, both at subnets the engine picks', () => {
    expect(t.networks).toEqual([
      { role: 'internet', name: name('internet') },
      { role: 'provider', name: name('provider') },
    ]);
    for (const n of t.networks) expect(Object.keys(n).sort()).toEqual(['name', 'role']);
    expect([t.internetNetwork, t.providerNetwork]).toEqual([name('internet'), name('provider')]);
  });

  it('holds every server address in the internet pod, once each, whatever its /24', () => {
    expect(t.internet).toEqual({ pod: name('inet'), addresses: ['198.51.100.1', '198.51.100.2', '198.51.100.53', '203.0.113.53'] });
  });

  it('runs one nsd per server, with all of its addresses, each with a directory of its own', () => {
    expect(t.nsd.map((n) => [n.dir, n.server.nameServers.map((x) => x.address)])).toEqual([
      ['nsd/root', ['198.51.100.1']],
      ['nsd/io', ['198.51.100.2']],
      ['nsd/example-io', ['198.51.100.53', '203.0.113.53']],
    ]);
  });

  it('attaches only environments with egress to the Internet network, and routes the Internet in those alone; every one to the provider network', () => {
    expect(t.envs.map((e) => [e.env.name, e.networks, e.routesInternet])).toEqual([
      ['production', [name('provider'), name('internet')], true],
      ['staging', [name('provider')], false],
      ['preprod', [name('provider')], false],
    ]);
    expect(t.provider.networks).toEqual([name('provider'), name('internet')]);
  });

  it('names everything of a run after its id alone: two runs of one scenario share no name', () => {
    const other = planDockerTopology((role) => `dnsparity-def456-${role}`, internet, [env('production', 'allow'), env('staging', 'drop'), env('preprod', 'reject')]);
    const names = (x: typeof t) => [...x.networks.map((n) => n.name), x.internet.pod, x.provider.pod, ...x.envs.flatMap((e) => [e.pod, e.host])];
    expect(names(t).filter((n) => names(other).includes(n))).toEqual([]);
    expect(new Set(names(t)).size).toBe(names(t).length);
  });
});

describe('the simulated Internet in its pod', () => {
  const t = planDockerTopology(name, internet, [env('production', 'allow')]);

  it('puts each address on the pod\'s loopback as a /32', () => {
    expect(internetAddressBatch(t)).toBe(['address add 198.51.100.1/32 dev lo', 'address add 198.51.100.2/32 dev lo', 'address add 198.51.100.53/32 dev lo', 'address add 203.0.113.53/32 dev lo', ''].join('\n'));
  });

  it('routes each address, and no wider prefix, via the pod\'s engine-assigned address', () => {
    const lines = internetRouteBatch(t, '172.20.0.2').split('\n').filter(Boolean);
    expect(lines).toEqual(['route replace 198.51.100.1/32 via 172.20.0.2', 'route replace 198.51.100.2/32 via 172.20.0.2', 'route replace 198.51.100.53/32 via 172.20.0.2', 'route replace 203.0.113.53/32 via 172.20.0.2']);
    expect(lines.some((l) => /default|\/(?!32\b)\d+/.test(l))).toBe(false);
  });

  it('refuses a route via one of the simulated Internet\'s own addresses', () => {
    expect(() => internetRouteBatch(t, '198.51.100.2')).toThrow(/internet pod's own address 198.51.100.2/);
  });

  it('gives each address its own port on the internet pod, and maps that port back to the address\'s port 53 there', () => {
    expect(internetPorts(t)).toEqual([
      { address: '198.51.100.1', port: INTERNET_PORT_BASE },
      { address: '198.51.100.2', port: INTERNET_PORT_BASE + 1 },
      { address: '198.51.100.53', port: INTERNET_PORT_BASE + 2 },
      { address: '203.0.113.53', port: INTERNET_PORT_BASE + 3 },
    ]);
    const client = internetClientRuleset(t, '172.20.0.2');
    const pod = internetPodRuleset(t, '172.20.0.2');
    expect(client).toContain('type nat hook output priority -100;');
    expect(pod).toContain('type nat hook prerouting priority -100;');
    for (const { address, port } of internetPorts(t)) {
      for (const l4 of ['udp', 'tcp']) {
        expect(client).toContain(`ip daddr ${address} ${l4} dport 53 counter dnat to 172.20.0.2:${port}\n`);
        expect(pod).toContain(`ip daddr 172.20.0.2 ${l4} dport ${port} counter dnat to ${address}:53\n`);
      }
    }
    // DNS alone crosses: nothing else of an address is rewritten, and nothing that is not the simulated Internet's.
    expect(client.split('\n').filter((l) => l.includes('dnat'))).toHaveLength(8);
    expect(pod.split('\n').filter((l) => l.includes('dnat'))).toHaveLength(8);
  });

  it('runs after the unknown-destination set, which so sees the address as sent', () => {
    const watchPriority = Number(/hook output priority (-?\d+)/.exec(watchRuleset(internet, '169.254.169.253'))![1]);
    const natPriority = Number(/hook output priority (-?\d+)/.exec(internetClientRuleset(t, '172.20.0.2'))![1]);
    expect(watchPriority).toBeLessThan(natPriority);
  });

  it('refuses a pod address that is not one', () => {
    expect(() => internetClientRuleset(t, '')).toThrow(/not an IPv4 address: \(none\)/);
    expect(() => internetPodRuleset(t, '198.51.100.53')).toThrow(/one of the simulated Internet's/);
  });

  it('finds the scenario addresses an engine subnet would hold, and only those', () => {
    expect(addressesInSubnet(t, '169.254.169.253', '172.17.0.0/16')).toEqual([]);
    expect(addressesInSubnet(t, '169.254.169.253', '198.51.100.0/25')).toEqual(['198.51.100.1', '198.51.100.2', '198.51.100.53']);
    expect(addressesInSubnet(t, '169.254.169.253', '169.254.0.0/16')).toEqual(['169.254.169.253']);
    expect(addressesInSubnet(t, '169.254.169.253', '203.0.113.53/32')).toEqual(['203.0.113.53']);
    expect(inSubnet('198.51.100.128', '198.51.100.0/25')).toBe(false);
    expect(inSubnet('10.1.2.3', '0.0.0.0/0')).toBe(true);
  });

  it('orders addresses numerically', () => {
    const t2 = planDockerTopology(name, { ...internet, servers: [server('a', '10.0.0.10'), server('b', '10.0.0.9'), server('c', '9.0.0.1')], addresses: ['10.0.0.10', '10.0.0.9', '9.0.0.1'] }, []);
    expect(t2.internet.addresses).toEqual(['9.0.0.1', '10.0.0.9', '10.0.0.10']);
  });
});

describe('environment NAT rules', () => {
  const targets = '172.18.0.2';
  it('sends the provider address to the provider, and nothing else, where egress is allowed or dropped', () => {
    for (const e of [env('production', 'allow'), env('staging', 'drop')]) {
      const rules = envRuleset(e, '169.254.169.253', targets).split('\n').filter((l) => l.includes('dnat'));
      expect(rules).toEqual(['    ip daddr 169.254.169.253 counter dnat to 172.18.0.2']);
    }
  });
  it('sends the UDP and TCP of everything but the provider and loopback to a closed port of the provider\'s pod where egress is rejected', () => {
    const text = envRuleset(env('preprod', 'reject'), '169.254.169.253', targets);
    expect(text).toContain(`ip daddr != { 169.254.169.253, 127.0.0.0/8 } meta l4proto { tcp, udp } counter dnat to 172.18.0.2:${REFUSE_PORT}`);
    expect(text).toContain('ip daddr 169.254.169.253 counter dnat to 172.18.0.2\n');
    // The provider's resolver listens on 53 and sends from HARNESS_OUTGOING_PORTS: the refusing port is neither.
    expect(REFUSE_PORT).not.toBe(53);
    expect(HARNESS_OUTGOING_PORTS.filter((l) => /outgoing-port-permit: \d+-\d+/.test(l))).toHaveLength(1);
    for (const line of HARNESS_OUTGOING_PORTS) {
      const range = /outgoing-port-permit: (\d+)-(\d+)/.exec(line);
      if (range) expect(REFUSE_PORT < Number(range[1]) || REFUSE_PORT > Number(range[2])).toBe(true);
    }
  });
  it('leaves a dropped provider unrouted and sends a rejected one to the refusing port', () => {
    expect(envRuleset(env('a', 'allow', 'drop'), '169.254.169.253', targets)).not.toContain('dnat');
    expect(envRuleset(env('b', 'allow', 'reject'), '169.254.169.253', targets)).toContain(`ip daddr 169.254.169.253 meta l4proto { tcp, udp } counter dnat to 172.18.0.2:${REFUSE_PORT}`);
  });
  it('refuses Docker\'s embedded DNS server in every environment', () => {
    for (const e of [env('production', 'allow'), env('staging', 'drop'), env('preprod', 'reject')]) {
      expect(envRuleset(e, '169.254.169.253', targets)).toContain('ip daddr 127.0.0.11 counter reject');
    }
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
    const dup = watchRuleset({ addresses: ['198.51.100.1', '198.51.100.1', '169.254.169.253'], publicResolvers: [] }, '169.254.169.253');
    expect(dup).toContain('ip daddr != { 169.254.169.253, 198.51.100.1, 127.0.0.0/8,');
  });

  it('knows the public resolvers at their own addresses, and nothing else of theirs', () => {
    const withPublic = watchRuleset({ ...internet, publicResolvers: [{ address: '8.8.8.8' }] }, '169.254.169.253');
    expect(withPublic).toContain('ip daddr != { 169.254.169.253, 198.51.100.1, 198.51.100.2, 198.51.100.53, 203.0.113.53, 8.8.8.8, 127.0.0.0/8,');
  });

  it('reads the addresses of nft\'s JSON listing, bare and with timeouts', () => {
    const json = JSON.stringify({ nftables: [{ metainfo: { version: '1.0.6' } }, { set: { family: 'ip', name: 'unknown', table: 'dnsparity_watch', type: 'ipv4_addr', elem: ['192.0.2.99', { elem: { val: '8.8.8.8', expires: 1000 } }] } }] });
    expect(setElements(json)).toEqual(['192.0.2.99', '8.8.8.8']);
    expect(setElements(JSON.stringify({ nftables: [{ set: { name: 'unknown' } }] }))).toEqual([]);
  });
});
