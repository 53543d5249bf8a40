// One scenario through every stage: plan -> started environments ->
// observations -> findings. The backend's started run is disposed on every
// path, so nothing outlives the scenario.
import type { Backend, BackendName } from './backend/types.js';
import { compare } from './compare/index.js';
import type { ExpectationResult, Finding, Query, QueryObservation, Substitution } from './model.js';
import type { RunPlan } from './plan.js';
import type { EnvironmentData } from './scenario/schema.js';

export const REPORT_VERSION = 1;

export interface ScenarioResult {
  readonly scenario: { readonly name: string; readonly file: string; readonly description?: string };
  readonly backend: BackendName;
  readonly runId: string;
  readonly reference: string;
  readonly environments: readonly Pick<EnvironmentData, 'name' | 'egress' | 'provider' | 'reference'>[];
  readonly localResolver: string;
  /** Where the resolver config and the resolv.conf the stub read came from: a scenario file, or "IMAGE:/path". */
  readonly sources: RunPlan['sources'];
  readonly resolvConf: { readonly nameservers: readonly string[]; readonly timeoutS: number; readonly attempts: number };
  readonly latencyThresholdMs: number;
  readonly substitutions: readonly Substitution[];
  readonly queries: readonly Query[];
  readonly observations: Readonly<Record<string, readonly QueryObservation[]>>;
  readonly findings: readonly Finding[];
  readonly expectations: readonly ExpectationResult[];
  readonly verdict: 'pass' | 'fail';
  readonly wallMs: number;
}

export interface RunOptions {
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly signal: AbortSignal;
  readonly keep?: boolean;
}

export function verdictOf(findings: readonly Finding[], expectations: readonly ExpectationResult[]): 'pass' | 'fail' {
  return findings.some((f) => f.status === 'unexpected') || expectations.some((e) => !e.met) ? 'fail' : 'pass';
}

export async function runScenario(plan: RunPlan, backend: Backend, opts: RunOptions): Promise<ScenarioResult> {
  const started = performance.now();
  const s = plan.scenario;
  await using run = await backend.start(plan, { signal: opts.signal, keep: opts.keep ?? false });
  // Every environment is probed at once: a run costs about one timeout, not one per environment.
  const perEnv = await Promise.all(
    run.environments.map(async (e) => [e.name, await e.probe(plan.queries, opts)] as const),
  );
  const observations = Object.fromEntries(perEnv);
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
    sources: plan.sources,
    resolvConf: { nameservers: plan.resolvConf.nameservers, timeoutS: plan.resolvConf.timeoutS, attempts: plan.resolvConf.attempts },
    latencyThresholdMs: s.expect.latencyThresholdMs,
    substitutions: run.substitutions,
    queries: plan.queries,
    observations,
    findings,
    expectations,
    verdict: verdictOf(findings, expectations),
    wallMs: Math.round(performance.now() - started),
  };
}
