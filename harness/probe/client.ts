// The harness side of the probe: starts the worker inside an environment
// through the backend's launcher, streams the queries in and the
// observations out.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { BackendError, tail } from '../errors.js';
import { ADDRESS_TYPES, type Query, type QueryObservation } from '../model.js';
import { searchCandidates, type SearchConf } from '../resolver/search.js';
import { Compactor, type SharedOutcomes } from './compact.js';
import type { Deadlines, ProbeConfig, ProbeRequest, ProbeResult } from './protocol.js';

/**
 * The compiled worker, also when the harness runs from its TypeScript sources
 * (tests): its one-file bundle (scripts/bundle-worker.mjs) where that was made
 * from the worker as it is now, else the worker's own modules.
 */
export function workerPath(): string {
  const here = fileURLToPath(new URL('./worker.js', import.meta.url));
  const compiled = existsSync(here) ? here : here.replace(/\/harness\/probe\/worker\.js$/, '/dist/harness/probe/worker.js');
  if (!existsSync(compiled)) throw new BackendError(`probe worker not found at ${compiled}`, 'run "npm run build" first');
  return pickWorker(compiled, compiled.replace(/worker\.js$/, 'worker.bundle.mjs'));
}

/** The bundle where it exists and was made after the worker's last compile; a stale one would run old code. */
export function pickWorker(compiled: string, bundle: string): string {
  try {
    return statSync(bundle).mtimeMs >= statSync(compiled).mtimeMs ? bundle : compiled;
  } catch {
    return compiled;
  }
}

/** Runs a command inside an environment; the backend decides how (ip netns exec, docker exec). */
export type Launcher = (argv: readonly string[], env?: Record<string, string>) => readonly string[];

export interface ProbeOptions {
  readonly deadlines: Deadlines;
  /** Outcomes shared with the run's other environments, to hold agreeing ones once. */
  readonly shared?: SharedOutcomes;
  /** Ask getaddrinfo too (default: for address types); off for resolver-only measurements. */
  readonly applicationLayer?: boolean;
  /** How long the resolver under test may take to start answering. */
  readonly readyTimeoutMs?: number;
  readonly concurrency: number;
  readonly signal?: AbortSignal;
  /** Called with each started worker's pid, so an abort can find it. */
  readonly onSpawn?: (pid: number) => void;
  /** See ProbeConfig.getent. */
  readonly getent?: readonly string[];
  /** See ProbeConfig.native. */
  readonly native?: ProbeConfig['native'];
  /** See ProbeConfig.getentLibrary. */
  readonly getentLibrary?: ProbeConfig['getentLibrary'];
  /**
   * A worker the backend started ahead of time, while its servers came up:
   * taken by the first worker this probe needs, when it was started for the
   * same in-flight bound (see PrestartedWorker).
   */
  readonly prestarted?: PrestartedWorker;
  /** The environment's resolv.conf: its search list makes the candidates every layer asks, its timeout tells a fallback. */
  readonly resolvConf: SearchConf & { readonly timeoutS: number; readonly nameservers: readonly string[] };
}

/** A started probe worker, listened to from its spawn on, so an early exit is not missed. */
export interface WorkerProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;
  /**
   * Hands each line of its stdout to `each`, the lines that came before the
   * call first: its output is read from the spawn on, so a worker that exits
   * before anyone reads does not have its output (and its end) discarded.
   * Settles at the end of its stdout; rejects with what `each` threw.
   */
  readLines(each: (line: string) => void): Promise<void>;
  /** The tail of its stderr. */
  stderr(): string;
}

/** getaddrinfo runs on libuv's thread pool: one thread per lookup in flight. */
const threadPoolSize = (concurrency: number) => Math.min(1024, Math.max(4, concurrency));

/** Starts the worker through the launcher; it waits for its config on stdin. */
export function startWorker(launch: Launcher, concurrency: number): WorkerProcess {
  const argv = launch([process.execPath, workerPath(), 'probe']);
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true, // out of the terminal's process group: Ctrl-C reaches the harness, which cleans up
    env: { ...process.env, UV_THREADPOOL_SIZE: String(threadPoolSize(concurrency)) },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', (e) => reject(new BackendError(`cannot start the probe worker: ${e.message}`)));
    child.on('exit', (code) => resolve(code));
  });
  exited.catch(() => undefined); // reported where the worker is used
  return { child, exited, readLines: lineReader(child.stdout), stderr: () => stderr };
}

/**
 * A stream's lines, delivered synchronously as each chunk arrives: tens of
 * thousands of results a second, where an async iterator costs a promise and
 * a turn of the microtask queue per line.
 */
function lineReader(stream: Readable): WorkerProcess['readLines'] {
  let early: string[] = [];
  let partial = '';
  let each: ((line: string) => void) | undefined;
  let failed = false;
  let settle!: { resolve: () => void; reject: (e: unknown) => void };
  const finished = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  finished.catch(() => undefined); // reported to whoever reads
  const deliver = (line: string) => {
    if (failed || !line) return;
    if (!each) {
      early.push(line);
      return;
    }
    try {
      each(line);
    } catch (e) {
      failed = true;
      settle.reject(e);
    }
  };
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const line of parts) deliver(line);
  });
  stream.on('error', (e) => settle.reject(e));
  let ended = false;
  stream.on('end', () => {
    deliver(partial);
    partial = '';
    ended = true;
    if (each && !failed) settle.resolve(); // else when someone reads
  });
  return (fn) => {
    if (each) throw new Error('the worker\'s lines are read once');
    each = fn;
    const before = early;
    early = [];
    for (const line of before) deliver(line);
    if (ended && !failed) settle.resolve();
    return finished;
  };
}

/**
 * One worker started before the environment's first probe, so that Node's
 * start-up (a few hundred milliseconds of CPU per worker) overlaps with the
 * servers' instead of delaying the first query. Used once; disposing kills it
 * if no probe took it.
 */
export class PrestartedWorker {
  private worker: WorkerProcess | undefined;

  constructor(
    launch: Launcher,
    private readonly concurrency: number,
    onSpawn?: (pid: number) => void,
  ) {
    this.worker = startWorker(launch, concurrency);
    if (this.worker.child.pid) onSpawn?.(this.worker.child.pid);
  }

  /** The worker, if it was started for this in-flight bound and is still unused. */
  take(concurrency: number): WorkerProcess | undefined {
    if (!this.worker || threadPoolSize(concurrency) !== threadPoolSize(this.concurrency)) return undefined;
    const w = this.worker;
    this.worker = undefined;
    return w;
  }

  dispose(): void {
    this.worker?.child.kill('SIGKILL');
    this.worker = undefined;
  }
}

/** How often a library that asks every nameserver at once is asked, to see whether its outcome is a race. */
export const RACE_ASKS = 5;

/** What the worker is asked for one query: the candidates of its search walk, and how its application layer runs. */
export function probeRequest(i: number, q: Query, opts: Pick<ProbeOptions, 'resolvConf' | 'applicationLayer'>): ProbeRequest {
  const library = q.library ?? 'glibc';
  const races = library === 'musl' && opts.resolvConf.nameservers.length > 1;
  return {
    i,
    name: q.absolute ? `${q.name}.` : q.name,
    type: q.type,
    candidates: searchCandidates(q.name, opts.resolvConf, library, q.absolute, ADDRESS_TYPES.has(q.type)),
    app: opts.applicationLayer !== false,
    ...(q.library ? { library: q.library } : {}),
    ...(races ? { repeat: RACE_ASKS } : {}),
  };
}

/**
 * Below this many queries one worker is enough: a second one's start costs
 * more than it saves. Above it, one worker's event loop (decoding answers,
 * writing results, on one core) may bound the rate where cores are to spare.
 */
export const SECOND_WORKER_FROM = 2000;

/**
 * A second worker only from this many cores: each worker brings a pump per
 * server, and the resolver under test, the pumps and the harness need the
 * cores too. On 2 cores, with the pump holding the window, one worker per
 * environment was faster than two (bench layers: 0.58-0.64 of dnsperf
 * against 0.43-0.50; 10k names through the CLI's run: 2.5-2.8 s against
 * 3.7-3.9 s).
 */
export const SECOND_WORKER_CORES = 4;

/**
 * From this many queries a worker sends its datagrams through the UDP pump:
 * below it, a process per server costs more to start than it saves.
 */
export const UDP_PUMP_FROM = 500;

/**
 * The pump's window per server: a request asks each server every name of its
 * search walk (at most the search list and the name as given), all at once,
 * so a worker's requests in flight never wait for room in the window.
 */
export function pumpWindow(concurrency: number, rc: SearchConf): number {
  return Math.min(65536, concurrency * (rc.search.length + 1));
}

/** Workers per environment: one for a scenario's few queries, two for thousands where cores allow. */
export function workersFor(queries: number, cores: number = availableParallelism()): number {
  return queries < SECOND_WORKER_FROM || cores < SECOND_WORKER_CORES ? 1 : 2;
}

/**
 * Probes an environment: every query at both layers, through one worker, or
 * for thousands of queries through several, each asked an interleaved share
 * (the in-flight bound is split between them). Observations come back in the
 * queries' order.
 */
export async function probeEnvironment(
  launch: Launcher,
  servers: ProbeConfig['servers'],
  queries: readonly Query[],
  opts: ProbeOptions & { readonly workers?: number },
): Promise<QueryObservation[]> {
  const k = Math.min(opts.workers ?? workersFor(queries.length), Math.max(1, queries.length));
  const results: (QueryObservation | undefined)[] = new Array(queries.length);
  const compact = new Compactor({ servers }, opts.shared);
  if (k <= 1) {
    await probeSlice(launch, servers, queries, queries.map((_, i) => i), results, compact, opts);
  } else {
    // One worker failing ends the others: the environment's probe fails as one.
    const stop = new AbortController();
    const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
    const share = { ...opts, signal, concurrency: Math.max(1, Math.ceil(opts.concurrency / k)) };
    const slices = Array.from({ length: k }, (_, w) => queries.map((_, i) => i).filter((i) => i % k === w));
    const settled = await Promise.allSettled(
      slices.map((idx) =>
        probeSlice(launch, servers, queries, idx, results, compact, share).catch((e: unknown) => {
          stop.abort(e);
          throw e;
        }),
      ),
    );
    if (opts.signal?.aborted) throw opts.signal.reason;
    // The first worker's own failure, not the abort it caused in the others.
    const failed = settled.find((x): x is PromiseRejectedResult => x.status === 'rejected' && x.reason === stop.signal.reason) ?? settled.find((x): x is PromiseRejectedResult => x.status === 'rejected');
    if (failed) throw failed.reason;
  }
  const missing = results.findIndex((r) => r === undefined);
  if (missing >= 0) throw new BackendError(`probe worker gave no result for ${queries[missing]!.name}`);
  return results as QueryObservation[];
}

/** One worker, asked the queries at `indices`; its observations land in results at those indices. */
async function probeSlice(
  launch: Launcher,
  servers: ProbeConfig['servers'],
  queries: readonly Query[],
  indices: readonly number[],
  results: (QueryObservation | undefined)[],
  compact: Compactor,
  opts: ProbeOptions,
): Promise<void> {
  const prestarted = opts.prestarted?.take(opts.concurrency);
  const worker = prestarted ?? startWorker(launch, opts.concurrency);
  const { child, exited } = worker;
  if (child.pid && !prestarted) opts.onSpawn?.(child.pid);
  const onAbort = () => child.kill('SIGKILL');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const reading = worker.readLines((line) => {
    const r = JSON.parse(line) as ProbeResult;
    results[r.i] = compact.observation(r, queries[r.i]!.name);
  });
  // Stream the queries, honouring backpressure on the pipe.
  const config: ProbeConfig = {
    servers,
    deadlines: opts.deadlines,
    concurrency: opts.concurrency,
    readyTimeoutMs: opts.readyTimeoutMs ?? 0,
    stubTimeoutMs: opts.resolvConf.timeoutS * 1000,
    udpPump: indices.length >= UDP_PUMP_FROM,
    window: pumpWindow(opts.concurrency, opts.resolvConf),
    ...(opts.getent ? { getent: opts.getent } : {}),
    ...(opts.native ? { native: opts.native } : {}),
    ...(opts.getentLibrary ? { getentLibrary: opts.getentLibrary } : {}),
  };
  // A worker that has exited drains nothing: its exit ends the wait (and is reported by its exit code).
  const gone = exited.then(() => undefined, () => undefined);
  const write = (s: string) => (child.stdin.write(s) ? Promise.resolve() : Promise.race([new Promise<void>((r) => child.stdin.once('drain', () => r())), gone]));
  child.stdin.on('error', () => undefined); // a dead worker is reported by its exit code
  await write(`${JSON.stringify(config)}\n`);
  // Queries go in chunks: one pipe write per few hundred lines, not per line.
  let chunk: string[] = [];
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j]!;
    chunk.push(JSON.stringify(probeRequest(i, queries[i]!, opts)));
    if (chunk.length === 256 || j === indices.length - 1) {
      await write(`${chunk.join('\n')}\n`);
      chunk = [];
    }
  }
  child.stdin.end();
  const [code] = await Promise.all([exited, reading]);
  opts.signal?.removeEventListener('abort', onAbort);
  if (opts.signal?.aborted) throw opts.signal.reason;
  if (code !== 0) throw new BackendError(`probe worker exited ${code}: ${tail(worker.stderr(), 3)}`);
}
