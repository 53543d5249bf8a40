// The application layer through an image's own getent, for backends that
// test an image rather than the machine's C library (docker). The worker
// spawns it, so the latency is the lookup's own. getent tells only "found"
// (exit 0, with the addresses) or "not found" (exit 2, which it uses for
// NXDOMAIN, no data and failures alike); the resolver layer keeps the rcodes.
import type { AppObservation, AppOutcome } from '../model.js';
import { boundedLookup, type ProcessRun } from './bounded-run.js';

/** getent's database for an address type: IPv4 only, or IPv6 only, as getaddrinfo with that family. */
export const getentDatabase = (type: string): string => (type === 'AAAA' ? 'ahostsv6' : 'ahostsv4');

export type GetentRun = ProcessRun;

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
  return boundedLookup(argv, [getentDatabase(type), name], timeoutMs, (r) => parseGetent(type, r));
}
