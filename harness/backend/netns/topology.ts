// The netns topology as data: namespaces, links, addresses, routes and the
// nftables egress policy. A router namespace joins the simulated Internet,
// the provider's network and one namespace per environment; nothing links
// to the machine's own network, so no packet can leave the sandbox.
import type { EnvironmentData } from '../../scenario/schema.js';

export interface EnvLink {
  readonly env: EnvironmentData;
  readonly ns: string;
  /** Interface name on the router side. */
  readonly routerIf: string;
  readonly routerAddress: string;
  readonly hostAddress: string;
}

export interface Topology {
  readonly router: string;
  readonly internet: string;
  readonly provider: string;
  readonly envs: readonly EnvLink[];
  readonly internetAddresses: readonly string[];
  readonly providerAddress: string;
  /** The simulated Internet's IPv6 addresses (network.ipv6); empty for an IPv4-only one. */
  readonly internetAddresses6: readonly string[];
}

/** IPv6 link addresses (network.ipv6): a ULA /64 per link, numbered as the IPv4 links are. */
const LINK6 = (n: number) => ({ router: `fd7f:0:0:${n.toString(16)}::1`, peer: `fd7f:0:0:${n.toString(16)}::2` });
export const LINK6_RANGE = 'fd7f::/48';

/** Link addresses: 100.127.0.0/16 (RFC 6598 space), /30 per link. */
const LINK = {
  internet: { router: '100.127.0.1', peer: '100.127.0.2' },
  provider: { router: '100.127.0.5', peer: '100.127.0.6' },
  env: (i: number) => ({ router: `100.127.${1 + (i >> 6)}.${(i & 63) * 4 + 1}`, peer: `100.127.${1 + (i >> 6)}.${(i & 63) * 4 + 2}` }),
};
export const LINK_RANGE = '100.127.0.0/16';

export function planTopology(nsName: (role: string) => string, envs: readonly EnvironmentData[], internetAddresses: readonly string[], providerAddress: string, internetAddresses6: readonly string[] = []): Topology {
  return {
    internetAddresses6,
    router: nsName('rtr'),
    internet: nsName('inet'),
    provider: nsName('vpc'),
    envs: envs.map((env, i) => ({ env, ns: nsName(`e-${env.name}`), routerIf: `e${i}`, routerAddress: LINK.env(i).router, hostAddress: LINK.env(i).peer })),
    internetAddresses,
    providerAddress,
  };
}

/**
 * ip(8) batches, one per namespace (run as "ip -n NS -batch -"): the router's
 * first, since it creates every veth pair; then the others, concurrently.
 */
export interface IpBatches {
  readonly router: readonly string[];
  readonly peers: ReadonlyMap<string, readonly string[]>;
}

/** The router's interfaces to its own links; the environments' are EnvLink.routerIf. */
export const ROUTER_IF = { internet: 'i0', provider: 'v0' } as const;

/** Who sent what arrives on a router interface: an environment's name, or "(internet)", "(provider)", "(network)". */
export function sourceOfInterface(t: Topology, iface: string): string {
  if (iface === ROUTER_IF.internet) return '(internet)';
  if (iface === ROUTER_IF.provider) return '(provider)';
  return t.envs.find((e) => e.routerIf === iface)?.env.name ?? '(network)';
}

export function ipBatches(t: Topology): IpBatches {
  const router: string[] = ['link set lo up'];
  const peers = new Map<string, string[]>();
  const v6 = t.internetAddresses6.length > 0;
  let n6 = 0;
  const link = (ns: string, routerIf: string, r: string, p: string) => {
    router.push(`link add ${routerIf} type veth peer name up0 netns ${ns}`, `addr add ${r}/30 dev ${routerIf}`, `link set ${routerIf} up`);
    peers.set(ns, ['link set lo up', `addr add ${p}/30 dev up0`, 'link set up0 up', `route add default via ${r}`]);
    if (v6) {
      // No link-local address (addrgenmode none) and nodad: a fresh link is usable at once, not after
      // duplicate address detection, which would silence the first second of IPv6 traffic.
      const l = LINK6(n6++);
      router.splice(router.length - 1, 0, `link set ${routerIf} addrgenmode none`);
      // A link-local address of its own, also without DAD: neighbour discovery for forwarded packets needs one.
      router.push(`addr add ${l.router}/64 dev ${routerIf} nodad`, `addr add fe80::1/64 dev ${routerIf} nodad`);
      const p6 = peers.get(ns)!;
      p6.splice(p6.indexOf('link set up0 up'), 0, 'link set up0 addrgenmode none');
      p6.push(`addr add ${l.peer}/64 dev up0 nodad`, 'addr add fe80::2/64 dev up0 nodad', `route add default via ${l.router}`);
    }
  };
  link(t.internet, ROUTER_IF.internet, LINK.internet.router, LINK.internet.peer);
  link(t.provider, ROUTER_IF.provider, LINK.provider.router, LINK.provider.peer);
  for (const e of t.envs) link(e.ns, e.routerIf, e.routerAddress, e.hostAddress);
  for (const a of t.internetAddresses6) {
    peers.get(t.internet)!.push(`addr add ${a}/128 dev lo nodad`);
    router.push(`route add ${a}/128 via ${LINK6(0).peer}`);
  }
  for (const a of t.internetAddresses) {
    peers.get(t.internet)!.push(`addr add ${a}/32 dev lo`);
    router.push(`route add ${a}/32 via ${LINK.internet.peer}`);
  }
  peers.get(t.provider)!.push(`addr add ${t.providerAddress}/32 dev lo`);
  router.push(`route add ${t.providerAddress}/32 via ${LINK.provider.peer}`);
  return { router, peers };
}

/**
 * The router's forward policy. "egress" is everything but the provider's
 * resolver; "provider" is the provider's resolver itself. drop is silence;
 * reject answers as a firewall would (ICMP port unreachable, TCP reset).
 * Counters on every rule let a test see what was stopped.
 */
export function nftRuleset(t: Topology): string {
  const rules: string[] = [];
  const verdict = (how: 'drop' | 'reject', match: string) =>
    how === 'drop' ? [`${match} counter drop`] : [`${match} meta l4proto tcp counter reject with tcp reset`, `${match} counter reject`];
  for (const e of t.envs) {
    const iif = `iifname "${e.routerIf}"`;
    if (e.env.provider !== 'reachable') rules.push(...verdict(e.env.provider, `${iif} ip daddr ${t.providerAddress}`));
    if (e.env.egress !== 'allow') rules.push(...verdict(e.env.egress, `${iif} ip daddr != ${t.providerAddress}`));
    // IPv6 reaches only the simulated Internet (the provider's resolver is IPv4): egress6, default egress.
    const egress6 = e.env.egress6 ?? e.env.egress;
    if (t.internetAddresses6.length > 0 && egress6 !== 'allow') rules.push(...verdict(egress6, `${iif} meta nfproto ipv6`));
  }
  // Every destination the simulated network knows; anything else a resolver
  // tries to reach is a leak, recorded (before routing, so even unroutable
  // ones) in the "unknown" set for the report: per incoming link (which
  // environment or link sent it), protocol and port, with a packet count.
  const known = [...t.internetAddresses, t.providerAddress, LINK_RANGE, '224.0.0.0/4', '255.255.255.255'].join(', ');
  const known6 = [...t.internetAddresses6, LINK6_RANGE, 'fe80::/10', 'ff00::/8'].join(', ');
  return [
    'table inet dnsparity {',
    '  set unknown { type ifname . ipv4_addr . inet_proto . inet_service; flags dynamic; counter; size 4096; }',
    '  set unknown6 { type ifname . ipv6_addr . inet_proto . inet_service; flags dynamic; counter; size 4096; }',
    '  chain watch {',
    '    type filter hook prerouting priority -150; policy accept;',
    `    ip daddr != { ${known} } meta l4proto { tcp, udp } update @unknown { iifname . ip daddr . meta l4proto . th dport } counter`,
    `    ip daddr != { ${known} } meta l4proto != { tcp, udp } update @unknown { iifname . ip daddr . meta l4proto . 0 } counter`,
    `    ip6 daddr != { ${known6} } meta l4proto { tcp, udp } update @unknown6 { iifname . ip6 daddr . meta l4proto . th dport } counter`,
    `    ip6 daddr != { ${known6} } meta l4proto != { tcp, udp, ipv6-icmp } update @unknown6 { iifname . ip6 daddr . meta l4proto . 0 } counter`,
    '  }',
    '  chain forward {',
    '    type filter hook forward priority 0; policy accept;',
    ...rules.map((r) => `    ${r}`),
    '  }',
    '}',
    '',
  ].join('\n');
}
