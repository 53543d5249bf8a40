// Reads unbound's own log (verbosity 4 and up) back into the upstream queries
// it sent and what came of each: which server, for which zone, about which
// name, and the reply or its absence. This is the resolver path of an
// explanation, taken from what happened rather than from what should have.
//
// unbound logs per thread, one recursion state at a time: "iterator operate:
// query NAME TYPE IN" (or "resolving ...", "response for ...") says which
// state the following lines belong to; "sending query: QNAME" then "sending
// to target: <ZONE> ADDR#PORT" is a query on the wire; "reply from <ZONE>
// ADDR#PORT" and "query response was KIND" (or "... was timeout") close it.
import type { UpstreamExchange, UpstreamOutcome } from '../model.js';

/** Verbosity at which "sending to target" lines appear (VERB_ALGO). */
export const TRACE_VERBOSITY = 4;

// "[1732456789] unbound[123:0] info: ..." or, with log-time-ascii, "Nov 25 10:00:00 unbound[123:0] info: ...".
const LINE = /^.*?\[(\d+):([0-9a-fx]+)\] (debug|info|notice|warning|error): (.*)$/;
const STATE = /^(?:iterator operate: query|resolving(?: \(init part \d\):)?|response for|processQueryTargets:) +(\S+) (\S+) (\S+)\s*$/;
const SENDING_QUERY = /^sending query: (\S+) (\S+) (\S+)/;
const TARGET = /^sending to target: <([^>]*)> (\S+?)#(\d+)/;
const REPLY = /^reply from <([^>]*)> (\S+?)#(\d+)/;
const RCODE = /^incoming scrubbed packet: .*rcode: ([A-Z]+)/;
const RESPONSE_WAS = /^query response was (.+?)\s*$/;

const name = (n: string): string => (n === '.' ? '.' : n.toLowerCase().replace(/\.$/, ''));

interface Open {
  about: string;
  qname: string;
  qtype: string;
  zone: string;
  server: string;
  outcome: UpstreamOutcome | undefined;
}

/**
 * Every upstream query in the log text, in the order sent. Queries still
 * unanswered at the end of the text count as no-answer: the text is read
 * when a pass has ended, so the resolver did not hear back within it.
 */
export function parseUnboundLog(text: string): UpstreamExchange[] {
  const all: Open[] = [];
  const current = new Map<string, string>();
  const wire = new Map<string, { qname: string; qtype: string }>();
  const lastReply = new Map<string, Open>();
  // The oldest open query of a state (or to a server): retries go out after the first.
  const pendingOf = (about: string | undefined, server?: string) =>
    all.find((x) => x.outcome === undefined && (about === undefined || x.about === about) && (server === undefined || x.server === server));

  for (const raw of text.split('\n')) {
    const m = LINE.exec(raw);
    if (!m) continue; // packet dumps and other continuation lines
    const thread = m[2]!;
    const msg = m[4]!;
    let r: RegExpExecArray | null;
    if ((r = STATE.exec(msg))) {
      current.set(thread, `${name(r[1]!)} ${r[2]!.toUpperCase()}`);
    } else if ((r = SENDING_QUERY.exec(msg))) {
      wire.set(thread, { qname: name(r[1]!), qtype: r[2]!.toUpperCase() });
    } else if ((r = TARGET.exec(msg))) {
      const about = current.get(thread) ?? '';
      const w = wire.get(thread) ?? { qname: about.split(' ')[0] ?? '', qtype: about.split(' ')[1] ?? '' };
      all.push({ about, qname: w.qname, qtype: w.qtype, zone: name(r[1]!), server: r[2]!, outcome: undefined });
    } else if ((r = REPLY.exec(msg))) {
      const about = current.get(thread) ?? '';
      const x = pendingOf(about, r[2]!) ?? pendingOf(undefined, r[2]!);
      if (x) {
        x.outcome = { status: 'reply', rcode: 'NOERROR', kind: 'reply' };
        lastReply.set(thread, x);
      }
    } else if ((r = RCODE.exec(msg))) {
      const x = lastReply.get(thread);
      if (x?.outcome?.status === 'reply') x.outcome = { ...x.outcome, rcode: r[1]! };
    } else if ((r = RESPONSE_WAS.exec(msg))) {
      const kind = r[1]!;
      if (kind === 'timeout') {
        const x = pendingOf(current.get(thread) ?? '');
        if (x) x.outcome = { status: 'no-answer' };
      } else {
        const x = lastReply.get(thread);
        if (x?.outcome?.status === 'reply') {
          // "NXDOMAIN ANSWER" and "nodata ANSWER" say more than the header's rcode alone.
          const rcode = /NXDOMAIN/.test(kind) ? 'NXDOMAIN' : x.outcome.rcode;
          x.outcome = { status: 'reply', rcode, kind: kind.toLowerCase() };
        }
      }
      lastReply.delete(thread);
    }
  }
  return all.map((x) => ({ about: x.about, qname: x.qname, qtype: x.qtype, zone: x.zone, server: x.server, outcome: x.outcome ?? { status: 'no-answer' } }));
}
