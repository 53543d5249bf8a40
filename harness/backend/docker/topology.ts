// The docker topology as data: which internal networks a run creates, which
// containers sit on them, and the routes and netfilter rules of each
// namespace. Pure, so it can be printed and tested without an engine.
//
// Every network is internal, and the engine picks every subnet: no address of
// the scenario is ever a network's, so none is ever on this machine's own
// interfaces or in its routes, and runs on one engine never compete for one.
//  - the simulated Internet lives in one "internet pod": a helper container
//    whose namespace holds every server address and every public resolver's
//    (8.8.8.8) as a /32 on its loopback, and runs the servers as processes
//    of its own: nsd per server (at all of its addresses) and unbound per
//    public resolver. The pod is on one internal Internet network and
//    forwards nothing;
//  - the engine carries on an internal network only packets whose addresses
//    are both in its subnet (its isolation rules see bridged packets too), so
//    a packet to 198.51.100.1 cannot cross it as it is. A namespace that may
//    reach the Internet (an environment with egress, the provider's, which
//    recurses) is attached to the Internet network, routes each of those
//    addresses (/32) via the internet pod, and rewrites DNS to each (port 53,
//    UDP and TCP) to a port of its own on the internet pod's address; the
//    internet pod rewrites that port back to the address and port 53. Replies
//    are rewritten back by connection tracking on both sides, so the resolver
//    under test sends to and hears from 198.51.100.1:53 as on netns.
//    Anything else keeps the default route to the engine's gateway, where the
//    engine's isolation of internal networks drops it;
//  - the provider's resolver runs in the provider's pod, on a provider
//    network; environments reach
//    it at the scenario's provider address (169.254.169.253) through a DNAT
//    rule in their own namespace, because a subnet holding 169.254.169.253
//    would also take 169.254.169.254 (cloud metadata) from the machine's own
//    routing table;
//  - an environment without outbound access is on the provider network alone.
//    "drop": its packets to the Internet leave through the engine's gateway,
//    where the engine's isolation of internal networks drops them in silence.
//    "reject": their UDP and TCP are redirected to a port of the provider's
//    pod where nothing listens (REFUSE_PORT), whose kernel answers as a
//    rejecting firewall would (ICMP port unreachable, TCP reset), from outside
//    the environment, as on netns.
import type { EnvironmentData } from '../../scenario/schema.js';
import { internetDestinations, type AuthServer, type SimulatedInternet } from '../../network/simulated-internet.js';

/** An internal network; the engine picks its subnet. */
export interface NetworkSpec {
  readonly role: 'internet' | 'provider';
  readonly name: string;
}

export interface NsdSpec {
  /** Its files' directory in the internet pod's mount. */
  readonly dir: string;
  /** The server, all of its addresses: they are all on the internet pod's loopback. */
  readonly server: AuthServer;
}

export interface EnvSpec {
  readonly env: EnvironmentData;
  /** The container that holds the environment's network namespace. */
  readonly pod: string;
  /** The host under test, in the pod's namespace. */
  readonly host: string;
  readonly networks: readonly string[];
  /** Whether it routes the simulated Internet's addresses via the internet pod (egress allowed). */
  readonly routesInternet: boolean;
}

export interface DockerTopology {
  readonly networks: readonly NetworkSpec[];
  readonly internetNetwork: string;
  readonly providerNetwork: string;
  /** The namespace of the simulated Internet, and every address it holds (servers' and public resolvers'). */
  readonly internet: { readonly pod: string; readonly addresses: readonly string[] };
  readonly nsd: readonly NsdSpec[];
  /** The provider's pod, which runs its resolver (files in provider/ of its mount). */
  readonly provider: { readonly pod: string; readonly networks: readonly string[] };
  /** One unbound per public resolver, run in the internet pod at its public address; dir: its files in the pod's mount. */
  readonly publicResolvers: readonly { readonly dir: string; readonly address: string }[];
  readonly envs: readonly EnvSpec[];
}

export function planDockerTopology(name: (role: string) => string, internet: SimulatedInternet, envs: readonly EnvironmentData[]): DockerTopology {
  const internetNet: NetworkSpec = { role: 'internet', name: name('internet') };
  const providerNet: NetworkSpec = { role: 'provider', name: name('provider') };
  return {
    networks: [internetNet, providerNet],
    internetNetwork: internetNet.name,
    providerNetwork: providerNet.name,
    internet: { pod: name('inet'), addresses: [...new Set(internetDestinations(internet))].sort(byAddress) },
    nsd: internet.servers.map((s) => ({ dir: `nsd/${s.id}`, server: s })),
    provider: { pod: name('vpc'), networks: [providerNet.name, internetNet.name] },
    publicResolvers: internet.publicResolvers.map((p) => ({ dir: `public/${p.address}`, address: p.address })),
    envs: envs.map((env) => ({
      env,
      pod: name(`e-${env.name}`),
      host: name(`host-${env.name}`),
      networks: env.egress === 'allow' ? [providerNet.name, internetNet.name] : [providerNet.name],
      routesInternet: env.egress === 'allow',
    })),
  };
}

const toInt = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const byAddress = (a: string, b: string) => toInt(a) - toInt(b);

/** `ip -batch` lines that put the simulated Internet's addresses on the internet pod's loopback, each a /32. */
export function internetAddressBatch(topo: Pick<DockerTopology, 'internet'>): string {
  return topo.internet.addresses.map((a) => `address add ${a}/32 dev lo\n`).join('');
}

/** `ip -batch` lines that route each of the simulated Internet's addresses via the internet pod, and nothing more. */
export function internetRouteBatch(topo: Pick<DockerTopology, 'internet'>, via: string): string {
  assertVia(topo, via);
  return topo.internet.addresses.map((a) => `route replace ${a}/32 via ${via}\n`).join('');
}

/** Whether an IPv4 address lies in a subnet ("a.b.c.d/n"). */
export function inSubnet(address: string, subnet: string): boolean {
  const [network, bits] = subnet.split('/') as [string, string | undefined];
  const n = Number(bits ?? 32);
  const mask = n === 0 ? 0 : (~(2 ** (32 - n) - 1)) >>> 0;
  return ((toInt(address) & mask) >>> 0) === ((toInt(network) & mask) >>> 0);
}

/**
 * The scenario addresses (the simulated Internet's and the provider's) that lie
 * in a subnet the engine gave one of the run's networks: such an address could
 * be a container's, or this machine's own on the bridge.
 */
export function addressesInSubnet(topo: Pick<DockerTopology, 'internet'>, providerAddress: string, subnet: string): string[] {
  return [...topo.internet.addresses, providerAddress].filter((a) => inSubnet(a, subnet));
}

/** The first port, on the internet pod's address, that stands for an address of the simulated Internet (its port 53). */
export const INTERNET_PORT_BASE = 10053;

/** Each address of the simulated Internet with the port on the internet pod's address that carries its DNS. */
export function internetPorts(topo: Pick<DockerTopology, 'internet'>): readonly { readonly address: string; readonly port: number }[] {
  if (INTERNET_PORT_BASE + topo.internet.addresses.length > 65535) throw new Error(`the simulated Internet has ${topo.internet.addresses.length} addresses, more than the internet pod has ports for`);
  return topo.internet.addresses.map((address, i) => ({ address, port: INTERNET_PORT_BASE + i }));
}

/**
 * The rules of a namespace that reaches the simulated Internet (an environment
 * with egress, the provider's): DNS to each of its addresses, to that
 * address's port on the internet pod. Its own table, at the priority of the
 * environment's NAT, after the unknown-destination set has seen the address.
 */
export function internetClientRuleset(topo: Pick<DockerTopology, 'internet'>, via: string): string {
  assertVia(topo, via);
  const rules = internetPorts(topo).flatMap(({ address, port }) => ['udp', 'tcp'].map((l4) => `ip daddr ${address} ${l4} dport 53 counter dnat to ${via}:${port}`));
  return natTable('output', rules);
}

/** The internet pod's rules: each address's port on its own address, back to that address and port 53, where its server listens. */
export function internetPodRuleset(topo: Pick<DockerTopology, 'internet'>, via: string): string {
  assertVia(topo, via);
  const rules = internetPorts(topo).flatMap(({ address, port }) => ['udp', 'tcp'].map((l4) => `ip daddr ${via} ${l4} dport ${port} counter dnat to ${address}:53`));
  return natTable('prerouting', rules);
}

/** The table that carries DNS across the Internet network, in every namespace on it. */
export const INTERNET_TABLE = 'dnsparity_internet';

function natTable(hook: 'output' | 'prerouting', rules: readonly string[]): string {
  return [`table ip ${INTERNET_TABLE} {`, `  chain ${hook} {`, `    type nat hook ${hook} priority -100; policy accept;`, ...rules.map((r) => `    ${r}`), '  }', '}', ''].join('\n');
}

function assertVia(topo: Pick<DockerTopology, 'internet'>, via: string): void {
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(via)) throw new Error(`the internet pod's address is not an IPv4 address: ${via || '(none)'}`);
  if (topo.internet.addresses.includes(via)) throw new Error(`the internet pod's own address ${via} is one of the simulated Internet's`);
}

/** Docker's embedded DNS server, in every container on a user-defined network; it forwards to this machine's resolvers. */
export const DOCKER_DNS = '127.0.0.11';

/**
 * The port of the provider's pod that refuses what an environment rejects:
 * nothing listens there (its resolver listens on 53 and sends from
 * HARNESS_OUTGOING_PORTS, far above), so its kernel answers a datagram with
 * ICMP port unreachable and a connection with a reset.
 */
export const REFUSE_PORT = 9;

/**
 * An environment's rules, applied in its pod's namespace before the host
 * under test starts: the provider's resolver at the scenario's address, and
 * rejected UDP and TCP to a closed port of the provider's pod (REFUSE_PORT;
 * other protocols leave by the engine's gateway, which drops them). A reject
 * rule inside the namespace would fail the sender's own sendto at once, which
 * a resolver treats otherwise than a refusal from afar. Loopback traffic (the local resolver) is
 * never redirected; Docker's embedded DNS server is refused, as nothing
 * listens there on netns, so a resolv.conf naming it cannot reach beyond the
 * simulated Internet.
 */
export function envRuleset(
  env: EnvironmentData,
  providerAddress: string,
  provider: string,
): string {
  const rules: string[] = [];
  const refuser = `meta l4proto { tcp, udp } counter dnat to ${provider}:${REFUSE_PORT}`;
  if (env.provider === 'reachable') rules.push(`ip daddr ${providerAddress} counter dnat to ${provider}`);
  if (env.provider === 'reject') rules.push(`ip daddr ${providerAddress} ${refuser}`);
  if (env.egress === 'reject') rules.push(`ip daddr != { ${providerAddress}, 127.0.0.0/8 } ${refuser}`);
  // A public resolver is routed as the rest of the simulated Internet (internetRouteBatch), at its own
  // address: without egress it goes where the rest goes, dropped or refused.
  return [
    'table ip dnsparity {',
    '  chain guard {',
    '    type filter hook output priority -150; policy accept;',
    `    ip daddr ${DOCKER_DNS} counter reject`,
    '  }',
    '  chain output {',
    '    type nat hook output priority -100; policy accept;',
    ...rules.map((r) => `    ${r}`),
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The nftables set, in each environment's and the provider's namespace, of destinations the simulated network does not have. */
export const WATCH = { table: 'dnsparity_watch', set: 'unknown' } as const;

/**
 * What the netns router's prerouting set records, recorded where the docker
 * backend's traffic starts: in the namespace of each pod, for every new flow
 * (replies aside: the provider answers environments at addresses the engine
 * picks) to a destination outside the simulated network. Its own table,
 * apart from the environment's rules, so every pod gets the same one.
 */
export function watchRuleset(internet: Pick<SimulatedInternet, 'addresses' | 'publicResolvers'>, providerAddress: string): string {
  // The public resolvers belong to the simulated Internet, at their own addresses: nothing sends to a container's.
  const known = [...new Set([...internetDestinations(internet), providerAddress])].sort();
  return [
    `table ip ${WATCH.table} {`,
    `  set ${WATCH.set} { type ipv4_addr; flags dynamic; size 4096; }`,
    '  chain watch {',
    // After conntrack (-200), before the environment's guard and NAT: the destination as sent.
    '    type filter hook output priority -150; policy accept;',
    `    ct state new ip daddr != { ${[...known, '127.0.0.0/8', '224.0.0.0/4', '255.255.255.255'].join(', ')} } update @${WATCH.set} { ip daddr } counter`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The addresses of `nft -j list set`'s output. */
export function setElements(json: string): string[] {
  const doc = JSON.parse(json) as { nftables: { set?: { elem?: (string | { elem: { val: string } })[] } }[] };
  const elems = doc.nftables.find((x) => x.set)?.set?.elem ?? [];
  return elems.map((e) => (typeof e === 'string' ? e : e.elem.val));
}
