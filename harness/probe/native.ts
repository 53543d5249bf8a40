// The application layer for every record type, from the C library's own stub
// resolver: the stub-lookup helpers (native/stub-lookup.c, built into
// dist/native/ by scripts/build-native.sh) call getaddrinfo for A/AAAA and
// res_nsearch (glibc) or res_search (musl) for the other types, with the
// environment's resolv.conf, and print one JSON line that this module reads.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import dnsPacket from 'dns-packet';
import { BackendError } from '../errors.js';
import type { AppObservation, AppOutcome, QueryType } from '../model.js';
import { boundedLookup, type ProcessRun } from './bounded-run.js';
import { rdata } from './dns-client.js';

import type { StubLibrary } from '../resolver/search.js';

export { STUB_LIBRARIES, type StubLibrary } from '../resolver/search.js';

const INSTALL_HINT: Record<StubLibrary, string> = {
  glibc: 'run "npm run build" with gcc and libc6-dev installed (apt-get install gcc libc6-dev)',
  musl: 'run "npm run build" with musl-tools installed (apt-get install musl-tools)',
};

/** The helper's file name: musl's is always static; glibc's static one runs chrooted into any root. */
export function nativeHelperName(lib: StubLibrary, opts?: { static?: boolean }): string {
  return lib === 'musl' ? 'stub-lookup-musl' : opts?.static ? 'stub-lookup-glibc-static' : 'stub-lookup-glibc';
}

/** dist/native/<name>, also when the harness runs from its TypeScript sources (tests); it may not be built. */
function distNative(name: string): string {
  const here = fileURLToPath(import.meta.url);
  // dist/harness/probe/native.js sits two levels below dist/; harness/probe/native.ts below the checkout.
  const dist = /\/dist\/harness\/probe\/[^/]+$/.test(here) ? new URL('../../native/', import.meta.url) : new URL('../../dist/native/', import.meta.url);
  return fileURLToPath(new URL(name, dist));
}

/** dist/native/<helper>, also when the harness runs from its TypeScript sources (tests). */
export function nativeHelperPath(lib: StubLibrary, opts?: { static?: boolean }): string {
  const path = distNative(nativeHelperName(lib, opts));
  if (existsSync(path)) return path;
  throw new BackendError(`the ${lib} stub-lookup helper is not built: ${path} is missing`, INSTALL_HINT[lib]);
}

/**
 * dist/native/dns-check (native/dns-check.c): whether servers answer, or stay
 * silent, asked from inside a namespace by one static process; the docker
 * backend's readiness and isolation checks, where a Node worker per check
 * would cost ten times the start-up.
 */
export function dnsCheckPath(): string {
  const path = distNative('dns-check');
  if (existsSync(path)) return path;
  throw new BackendError(`the DNS check helper is not built: ${path} is missing`, INSTALL_HINT.glibc);
}

/** The helper's arguments for a query: getaddrinfo for address types, the search call for the rest. */
export function nativeArgs(type: QueryType, name: string): string[] {
  if (type === 'A') return ['addr4', name];
  if (type === 'AAAA') return ['addr6', name];
  return ['search', type, name];
}

/** The C library's "no such name" and "no data of that type": a negative answer it took as final. */
const NOT_FOUND = new Set(['EAI_NONAME', 'EAI_NODATA', 'HOST_NOT_FOUND', 'NO_DATA']);

interface HelperLine {
  readonly ok: boolean;
  readonly addresses?: unknown;
  readonly answer?: unknown;
  readonly error?: unknown;
  readonly errno?: unknown;
  readonly detail?: unknown;
}

const unique = (xs: readonly string[]): string[] => [...new Set(xs)];

/** The RDATA of the answer records of the asked type: a CNAME chain counts only when CNAME was asked. */
function answerOutcome(type: QueryType, hex: string): AppOutcome {
  let msg: dnsPacket.Packet;
  try {
    msg = dnsPacket.decode(Buffer.from(hex, 'hex'));
  } catch (e) {
    return { status: 'failure', code: `stub-lookup: undecodable answer: ${(e as Error).message}` };
  }
  // The C library returns only NOERROR messages with answers; anything else is read as the rcode says.
  const rcode = (msg as { rcode?: string }).rcode ?? 'NOERROR';
  if (rcode === 'NXDOMAIN') return { status: 'not-found', code: 'NXDOMAIN' };
  if (rcode !== 'NOERROR') return { status: 'failure', code: rcode };
  const records = (msg.answers ?? []).filter((a) => a.type === type);
  if (!records.length) return { status: 'not-found', code: 'NO_DATA' };
  return { status: 'answer', addresses: unique(records.map((a) => rdata(a.type, (a as { data?: unknown }).data))) };
}

/** Reads a helper's run: its JSON line, or why there is none. */
export function parseNativeOutput(type: QueryType, stdout: string, exitCode: number | null, stderr: string): AppOutcome {
  const why = (stderr || stdout).trim().split('\n')[0] ?? '';
  if (exitCode !== 0) return { status: 'failure', code: `stub-lookup ${exitCode === null ? 'killed' : `exit ${exitCode}`}${why ? `: ${why}` : ''}` };
  const last = stdout.trim().split('\n').pop() ?? '';
  let line: HelperLine;
  try {
    line = JSON.parse(last) as HelperLine;
  } catch {
    return { status: 'failure', code: `stub-lookup: unreadable output: ${last.slice(0, 120)}` };
  }
  if (line === null || typeof line !== 'object') return { status: 'failure', code: `stub-lookup: unreadable output: ${last.slice(0, 120)}` };
  if (line.ok) {
    if (typeof line.answer === 'string') return answerOutcome(type, line.answer);
    if (Array.isArray(line.addresses)) {
      const addresses = unique(line.addresses.map(String));
      return addresses.length ? { status: 'answer', addresses } : { status: 'not-found', code: 'EAI_NONAME' };
    }
    return { status: 'failure', code: `stub-lookup: answer without data: ${last.slice(0, 120)}` };
  }
  const error = typeof line.error === 'string' ? line.error : 'unknown error';
  if (NOT_FOUND.has(error)) return { status: 'not-found', code: error };
  const extra = typeof line.errno === 'string' ? line.errno : typeof line.detail === 'string' ? line.detail : '';
  return { status: 'failure', code: extra ? `${error} (${extra})` : error };
}

/**
 * Runs argv + the helper's arguments for (type, name), bounded by timeoutMs
 * (then killed: a timeout). argv is the helper, possibly behind a launcher
 * (ip netns exec, chroot via --root), so the lookup runs where it belongs.
 */
export function nativeLookup(argv: readonly string[], type: QueryType, name: string, timeoutMs: number): Promise<AppObservation> {
  return boundedLookup(argv, nativeArgs(type, name), timeoutMs, (r: ProcessRun) => parseNativeOutput(type, r.stdout, r.exitCode, r.stderr));
}
