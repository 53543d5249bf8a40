// Reads pdns_recursor's trace (trace=yes) back into the upstream queries it
// sent and what came of each. Each client query's trace lines carry a prefix
// "[N] " and start with "QM NAME.|TYPE child=... " at the outermost level (a
// nested resolution, for a name server's address or a key, is indented);
// lines without a prefix are pdns's own work (priming the root). On the wire:
// "NAME: Trying IP ADDR:PORT, asking 'QNAME|QTYPE'", then "Got N answers from
// HOST (ADDR), rcode=R (...), aa=A, in Tms" and the records it accepted
// ("accept answer 'N|T|DATA' from 'ZONE' nameservers? ttl=.., place=P"), or
// "timeout resolving after ..." / "error resolving from ADDR, ...".
import type { UpstreamExchange, UpstreamOutcome } from '../model.js';

// An optional timestamp (log-timestamp, on by default), then the query's prefix.
const PREFIX = /^(?:[A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} )?(?:\[(\d+)\])?( *)(.*)$/;
const QM = /^QM (\S+)\|(\S+) child=/;
const RESOLVED = /^\S*: Resolved '([^']*)' NS \S+ to: (.*)$/;
const TRYING = /^\S*: Trying IP (\S+):(\d+), asking '([^|']*)\|([^']+)'/;
const GOT = /^\S*: Got \d+ answers from \S+ \((\S+)\), rcode=(\d+) \([^)]*\), aa=(\d)/;
const ACCEPT = /^\S*: accept answer '([^|']*)\|([^|']+)\|[^']*' from '([^']*)' nameservers\? .*place=(\d)/;
const TIMEOUT = /^\S*: timeout resolving after/;
const ERROR = /^\S*: error resolving from (\S+),/;

const RCODES: Record<string, string> = { '0': 'NOERROR', '1': 'FORMERR', '2': 'SERVFAIL', '3': 'NXDOMAIN', '4': 'NOTIMP', '5': 'REFUSED' };
const bare = (n: string): string => (n === '' || n === '.' ? '.' : n.toLowerCase().replace(/\.$/, ''));

interface Sent {
  about: string;
  qname: string;
  qtype: string;
  zone: string;
  server: string;
  outcome: UpstreamOutcome | undefined;
  aa: boolean;
  records: { name: string; type: string; place: string }[];
}

function outcomeOf(x: Sent, rcode: string): UpstreamOutcome {
  if (rcode !== 'NOERROR') return { status: 'reply', rcode, kind: rcode === 'NXDOMAIN' ? 'nxdomain' : 'reply' };
  const answers = x.records.filter((r) => r.place === '1');
  if (answers.some((r) => r.type === x.qtype && r.name === x.qname)) return { status: 'reply', rcode, kind: 'answer' };
  if (answers.some((r) => r.type === 'CNAME')) return { status: 'reply', rcode, kind: 'cname' };
  if (!x.aa && x.records.some((r) => r.place === '2' && r.type === 'NS')) return { status: 'reply', rcode, kind: 'referral' };
  return { status: 'reply', rcode, kind: 'nodata' };
}

/**
 * Every upstream query in the trace text, in the order sent. Queries still
 * unanswered at the end of the text count as no-answer: the text is read when
 * a pass has ended, so pdns did not hear back within it.
 */
export function parsePdnsTrace(text: string): UpstreamExchange[] {
  const sent: Sent[] = [];
  const about = new Map<string, string>();
  const open = new Map<string, Sent>(); // per prefix: the query on the wire
  const last = new Map<string, Sent>(); // per prefix: the last reply, which accept lines describe
  const zoneOf = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const p = PREFIX.exec(raw);
    if (!p) continue;
    const who = p[1] ?? '';
    const depth = p[2]!.length - (p[1] === undefined ? 0 : 1); // "[N] " ends in a space
    const msg = p[3]!;
    let m: RegExpExecArray | null;
    if ((m = QM.exec(msg))) {
      if (depth === 0 && who !== '') about.set(who, `${bare(m[1]!)} ${m[2]!.toUpperCase()}`);
      continue;
    }
    if ((m = RESOLVED.exec(msg))) {
      for (const a of m[2]!.split(/[\s,]+/).filter(Boolean)) zoneOf.set(a.replace(/:\d+$/, ''), bare(m[1]!) === '.' ? '' : bare(m[1]!));
      continue;
    }
    if ((m = TRYING.exec(msg))) {
      const own = `${bare(m[3]!)} ${m[4]!.toUpperCase()}`;
      // A validator's own fetches (keys, delegation signers) are about the zone, not the client's name.
      const x: Sent = { about: /^(DNSKEY|DS)$/i.test(m[4]!) ? own : (about.get(who) ?? own), qname: bare(m[3]!), qtype: m[4]!.toUpperCase(), zone: zoneOf.get(m[1]!) ?? '', server: m[1]!, outcome: undefined, aa: false, records: [] };
      sent.push(x);
      open.set(who, x);
      continue;
    }
    if ((m = GOT.exec(msg))) {
      const x = open.get(who);
      if (!x || x.server !== m[1]) continue;
      x.aa = m[3] === '1';
      x.outcome = outcomeOf(x, RCODES[m[2]!] ?? `RCODE${m[2]}`);
      open.delete(who);
      last.set(who, x);
      continue;
    }
    if ((m = ACCEPT.exec(msg))) {
      const x = last.get(who);
      if (!x || x.outcome?.status !== 'reply') continue;
      x.records.push({ name: bare(m[1]!), type: m[2]!.toUpperCase(), place: m[4]! });
      if (x.zone === '') x.zone = bare(m[3]!) === '.' ? '' : bare(m[3]!);
      x.outcome = outcomeOf(x, x.outcome.rcode);
      continue;
    }
    if (TIMEOUT.test(msg) || ERROR.test(msg)) {
      const x = open.get(who);
      if (x) x.outcome = { status: 'no-answer' };
      open.delete(who);
    }
  }
  return sent.map((x) => ({ about: x.about, qname: x.qname, qtype: x.qtype, zone: x.zone, server: x.server, outcome: x.outcome ?? { status: 'no-answer' } }));
}
