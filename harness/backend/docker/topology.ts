// The docker topology as data: which internal networks a run creates, which
// containers sit on them at which addresses, and the netfilter ruleset of
// each environment. Pure, so it can be printed and tested without an engine.
//
// Every network is internal: the engine carries only traffic within its
// subnet and forwards nothing between networks or to the machine's own. So:
//  - the simulated Internet is one network per /24 its servers use, each nsd
//    container at its server's own address;
//  - the provider's resolver sits on a provider network at an address the
//    engine assigns; environments reach it at the scenario's provider address
//    (169.254.169.253) through a DNAT rule in their own namespace, because a
//    subnet holding 169.254.169.253 would also take 169.254.169.254 (cloud
//    metadata) from the machine's own routing table;
//  - an environment with outbound access is attached to the Internet networks
//    and the provider network, one without it to the provider network alone.
//    "drop": its packets to the Internet leave through the engine's gateway,
//    where the engine's isolation of internal networks drops them in silence.
//    "reject": they are redirected to a "refuser" container with nothing
//    listening, whose kernel answers as a rejecting firewall would (ICMP port
//    unreachable, TCP reset), from outside the environment, as on netns;
//  - a public resolver (8.8.8.8) is an unbound container on the Internet
//    networks at an address the engine assigns; environments with outbound
//    access reach it at its public address through a DNAT rule, as the
//    provider's. Its address is never a network's subnet: a bridge for
//    8.8.8.0/24 would take the machine's own traffic to 8.8.8.8.
import { InputError } from '../../errors.js';
import type { EnvironmentData } from '../../scenario/schema.js';
import type { AuthServer, SimulatedInternet } from '../../network/simulated-internet.js';

export interface NetworkSpec {
  readonly role: 'internet' | 'provider';
  readonly name: string;
  /** Fixed for the Internet (its servers' own addresses); the engine picks the provider's. */
  readonly subnet?: string;
  readonly gateway?: string;
  /** Where the engine may pick addresses for containers without a fixed one: clear of every server's. */
  readonly ipRange?: string;
}

export interface NsdSpec {
  readonly name: string;
  readonly server: AuthServer;
  /** One container per address: an internal network gives a container one address. */
  readonly address: string;
  readonly network: string;
  /** The server with only this address, for its nsd.conf. */
  readonly config: AuthServer;
}

export interface EnvSpec {
  readonly env: EnvironmentData;
  /** The container that holds the environment's network namespace. */
  readonly pod: string;
  /** The host under test, in the pod's namespace. */
  readonly host: string;
  readonly networks: readonly string[];
}

export interface DockerTopology {
  readonly networks: readonly NetworkSpec[];
  readonly internetNetworks: readonly string[];
  readonly providerNetwork: string;
  readonly nsd: readonly NsdSpec[];
  readonly provider: { readonly pod: string; readonly resolver: string; readonly networks: readonly string[] };
  /** Only when an environment rejects. */
  readonly refuser?: string;
  /** One container per public resolver, on the Internet networks; reached at its public address by DNAT. */
  readonly publicResolvers: readonly { readonly name: string; readonly address: string }[];
  readonly envs: readonly EnvSpec[];
}

const slash24 = (a: string) => a.split('.').slice(0, 3).join('.');

export function planDockerTopology(name: (role: string) => string, internet: SimulatedInternet, envs: readonly EnvironmentData[]): DockerTopology {
  const prefixes = [...new Set(internet.addresses.map(slash24))].sort();
  const internetNets: NetworkSpec[] = prefixes.map((p, i) => {
    // A public resolver's address inside one of these /24s must not be handed to a container either.
    const used = new Set([...internet.addresses, ...internet.publicResolvers.map((r) => r.address)].filter((a) => slash24(a) === p));
    // The engine puts the gateway on this machine's side of the bridge; any free address will do.
    let g = 254;
    while (used.has(`${p}.${g}`)) g--;
    used.add(`${p}.${g}`);
    return { role: 'internet', name: name(`internet${prefixes.length > 1 ? i : ''}`), subnet: `${p}.0/24`, gateway: `${p}.${g}`, ipRange: freeRange(p, used) };
  });
  const netOf = (a: string) => internetNets[prefixes.indexOf(slash24(a))]!.name;
  const providerNet: NetworkSpec = { role: 'provider', name: name('provider') };
  const nsd = internet.servers.flatMap((s) =>
    s.nameServers.map((ns, i) => ({
      name: name(`nsd-${s.id}${s.nameServers.length > 1 ? `-${i}` : ''}`),
      server: s,
      address: ns.address,
      network: netOf(ns.address),
      config: { ...s, nameServers: [ns] },
    })),
  );
  const inetNames = internetNets.map((n) => n.name);
  const rejects = envs.some((e) => e.egress === 'reject' || e.provider === 'reject');
  return {
    networks: [...internetNets, providerNet],
    internetNetworks: inetNames,
    providerNetwork: providerNet.name,
    nsd,
    provider: { pod: name('vpc'), resolver: name('vpc-resolver'), networks: [providerNet.name, ...inetNames] },
    ...(rejects ? { refuser: name('refuser') } : {}),
    publicResolvers: internet.publicResolvers.map((p) => ({ name: name(`public-${p.address.replace(/\./g, '-')}`), address: p.address })),
    envs: envs.map((env) => ({
      env,
      pod: name(`e-${env.name}`),
      host: name(`host-${env.name}`),
      networks: env.egress === 'allow' ? [providerNet.name, ...inetNames] : [providerNet.name],
    })),
  };
}

/** The largest aligned block of a /24 (at most a /26) that holds no used address, nor .0 or .255. */
export function freeRange(prefix: string, used: ReadonlySet<string>): string {
  for (const size of [64, 32, 16, 8, 4]) {
    for (let start = 256 - size; start >= 0; start -= size) {
      let free = true;
      for (let a = start; a < start + size && free; a++) free = a !== 0 && a !== 255 && !used.has(`${prefix}.${a}`);
      if (free) return `${prefix}.${start}/${32 - Math.log2(size)}`;
    }
  }
  throw new InputError(undefined, `the simulated Internet uses nearly every address of ${prefix}.0/24`, 'leave a few addresses of each /24 free for the docker backend\'s own containers');
}

/** Docker's embedded DNS server, in every container on a user-defined network; it forwards to this machine's resolvers. */
export const DOCKER_DNS = '127.0.0.11';

/**
 * An environment's rules, applied in its pod's namespace before the host
 * under test starts: the provider's resolver at the scenario's address, and
 * rejected traffic to the refuser. Loopback traffic (the local resolver) is
 * never redirected; Docker's embedded DNS server is refused, as nothing
 * listens there on netns, so a resolv.conf naming it cannot reach beyond the
 * simulated Internet.
 */
export function envRuleset(
  env: EnvironmentData,
  providerAddress: string,
  targets: { readonly provider: string; readonly refuser?: string; readonly publicResolvers?: Readonly<Record<string, string>> },
): string {
  const rules: string[] = [];
  const refuser = () => {
    if (!targets.refuser) throw new Error(`environment ${env.name} rejects, but the topology has no refuser`);
    return targets.refuser;
  };
  if (env.provider === 'reachable') rules.push(`ip daddr ${providerAddress} counter dnat to ${targets.provider}`);
  if (env.provider === 'reject') rules.push(`ip daddr ${providerAddress} counter dnat to ${refuser()}`);
  if (env.egress === 'reject') rules.push(`ip daddr != { ${providerAddress}, 127.0.0.0/8 } counter dnat to ${refuser()}`);
  // Without egress a public resolver's address goes where the rest of the Internet goes: dropped or refused.
  if (env.egress === 'allow') for (const [publicAddress, container] of Object.entries(targets.publicResolvers ?? {})) rules.push(`ip daddr ${publicAddress} counter dnat to ${container}`);
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

/** IPv4 routes of this machine, from /proc/net/route's text. */
export function parseRoutes(text: string): { iface: string; network: string; prefix: number }[] {
  const hexIp = (h: string) => [0, 2, 4, 6].map((i) => parseInt(h.slice(i, i + 2), 16)).reverse().join('.');
  return text
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 8)
    .map((f) => ({ iface: f[0]!, network: hexIp(f[1]!), prefix: hexIp(f[7]!).split('.').reduce((n, o) => n + (Number(o).toString(2).match(/1/g)?.length ?? 0), 0) }));
}

const toInt = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);

export function overlaps(a: { network: string; prefix: number }, b: { network: string; prefix: number }): boolean {
  const p = Math.min(a.prefix, b.prefix);
  if (p === 0) return false; // a default route overlaps everything and conflicts with nothing
  const mask = p === 32 ? 0xffffffff : ~(0xffffffff >>> p) >>> 0;
  return ((toInt(a.network) & mask) >>> 0) === ((toInt(b.network) & mask) >>> 0);
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
export function watchRuleset(internet: Pick<SimulatedInternet, 'addresses'>, providerAddress: string, alsoKnown: readonly string[] = []): string {
  const known = [...new Set([...internet.addresses, providerAddress, ...alsoKnown])].sort();
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
