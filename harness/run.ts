// One scenario through every stage: plan -> started environments ->
// observations -> findings. The backend's started run is disposed on every
// path, so nothing outlives the scenario.
import { assess, type Gathered } from './assess.js';
import type { Backend, BackendName, StartedRun, StartOptions } from './backend/types.js';
import type { Rechecked } from './compare/index.js';
import { ADDRESS_TYPES, type ExpectationResult, type Finding, type Leak, type Query, type QueryObservation, type Substitution, type UnknownTraffic, type UpstreamExchange } from './model.js';
import { configuredUpstreams, resolverOf } from './resolver/registry.js';
import { networkMap, type NetworkMap } from './network/simulated-internet.js';
import { defaultLatencyThresholdMs, traceUpstream, type RunPlan } from './plan.js';
import { SharedOutcomes } from './probe/compact.js';
import type { Deadlines } from './probe/protocol.js';
import type { ResolvConf, StubConf } from './resolver/resolvconf.js';
import { searchCandidates } from './resolver/search.js';
import type { EnvironmentData, ExpectedAnswer, ExpectedDifference } from './scenario/schema.js';
import type { SuggestedFix } from './suggest-fix.js';
import { tracer } from './util/trace.js';

export { verdictOf } from './assess.js';

/** The shape of report.json (schema/report.schema.json); bumped on any incompatible change. */
export const REPORT_VERSION = 3;

export interface ScenarioResult {
  readonly scenario: { readonly name: string; readonly file: string; readonly description?: string };
  readonly backend: BackendName;
  readonly runId: string;
  readonly reference: string;
  readonly environments: readonly Pick<EnvironmentData, 'name' | 'egress' | 'provider' | 'reference'>[];
  readonly localResolver: string;
  /** Where the resolver config and the resolv.conf the stub read came from: a scenario file, or "IMAGE:/path". */
  readonly sources?: RunPlan['sources'];
  /** What the stub read: the walk every layer follows (search list, ndots) and its timeouts. */
  readonly resolvConf: StubConf;
  readonly latencyThresholdMs: number;
  /** The scenario's declared differences and expected answers: what compare needs, so report.json suffices. */
  readonly expect: { readonly differences: readonly ExpectedDifference[]; readonly answers: readonly ExpectedAnswer[] };
  readonly network: NetworkMap;
  readonly substitutions: readonly Substitution[];
  readonly queries: readonly Query[];
  readonly observations: Readonly<Record<string, readonly QueryObservation[]>>;
  /** The local resolver's upstream queries in the first pass, per environment, when the backend can see them. */
  readonly upstream?: Readonly<Record<string, readonly UpstreamExchange[]>>;
  /**
   * The differing queries asked again; fresh when no cache carried over (a
   * twin's resolvers, or every resolver restarted first). twinRunId names the
   * twin run that asked them at the same time as the first pass.
   */
  readonly recheck?: Rechecked & { readonly fresh: boolean; readonly twinRunId?: string };
  readonly findings: readonly Finding[];
  readonly expectations: readonly ExpectationResult[];
  /** Addresses the resolver config names as forward-addr or stub-addr (for leak messages). */
  readonly forwarders?: readonly string[];
  /** The resolver under test (absent in older reports: unbound). */
  readonly resolver?: { readonly kind: string; readonly name: string };
  /** Destinations outside the simulated network that anything in the run tried to reach (seen by the network itself). */
  readonly unknownDestinations?: readonly string[];
  /** The same record per source (environment or link), protocol and port, with packet counts. */
  readonly unknownTraffic?: readonly UnknownTraffic[];
  readonly leaks: readonly Leak[];
  readonly verdict: 'pass' | 'fail';
  readonly wallMs: number;
  readonly deadlines?: Deadlines;
  /** Where the wall time went: starting environments, probing (and asking again), tearing down. */
  readonly timing?: { readonly setupMs: number; readonly probeMs: number; readonly teardownMs: number };
  /** With --suggest-fixes: the config change that routes the private zones to the provider, run again (see suggest-fix.ts). */
  readonly suggestedFix?: SuggestedFix;
}

export interface RunOptions {
  /** Overrides both layers' deadlines; by default they follow the stub's own timeouts. */
  readonly timeoutMs?: number;
  readonly concurrency: number;
  readonly signal: AbortSignal;
  readonly keep?: boolean;
  /**
   * How differences are confirmed: by a twin asked at the same time (the
   * default, where the backend can run one), or by asking again afterwards.
   */
  readonly confirm?: 'twin' | 'again';
  /** Told what the run is doing, for a progress line. */
  readonly onPhase?: (phase: string) => void;
}

/**
 * Deadlines from resolv.conf: a direct query gets what glibc gives one
 * nameserver (timeout x attempts) and a little more, so "answered after the
 * stub gave up" is still seen; getaddrinfo gets the stub's whole budget and
 * more, since it only ever ends later than that if something is wrong.
 */
export function stubDeadlines(rc: Pick<ResolvConf, 'timeoutS' | 'attempts' | 'nameservers'>, walkLength = 1): Deadlines {
  const perServer = rc.timeoutS * rc.attempts * 1000;
  // A search walk may spend the whole budget on each name it tries.
  return { resolverMs: perServer + 500, appMs: perServer * Math.max(1, rc.nameservers.length) * Math.max(1, walkLength) * 2 + 1000 };
}

/** The longest search walk among the queries: what the application layer's deadline must allow for. */
export function longestWalk(plan: Pick<RunPlan, 'queries' | 'resolvConf'>): number {
  // A loop, not Math.max(...): 100k queries would be 100k arguments.
  let longest = 1;
  for (const q of plan.queries) longest = Math.max(longest, searchCandidates(q.name, plan.resolvConf, q.library ?? 'glibc', q.absolute, ADDRESS_TYPES.has(q.type)).length);
  return longest;
}

/**
 * Above this many queries a twin would double the probing of every name to
 * confirm the few that differ: the differing ones are asked again after a
 * restart instead (only they cost a second pass).
 */
export const TWIN_MAX_QUERIES = 1000;

/** Whether the plan is confirmed by a twin run asked at the same time, rather than by asking again afterwards. */
export function confirmsByTwin(plan: Pick<RunPlan, 'queries'>, backend: Pick<Backend, 'sideBySide'>, confirm: RunOptions['confirm'] = 'twin'): boolean {
  return confirm === 'twin' && backend.sideBySide === true && plan.queries.length <= TWIN_MAX_QUERIES;
}

interface Probing {
  readonly deadlines: Deadlines;
  readonly concurrency: number;
  readonly signal: AbortSignal;
  readonly shared: SharedOutcomes;
}

export async function runScenario(plan: RunPlan, backend: Backend, opts: RunOptions): Promise<ScenarioResult> {
  const started = performance.now();
  const n = plan.environments.length;
  const deadlines = opts.timeoutMs ? { appMs: opts.timeoutMs, resolverMs: opts.timeoutMs } : stubDeadlines(plan.resolvConf, longestWalk(plan));
  const probing: Probing = { deadlines, concurrency: opts.concurrency, signal: opts.signal, shared: new SharedOutcomes(plan.queries.length) };
  const twin = confirmsByTwin(plan, backend, opts.confirm);
  opts.onPhase?.(`starting ${n} environments${twin ? ' and their twins' : ''}`);
  const startOpts = { signal: opts.signal, keep: opts.keep ?? false, concurrency: opts.concurrency };
  const [run, twinRun] = twin ? await startTwins(backend, plan, startOpts) : [await backend.start(plan, startOpts), undefined];
  const setupDone = performance.now();
  const trace = tracer(`run ${run.runId}`);
  trace(`set-up${twinRun ? ` with twin ${twinRun.runId}` : ''}`);
  let probeDone = setupDone;
  let g: Gathered;
  try {
    g = await gather(run, twinRun, plan, probing, opts);
    probeDone = performance.now();
    trace('probed and confirmed');
    opts.onPhase?.('stopping');
  } finally {
    await disposeAll([run, twinRun]);
  }
  trace('torn down');
  const ended = performance.now();
  const timing = { setupMs: Math.round(setupDone - started), probeMs: Math.round(probeDone - setupDone), teardownMs: Math.round(ended - probeDone) };
  return { ...g, ...assess(g), timing, wallMs: Math.round(ended - started) };
}

/** Two runs of one plan, started at once; if either fails, the other is torn down and the failure stands. */
export async function startTwins(backend: Backend, plan: RunPlan, opts: StartOptions & { keep: boolean }): Promise<[StartedRun, StartedRun]> {
  // --keep keeps the run's directory; the twin's goes with it (the report names no twin where nothing differed).
  // One failing ends the other's set-up at once: the twin does not check the configs its run rejects.
  const failed = new AbortController();
  const signal = AbortSignal.any([opts.signal, failed.signal]);
  const abortOnFailure = (p: Promise<StartedRun>) => p.catch((e: unknown) => {
    failed.abort(e);
    throw e;
  });
  const [a, b] = await Promise.allSettled([abortOnFailure(backend.start(plan, { ...opts, signal })), abortOnFailure(backend.start(plan, { ...opts, signal, keep: false, twin: true }))]);
  if (a.status === 'fulfilled' && b.status === 'fulfilled') return [a.value, b.value];
  await disposeAll([a.status === 'fulfilled' ? a.value : undefined, b.status === 'fulfilled' ? b.value : undefined]).catch(() => undefined);
  if (opts.signal.aborted) throw opts.signal.reason;
  // The first failure, not the abort it caused in the other.
  const own = [a, b].find((x): x is PromiseRejectedResult => x.status === 'rejected' && x.reason !== failed.signal.reason);
  throw own?.reason ?? failed.signal.reason;
}

async function disposeAll(runs: readonly (StartedRun | undefined)[]): Promise<void> {
  const r = await Promise.allSettled(runs.map((x) => x?.[Symbol.asyncDispose]()));
  const failed = r.find((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (failed) throw failed.reason;
}

async function gather(run: StartedRun, twinRun: StartedRun | undefined, plan: RunPlan, probing: Probing, opts: RunOptions): Promise<Gathered> {
  const s = plan.scenario;
  const trace = tracer(`run ${run.runId}`);
  opts.onPhase?.(`probing ${plan.environments.length} environments${twinRun ? ' and their twins' : ''}`);
  // The twin is asked every query at the same time, with its own fresh resolvers: a confirmation without a second wait.
  const [observations, twinObservations] = await Promise.all([
    probeAll(run, plan.queries, probing),
    twinRun ? probeAll(twinRun, plan.queries, { ...probing, shared: new SharedOutcomes(plan.queries.length) }) : undefined,
  ]);
  trace('probed');
  // Above the tracing limit the log holds no upstream queries: an empty list
  // there would read as "unbound sent no query upstream", so none is kept.
  const upstream = traceUpstream(plan) ? await activityOf(run) : undefined;
  const gathered: Gathered = {
    scenario: { name: s.name, file: s.file, ...(s.description ? { description: s.description.trim() } : {}) },
    backend: run.backend,
    runId: run.runId,
    reference: plan.reference,
    environments: plan.environments.map(({ name, egress, provider, reference }) => ({ name, egress, provider, reference })),
    localResolver: run.localResolver,
    sources: plan.sources,
    resolvConf: {
      nameservers: plan.resolvConf.nameservers,
      timeoutS: plan.resolvConf.timeoutS,
      attempts: plan.resolvConf.attempts,
      search: plan.resolvConf.search,
      ndots: plan.resolvConf.ndots,
      options: plan.resolvConf.options,
    },
    latencyThresholdMs: s.expect.latencyThresholdMs ?? defaultLatencyThresholdMs(plan.resolvConf),
    expect: { differences: s.expect.differences, answers: s.expect.answers },
    network: networkMap(plan.internet),
    forwarders: configuredUpstreams(plan.resolverConfig, { text: plan.resolvConfText, source: plan.sources.resolvConf }),
    resolver: { kind: plan.resolverConfig.kind, name: resolverOf(plan.resolverConfig).name },
    substitutions: run.substitutions,
    queries: plan.queries,
    observations,
    ...(upstream ? { upstream } : {}),
    unknownDestinations: [],
    deadlines: probing.deadlines,
    wallMs: 0,
    timing: { setupMs: 0, probeMs: 0, teardownMs: 0 },
  };
  trace('resolver activity read');
  const recheck = twinRun && twinObservations ? fromTwin(twinRun, gathered, twinObservations) : await confirm(run, plan, gathered, probing, opts);
  // Read last: the router has seen every packet of both passes by now. A twin's network saw the same queries: what it saw counts too.
  const [traffic, twinTraffic] = await Promise.all([run.unknownTraffic?.(), twinRun?.unknownTraffic?.()]);
  trace('unknown traffic read');
  const allTraffic = traffic && twinRun ? mergeTraffic(traffic, twinTraffic ?? []) : traffic;
  const destinations = allTraffic ? [...new Set(allTraffic.map((t) => t.address))].sort() : run.leaks ? [...new Set([...(await run.leaks()), ...((await twinRun?.leaks?.()) ?? [])])].sort() : undefined;
  return { ...gathered, ...(recheck ? { recheck } : {}), ...(destinations ? { unknownDestinations: destinations } : {}), ...(allTraffic ? { unknownTraffic: allTraffic } : {}) };
}

/** The queries whose differences would fail the gate: the ones a confirmation must look at again. */
function differingQueries(g: Gathered): number[] {
  return [...new Set(assess(g).findings.filter((f) => f.status === 'unexpected').map((f) => g.queries.indexOf(f.query)))].sort((a, b) => a - b);
}

/** The twin's observations of the differing queries, as a confirmation: same shape as asking again, fresh by construction. */
export function fromTwin(twinRun: Pick<StartedRun, 'runId'>, g: Gathered, twin: Readonly<Record<string, readonly QueryObservation[]>>): ScenarioResult['recheck'] {
  const differing = differingQueries(g);
  if (differing.length === 0) return undefined;
  const observations = Object.fromEntries(Object.entries(twin).map(([env, obs]) => [env, differing.map((i) => obs[i]!)]));
  return { fresh: true, twinRunId: twinRun.runId, queries: differing, observations };
}

/** Both twins' records of unknown destinations, as one: packets summed per source, address, protocol and port. */
export function mergeTraffic(a: readonly UnknownTraffic[], b: readonly UnknownTraffic[]): UnknownTraffic[] {
  const byKey = new Map<string, UnknownTraffic>();
  for (const t of [...a, ...b]) {
    const k = `${t.source}|${t.address}|${t.protocol}|${t.port ?? ''}`;
    const had = byKey.get(k);
    byKey.set(k, had ? { ...had, packets: had.packets + t.packets } : t);
  }
  return [...byKey.values()].sort((x, y) => x.address.localeCompare(y.address) || x.source.localeCompare(y.source) || (x.port ?? 0) - (y.port ?? 0));
}

async function probeAll(run: StartedRun, queries: readonly Query[], probing: Probing): Promise<Record<string, QueryObservation[]>> {
  // Every environment is probed at once: a run costs about one timeout, not one per environment.
  const perEnv = await Promise.all(run.environments.map(async (e) => [e.name, await e.probe(queries, probing)] as const));
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
async function confirm(run: StartedRun, plan: RunPlan, g: Gathered, probing: Probing, opts: RunOptions): Promise<ScenarioResult['recheck']> {
  const differing = differingQueries(g);
  if (differing.length === 0) return undefined;
  opts.onPhase?.(`asking ${differing.length} differing quer${differing.length === 1 ? 'y' : 'ies'} again`);
  const fresh = !!run.restartResolvers;
  if (run.restartResolvers) await run.restartResolvers(opts.signal);
  // Outcomes of the second pass are their own: not shared with the first pass's, which are indexed by query.
  const observations = await probeAll(run, differing.map((i) => plan.queries[i]!), { ...probing, shared: new SharedOutcomes(differing.length) });
  return { fresh, queries: differing, observations };
}
