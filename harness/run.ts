// One scenario through every stage: plan -> started environments ->
// observations -> findings. The backend's started run is disposed on every
// path, so nothing outlives the scenario.
import type { Backend, BackendName } from './backend/types.js';
import { compare } from './compare/index.js';
import type { ExpectationResult, Finding, Query, QueryObservation, Substitution } from './model.js';
import type { RunPlan } from './plan.js';
import { SharedOutcomes } from './probe/compact.js';
import type { Deadlines } from './probe/protocol.js';
import type { ResolvConf } from './resolver/resolvconf.js';
import type { EnvironmentData } from './scenario/schema.js';

export const REPORT_VERSION = 1;

export interface ScenarioResult {
  readonly scenario: { readonly name: string; readonly file: string; readonly description?: string };
  readonly backend: BackendName;
  readonly runId: string;
  readonly reference: string;
  readonly environments: readonly Pick<EnvironmentData, 'name' | 'egress' | 'provider' | 'reference'>[];
  readonly localResolver: string;
  readonly resolvConf: { readonly nameservers: readonly string[]; readonly timeoutS: number; readonly attempts: number };
  readonly latencyThresholdMs: number;
  readonly substitutions: readonly Substitution[];
  readonly queries: readonly Query[];
  readonly observations: Readonly<Record<string, readonly QueryObservation[]>>;
  readonly findings: readonly Finding[];
  readonly expectations: readonly ExpectationResult[];
  /** Addresses outside the simulated network that something in the run tried to reach. */
  readonly leaks: readonly string[];
  readonly verdict: 'pass' | 'fail';
  readonly wallMs: number;
  readonly deadlines: Deadlines;
  /** Where the wall time went: starting environments, probing, tearing down. */
  readonly timing: { readonly setupMs: number; readonly probeMs: number; readonly teardownMs: number };
}

export interface RunOptions {
  /** Overrides both layers' deadlines; by default they follow the stub's own timeouts. */
  readonly timeoutMs?: number;
  readonly concurrency: number;
  readonly signal: AbortSignal;
  readonly keep?: boolean;
}

/**
 * Deadlines from resolv.conf: a direct query gets what glibc gives one
 * nameserver (timeout x attempts) and a little more, so "answered after the
 * stub gave up" is still seen; getaddrinfo gets the stub's whole budget and
 * more, since it only ever ends later than that if something is wrong.
 */
export function stubDeadlines(rc: Pick<ResolvConf, 'timeoutS' | 'attempts' | 'nameservers'>): Deadlines {
  const perServer = rc.timeoutS * rc.attempts * 1000;
  return { resolverMs: perServer + 500, appMs: perServer * Math.max(1, rc.nameservers.length) * 2 + 1000 };
}

export function verdictOf(findings: readonly Finding[], expectations: readonly ExpectationResult[]): 'pass' | 'fail' {
  return findings.some((f) => f.status === 'unexpected') || expectations.some((e) => !e.met) ? 'fail' : 'pass';
}

export async function runScenario(plan: RunPlan, backend: Backend, opts: RunOptions): Promise<ScenarioResult> {
  const t0 = performance.now();
  const s = plan.scenario;
  const deadlines = opts.timeoutMs ? { appMs: opts.timeoutMs, resolverMs: opts.timeoutMs } : stubDeadlines(plan.resolvConf);
  const run = await backend.start(plan, { signal: opts.signal, keep: opts.keep ?? false });
  const t1 = performance.now();
  let t2 = t1;
  let observations: Record<string, readonly QueryObservation[]>;
  let leaks: string[];
  try {
    // Every environment is probed at once: a run costs about one timeout, not one per environment.
    const shared = new SharedOutcomes();
    const perEnv = await Promise.all(run.environments.map(async (e) => [e.name, await e.probe(plan.queries, { deadlines, concurrency: opts.concurrency, signal: opts.signal, shared })] as const));
    observations = Object.fromEntries(perEnv);
    leaks = await run.leaks();
    t2 = performance.now();
  } finally {
    await run[Symbol.asyncDispose]();
  }
  const t3 = performance.now();
  const { findings, expectations } = compare(
    { queries: plan.queries, reference: plan.reference, observations, resolvConf: plan.resolvConf },
    { thresholds: { latencyMs: s.expect.latencyThresholdMs }, expectedDifferences: s.expect.differences, expectedAnswers: s.expect.answers },
  );
  return {
    scenario: { name: s.name, file: s.file, ...(s.description ? { description: s.description.trim() } : {}) },
    backend: run.backend,
    runId: run.runId,
    reference: plan.reference,
    environments: plan.environments.map(({ name, egress, provider, reference }) => ({ name, egress, provider, reference })),
    localResolver: run.localResolver,
    resolvConf: { nameservers: plan.resolvConf.nameservers, timeoutS: plan.resolvConf.timeoutS, attempts: plan.resolvConf.attempts },
    latencyThresholdMs: s.expect.latencyThresholdMs,
    deadlines,
    substitutions: run.substitutions,
    queries: plan.queries,
    observations,
    findings,
    expectations,
    leaks,
    // A leak means the scenario does not model a server the image uses: never a pass.
    verdict: leaks.length ? 'fail' : verdictOf(findings, expectations),
    wallMs: Math.round(performance.now() - t0),
    timing: { setupMs: Math.round(t1 - t0), probeMs: Math.round(t2 - t1), teardownMs: Math.round(t3 - t2) },
  };
}
