// The application layer through an image's own getent, for backends that
// test an image rather than the machine's C library (docker). The worker
// spawns it, so the latency is the lookup's own. getent tells only "found"
// (exit 0, with the addresses) or "not found" (exit 2, which it uses for
// NXDOMAIN, no data and failures alike); the resolver layer keeps the rcodes.
import { spawn } from 'node:child_process';
import type { AppObservation, AppOutcome } from '../model.js';

/** getent's database for an address type: IPv4 only, or IPv6 only, as getaddrinfo with that family. */
export const getentDatabase = (type: string): string => (type === 'AAAA' ? 'ahostsv6' : 'ahostsv4');

export interface GetentRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function parseGetent(type: string, r: GetentRun): AppOutcome {
  if (r.exitCode === 2) return { status: 'not-found', code: 'getent exit 2' };
  if (r.exitCode !== 0) return { status: 'failure', code: `getent exit ${r.exitCode}: ${(r.stderr || r.stdout).trim().split('\n')[0] ?? ''}`.trim() };
  let addresses = [...new Set(r.stdout.split('\n').map((l) => l.trim().split(/\s+/)[0]!).filter(Boolean))];
  // glibc's ahostsv6 asks with AI_V4MAPPED; getaddrinfo(AF_INET6) as an application calls it does not.
  if (type === 'AAAA') addresses = addresses.filter((a) => !/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(a));
  return addresses.length ? { status: 'answer', addresses } : { status: 'not-found', code: 'getent: no IPv6 address' };
}

/** Runs argv + [database, name], bounded by timeoutMs (then killed: a timeout). */
export function getentLookup(argv: readonly string[], name: string, type: string, timeoutMs: number): Promise<AppObservation> {
  const start = performance.now();
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, [...argv.slice(1), getentDatabase(type), name], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let settled = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = (outcome: AppOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ outcome, latencyMs: Math.round(performance.now() - start) });
    };
    // At the deadline the answer is "timeout" at once, whatever the child still holds open.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done({ status: 'timeout' });
    }, timeoutMs);
    child.on('error', (e: NodeJS.ErrnoException) => done({ status: 'failure', code: `cannot run ${argv[0]}: ${e.code ?? e.message}` }));
    child.on('close', (code) => done(parseGetent(type, { exitCode: code, stdout, stderr })));
  });
}
