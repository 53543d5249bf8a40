// One scenario through every stage: plan -> started environments ->
// observations -> findings. The backend's started run is disposed on every
// path, so nothing outlives the scenario.
import { assess, type Gathered } from './assess.js';
import type { Backend, BackendName, StartedRun } from './backend/types.js';
import type { Rechecked } from './compare/index.js';
import type { ExpectationResult, Finding, Leak, Query, QueryObservation, Substitution, UpstreamExchange } from './model.js';
import { networkMap, type NetworkMap } from './network/simulated-internet.js';
import type { RunPlan } from './plan.js';
import type { EnvironmentData, ExpectedAnswer, ExpectedDifference } from './scenario/schema.js';

export { verdictOf } from './assess.js';

/** The shape of report.json (schema/report.schema.json); bumped on any incompatible change. */
export const REPORT_VERSION = 2;

export interface ScenarioResult {
  readonly scenario: { readonly name: string; readonly file: string; readonly description?: string };
  readonly backend: BackendName;
  readonly runId: string;
  readonly reference: string;
  readonly environments: readonly Pick<EnvironmentData, 'name' | 'egress' | 'provider' | 'reference'>[];
  readonly localResolver: string;
  readonly resolvConf: { readonly nameservers: readonly string[]; readonly timeoutS: number; readonly attempts: number };
  readonly latencyThresholdMs: number;
  /** The scenario's declared differences and expected answers: what compare needs, so report.json suffices. */
  readonly expect: { readonly differences: readonly ExpectedDifference[]; readonly answers: readonly ExpectedAnswer[] };
  readonly network: NetworkMap;
  readonly substitutions: readonly Substitution[];
  readonly queries: readonly Query[];
  readonly observations: Readonly<Record<string, readonly QueryObservation[]>>;
  /** The local resolver's upstream queries in the first pass, per environment, when the backend can see them. */
  readonly upstream?: Readonly<Record<string, readonly UpstreamExchange[]>>;
  /** The differing queries asked again; fresh when every resolver was restarted first (no cache carried over). */
  readonly recheck?: Rechecked & { readonly fresh: boolean };
  readonly findings: readonly Finding[];
  readonly expectations: readonly ExpectationResult[];
  readonly leaks: readonly Leak[];
  readonly verdict: 'pass' | 'fail';
  readonly wallMs: number;
}

export interface RunOptions {
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly signal: AbortSignal;
  readonly keep?: boolean;
  /** Told what the run is doing, for a progress line. */
  readonly onPhase?: (phase: string) => void;
}

export async function runScenario(plan: RunPlan, backend: Backend, opts: RunOptions): Promise<ScenarioResult> {
  const started = performance.now();
  const s = plan.scenario;
  const n = plan.environments.length;
  opts.onPhase?.(`starting ${n} environments`);
  await using run = await backend.start(plan, { signal: opts.signal, keep: opts.keep ?? false });
  opts.onPhase?.(`probing ${n} environments`);
  const observations = await probeAll(run, plan.queries, opts);
  const upstream = await activityOf(run);
  const gathered: Gathered = {
    scenario: { name: s.name, file: s.file, ...(s.description ? { description: s.description.trim() } : {}) },
    backend: run.backend,
    runId: run.runId,
    reference: plan.reference,
    environments: plan.environments.map(({ name, egress, provider, reference }) => ({ name, egress, provider, reference })),
    localResolver: run.localResolver,
    resolvConf: { nameservers: plan.resolvConf.nameservers, timeoutS: plan.resolvConf.timeoutS, attempts: plan.resolvConf.attempts },
    latencyThresholdMs: s.expect.latencyThresholdMs,
    expect: { differences: s.expect.differences, answers: s.expect.answers },
    network: networkMap(plan.internet),
    substitutions: run.substitutions,
    queries: plan.queries,
    observations,
    ...(upstream ? { upstream } : {}),
    wallMs: 0,
  };
  const recheck = await confirm(run, plan, gathered, opts);
  const g: Gathered = { ...gathered, ...(recheck ? { recheck } : {}) };
  opts.onPhase?.('stopping');
  const result = { ...g, ...assess(g) };
  return { ...result, wallMs: Math.round(performance.now() - started) };
}

async function probeAll(run: StartedRun, queries: readonly Query[], opts: RunOptions): Promise<Record<string, QueryObservation[]>> {
  // Every environment is probed at once: a run costs about one timeout, not one per environment.
  const perEnv = await Promise.all(run.environments.map(async (e) => [e.name, await e.probe(queries, opts)] as const));
  return Object.fromEntries(perEnv);
}

async function activityOf(run: StartedRun): Promise<Record<string, readonly UpstreamExchange[]> | undefined> {
  if (!run.environments.every((e) => e.resolverActivity)) return undefined;
  return Object.fromEntries(await Promise.all(run.environments.map(async (e) => [e.name, await e.resolverActivity!()] as const)));
}

/**
 * Asks the queries whose differences would fail the gate a second time, in
 * every environment, with the same timeouts, after restarting the resolvers
 * (where the backend can) so that no cache from the first pass answers.
 */
async function confirm(run: StartedRun, plan: RunPlan, g: Gathered, opts: RunOptions): Promise<ScenarioResult['recheck']> {
  const differing = [...new Set(assess(g).findings.filter((f) => f.status === 'unexpected').map((f) => g.queries.indexOf(f.query)))].sort((a, b) => a - b);
  if (differing.length === 0) return undefined;
  opts.onPhase?.(`asking ${differing.length} differing quer${differing.length === 1 ? 'y' : 'ies'} again`);
  const fresh = !!run.restartResolvers;
  if (run.restartResolvers) await run.restartResolvers(opts.signal);
  const observations = await probeAll(run, differing.map((i) => plan.queries[i]!), opts);
  return { fresh, queries: differing, observations };
}
