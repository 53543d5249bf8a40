// Gathered data -> findings, expectations, leaks and the verdict. Pure: a run
// calls it once the environments have been probed, and "dnsparity report"
// calls it again on a stored report.json, with the same or other criteria.
import { compare } from './compare/index.js';
import { explainDifference } from './explain/index.js';
import { findLeaks } from './explain/resolver-path.js';
import type { ExpectationResult, Finding, Leak } from './model.js';
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
  const leaks = Object.entries(g.upstream ?? {}).flatMap(([env, xs]) => findLeaks(env, xs, g.network, g.forwarders));
  // The network's own record covers what no log shows (the provider's resolver,
  // a resolver that logs nothing): any destination it saw that the logs did not name.
  const named = new Set(leaks.map((l) => l.server.replace(/#\d+$/, '')));
  for (const address of g.unknownDestinations ?? []) {
    if (!named.has(address)) leaks.push({ environment: '(network)', server: address, zone: '(unknown)', qnames: [], count: 1, ...(g.forwarders?.includes(address) ? { forwarder: true } : {}) });
  }
  return { findings, expectations, leaks, verdict: verdictOf(findings, expectations, leaks) };
}

/** A stored result compared again, optionally with another latency threshold. */
export function reassess(r: ScenarioResult, over: { readonly latencyThresholdMs?: number } = {}): ScenarioResult {
  const g: Gathered = { ...r, latencyThresholdMs: over.latencyThresholdMs ?? r.latencyThresholdMs };
  return { ...g, ...assess(g) };
}
