// The resolver path: which upstream servers the local resolver asked about a
// name, and what each did, from the resolver's own record of the run (its
// log), with addresses named after the simulated servers they belong to. Any
// server outside the scenario's network is a leak and is reported as such.
import type { Leak, UpstreamExchange } from '../model.js';
import type { KnownServer, NetworkMap } from '../network/simulated-internet.js';

export interface EnvironmentPolicy {
  readonly name: string;
  readonly egress: 'allow' | 'drop' | 'reject';
  readonly provider: 'reachable' | 'drop' | 'reject';
}

type Who = { readonly kind: 'zone'; readonly zone: string } | { readonly kind: 'provider' } | { readonly kind: 'public-resolver' } | { readonly kind: 'unknown' };

function whoIs(address: string, net: NetworkMap): Who {
  if (address === net.provider) return { kind: 'provider' };
  if (net.publicResolvers?.includes(address)) return { kind: 'public-resolver' };
  const s: KnownServer | undefined = net.servers.find((x) => x.address === address);
  return s ? { kind: 'zone', zone: s.zone } : { kind: 'unknown' };
}

/** "3 s", "250 ms": a delay as a person says it. */
export const duration = (ms: number): string => (ms >= 1000 && ms % 100 === 0 ? `${ms / 1000} s` : `${ms} ms`);

/** What the network does to a group of servers, when the scenario slows or thins it: "; 3 s round trip, 30% of packets lost". */
function shapingText(addresses: readonly string[], net: NetworkMap): string {
  const s = net.shaping?.find((x) => addresses.includes(x.address));
  if (!s) return '';
  const parts = [...(s.rttMs > 0 ? [`${duration(s.rttMs)} round trip`] : []), ...(s.lossPercent > 0 ? [`${s.lossPercent}% of packets lost`] : [])];
  return `; ${parts.join(', ')}`;
}

/** "the root (198.51.100.1)", "the example.io. servers (198.51.100.53)", "the provider's resolver (169.254.169.253)", "the public resolver 8.8.8.8". */
function label(who: Who, addresses: readonly string[], net: NetworkMap): string {
  const list = addresses.join(', ');
  const shaped = shapingText(addresses, net);
  if (who.kind === 'public-resolver') return `the public resolver${addresses.length > 1 ? 's' : ''} ${joinAnd(addresses)}${shaped ? ` (${shaped.slice(2)})` : ''}`;
  if (who.kind === 'provider') return `the provider's resolver (${list}${shaped})`;
  if (who.kind === 'unknown') return `${list} (not part of the scenario's network: a leak)`;
  return who.zone === '' ? `the root (${list}${shaped})` : `the ${who.zone}. servers (${list}${shaped})`;
}

const joinAnd = (xs: readonly string[]): string => (xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);

/** Which group of servers an address is named in: a zone's servers, the provider, the public resolvers, or itself. */
function groupKey(a: string, net: NetworkMap): string {
  const who = whoIs(a, net);
  return who.kind === 'zone' ? `zone:${who.zone}` : who.kind === 'unknown' ? `unknown:${a}` : who.kind;
}

/** Groups addresses by the server they belong to, in the order first contacted. */
function groups(addresses: readonly string[], net: NetworkMap): string[] {
  const out = new Map<string, { who: Who; addresses: string[] }>();
  for (const a of addresses) {
    const who = whoIs(a, net);
    const key = groupKey(a, net);
    const g = out.get(key) ?? { who, addresses: [] };
    if (!g.addresses.includes(a)) g.addresses.push(a);
    out.set(key, g);
  }
  return [...out.values()].map((g) => label(g.who, g.addresses, net));
}

function why(silent: readonly string[], env: EnvironmentPolicy, net: NetworkMap): string {
  const reasons: string[] = [];
  const policy = (p: 'drop' | 'reject') => (p === 'drop' ? 'dropped' : 'rejected');
  if (env.egress !== 'allow' && silent.some((a) => a !== net.provider)) reasons.push(`egress to the Internet is ${policy(env.egress)} in ${env.name}`);
  if (env.provider !== 'reachable' && silent.includes(net.provider)) reasons.push(`the provider's resolver is ${policy(env.provider)} in ${env.name}`);
  return reasons.length ? ` (${reasons.join('; ')})` : '';
}

/**
 * How a path names an answer another question's work had put in the cache:
 * "…, which referred it on; the rest came from its cache, which its work on
 * NAME TYPE had filled: it asked …, which …", or, where the question sent
 * nothing, "X asked no server about it: the answer came from its cache, …".
 */
export const CACHE_FILLED = 'came from its cache, which its work on';

/** How a path referred on ends where the resolver then asked no server, and the trace does not say where its answer came from. */
export const NOTHING_FURTHER = 'it asked no server further about it';

/** A round trip worth naming: one that a stub's timeout or a person would notice. */
const NOTABLE_RTT_MS = 500;

function finalWord(x: UpstreamExchange, net: NetworkMap): string {
  if (x.outcome.status !== 'reply') return 'gave no answer';
  const rtt = net.shaping?.find((s) => s.address === x.server)?.rttMs ?? 0;
  const after = rtt >= NOTABLE_RTT_MS ? ` after ${duration(rtt)}` : '';
  const { rcode, kind } = x.outcome;
  if (rcode === 'NXDOMAIN') return `answered NXDOMAIN${after}`;
  if (rcode !== 'NOERROR') return `answered ${rcode}${after}`;
  if (kind.startsWith('nodata')) return `answered${after} that the name has no such record`;
  if (kind === 'referral') return `referred it on${after}, with no final answer`;
  if (kind === 'cname') return `answered${after} with an alias (CNAME)`;
  return `gave the answer${after}`;
}

/** Whether a name is the other or lies below it ("a.b.c" under "b.c"). */
const atOrBelow = (name: string, other: string): boolean => name === other || name.endsWith(`.${other}`);

/**
 * The reply another question's work put in the cache that answers this one:
 * the same name and type answered (an answer, no such record, an alias), or an
 * NXDOMAIN for the name or a name above it (RFC 8020: nothing exists below).
 * The first one the resolver received: the one it could have cached first.
 */
function borrowedReply(all: readonly UpstreamExchange[], q: { readonly name: string; readonly type: string }): UpstreamExchange | undefined {
  const about = `${q.name} ${q.type}`.toLowerCase();
  const name = q.name.toLowerCase();
  return all.find((x) => {
    if (x.about.toLowerCase() === about || x.outcome.status !== 'reply') return false;
    const qname = x.qname.toLowerCase();
    if (x.outcome.rcode === 'NXDOMAIN') return atOrBelow(name, qname);
    return x.outcome.rcode === 'NOERROR' && x.outcome.kind !== 'referral' && qname === name && x.qtype === q.type;
  });
}

/** "came from its cache, which its work on NAME TYPE had filled: it asked SERVERS, which answered NXDOMAIN[ for ABOVE]". */
function filledBy(borrowed: UpstreamExchange, q: { readonly name: string }, net: NetworkMap): string {
  const named = borrowed.qname.toLowerCase() === q.name.toLowerCase() ? '' : ` for ${borrowed.qname}`;
  return `${CACHE_FILLED} ${borrowed.about} had filled: it asked ${groups([borrowed.server], net)[0]}, which ${finalWord(borrowed, net)}${named}`;
}

function describe(
  exchanges: readonly UpstreamExchange[],
  env: EnvironmentPolicy,
  net: NetworkMap,
  subject: string,
  resolver: string,
  q?: { readonly name: string; readonly type: string },
  all: readonly UpstreamExchange[] = exchanges,
): string {
  const order = [...new Set(exchanges.map((x) => x.server))];
  const answered = order.filter((a) => exchanges.some((x) => x.server === a && x.outcome.status === 'reply'));
  const silent = order.filter((a) => !answered.includes(a));
  const parts: string[] = [];
  if (answered.length) {
    // The reply that decided: the last one to the question itself, else the last one (a minimised
    // name, a forwarder's answer); a parent's DS or NS fetched after it does not decide anything.
    const replies = exchanges.filter((x) => x.outcome.status === 'reply');
    const own = q ? replies.filter((x) => x.qname.toLowerCase() === q.name.toLowerCase() && x.qtype === q.type) : [];
    const last = (own.length ? own : replies).at(-1)!;
    // "which answered ..." reads as the last servers named: those whose reply it was come last,
    // whatever the resolver asked after sending that query (a DS or NS fetch of a parent).
    const same = (a: string) => groupKey(a, net) === groupKey(last.server, net);
    const ordered = [...answered.filter((a) => !same(a)), ...answered.filter(same)];
    parts.push(`${subject} asked ${joinAnd(groups(ordered, net))}, which ${finalWord(last, net)}`);
    // Referred on, and then no server asked and none silent: while it climbed down, another
    // question's work had put the answer in its cache (pdns checks its cache at every step of its
    // minimised walk). Name the servers that gave it, so the path ends where the answer came from;
    // where the trace holds no such reply (an NXDOMAIN synthesised from another name's NSEC
    // records, a validation failure), say what is known: it asked nothing further.
    if (q && last.outcome.status === 'reply' && last.outcome.kind === 'referral' && !silent.length) {
      const borrowed = borrowedReply(all, q);
      const head = `${subject} asked ${joinAnd(groups(ordered, net))}, which referred it on`;
      parts[parts.length - 1] = borrowed ? `${head}; the rest ${filledBy(borrowed, q, net)}` : `${head}; ${NOTHING_FURTHER}`;
    }
  }
  if (silent.length) {
    parts.push(`${answered.length || subject !== resolver ? 'its' : `${resolver}'s`} queries to ${joinAnd(groups(silent, net))} got no answer${why(silent, env, net)}`);
  }
  return parts.join('; ');
}

/**
 * What the local resolver did upstream for one query in one environment.
 * Exchanges are matched to the query by the name being resolved; a query that
 * sent nothing waited on priming the root, or was answered from cache.
 */
export function describeResolverPath(all: readonly UpstreamExchange[], q: { readonly name: string; readonly type: string }, env: EnvironmentPolicy, net: NetworkMap, resolver = 'unbound'): string {
  const own = all.filter((x) => x.about === `${q.name} ${q.type}`);
  if (own.length) return describe(own, env, net, resolver, resolver, q, all);
  const priming = all.filter((x) => x.about === '. NS');
  if (priming.length && priming.every((x) => x.outcome.status === 'no-answer')) {
    return `${resolver} could not prime the root: ${describe(priming, env, net, 'it', resolver)}`;
  }
  if (!all.length) return `${resolver} sent no query upstream`;
  const borrowed = borrowedReply(all, q);
  return borrowed ? `${resolver} asked no server about it: the answer ${filledBy(borrowed, q, net)}` : `${resolver} asked no server about it (it answered from its cache or its own data)`;
}

/** Servers contacted that the scenario's network does not have, grouped by server. */
export function findLeaks(environment: string, all: readonly UpstreamExchange[], net: NetworkMap, forwarders: readonly string[] = [], resolver?: string): Leak[] {
  const known = new Set([net.provider, ...net.servers.map((s) => s.address), ...(net.publicResolvers ?? [])]);
  const by = new Map<string, { zone: string; qnames: Set<string>; count: number }>();
  for (const x of all) {
    if (known.has(x.server)) continue;
    const l = by.get(x.server) ?? { zone: x.zone, qnames: new Set<string>(), count: 0 };
    l.qnames.add(x.qname);
    l.count++;
    by.set(x.server, l);
  }
  return [...by].map(([server, l]) => ({
    environment,
    server,
    zone: l.zone,
    qnames: [...l.qnames].slice(0, 5),
    count: l.count,
    ...(forwarders.includes(server.replace(/#\d+$/, '')) ? { forwarder: true } : {}),
    ...(resolver !== undefined && resolver !== 'unbound' ? { resolver } : {}),
  }));
}
