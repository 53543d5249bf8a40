// Reads dnsmasq's query log (log-queries=extra, to stderr) back into the
// upstream queries it sent and what came of each. dnsmasq forwards rather
// than recursing, so its path is short: which upstream server it forwarded
// each name to, and the reply it passed on, or none.
//
// With `extra`, every line of one client query carries its serial:
//   dnsmasq[9]: 3 127.0.0.1/40000 query[A] proxysql.internal.example.io from 127.0.0.1
//   dnsmasq[9]: 3 127.0.0.1/40000 forwarded proxysql.internal.example.io to 8.8.8.8
//   dnsmasq[9]: 3 127.0.0.1/40000 reply proxysql.internal.example.io is NXDOMAIN
// "dnssec-query[DNSKEY] . to 8.8.8.8" is a query dnsmasq sends to validate;
// "cached", "config", "/etc/hosts" lines are answers it gave without one.
// dnsmasq does not say which server a reply came from, and sends a query to
// several servers at once (all of them, at first): the reply it passed on is
// taken as the answer of every server it had forwarded the name to and not
// heard from, and only a query that got no reply at all counts as unanswered.
import type { UpstreamExchange, UpstreamOutcome } from '../model.js';

const LINE = /^(?:.*?\s)?dnsmasq\[\d+\]: (\d+) \S+ (.*)$/;
const QUERY = /^query\[([A-Za-z0-9]+)\] (\S+) from /;
const FORWARDED = /^forwarded (\S+) to (\S+)$/;
const DNSSEC_QUERY = /^dnssec-query\[([A-Za-z0-9]+)\] (\S+) to (\S+)$/;
const REPLY = /^reply (\S+) is (.+)$/;

const name = (n: string): string => (n === '.' ? '.' : n.toLowerCase().replace(/\.$/, ''));
/** "8.8.8.8", "198.51.100.9#5300": the address; a non-standard port stays, as unbound's log keeps it. */
const server = (s: string): string => s.replace(/#53$/, '');

/** What dnsmasq's "is ..." says of a reply. */
export function dnsmasqOutcome(what: string): UpstreamOutcome {
  const w = what.trim();
  if (w === 'NXDOMAIN') return { status: 'reply', rcode: 'NXDOMAIN', kind: 'nxdomain' };
  if (/^NODATA/.test(w)) return { status: 'reply', rcode: 'NOERROR', kind: 'nodata' };
  if (w === '<CNAME>') return { status: 'reply', rcode: 'NOERROR', kind: 'cname' };
  if (/^(SERVFAIL|REFUSED|NOTIMP|FORMERR)$/.test(w)) return { status: 'reply', rcode: w, kind: w.toLowerCase() };
  return { status: 'reply', rcode: 'NOERROR', kind: 'answer' };
}

interface Open {
  serial: string;
  about: string;
  qname: string;
  qtype: string;
  server: string;
  outcome: UpstreamOutcome | undefined;
  dnssec?: true;
}

/**
 * Every upstream query in the log text, in the order sent. Queries still
 * unanswered at the end of the text count as no-answer: the text is read
 * when a pass has ended, so dnsmasq did not hear back within it.
 */
export function parseDnsmasqLog(text: string): UpstreamExchange[] {
  const all: Open[] = [];
  const asked = new Map<string, { name: string; type: string }>();
  for (const raw of text.split('\n')) {
    const m = LINE.exec(raw);
    if (!m) continue;
    const serial = m[1]!;
    const msg = m[2]!;
    let r: RegExpExecArray | null;
    if ((r = QUERY.exec(msg))) {
      // The first query line of a serial is the client's; later ones (CNAME chasing) keep it.
      if (!asked.has(serial)) asked.set(serial, { name: name(r[2]!), type: r[1]!.toUpperCase() });
    } else if ((r = FORWARDED.exec(msg))) {
      const q = asked.get(serial);
      const about = q ? `${q.name} ${q.type}` : '';
      all.push({ serial, about, qname: name(r[1]!), qtype: q?.type ?? '', server: server(r[2]!), outcome: undefined });
    } else if ((r = DNSSEC_QUERY.exec(msg))) {
      const q = asked.get(serial);
      all.push({ serial, about: q ? `${q.name} ${q.type}` : '', qname: name(r[2]!), qtype: r[1]!.toUpperCase(), server: server(r[3]!), outcome: undefined, dnssec: true });
    } else if ((r = REPLY.exec(msg))) {
      // Every open forward of this serial's name (not its DNSSEC queries, which have their own replies).
      const outcome = dnsmasqOutcome(r[2]!);
      const qname = name(r[1]!);
      const open = all.filter((e) => e.serial === serial && e.outcome === undefined);
      const same = open.filter((e) => e.qname === qname);
      for (const x of same.length ? same : open.filter((e) => !e.dnssec)) x.outcome = outcome;
    }
  }
  return all.map((x) => ({ about: x.about, qname: x.qname, qtype: x.qtype, zone: '(unknown)', server: x.server, outcome: x.outcome ?? { status: 'no-answer' } }));
}
