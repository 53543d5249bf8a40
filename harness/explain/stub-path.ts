// The stub resolver's path, replayed from what each nameserver answered when
// asked directly, with the C library's own rules.
//
// glibc (resolv/res_send.c, res_query.c): for each name of the search walk it
// asks the nameservers in order; SERVFAIL, NOTIMP, REFUSED, a timeout or an
// unusable empty answer move it to the next nameserver; NXDOMAIN and answers
// are final for that name. NXDOMAIN or no data sends it on to the next name of
// the walk; a name on which every nameserver failed ends the walk, except
// after a SERVFAIL among timeouts; nameservers that all refused end it at once.
//
// musl (src/network/res_msend.c, lookup_name.c): asks every nameserver at once
// and takes the first NOERROR or NXDOMAIN (SERVFAIL is retried, other codes
// ignored); NXDOMAIN or no data sends it on to the next name, a name with no
// usable answer within the timeout ends the walk. Where two nameservers give
// different usable answers, which one arrives first decides: a race.
import { ADDRESS_TYPES, type Query, type QueryObservation, type ResolverObservation, type ResolverOutcome, type StubLibrary } from '../model.js';
import type { StubConf } from '../resolver/resolvconf.js';
import { searchCandidates } from '../resolver/search.js';
import { describeResolver } from '../compare/normalise.js';

const MOVES_ON = new Set(['SERVFAIL', 'NOTIMP', 'REFUSED']);

export interface StubStep {
  readonly nameserver: string;
  readonly saw: string;
  readonly final: boolean;
  /** Why the stub left this nameserver, where it did. */
  readonly left?: 'timeout' | 'error' | 'rcode' | 'empty' | 'not-probed';
}

const END_WORDS = {
  failed: 'no nameserver gave a usable answer for that name, which ends the walk',
  refused: 'every nameserver refused that name, which ends the walk',
  'other-rcode': 'that final error ends the walk',
} as const;

/** How one name of the walk ended, as the search loop sees it. */
export type CandidateEnd = 'answer' | 'nxdomain' | 'nodata' | 'servfail' | 'failed' | 'refused' | 'other-rcode';

export interface CandidateWalk {
  readonly qname: string;
  readonly steps: readonly StubStep[];
  readonly end: CandidateEnd;
  /** musl: usable answers differed between nameservers, so the first to arrive decided. */
  readonly race?: boolean;
}

export interface StubWalk {
  readonly library: StubLibrary;
  /** The names tried, in order, up to the one that ended the walk. */
  readonly tried: readonly CandidateWalk[];
  /** The name whose answer the stub returned, when one did. */
  readonly answeredBy?: string;
  /** The stub waited out a silent nameserver's timeout somewhere on its walk. */
  readonly waited: boolean;
  /** Every name the walk could have tried, in order. */
  readonly candidates: readonly string[];
}

type Rc = Pick<StubConf, 'nameservers' | 'timeoutS'>;

const observed = (obs: QueryObservation, ns: string, qname: string | undefined): ResolverObservation | undefined =>
  obs.resolver.find((r) => r.server === `${ns}#53` && (r.qname === undefined ? qname === undefined : r.qname === qname));

/** glibc's walk through the nameservers for one name (qname: the candidate, undefined for the query's own name). */
export function stubPath(obs: QueryObservation, rc: Rc, qname?: string): StubStep[] {
  const steps: StubStep[] = [];
  const stubTimeoutMs = rc.timeoutS * 1000;
  for (const ns of rc.nameservers) {
    const o = observed(obs, ns, qname);
    if (!o) {
      steps.push({ nameserver: ns, saw: 'not probed', final: false, left: 'not-probed' });
      continue;
    }
    const step = judge(ns, o, stubTimeoutMs);
    steps.push(step);
    if (step.final) break;
  }
  return steps;
}

function judge(ns: string, o: ResolverObservation, stubTimeoutMs: number): StubStep {
  const out = o.outcome;
  if (out.status === 'timeout') return { nameserver: ns, saw: `gave no answer within ${stubTimeoutMs / 1000} s`, final: false, left: 'timeout' };
  if (out.status === 'error') return { nameserver: ns, saw: `was unreachable (${out.message})`, final: false, left: 'error' };
  if (o.latencyMs > stubTimeoutMs) return { nameserver: ns, saw: `answered ${describeResolver(out)} only after ${o.latencyMs} ms, past the stub's ${stubTimeoutMs / 1000} s timeout`, final: false, left: 'timeout' };
  if (MOVES_ON.has(out.rcode)) return { nameserver: ns, saw: `answered ${out.rcode}`, final: false, left: 'rcode' };
  if (out.rcode === 'NOERROR' && out.answers.length === 0 && !out.flags.aa && !out.flags.ra) return { nameserver: ns, saw: 'answered an empty, non-authoritative NOERROR', final: false, left: 'empty' };
  return { nameserver: ns, saw: `answered ${describeResolver(out)}`, final: true };
}

const hasData = (o: ResolverOutcome): boolean => o.status === 'response' && o.rcode === 'NOERROR' && o.answers.some((a) => a.type !== 'RRSIG');

function glibcEnd(obs: QueryObservation, rc: Rc, qname: string | undefined, steps: readonly StubStep[]): CandidateEnd {
  const last = steps[steps.length - 1];
  if (last?.final) {
    const o = observed(obs, last.nameserver, qname)!.outcome as Extract<ResolverOutcome, { status: 'response' }>;
    if (o.rcode === 'NXDOMAIN') return 'nxdomain';
    if (o.rcode !== 'NOERROR') return 'other-rcode';
    return hasData(o) ? 'answer' : 'nodata';
  }
  // Every nameserver failed: ETIMEDOUT if one stayed silent, else ECONNREFUSED, which ends the search at once.
  if (!steps.some((s) => s.left === 'timeout')) return 'refused';
  const servfail = rc.nameservers.some((ns) => {
    const o = observed(obs, ns, qname)?.outcome;
    return o?.status === 'response' && o.rcode === 'SERVFAIL';
  });
  return servfail ? 'servfail' : 'failed';
}

function muslCandidate(obs: QueryObservation, rc: Rc, qname: string | undefined): CandidateWalk & { waited: boolean } {
  const stubTimeoutMs = rc.timeoutS * 1000;
  const seen = rc.nameservers.map((ns) => ({ ns, o: observed(obs, ns, qname) }));
  const usable = seen
    .filter((x): x is { ns: string; o: ResolverObservation } => !!x.o && x.o.outcome.status === 'response' && (x.o.outcome.rcode === 'NOERROR' || x.o.outcome.rcode === 'NXDOMAIN') && x.o.latencyMs <= stubTimeoutMs)
    .sort((a, b) => a.o.latencyMs - b.o.latencyMs);
  const first = usable[0];
  const steps: StubStep[] = seen.map(({ ns, o }) => {
    if (!o) return { nameserver: ns, saw: 'not probed', final: false, left: 'not-probed' as const };
    const s = judge(ns, o, stubTimeoutMs);
    const at = o.outcome.status === 'response' ? ` in ${o.latencyMs} ms` : '';
    return { ...s, saw: `${s.saw}${at}`, final: first?.ns === ns };
  });
  const qn = qname ?? '';
  if (!first) return { qname: qn, steps, end: 'failed', waited: true };
  // A race that matters: one usable answer carries data and another does not (NXDOMAIN and no data both end in "not found").
  const keys = new Set(usable.map((u) => hasData(u.o.outcome)));
  const o = first.o.outcome as Extract<ResolverOutcome, { status: 'response' }>;
  const end: CandidateEnd = o.rcode === 'NXDOMAIN' ? 'nxdomain' : hasData(o) ? 'answer' : 'nodata';
  return { qname: qn, steps, end, ...(keys.size > 1 ? { race: true } : {}), waited: false };
}

/** The whole walk: every candidate of the search list the stub tried, and how each ended. */
export function stubWalk(q: Pick<Query, 'name' | 'type' | 'library' | 'absolute'>, obs: QueryObservation, rc: StubConf): StubWalk {
  const library = q.library ?? 'glibc';
  const candidates = searchCandidates(q.name, rc, library, q.absolute, ADDRESS_TYPES.has(q.type));
  const tried: CandidateWalk[] = [];
  let waited = false;
  let answeredBy: string | undefined;
  // glibc asks the name as it is after a search domain's failure, unless it asked it first (musl stops).
  const asIsLast = candidates.length > 1 && candidates[candidates.length - 1] === q.name.replace(/\.$/, '') && candidates[0] !== candidates[candidates.length - 1];
  for (let k = 0; k < candidates.length; k++) {
    const c = candidates[k]!;
    const qname = c === q.name ? undefined : c;
    let walk: CandidateWalk;
    if (library === 'musl') {
      const m = muslCandidate(obs, rc, qname);
      waited ||= m.waited;
      walk = { qname: c, steps: m.steps, end: m.end, ...(m.race ? { race: true } : {}) };
    } else {
      const steps = stubPath(obs, rc, qname);
      waited ||= steps.some((s) => s.left === 'timeout');
      walk = { qname: c, steps, end: glibcEnd(obs, rc, qname, steps) };
    }
    tried.push(walk);
    if (walk.end === 'answer') {
      answeredBy = c;
      break;
    }
    // glibc goes on after no such name, no data or a server failure; musl only after no such name.
    if (walk.end === 'nxdomain' || (library === 'glibc' && (walk.end === 'nodata' || walk.end === 'servfail'))) continue;
    if (library === 'glibc' && walk.end !== 'refused' && asIsLast && k < candidates.length - 1) {
      k = candidates.length - 2; // the loop's k++ lands on the name as it is
      continue;
    }
    break;
  }
  return { library, tried, waited, candidates, ...(answeredBy ? { answeredBy } : {}) };
}

/** "127.0.0.1 answered NXDOMAIN, which is final: the stub does not try 169.254.169.253." */
export function describeStubPath(steps: readonly StubStep[], all: readonly string[], forName = false): string {
  if (steps.length === 0) return 'no nameserver was asked';
  const parts: string[] = [];
  steps.forEach((s, i) => {
    const next = all[i + 1];
    if (s.final) {
      const nx = /NXDOMAIN/.test(s.saw);
      const rest = all.slice(i + 1).join(', ');
      const final = forName ? `, which is final for that name (the stub does not ask ${rest})` : `, which is final: the stub does not try ${rest}`;
      parts.push(`${s.nameserver} ${s.saw}${nx && next ? final : ''}`);
    } else {
      parts.push(`${s.nameserver} ${s.saw}${next ? ', so the stub moved on' : ', and there is no nameserver left'}`);
    }
  });
  return parts.join('; ');
}

function describeMusl(w: CandidateWalk): string {
  const winner = w.steps.find((s) => s.final);
  const asked = w.steps.map((s) => s.nameserver).join(' and ');
  const all = w.steps.map((s) => `${s.nameserver} ${s.saw}`).join(', ');
  if (!winner) return `musl asked ${asked} at once: ${all}; none gave a usable answer in time`;
  return `musl asked ${asked} at once and takes the first NOERROR or NXDOMAIN: ${all}; ${winner.nameserver}'s came first${w.race ? ' (their answers differ, so which arrives first decides: a race)' : ''}`;
}

/**
 * resolv.conf options that change glibc's walk or what it asks, and what the
 * replay does with each. glibc applies them all at the application layer (it
 * is glibc); the replay from direct answers follows the ones it can.
 */
const OPTION_NOTES: Readonly<Record<string, string>> = {
  rotate: 'with "rotate", glibc starts each lookup at the next nameserver in turn; this replay follows resolv.conf\'s order',
  'use-vc': 'with "use-vc", glibc asks over TCP; this replay reads the answers the nameservers gave over UDP (TCP where truncated)',
  'no-aaaa': 'with "no-aaaa", glibc sends no AAAA query at all; this replay reads the nameservers\' answers to one',
  'single-request': '"single-request" makes glibc send A and AAAA one after the other: the probe asks each type on its own anyway',
  'single-request-reopen': '"single-request-reopen" makes glibc reopen its socket between A and AAAA: the probe asks each type on its own anyway',
  'trust-ad': '"trust-ad" keeps the AD bit in glibc\'s answers; it does not change the walk',
  edns0: '"edns0" makes glibc send EDNS; it does not change the walk',
};

/** What the replay says of resolv.conf options it does not follow, if any. */
export function optionNotes(rc: Pick<StubConf, 'options'>): string | undefined {
  const notes = rc.options.map((o) => OPTION_NOTES[o.split(':')[0]!]).filter((n): n is string => !!n);
  return notes.length ? [...new Set(notes)].join('; ') : undefined;
}

/** The walk in words, naming each name tried where the search list made more than one. */
export function describeStubWalk(w: StubWalk, rc: Pick<StubConf, 'nameservers'> & Partial<Pick<StubConf, 'options'>>): string {
  const notes = w.library === 'glibc' && rc.options ? optionNotes({ options: rc.options }) : undefined;
  const text = walkText(w, rc);
  return notes ? `${text} (${notes})` : text;
}

function walkText(w: StubWalk, rc: Pick<StubConf, 'nameservers'>): string {
  const many = w.candidates.length > 1;
  const one = (c: CandidateWalk) => (w.library === 'musl' ? describeMusl(c) : describeStubPath(c.steps, rc.nameservers, many));
  if (!many) return one(w.tried[0]!);
  const parts = w.tried.map((c, i) => {
    const jumped = i < w.tried.length - 1 && (c.end === 'failed' || c.end === 'other-rcode');
    return `tried ${c.qname}: ${one(c)}${jumped ? ', which ends the search list; the stub still asks the name as it is' : ''}`;
  });
  const last = w.tried[w.tried.length - 1]!;
  const untried = w.candidates.filter((c) => !w.tried.some((t) => t.qname === c));
  let end = '';
  if (last.end === 'failed' || last.end === 'refused' || last.end === 'other-rcode') end = `; ${END_WORDS[last.end]}`;
  else if (last.end !== 'answer' && !untried.length) end = '; no name was left to try';
  if (untried.length && !w.answeredBy) end += ` (never tried: ${untried.join(', ')})`;
  return `${parts.join('; then ')}${end}`;
}
