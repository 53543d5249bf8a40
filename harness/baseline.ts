// Baselines for a nightly job: the findings that fail the gate, each with an
// identity that survives a rerun (no timings, no run ids), compared with a
// previous report's: new, known (seen before) or resolved (gone since).
import { describeLeak } from './explain/leak.js';
import { queryKey, type BaselineMark, type ExpectationResult, type Finding, type Leak } from './model.js';
import type { ScenarioResult } from './run.js';

export type GateKind = 'difference' | 'expectation' | 'leak';

/** One reason a scenario fails the gate, identified independently of the run that found it. */
export interface GateFinding {
  /** scenario | subject | environment | class | layer */
  readonly key: string;
  readonly scenario: string;
  readonly kind: GateKind;
  /** "name type" of the query, or the leaked server's address. */
  readonly subject: string;
  readonly environment: string;
  /** A difference class, "expectation-not-met" or "leak". */
  readonly class: string;
  readonly layer: 'application' | 'resolver';
  readonly summary: string;
}

export interface BaselineSummary {
  readonly file: string;
  readonly new: number;
  readonly known: number;
  /** In the baseline, for a scenario that ran again, and not found this time. */
  readonly resolved: readonly GateFinding[];
}

const join = (...parts: string[]): string => parts.join(' | ');
const findingKey = (s: string, f: Finding): string => join(s, queryKey(f.query), f.environment, f.difference.class, f.difference.layer);
const expectationKey = (s: string, e: ExpectationResult): string => join(s, queryKey(e.query), e.environment, 'expectation-not-met', 'application');
const leakKey = (s: string, l: Leak): string => join(s, l.server, l.environment, 'leak', 'resolver');

export function gateFindings(r: ScenarioResult): GateFinding[] {
  const scenario = r.scenario.name;
  return [
    ...r.findings
      .filter((f) => f.status === 'unexpected')
      .map((f): GateFinding => ({ key: findingKey(scenario, f), scenario, kind: 'difference', subject: queryKey(f.query), environment: f.environment, class: f.difference.class, layer: f.difference.layer, summary: f.difference.detail })),
    ...r.expectations
      .filter((e) => !e.met)
      .map((e): GateFinding => ({ key: expectationKey(scenario, e), scenario, kind: 'expectation', subject: queryKey(e.query), environment: e.environment, class: 'expectation-not-met', layer: 'application', summary: `expected ${e.description}; got ${e.observed}` })),
    ...r.leaks.map((l): GateFinding => ({ key: leakKey(scenario, l), scenario, kind: 'leak', subject: l.server, environment: l.environment, class: 'leak', layer: 'resolver', summary: describeLeak(l) })),
  ];
}

/** Marks every gate finding of results against the baseline's; returns new results and the summary. */
export function applyBaseline(results: readonly ScenarioResult[], baseline: readonly ScenarioResult[], file: string): { results: ScenarioResult[]; summary: BaselineSummary } {
  const before = new Set(baseline.flatMap(gateFindings).map((f) => f.key));
  const mark = (k: string): BaselineMark => (before.has(k) ? 'known' : 'new');
  const marked = results.map((r0): ScenarioResult => {
    const r = withoutBaseline(r0);
    const s = r.scenario.name;
    return {
      ...r,
      findings: r.findings.map((f) => (f.status === 'unexpected' ? { ...f, baseline: mark(findingKey(s, f)) } : f)),
      expectations: r.expectations.map((e) => (e.met ? e : { ...e, baseline: mark(expectationKey(s, e)) })),
      leaks: r.leaks.map((l) => ({ ...l, baseline: mark(leakKey(s, l)) })),
    };
  });
  const current = marked.flatMap(gateFindings);
  const now = new Set(current.map((f) => f.key));
  const ran = new Set(results.map((r) => r.scenario.name));
  // A scenario that did not run this time (another shard, a filter) resolves nothing.
  const resolved = baseline.flatMap(gateFindings).filter((f) => ran.has(f.scenario) && !now.has(f.key));
  const fresh = current.filter((f) => !before.has(f.key)).length;
  return { results: marked, summary: { file, new: fresh, known: current.length - fresh, resolved } };
}

/** Strips baseline marks, for a report set that is not compared with one. */
export function withoutBaseline(r: ScenarioResult): ScenarioResult {
  return {
    ...r,
    findings: r.findings.map(({ baseline: _, ...f }) => f),
    expectations: r.expectations.map(({ baseline: _, ...e }) => e),
    leaks: r.leaks.map(({ baseline: _, ...l }) => l),
  };
}
