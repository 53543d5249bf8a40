// Reads named's own log (run with -g -d 11) back into the upstream queries it
// sent and what came of each. At debug level 11 named's resolver dumps every
// packet it sends ("sending packet to ADDR#PORT") and receives ("received
// packet from ADDR#PORT"), each followed by the message in dig's form: the
// header (status, id), the question, and the sections. A query and its reply
// share the server and the id. Which client query a packet served is read
// from the client lines ("client @0x... (NAME): query (cache) 'NAME/TYPE/IN'
// approved"): a packet about that name, or about a zone above it (qname
// minimisation, "io NS" for "proxysql.internal.example.io A"), serves the
// oldest such client query still open; a query for "." NS is the priming.
import type { UpstreamExchange, UpstreamOutcome } from '../model.js';

const STAMP = /^\d{2}-[A-Za-z]{3}-\d{4} \d{2}:\d{2}:\d{2}\.\d{3} (.*)$/;
const PACKET = /^(sending packet to|received packet from) (\S+?)#(\d+)\s*$/;
const CLIENT_QUERY = /^client @(0x[0-9a-f]+) \S+ \(([^)]*)\): query \([^)]*\) '([^/']+)\/([A-Z0-9]+)\/[A-Z]+' approved/i;
const CLIENT_RESET = /^client @(0x[0-9a-f]+) .*: reset client$/;
const HEADER = /status: ([A-Z]+), id:\s*(\d+)/;
const COUNTS = /flags:([^;]*);.*ANSWER: (\d+), AUTHORITY: (\d+)/;
const QUESTION = /^;(\S+)\s+(?:\d+\s+)?IN\s+(\S+)\s*$/;
const RECORD = /^;(\S+)\s+\d+\s+IN\s+(\S+)\s+(.*)$/;

const bare = (n: string): string => (n === '.' ? '.' : n.toLowerCase().replace(/\.$/, ''));
const isAtOrBelow = (name: string, zone: string): boolean => zone === '.' || name === zone || name.endsWith(`.${zone}`);

interface Packet {
  direction: 'send' | 'receive';
  server: string;
  id: string;
  rcode: string;
  aa: boolean;
  qname: string;
  qtype: string;
  answers: { name: string; type: string; data: string }[];
  authority: { name: string; type: string; data: string }[];
  additional: { name: string; type: string; data: string }[];
}

function parsePacket(direction: Packet['direction'], server: string, lines: readonly string[]): Packet {
  const p: Packet = { direction, server, id: '', rcode: '', aa: false, qname: '', qtype: '', answers: [], authority: [], additional: [] };
  let section = '';
  for (const l of lines) {
    let m: RegExpExecArray | null;
    if ((m = HEADER.exec(l))) {
      p.rcode = m[1]!;
      p.id = m[2]!;
    } else if ((m = COUNTS.exec(l))) {
      p.aa = /\baa\b/.test(m[1]!);
    } else if (/^;; (QUESTION|ANSWER|AUTHORITY|ADDITIONAL) SECTION:/.test(l)) {
      section = /^;; (\w+)/.exec(l)![1]!;
    } else if (section === 'QUESTION' && (m = QUESTION.exec(l))) {
      p.qname = bare(m[1]!);
      p.qtype = m[2]!.toUpperCase();
    } else if ((m = RECORD.exec(l))) {
      const r = { name: bare(m[1]!), type: m[2]!.toUpperCase(), data: m[3]!.trim() };
      if (section === 'ANSWER') p.answers.push(r);
      else if (section === 'AUTHORITY') p.authority.push(r);
      else if (section === 'ADDITIONAL') p.additional.push(r);
    }
  }
  return p;
}

function outcomeOf(p: Packet): UpstreamOutcome {
  if (p.rcode === 'NXDOMAIN') return { status: 'reply', rcode: 'NXDOMAIN', kind: 'nxdomain' };
  if (p.rcode !== 'NOERROR') return { status: 'reply', rcode: p.rcode || 'NOERROR', kind: 'reply' };
  if (p.answers.some((a) => a.type === p.qtype)) return { status: 'reply', rcode: 'NOERROR', kind: 'answer' };
  if (p.answers.some((a) => a.type === 'CNAME')) return { status: 'reply', rcode: 'NOERROR', kind: 'cname' };
  if (!p.aa && p.authority.some((a) => a.type === 'NS')) return { status: 'reply', rcode: 'NOERROR', kind: 'referral' };
  return { status: 'reply', rcode: 'NOERROR', kind: 'nodata' };
}

interface Sent {
  about: string;
  qname: string;
  qtype: string;
  zone: string;
  server: string;
  id: string;
  outcome: UpstreamOutcome | undefined;
}

/**
 * Every upstream query in the log text, in the order sent. Queries still
 * unanswered at the end of the text count as no-answer: the text is read when
 * a pass has ended, so named did not hear back within it.
 */
export function parseBindLog(text: string): UpstreamExchange[] {
  const sent: Sent[] = [];
  const clients: { ptr: string; name: string; type: string; open: boolean }[] = [];
  // Which zone a server was learned for: the root's from the priming answer, others from referrals' glue.
  const zoneOf = new Map<string, string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const s = STAMP.exec(lines[i]!);
    if (!s) continue;
    const msg = s[1]!;
    let m: RegExpExecArray | null;
    if ((m = CLIENT_QUERY.exec(msg))) {
      clients.push({ ptr: m[1]!, name: bare(m[3]!), type: m[4]!.toUpperCase(), open: true });
      continue;
    }
    if ((m = CLIENT_RESET.exec(msg))) {
      for (const c of clients) if (c.ptr === m[1]) c.open = false;
      continue;
    }
    if (!(m = PACKET.exec(msg))) continue;
    const dump: string[] = [];
    while (i + 1 < lines.length && !STAMP.test(lines[i + 1]!)) dump.push(lines[++i]!);
    const p = parsePacket(m[1] === 'sending packet to' ? 'send' : 'receive', m[2]!, dump);
    if (p.direction === 'send') {
      sent.push({ about: aboutOf(p, clients), qname: p.qname, qtype: p.qtype, zone: zoneOf.get(p.server) ?? '', server: p.server, id: p.id, outcome: undefined });
      continue;
    }
    const q = sent.find((x) => x.outcome === undefined && x.server === p.server && x.id === p.id);
    if (q) q.outcome = outcomeOf(p);
    // Servers named learns: glue of a referral, and the root's own addresses.
    const cut = p.authority.find((a) => a.type === 'NS')?.name ?? (p.qname === '.' && p.qtype === 'NS' ? '.' : undefined);
    if (cut !== undefined) {
      const targets = new Set([...p.authority, ...p.answers].filter((a) => a.type === 'NS').map((a) => bare(a.data)));
      for (const a of p.additional) if ((a.type === 'A' || a.type === 'AAAA') && targets.has(a.name)) zoneOf.set(a.data, cut === '.' ? '' : cut);
    }
  }
  return sent.map((x) => ({ about: x.about, qname: x.qname, qtype: x.qtype, zone: x.zone === '.' ? '' : x.zone, server: x.server, outcome: x.outcome ?? { status: 'no-answer' } }));
}

const ADDRESS = new Set(['A', 'AAAA']);

function aboutOf(p: Packet, clients: readonly { name: string; type: string; open: boolean }[]): string {
  if (p.qname === '.' && p.qtype === 'NS') return '. NS';
  // A validator's own fetches (keys, delegation signers) are about the zone, not the client's name.
  if (p.qtype !== 'DNSKEY' && p.qtype !== 'DS') {
    const pick = (open: boolean) =>
      clients.find((c) => c.open === open && c.name === p.qname && c.type === p.qtype) ??
      // By name alone, never for an address query of another address type: that is named fetching a
      // nameserver's addresses (its ADB), not the client's resolution, whose own A or AAAA is asked as it is.
      (ADDRESS.has(p.qtype) ? undefined : clients.find((c) => c.open === open && c.name === p.qname)) ??
      (p.qtype === 'NS' ? clients.find((c) => c.open === open && c.name !== p.qname && isAtOrBelow(c.name, p.qname)) : undefined);
    const c = pick(true) ?? pick(false);
    if (c) return `${c.name} ${c.type}`;
  }
  return `${p.qname} ${p.qtype}`;
}
