// Explanations: for one query in one environment, the resolver path (what
// the local resolver did upstream) and the stub path (what glibc did with
// each resolv.conf nameserver's answer); for a difference, both environments
// side by side, which together read as the root cause.
import type { Query, QueryObservation, UpstreamExchange } from '../model.js';
import type { NetworkMap } from '../network/simulated-internet.js';
import type { StubConf } from '../resolver/resolvconf.js';
import { describeResolverPath, type EnvironmentPolicy } from './resolver-path.js';
import { describeStubWalk, stubWalk } from './stub-path.js';
import { TRACE_MAX_QUERIES, tracesUpstream } from '../upstream-trace.js';

/** Where the resolver path is missing because the run did not trace it. */
export const UNTRACED = `the resolver's upstream queries are not traced above ${TRACE_MAX_QUERIES} queries`;

export interface ExplainInput {
  readonly queries: readonly Query[];
  readonly reference: string;
  readonly environments: readonly EnvironmentPolicy[];
  readonly observations: Readonly<Record<string, readonly QueryObservation[]>>;
  readonly resolvConf: StubConf;
  readonly network?: NetworkMap;
  /** Environment name -> the local resolver's upstream queries in the first pass; absent where the backend cannot see them. */
  readonly upstream?: Readonly<Record<string, readonly UpstreamExchange[]>>;
  /** The resolver under test, as explanations name it (absent: unbound). */
  readonly resolver?: { readonly name: string };
}

/**
 * The resolver path of one query in one environment: what the local resolver
 * did upstream, for each name the stub's walk tried (names whose paths read
 * alike share one sentence); undefined where the run did not trace it.
 */
export function resolverPathOf(r: ExplainInput, env: string, i: number): string | undefined {
  if (!tracesUpstream(r.queries.length)) return undefined;
  const activity = r.upstream?.[env];
  const policy = r.environments.find((e) => e.name === env);
  if (!activity || !r.network || !policy) return undefined;
  const q = r.queries[i]!;
  const net = r.network;
  const walk = stubWalk(q, r.observations[env]![i]!, r.resolvConf);
  const who = r.resolver?.name ?? 'unbound';
  if (walk.candidates.length === 1) return describeResolverPath(activity, q, policy, net, who);
  const byText = new Map<string, string[]>();
  for (const c of walk.tried) {
    const text = describeResolverPath(activity, { name: c.qname, type: q.type }, policy, net, who);
    byText.set(text, [...(byText.get(text) ?? []), c.qname]);
  }
  return [...byText].map(([text, names]) => `for ${names.join(', ')}, ${text}`).join('; ');
}

/** "unbound asked ..., which answered NXDOMAIN; 127.0.0.1 answered NXDOMAIN, which is final: ..." */
export function explainEnvironment(r: ExplainInput, env: string, i: number): string {
  const stub = describeStubWalk(stubWalk(r.queries[i]!, r.observations[env]![i]!, r.resolvConf), r.resolvConf);
  // Above the tracing limit no upstream query was logged, whatever a report carries.
  if (!tracesUpstream(r.queries.length)) return `${UNTRACED} (${r.queries.length} here): stub path alone; ${stub}`;
  const path = resolverPathOf(r, env, i);
  return path === undefined ? stub : `${path}; ${stub}`;
}

/** Both environments of a difference, reference first: one paragraph. */
export function explainDifference(r: ExplainInput, env: string, i: number): string {
  return `In ${r.reference}, ${explainEnvironment(r, r.reference, i)}. In ${env}, ${explainEnvironment(r, env, i)}.`;
}
