// The probe worker: started inside an environment (ip netns exec, or docker
// exec), so getaddrinfo (or the image's own getent, see getent.ts) reads that
// environment's resolv.conf and its sockets use that environment's network.
// Two modes:
//   worker ready TIMEOUT_MS ADDR#PORT...   exit 0 once every server answers
//   worker probe                           JSON lines in (config, then queries), results out
import { lookup } from 'node:dns/promises';
import { ADDRESS_TYPES, type AppObservation, type AppOutcome, type QueryType, type ResolverObservation } from '../model.js';
import { appKey } from '../compare/normalise.js';
import { lookupErrorOutcome } from './app-outcome.js';
import { pumpHoldsWindow, query, useUdpPump } from './dns-client.js';
import { getentLookup } from './getent.js';
import { nativeLookup } from './native.js';
import type { ProbeConfig, ProbeRequest, ProbeResult } from './protocol.js';

async function appLookup(name: string, type: string, timeoutMs: number): Promise<AppObservation> {
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<AppOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'timeout' }), timeoutMs);
  });
  const attempt: Promise<AppOutcome> = lookup(name, { family: type === 'AAAA' ? 6 : 4, all: true, verbatim: true }).then(
    (addrs) => ({ status: 'answer', addresses: addrs.map((a) => a.address) }),
    (e: NodeJS.ErrnoException) => lookupErrorOutcome(e.code),
  );
  const outcome = await Promise.race([attempt, timeout]);
  clearTimeout(timer);
  return { outcome, latencyMs: Math.round(performance.now() - start) };
}

/** One lookup as the application makes it, through the request's stub library. */
function lookupOnce(cfg: ProbeConfig, name: string, type: QueryType, library: ProbeRequest['library']): Promise<AppObservation> {
  const ms = cfg.deadlines.appMs;
  const lib = library ?? 'glibc';
  // Addresses: the image's own getent where it is this library's; this machine's glibc getaddrinfo on netns.
  if (ADDRESS_TYPES.has(type) && cfg.getent && (cfg.getentLibrary ?? 'glibc') === lib) return getentLookup(cfg.getent, name, type, ms);
  if (ADDRESS_TYPES.has(type) && !cfg.getent && lib === 'glibc') return appLookup(name, type, ms);
  const argv = cfg.native?.[lib];
  if (!argv) throw new Error(`no ${lib} stub helper was given for a ${type} lookup`);
  return nativeLookup(argv, type, name, ms);
}

/**
 * The application layer: one lookup, or up to req.repeat of them one after
 * another where the outcome may depend on which nameserver answers first
 * (musl asks them all at once). A lookup that waited out a timeout is not a
 * race between answers, so it is not asked again.
 */
async function appObservation(cfg: ProbeConfig, req: ProbeRequest): Promise<AppObservation> {
  const mark = (o: AppObservation): AppObservation => (o.latencyMs >= cfg.stubTimeoutMs ? { ...o, waitedOutTimeout: true } : o);
  const first = mark(await lookupOnce(cfg, req.name, req.type, req.library));
  const asks = req.repeat ?? 1;
  if (asks <= 1 || first.waitedOutTimeout) return first;
  const counts = new Map<string, { outcome: AppOutcome; count: number }>([[appKey(first.outcome), { outcome: first.outcome, count: 1 }]]);
  for (let k = 1; k < asks; k++) {
    const o = await lookupOnce(cfg, req.name, req.type, req.library);
    const key = appKey(o.outcome);
    const had = counts.get(key);
    if (had) had.count++;
    else counts.set(key, { outcome: o.outcome, count: 1 });
  }
  return counts.size > 1 ? { ...first, tally: [...counts.values()] } : first;
}

/** One direct query to one server, as the resolver layer reports it. */
async function ask(s: ProbeConfig['servers'][number], qname: string, own: string, type: string, ms: number): Promise<ResolverObservation> {
  const r = await query(s, qname, type, ms);
  return qname !== own ? { server: `${s.address}#${s.port}`, qname, roles: s.roles, outcome: r.outcome, latencyMs: r.latencyMs } : { server: `${s.address}#${s.port}`, roles: s.roles, outcome: r.outcome, latencyMs: r.latencyMs };
}

async function probeOne(cfg: ProbeConfig, req: ProbeRequest): Promise<ProbeResult> {
  const own = req.name.replace(/\.$/, '');
  const ms = cfg.deadlines.resolverMs;
  // Every name the stub may try, at every server, at once: a walk costs one deadline, not one per candidate.
  const asks: Promise<ResolverObservation>[] = [];
  for (const qname of req.candidates) for (const s of cfg.servers) asks.push(ask(s, qname, own, req.type, ms));
  if (!req.app) return { i: req.i, resolver: asks.length === 1 ? [await asks[0]!] : await Promise.all(asks) };
  const [application, resolver] = await Promise.all([appObservation(cfg, req), Promise.all(asks)]);
  return { i: req.i, application, resolver };
}

// Results leave in batches, one write per turn of the event loop: a write per
// result costs more than the result at tens of thousands per second.
let batch: string[] = [];
function emit(line: string): void {
  if (batch.length === 0) setImmediate(flush);
  batch.push(line);
}
function flush(): void {
  if (batch.length === 0) return;
  process.stdout.write(`${batch.join('\n')}\n`);
  batch = [];
}

/**
 * Through the pump, how many more requests than `concurrency` may be under
 * way when they ask only the resolver layer: the pump holds each server's
 * queries in flight to its window (cfg.window) and refills it itself, so the
 * worker keeps it fed with queries waiting there, instead of handing it one
 * query per answer that came back through the event loop. With Node's socket
 * every query is sent at once, so the bound stays concurrency.
 */
const PUMP_QUEUE_FACTOR = 8;

/**
 * Queries are read as they come and started while fewer than
 * cfg.concurrency are in flight (through the pump, up to PUMP_QUEUE_FACTOR
 * times as many for resolver-only queries: see there; requests that look up
 * at the application layer stay within cfg.concurrency, the lookups' thread
 * pool, whose waits are timed); stdin pauses while many wait their turn.
 */
async function probe(): Promise<void> {
  let cfg: ProbeConfig | undefined;
  let configured = false;
  let partial = '';
  let waiting: string[] = [];
  let head = 0;
  let next: ProbeRequest | undefined; // waiting[head], parsed
  let running = 0;
  let runningApp = 0;
  let limit = 0;
  let ended = false;
  let done!: () => void;
  let failed!: (e: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => {
    done = resolve;
    failed = reject;
  });
  const settle = (res: ProbeResult, app: boolean) => {
    emit(JSON.stringify(res));
    running--;
    if (app) runningApp--;
    start();
  };
  const start = () => {
    if (!configured) return;
    const c = cfg!;
    while (head < waiting.length) {
      const req = (next ??= JSON.parse(waiting[head]!) as ProbeRequest);
      if (running >= limit || (req.app && runningApp >= c.concurrency)) break;
      head++;
      next = undefined;
      running++;
      if (req.app) runningApp++;
      probeOne(c, req).then((res) => settle(res, req.app), failed);
    }
    if (head === waiting.length && head > 0) {
      waiting = [];
      head = 0;
    }
    if (waiting.length - head < 1024 && process.stdin.isPaused()) process.stdin.resume();
    if (ended && running === 0 && head === waiting.length) done();
  };
  const configure = async (line: string) => {
    cfg = JSON.parse(line) as ProbeConfig;
    useUdpPump(cfg.udpPump !== false, cfg.window ?? cfg.concurrency);
    limit = pumpHoldsWindow() ? cfg.concurrency * PUMP_QUEUE_FACTOR : cfg.concurrency;
    const local = cfg.servers[0];
    if (cfg.readyTimeoutMs > 0 && local) await ready(cfg.readyTimeoutMs, [`${local.address}#${local.port}`]);
    configured = true;
    start();
  };
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.trim()) continue;
      if (!cfg) configure(line).catch(failed);
      else waiting.push(line);
    }
    if (waiting.length - head > 4096) process.stdin.pause();
    start();
  });
  process.stdin.on('end', () => {
    if (partial.trim()) {
      if (!cfg) configure(partial).catch(failed);
      else waiting.push(partial);
    }
    partial = '';
    ended = true;
    if (!cfg) done();
    start();
  });
  process.stdin.on('error', failed);
  await finished;
  flush();
}

async function ready(timeoutMs: number, targets: string[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await Promise.all(
    targets.map(async (t) => {
      const [address, port] = t.split('#');
      for (;;) {
        // "localhost" is answered from built-in data by every resolver and server we run.
        const r = await query({ address: address!, port: Number(port ?? 53) }, 'localhost', 'A', 250);
        if (r.outcome.status === 'response') return;
        if (Date.now() > deadline) throw new Error(`${t} did not answer within ${timeoutMs} ms`);
        await new Promise((res) => setTimeout(res, 20));
      }
    }),
  );
}

const [mode, ...args] = process.argv.slice(2);
try {
  if (mode === 'probe') await probe();
  else if (mode === 'ready') {
    useUdpPump(false); // a few queries per server
    await ready(Number(args[0]), args.slice(1));
  }
  else throw new Error(`unknown mode ${mode}`);
  // Results may still sit in the pipe's buffer: exit once they are written,
  // without waiting for getaddrinfo threads that outlived their deadline.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(0);
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
}
