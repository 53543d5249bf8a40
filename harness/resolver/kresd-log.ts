// Reads kresd's debug log (log_groups iterat, resolv, select, valdtr: debug
// lines of those groups alone) back into the upstream queries it sent and
// what came of each, for the resolver path of explanations.
//
// Every line is tagged [group][REQUEST.UID]: a request is one question kresd
// was asked (or one of its own, such as priming the root), a uid one step of
// resolving it. The lines read:
//   [iterat][29001.00]   'proxysql.internal.example.io.' type 'A' new uid was assigned .01, parent uid .00
//       (uid .01 resolves that name and type; the first of a request is its question)
//   [select][29001.13]   => id: '27778' choosing: 'ns1.example.io.'@'198.51.100.53#00053' with timeout 23 ms zone cut: 'example.io.'
//       (a query on the wire, for uid .13)
//   [resolv][29001.05]   => id: '31828' querying: ... qname: 'io.' qtype: 'NS' proto: 'udp'
//       (its name on the wire, where minimised; not every query has this line)
//   [select][29001.13]   => id: '44178' updating: 'ns1.example.io.'@'198.51.100.53#00053' ... with rtt 3 ...  (a reply)
//   [iterat][29001.13]   <= rcode: NXDOMAIN      <= referral response, follow      <= cname chain, following
//   [select][29001.02]   => id: '09181' noting selection error: 'a.root-servers.test.'@'198.51.100.1#00053' zone cut: '.' error: 1 QUERY_TIMEOUT
//
// kresd sends one wire query for identical questions in flight at once: the
// uids that share it each get "<= rcode:" (or "<= referral response") when
// its reply comes, but an "updating" line only sometimes, and then with the
// sharing query's id. A uid's reply is therefore its answer line, updating or
// not: its latest query was answered.
import type { UpstreamExchange, UpstreamOutcome } from '../model.js';

const TAG = /^\[(\w+)\s*\]\[(\d+)\.(\d+)\]\s+(.*)$/;
const NEW_UID = /^'([^']*)' type '([A-Za-z0-9]+)' new uid was assigned \.(\d+), parent uid \.(\d+)/;
const CHOOSING = /^=> id: '\d+' choosing: '[^']*'@'([^']+)' with timeout \d+ ms zone cut: '([^']*)'/;
const QUERYING = /^=> id: '\d+' querying: '[^']*'@'([^']+)' zone cut: '[^']*' qname: '([^']*)' qtype: '([A-Za-z0-9]+)'/;
const UPDATING = /^=> id: '\d+' updating: '[^']*'@'([^']+)'/;
const SELECTION_ERROR = /^=> id: '\d+' noting selection error: '[^']*'@'([^']+)'/;
const RCODE = /^<= rcode: ([A-Z]+)/;

const name = (n: string): string => (n === '.' || n === '' ? '.' : n.toLowerCase().replace(/\.$/, ''));
/** '198.51.100.1#00053' -> 198.51.100.1; another port stays: 198.51.100.9#5300. */
export function kresdServer(s: string): string {
  const [address, port] = s.split('#');
  return port === undefined || Number(port) === 53 ? address! : `${address}#${Number(port)}`;
}

interface Open {
  key: string;
  about: string;
  qname: string;
  qtype: string;
  zone: string;
  server: string;
  outcome: UpstreamOutcome | undefined;
}

/**
 * Every upstream query in the log text, in the order sent. A query still
 * unanswered at the end of the text counts as no-answer: the text is read
 * when a pass has ended, so kresd did not hear back within it.
 */
export function parseKresdLog(text: string): UpstreamExchange[] {
  const all: Open[] = [];
  const question = new Map<string, string>();
  const uidName = new Map<string, { qname: string; qtype: string }>();
  /** The latest query on the wire of each uid, and the one whose reply came last. */
  const latest = new Map<string, Open>();
  const replied = new Map<string, Open>();
  /** The exchange a uid's answer line is about: the one updated, else (a shared wire query) its latest, still open. */
  const answered = (key: string): Open | undefined => {
    const open = latest.get(key);
    if (open && open.outcome === undefined && replied.get(key) !== open) {
      open.outcome = { status: 'reply', rcode: 'NOERROR', kind: 'answer' };
      replied.set(key, open);
    }
    return replied.get(key);
  };
  for (const raw of text.split('\n')) {
    const m = TAG.exec(raw);
    if (!m) continue;
    const req = m[2]!;
    const key = `${req}.${m[3]}`;
    const msg = m[4]!.trim();
    let r: RegExpExecArray | null;
    if ((r = NEW_UID.exec(msg))) {
      const q = { qname: name(r[1]!), qtype: r[2]!.toUpperCase() };
      uidName.set(`${req}.${r[3]}`, q);
      if (!question.has(req)) question.set(req, `${q.qname} ${q.qtype}`);
    } else if ((r = CHOOSING.exec(msg))) {
      const q = uidName.get(key);
      const x: Open = { key, about: question.get(req) ?? '', qname: q?.qname ?? '', qtype: q?.qtype ?? '', zone: name(r[2]!), server: kresdServer(r[1]!), outcome: undefined };
      all.push(x);
      latest.set(key, x);
    } else if ((r = QUERYING.exec(msg))) {
      const x = latest.get(key);
      if (x && x.outcome === undefined) {
        x.qname = name(r[2]!);
        x.qtype = r[3]!.toUpperCase();
      }
    } else if ((r = UPDATING.exec(msg))) {
      const server = kresdServer(r[1]!);
      const x = all.find((e) => e.key === key && e.server === server && e.outcome === undefined);
      if (x) {
        x.outcome = { status: 'reply', rcode: 'NOERROR', kind: 'answer' };
        replied.set(key, x);
      }
    } else if ((r = SELECTION_ERROR.exec(msg))) {
      const server = kresdServer(r[1]!);
      const x = all.find((e) => e.key === key && e.server === server && e.outcome === undefined);
      if (x) x.outcome = { status: 'no-answer' };
    } else if ((r = RCODE.exec(msg))) {
      const x = answered(key);
      if (x?.outcome?.status === 'reply') x.outcome = { status: 'reply', rcode: r[1]!, kind: r[1] === 'NXDOMAIN' ? 'nxdomain' : 'answer' };
    } else if (/^<= referral response/.test(msg)) {
      const x = answered(key);
      if (x?.outcome?.status === 'reply') x.outcome = { ...x.outcome, kind: 'referral' };
    } else if (/^<= cname chain/.test(msg)) {
      const x = answered(key);
      if (x?.outcome?.status === 'reply') x.outcome = { ...x.outcome, kind: 'cname' };
    }
  }
  return all.map((x) => ({ about: x.about, qname: x.qname, qtype: x.qtype, zone: x.zone, server: x.server, outcome: x.outcome ?? { status: 'no-answer' } }));
}
