// The seam between "what to compare" and "how environments are realised".
// A Backend turns a plan into a StartedRun; a StartedRun is disposed on every
// path (await using), which tears down everything it started.
import type { Query, QueryObservation, Substitution, UnknownTraffic, UpstreamExchange } from '../model.js';
import type { RunPlan } from '../plan.js';
import type { SharedOutcomes } from '../probe/compact.js';
import type { Deadlines } from '../probe/protocol.js';

export type BackendName = 'netns' | 'docker';

export interface PrerequisiteCheck {
  readonly what: string;
  readonly ok: boolean;
  readonly detail: string;
  /** How to get it, when missing. */
  readonly fix?: string;
  /** Needed only by some scenarios (a resolver kind's binary): missing, it does not fail the doctor. */
  readonly optional?: boolean;
}

export interface StartOptions {
  readonly signal: AbortSignal;
  /** Keep the run directory (configs, zone files, logs) after teardown. */
  readonly keep?: boolean;
  /**
   * The probe's in-flight bound, where known at start: a backend may start
   * each environment's probe worker for it while the servers come up.
   */
  readonly concurrency?: number;
  /**
   * The run twins another started at the same time from the same plan, which
   * checks the configs (resolver checkconf and the like): this one need not.
   */
  readonly twin?: boolean;
}

export interface ProbeRunOptions {
  readonly deadlines: Deadlines;
  /** Shared by the environments of one run: agreeing outcomes are held once. */
  readonly shared?: SharedOutcomes;
  readonly concurrency: number;
  readonly signal: AbortSignal;
}

export interface StartedEnvironment {
  readonly name: string;
  probe(queries: readonly Query[], opts: ProbeRunOptions): Promise<QueryObservation[]>;
  /**
   * The resolver under test's upstream queries since the last call, from its
   * own record (log). Left out by a backend that cannot see them.
   */
  resolverActivity?(): Promise<readonly UpstreamExchange[]>;
}

export interface StartedRun extends AsyncDisposable {
  readonly runId: string;
  readonly backend: BackendName;
  readonly substitutions: readonly Substitution[];
  /** In the plan's order. */
  readonly environments: readonly StartedEnvironment[];
  /** Where the resolver under test listens, as address#port. */
  readonly localResolver: string;
  /**
   * Destinations outside the simulated network that anything in the run tried
   * to reach, as the network itself recorded them (netns: the router's
   * prerouting set; docker: a set in each pod's namespace). Left out by a
   * backend whose network keeps no such record.
   */
  leaks?(): Promise<string[]>;
  /** The same record per source (environment or link), protocol and port, with packet counts; preferred where a backend has it. */
  unknownTraffic?(): Promise<readonly UnknownTraffic[]>;
  /**
   * Restarts every resolver (the one under test in each environment, the
   * provider's), so nothing learned so far is cached; resolves once they
   * answer again. Left out by a backend that cannot.
   */
  restartResolvers?(signal: AbortSignal): Promise<void>;
}

export interface Backend {
  readonly name: BackendName;
  /**
   * Two runs of one plan may be started and probed at the same time (each its
   * own run id and resources): the run confirms its differences with a twin.
   */
  readonly sideBySide?: boolean;
  /** What this machine has and lacks for the backend. */
  doctor(): Promise<PrerequisiteCheck[]>;
  start(plan: RunPlan, opts: StartOptions): Promise<StartedRun>;
}
