import { describe, expect, it } from 'vitest';
import type { EnvironmentData } from '../../scenario/schema.js';
import { parseUnknownSet } from './index.js';
import { ipBatches, nftRuleset, planTopology, sourceOfInterface, type Topology } from './topology.js';

const PROVIDER = '169.254.169.253';
const INTERNET = ['198.51.100.1', '198.51.100.2', '198.51.100.53'];
const env = (name: string, egress: EnvironmentData['egress'], provider: EnvironmentData['provider'] = 'reachable'): EnvironmentData => ({
  name,
  egress,
  provider,
  reference: false,
});
// Namespace names as a run would make them: prefixed with a run id.
const nsName = (role: string) => `dnsparity-7f3a9c-${role}`;

const ENVS = [
  env('production', 'allow'),
  env('staging', 'drop'),
  env('preprod', 'reject'),
  env('isolated-vpc', 'allow', 'drop'),
  env('firewalled-vpc', 'allow', 'reject'),
];
const topo = (): Topology => planTopology(nsName, ENVS, INTERNET, PROVIDER);
const rulesFor = (rules: string, routerIf: string) => rules.split('\n').map((l) => l.trim()).filter((l) => l.startsWith(`iifname "${routerIf}"`));

describe('planTopology', () => {
  it('names namespaces by role and gives each environment its own link', () => {
    const t = topo();
    expect([t.router, t.internet, t.provider]).toEqual(['dnsparity-7f3a9c-rtr', 'dnsparity-7f3a9c-inet', 'dnsparity-7f3a9c-vpc']);
    expect(t.envs.map((e) => [e.env.name, e.ns, e.routerIf, e.routerAddress, e.hostAddress])).toEqual([
      ['production', 'dnsparity-7f3a9c-e-production', 'e0', '100.127.1.1', '100.127.1.2'],
      ['staging', 'dnsparity-7f3a9c-e-staging', 'e1', '100.127.1.5', '100.127.1.6'],
      ['preprod', 'dnsparity-7f3a9c-e-preprod', 'e2', '100.127.1.9', '100.127.1.10'],
      ['isolated-vpc', 'dnsparity-7f3a9c-e-isolated-vpc', 'e3', '100.127.1.13', '100.127.1.14'],
      ['firewalled-vpc', 'dnsparity-7f3a9c-e-firewalled-vpc', 'e4', '100.127.1.17', '100.127.1.18'],
    ]);
  });

  it('gives many environments distinct link addresses outside the internet and provider links', () => {
    const many = Array.from({ length: 200 }, (_, i) => env(`env${i}`, 'allow'));
    const t = planTopology(nsName, many, INTERNET, PROVIDER);
    const addrs = t.envs.flatMap((e) => [e.routerAddress, e.hostAddress]);
    expect(new Set(addrs).size).toBe(400);
    for (const a of addrs) {
      expect(a).toMatch(/^100\.127\.(\d+)\.(\d+)$/);
      const [, third, fourth] = /^100\.127\.(\d+)\.(\d+)$/.exec(a)!.map(Number);
      expect(third).toBeGreaterThanOrEqual(1);
      expect(third).toBeLessThanOrEqual(255);
      expect(fourth).toBeGreaterThanOrEqual(1);
      expect(fourth).toBeLessThanOrEqual(254);
    }
  });
});

describe('nftRuleset', () => {
  const rules = nftRuleset(topo());

  it('is one inet table with a forward chain that accepts by default', () => {
    expect(rules).toMatch(/^table inet dnsparity \{\n/);
    expect(rules).toMatch(/\n {2}chain forward \{\n {4}type filter hook forward priority 0; policy accept;\n/);
    expect(rules.endsWith('  }\n}\n')).toBe(true);
  });

  it('records, before routing, every destination the simulated network does not have', () => {
    expect(rules).toContain('set unknown { type ifname . ipv4_addr . inet_proto . inet_service; flags dynamic; counter; size 4096; }');
    expect(rules).toMatch(/type filter hook prerouting priority -150; policy accept;\n {4}ip daddr != \{ [^}]*100\.127\.0\.0\/16[^}]* \} meta l4proto \{ tcp, udp \} update @unknown \{ iifname \. ip daddr \. meta l4proto \. th dport \} counter/);
    expect(rules).toMatch(/meta l4proto != \{ tcp, udp \} update @unknown \{ iifname \. ip daddr \. meta l4proto \. 0 \} counter/);
    expect(rules).toContain(PROVIDER);
  });

  it('gives an allow environment with a reachable provider no rule', () => {
    expect(rulesFor(rules, 'e0')).toEqual([]);
  });

  it('drops everything but the provider for egress: drop', () => {
    expect(rulesFor(rules, 'e1')).toEqual([`iifname "e1" ip daddr != ${PROVIDER} counter drop`]);
  });

  it('rejects with a TCP reset first, then ICMP, for egress: reject', () => {
    expect(rulesFor(rules, 'e2')).toEqual([
      `iifname "e2" ip daddr != ${PROVIDER} meta l4proto tcp counter reject with tcp reset`,
      `iifname "e2" ip daddr != ${PROVIDER} counter reject`,
    ]);
  });

  it('adds a rule for the provider address itself for provider: drop or reject', () => {
    expect(rulesFor(rules, 'e3')).toEqual([`iifname "e3" ip daddr ${PROVIDER} counter drop`]);
    expect(rulesFor(rules, 'e4')).toEqual([
      `iifname "e4" ip daddr ${PROVIDER} meta l4proto tcp counter reject with tcp reset`,
      `iifname "e4" ip daddr ${PROVIDER} counter reject`,
    ]);
  });

  it('blocks both when egress and provider are both blocked', () => {
    const t = planTopology(nsName, [env('sealed', 'drop', 'drop')], INTERNET, PROVIDER);
    expect(rulesFor(nftRuleset(t), 'e0')).toEqual([`iifname "e0" ip daddr ${PROVIDER} counter drop`, `iifname "e0" ip daddr != ${PROVIDER} counter drop`]);
  });
});

describe('ipBatches', () => {
  const { router, peers } = ipBatches(topo());

  it('creates one veth per environment plus the internet and provider links, all from the router', () => {
    const t = topo();
    expect(router.filter((c) => / type veth /.test(c))).toHaveLength(ENVS.length + 2);
    expect(peers.size).toBe(ENVS.length + 2);
    for (const e of t.envs) {
      expect(router).toContain(`link add ${e.routerIf} type veth peer name up0 netns ${e.ns}`);
      expect(peers.get(e.ns)).toContain(`addr add ${e.hostAddress}/30 dev up0`);
      expect(peers.get(e.ns)).toContain(`route add default via ${e.routerAddress}`);
    }
  });

  it('brings a link up before routing over it', () => {
    for (const cmds of peers.values()) expect(cmds.indexOf('link set up0 up')).toBeLessThan(cmds.findIndex((c) => c.startsWith('route add default')));
  });

  it('puts every internet address and the provider address behind the router', () => {
    const t = topo();
    for (const a of INTERNET) {
      expect(peers.get(t.internet)).toContain(`addr add ${a}/32 dev lo`);
      expect(router.some((c) => c.startsWith(`route add ${a}/32 via `))).toBe(true);
    }
    expect(peers.get(t.provider)).toContain(`addr add ${PROVIDER}/32 dev lo`);
    expect(router.some((c) => c.startsWith(`route add ${PROVIDER}/32 via `))).toBe(true);
  });

  it('uses interface names within the kernel limit of 15 characters', () => {
    const many = Array.from({ length: 300 }, (_, i) => env(`env${i}`, 'allow'));
    const commands = ipBatches(planTopology(nsName, many, INTERNET, PROVIDER)).router.map((c) => c.split(' '));
    const names = new Set<string>();
    for (const c of commands) {
      const add = c.indexOf('add');
      if (c[add - 1] === 'link') names.add(c[add + 1]!);
      c.forEach((w, i) => {
        if (w === 'dev' || (w === 'name' && c[i - 1] === 'peer')) names.add(c[i + 1]!);
      });
    }
    expect(names.size).toBeGreaterThan(300);
    for (const n of names) expect(n.length).toBeLessThanOrEqual(15);
  });
});

describe("the router's record of unknown destinations", () => {
  it('maps each interface to the environment or link that sent the packets', () => {
    const t = topo();
    expect(sourceOfInterface(t, 'e1')).toBe('staging');
    expect(sourceOfInterface(t, 'v0')).toBe('(provider)');
    expect(sourceOfInterface(t, 'i0')).toBe('(internet)');
    expect(sourceOfInterface(t, 'lo')).toBe('(network)');
  });

  it('reads nft -j output into records per source, protocol and port, with packet counts', () => {
    // As nft 1.0.6 lists the set (captured from a run).
    const json = JSON.stringify({ nftables: [{ metainfo: { version: '1.0.6' } }, { set: { family: 'inet', name: 'unknown', elem: [
      { elem: { val: { concat: ['e1', '10.0.0.2', 'udp', 53] }, counter: { packets: 2, bytes: 120 } } },
      { elem: { val: { concat: ['v0', '192.0.2.99', 'tcp', 53] }, counter: { packets: 1, bytes: 60 } } },
      { elem: { val: { concat: ['e0', '10.0.0.2', 'icmp', 0] }, counter: { packets: 4, bytes: 336 } } },
    ] } }] });
    expect(parseUnknownSet(json, topo())).toEqual([
      { source: 'production', address: '10.0.0.2', protocol: 'icmp', packets: 4 },
      { source: 'staging', address: '10.0.0.2', protocol: 'udp', port: 53, packets: 2 },
      { source: '(provider)', address: '192.0.2.99', protocol: 'tcp', port: 53, packets: 1 },
    ]);
    expect(parseUnknownSet(JSON.stringify({ nftables: [{ set: { name: 'unknown' } }] }), topo())).toEqual([]);
  });

  it('picks each set by name from one listing of the table family (nft -j list sets inet)', () => {
    const listing = JSON.stringify({ nftables: [
      { metainfo: { version: '1.0.6' } },
      { set: { family: 'inet', name: 'other', table: 'dnsparity_internet', elem: [{ elem: { val: { concat: ['e0', '10.9.9.9', 'udp', 53] }, counter: { packets: 9 } } }] } },
      { set: { family: 'inet', name: 'unknown', table: 'dnsparity', elem: [{ elem: { val: { concat: ['e1', '10.0.0.2', 'udp', 53] }, counter: { packets: 2 } } }] } },
      { set: { family: 'inet', name: 'unknown6', table: 'dnsparity', elem: [{ elem: { val: { concat: ['e0', '2001:db8::1', 'tcp', 53] }, counter: { packets: 3 } } }] } },
    ] });
    expect(parseUnknownSet(listing, topo(), 'unknown')).toEqual([{ source: 'staging', address: '10.0.0.2', protocol: 'udp', port: 53, packets: 2 }]);
    expect(parseUnknownSet(listing, topo(), 'unknown6')).toEqual([{ source: 'production', address: '2001:db8::1', protocol: 'tcp', port: 53, packets: 3 }]);
    expect(parseUnknownSet(JSON.stringify({ nftables: [{ set: { name: 'unknown', table: 'dnsparity' } }] }), topo(), 'unknown6')).toEqual([]);
  });
});
