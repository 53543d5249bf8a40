// What a getaddrinfo error means to the application layer: the stub took a
// negative answer as final (not found), or it ran out of nameservers
// (failure). Apart from worker.ts so the table can be tested without
// starting a worker.
import type { AppOutcome } from '../model.js';

/** Error codes of Node's dns.lookup that say the name (or its address of that family) does not exist. */
export const NOT_FOUND_CODES: ReadonlySet<string> = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'EAI_NODATA']);

/** The outcome of a failed lookup, from its error code (UNKNOWN when it has none). */
export function lookupErrorOutcome(code: string | undefined): AppOutcome {
  const c = code ?? 'UNKNOWN';
  return NOT_FOUND_CODES.has(c) ? { status: 'not-found', code: c } : { status: 'failure', code: c };
}
