// Scenarios side by side: how many at a time, and a pool that runs them
// while handing each result on in the scenarios' own order, whatever
// finishes first. Each scenario is its own run (run id, namespaces, files),
// so running several at once changes only how long the whole set takes.
import { availableParallelism, freemem } from 'node:os';

/**
 * What one netns scenario holds at its peak: a probe worker (Node) and an
 * unbound per environment, the simulated Internet's nsd servers and the
 * provider's unbound. Measured at about 150 MB for three environments; the
 * margin covers larger scenarios.
 */
export const SCENARIO_MEMORY_BYTES = 256 * 1024 * 1024;
/** Scenarios mostly wait on stub timeouts, so more run than there are cores. */
export const JOBS_PER_CORE = 3;
export const MAX_DEFAULT_JOBS = 16;

export interface JobsBasis {
  readonly cores: number;
  readonly freeBytes: number;
}

export function machineBasis(): JobsBasis {
  return { cores: availableParallelism(), freeBytes: freemem() };
}

/** The default --jobs: a few per core, as many as memory holds, at least one. */
export function defaultJobs(basis: JobsBasis = machineBasis()): number {
  const byCores = Math.max(1, basis.cores) * JOBS_PER_CORE;
  const byMemory = Math.floor(basis.freeBytes / SCENARIO_MEMORY_BYTES);
  return Math.max(1, Math.min(byCores, byMemory, MAX_DEFAULT_JOBS));
}

/**
 * A docker scenario starts about a dozen containers, and the engine's share of
 * that is CPU work: side by side beyond a core each, their latencies grow
 * past the thresholds the findings are read against.
 */
export const DOCKER_JOBS_PER_CORE = 1;

/** The default number of docker scenarios side by side: one per core, within the default --jobs. */
export function defaultDockerJobs(basis: JobsBasis = machineBasis()): number {
  return Math.max(1, Math.min(defaultJobs(basis), Math.max(1, basis.cores) * DOCKER_JOBS_PER_CORE));
}

/**
 * A twin doubles a scenario's set-up and probing work (about a third more CPU
 * in all) to save a stub budget of waiting. That pays where cores would
 * otherwise idle: while every scenario in flight and its twin have a core.
 * Where the scenarios side by side already keep the cores busy, asking again
 * afterwards costs less wall time for the whole run.
 */
export function autoConfirm(inFlight: number, cores: number = availableParallelism()): 'twin' | 'again' {
  return Math.max(1, inFlight) * 2 <= Math.max(1, cores) ? 'twin' : 'again';
}

export interface PoolOptions<T, R> {
  readonly jobs: number;
  /** Checked before each item starts: once it is aborted, nothing more starts. */
  readonly signal: AbortSignal;
  /** Items that share something scarcer than the pool's slots (e.g. one Docker engine) name a lane: at most its jobs of them at a time. */
  readonly lane?: (item: T, index: number) => Lane | undefined;
  /** Called in the items' order, each as soon as it and every item before it have ended. */
  readonly onResult?: (result: R, index: number) => void;
}

export interface Lane {
  readonly name: string;
  /** How many of the lane's items may run at a time (at least one). */
  readonly jobs: number;
}

export type Settled<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown } | undefined;

/**
 * Runs fn over the items, at most `jobs` at a time, and returns what each
 * gave in the items' order (undefined for one that never started). fn's own
 * errors are settled per item, never thrown: the caller decides which end
 * the run. The pool resolves once every started item has ended.
 */
export async function runPool<T, R>(items: readonly T[], fn: (item: T, index: number) => Promise<R>, opts: PoolOptions<T, R>): Promise<Settled<R>[]> {
  const settled: Settled<R>[] = new Array<Settled<R>>(items.length).fill(undefined);
  const done: boolean[] = new Array<boolean>(items.length).fill(false);
  let emitted = 0;
  const emit = () => {
    while (emitted < items.length && done[emitted]) {
      const s = settled[emitted];
      if (s?.ok) opts.onResult?.(s.value, emitted);
      emitted++;
    }
  };
  const inLane = new Map<string, number>();
  const waiting = items.map((_, i) => i);
  const running = new Set<Promise<void>>();
  let wake: (() => void) | undefined;

  const take = (): number | undefined => {
    const k = waiting.findIndex((i) => {
      const lane = opts.lane?.(items[i]!, i);
      return lane === undefined || (inLane.get(lane.name) ?? 0) < Math.max(1, lane.jobs);
    });
    return k < 0 ? undefined : waiting.splice(k, 1)[0];
  };

  for (;;) {
    while (!opts.signal.aborted && running.size < Math.max(1, opts.jobs)) {
      const i = take();
      if (i === undefined) break;
      const lane = opts.lane?.(items[i]!, i);
      if (lane !== undefined) inLane.set(lane.name, (inLane.get(lane.name) ?? 0) + 1);
      const p: Promise<void> = fn(items[i]!, i).then(
        (value) => void (settled[i] = { ok: true, value }),
        (error: unknown) => void (settled[i] = { ok: false, error }),
      ).finally(() => {
        if (lane !== undefined) inLane.set(lane.name, inLane.get(lane.name)! - 1);
        done[i] = true;
        running.delete(p);
        emit();
        wake?.();
      });
      running.add(p);
    }
    if (running.size === 0) break;
    await new Promise<void>((r) => (wake = r));
  }
  // Items that never started (the run was stopped) hold back no result after them.
  done.fill(true);
  emit();
  return settled;
}
