// Gathered data -> findings, expectations, leaks and the verdict. Pure: a run
// calls it once the environments have been probed, and "dnsparity report"
// calls it again on a stored report.json, with the same or other criteria.
import { compare } from './compare/index.js';
import { explainDifference } from './explain/index.js';
import { findLeaks } from './explain/resolver-path.js';
import type { ExpectationResult, Finding, Leak, UnknownTraffic } from './model.js';
import type { ScenarioResult } from './run.js';

export type Gathered = Omit<ScenarioResult, 'findings' | 'expectations' | 'leaks' | 'verdict'>;
export type Assessed = Pick<ScenarioResult, 'findings' | 'expectations' | 'leaks' | 'verdict'>;

export function verdictOf(findings: readonly Finding[], expectations: readonly ExpectationResult[], leaks: readonly Leak[] = []): 'pass' | 'fail' {
  return findings.some((f) => f.status === 'unexpected') || expectations.some((e) => !e.met) || leaks.length > 0 ? 'fail' : 'pass';
}

export function assess(g: Gathered): Assessed {
  const { findings, expectations } = compare(
    {
      queries: g.queries,
      reference: g.reference,
      observations: g.observations,
      resolvConf: g.resolvConf,
      ...(g.recheck ? { recheck: g.recheck } : {}),
      explain: (env, i) => explainDifference(g, env, i),
    },
    { thresholds: { latencyMs: g.latencyThresholdMs }, expectedDifferences: g.expect.differences, expectedAnswers: g.expect.answers },
  );
  const leaks = Object.entries(g.upstream ?? {}).flatMap(([env, xs]) => findLeaks(env, xs, g.network, g.forwarders, g.resolver?.name));
  // The network's own record covers what no log shows; a destination the config forwards to is marked, for the hint.
  const forwards = (l: Leak) => !!g.forwarders?.includes(l.server.replace(/#\d+$/, ''));
  leaks.push(...networkLeaks(leaks, g.unknownTraffic, g.unknownDestinations).map((l) => (forwards(l) ? { ...l, forwarder: true } : l)));
  return { findings, expectations, leaks, verdict: verdictOf(findings, expectations, leaks) };
}

/**
 * The network's own record covers what no log shows (the provider's resolver,
 * a resolver that logs nothing): each destination it saw that the logs did not
 * name, per source and port. A report from before the record had sources
 * holds the addresses alone: those leaks say only what is known.
 */
export function networkLeaks(fromLogs: readonly Leak[], traffic: readonly UnknownTraffic[] | undefined, destinations: readonly string[] | undefined): Leak[] {
  const named = new Set(fromLogs.map((l) => `${l.environment} ${l.server.replace(/#\d+$/, '')}`));
  const namedAnywhere = new Set(fromLogs.map((l) => l.server.replace(/#\d+$/, '')));
  if (traffic !== undefined) {
    return traffic
      .filter((t) => !named.has(`${t.source} ${t.address}`))
      .map((t) => ({ environment: t.source, server: t.address, zone: '', qnames: [], count: t.packets, seenBy: 'network' as const, protocol: t.protocol, ...(t.port !== undefined ? { port: t.port } : {}) }));
  }
  return (destinations ?? []).filter((a) => !namedAnywhere.has(a)).map((a) => ({ environment: '(network)', server: a, zone: '', qnames: [], count: 0, seenBy: 'network' as const }));
}

/** A stored result compared again, optionally with another latency threshold. */
export function reassess(r: ScenarioResult, over: { readonly latencyThresholdMs?: number } = {}): ScenarioResult {
  const g: Gathered = { ...r, latencyThresholdMs: over.latencyThresholdMs ?? r.latencyThresholdMs };
  return { ...g, ...assess(g) };
}
