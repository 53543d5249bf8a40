// What a backend found for a scenario, in a form two backends can be
// compared by: the verdict, every finding (expected ones too), every leak,
// and the resolver path each explanation gives. The resolver path is
// recomputed from the report's own upstream trace and must be the one the
// explanation carries: a backend that saw no upstream query cannot pass for
// one that did.
//
// Queries run concurrently, so which of them primed unbound's cache (the
// root's and the TLDs' referrals, a parent's NXDOMAIN) is a matter of timing
// on either backend. A path is compared by the last servers asked and what
// they answered; and where the environment reached the Internet, an answer
// from the cache is taken as agreeing with any answer from the servers.
import { resolverPathOf } from '../harness/explain/index.js';
import { CACHE_FILLED, NOTHING_FURTHER } from '../harness/explain/resolver-path.js';
import { queryKey } from '../harness/model.js';
import type { ScenarioResult } from '../harness/run.js';

export interface Evidence {
  readonly verdict: string;
  readonly findings: readonly string[];
  readonly leaks: readonly string[];
  /** "QUERY TYPE ENV" -> the resolver path, as compared (see essence). */
  readonly resolverPaths: Readonly<Record<string, string>>;
  /** Explanations that do not carry the resolver path recomputed from the trace. */
  readonly unexplained: readonly string[];
  /** "NAME TYPE" of the names whose reference lookup took as long as the stub's timeout in this run (see referenceWaited). */
  readonly slowReference: readonly string[];
  /** "NAME TYPE" -> what the reference's local resolver answered for it when asked directly (see referenceAnswers). */
  readonly referenceAnswers: Readonly<Record<string, string>>;
  /** "QUERY TYPE ENV" of the findings asking again did not reproduce (left out of findings). */
  readonly unconfirmed: readonly string[];
}

export const FROM_CACHE = 'unbound asked no server about it (it answered from its cache or its own data)';
/** The same for any resolver under test (explanations name it: unbound, dnsmasq, kresd). */
export const isFromCache = (p: string | undefined): boolean => !!p && /^\S+ asked no server about it \(it answered from its cache or its own data\)$/.test(p);

/** How an essence says the answer came, wholly or in part, from what another question's work had cached. */
export const FILLED_MARK = ' [cache]';

/**
 * A path without the servers a warmer or colder cache would have added or
 * skipped: "unbound asked …LAST, which ...". Where the rest came from the
 * cache another question's work had filled, the servers that gave that
 * answer are the last asked, whichever question asked them, and the essence
 * is marked as the cache's (FILLED_MARK).
 */
function essenceOne(path: string): string {
  const cached = new RegExp(`^(\\S+) (?:asked .+?, which referred it on; the rest|asked no server about it: the answer) ${CACHE_FILLED} .+? had filled: it asked (.+?), which (.*?)(?: for [^ ;]+)?((?:; .*)?)$`).exec(path);
  if (cached) return `${essenceOne(`${cached[1]} asked ${cached[2]}, which ${cached[3]}${cached[4]}`)}${FILLED_MARK}`;
  const m = /^(\S+) asked (.+?), which (.*)$/.exec(path);
  if (!m) return path;
  const last = m[2]!.split(/, | and /).at(-1)!;
  return `${m[1]} asked …${last}, which ${m[3]}`;
}

/**
 * The same, for each name of a search walk ("for NAME, unbound asked …; for
 * OTHER, …"), one entry per name whatever sentences the explanation shared
 * between names. Which of its public resolvers unbound asks is its own random
 * server selection: they are compared as "the public resolvers".
 */
export function essence(path: string): string {
  // Whether a question waited on priming or sent its own queries to the silent root is how long the resolver had been trying (kresd): the same evidence.
  const forwarders = (t: string) =>
    t.replace(/the public resolvers? [\d.]+(?:(?:, | and )[\d.]+)*/g, 'the public resolvers').replace(/^(\S+) could not prime the root: its queries to /, "$1's queries to ");
  return path
    .split(/; (?=for )/)
    .flatMap((seg) => {
      // Any resolver under test: "X asked", "X sent", "X could not prime", "X's queries".
      const m = /^for (.*?), (\S+ (?:asked|sent|could not prime) .*|\S+'s queries .*)$/.exec(seg);
      if (!m) return [essenceOne(forwarders(seg))];
      const text = essenceOne(forwarders(m[2]!));
      return m[1]!.split(', ').map((name) => `for ${name}, ${text}`);
    })
    .join('; ');
}

/**
 * A path, as a pattern, that ends at SERVERS (a regular expression) having
 * answered WHAT, asked by the question itself or, where its own walk was
 * referred on and its cache held the rest, by another question's work.
 */
export const endsAt = (who: string, servers: string, what: string): RegExp =>
  new RegExp(`${who} asked (?:[^;]*; the rest ${CACHE_FILLED} [^;]*: it asked |no server about it: the answer ${CACHE_FILLED} [^;]*: it asked )?[^;]*${servers}, which ${what}`);

const WAITED_OUT = "the stub waited out a silent nameserver's timeout";

/**
 * A finding two runs (or two backends) must both have. Not an unstable one,
 * which asking again did not reproduce: load on the machine decides whether a
 * run has it. Nor a slowness that the latency threshold decided rather than a
 * stub's timeout (kresd's second to give up, near the 1 s threshold; a
 * fallback nameserver's recursion on a loaded machine): how long a recursion
 * takes is the machine's load, and under load both twins see it, so asking
 * again cannot tell it from a difference. A slowness the stub's timeout
 * decided stays in.
 */
export function settled(f: { readonly status: string; readonly difference: { readonly class: string; readonly detail: string } }): boolean {
  if (f.status === 'unstable') return false;
  return !(f.difference.class === 'slow-only-in-one' && !f.difference.detail.includes(WAITED_OUT));
}

/**
 * The class a finding is compared by. musl asks every nameserver at once and
 * takes the first usable answer: where the nameservers disagree, whether a
 * run sees the race (flaky) or the same winner every time it asked
 * (resolves-only-in-one) is which reply arrived first, each time. Both say
 * the outcome differs from the reference's; they compare as one.
 */
export const MUSL_RACE = 'outcome-differs(musl-race)';
export function comparedClass(f: { readonly query: { readonly library?: string }; readonly difference: { readonly class: string } }): string {
  const c = f.difference.class;
  return f.query.library === 'musl' && (c === 'flaky' || c === 'resolves-only-in-one') ? MUSL_RACE : c;
}

/**
 * Whether a run's reference took as long as the stub's timeout for a query:
 * on a loaded machine the local resolver's own recursion can outlast it. Then
 * the stub has moved on to the next nameserver in the reference too (glibc),
 * or the other nameserver has won musl's race there, and the reference
 * resolves as the environments cut off from the Internet do: that run lacks
 * the differences of that name another run found, by the machine's load, not
 * by a difference. Seen at both layers: the stub waited out the timeout, or
 * the local resolver asked directly took that long or gave no answer.
 */
function referenceWaited(s: ScenarioResult, i: number): boolean {
  const o = s.observations[s.reference]?.[i];
  const limit = s.resolvConf.timeoutS * 1000;
  const app = o?.application;
  if (app && (app.waitedOutTimeout || app.latencyMs >= limit)) return true;
  return (o?.resolver ?? []).some((r) => r.roles.includes('local-resolver') && (r.outcome.status === 'timeout' || r.latencyMs >= limit));
}

/**
 * What the reference's local resolver, asked directly, answered for each name
 * (every library's query of it): the rcodes, or that it gave no answer. Every
 * finding of a name is measured against the reference, so where two runs'
 * references answered differently (unbound's NXDOMAIN in one, a SERVFAIL
 * because a loaded machine delayed its recursion in the other) the findings
 * of that name cannot be compared; any other difference still can.
 */
function referenceAnswers(s: ScenarioResult): Record<string, string> {
  const seen = new Map<string, Set<string>>();
  s.queries.forEach((q, i) => {
    const key = `${q.name} ${q.type}`;
    const set = seen.get(key) ?? new Set<string>();
    seen.set(key, set);
    for (const r of s.observations[s.reference]?.[i]?.resolver ?? []) {
      if (!r.roles.includes('local-resolver')) continue;
      set.add(r.outcome.status === 'response' ? r.outcome.rcode : r.outcome.status);
    }
  });
  return Object.fromEntries([...seen].map(([k, v]) => [k, [...v].sort().join(',')]));
}

/** "NAME TYPE" of a finding's line, whatever the library. */
const nameOf = (line: string): string => line.split(' ').slice(0, 2).join(' ');

type Finding = ScenarioResult['findings'][number];

/** For each finding, its reference and its environment: the query's index and the resolver path recomputed from the trace (undefined where none was kept). */
function* findingPaths(s: ScenarioResult, findings: readonly Finding[]): Generator<{ f: Finding; i: number; env: string; traced: string | undefined }> {
  for (const f of findings) {
    const i = s.queries.findIndex((q) => queryKey(q) === queryKey(f.query));
    for (const env of [s.reference, f.environment]) yield { f, i, env, traced: s.upstream?.[env] ? resolverPathOf(s, env, i) : undefined };
  }
}

export function evidenceOf(s: ScenarioResult): Evidence {
  const paths: Record<string, string> = {};
  const unexplained: string[] = [];
  const confirmed = s.findings.filter(settled);
  for (const { f, env, traced } of findingPaths(s, confirmed)) {
    const path = traced ?? '(no trace)';
    paths[`${queryKey(f.query)} ${env}`] = essence(path);
    if (traced !== undefined && !f.explanation.includes(`In ${env}, ${path}; `)) unexplained.push(`${queryKey(f.query)} ${env}: ${f.explanation}`);
  }
  return {
    verdict: s.verdict,
    findings: confirmed.map((f) => `${queryKey(f.query)} ${f.environment} ${comparedClass(f)} ${f.status}`).sort(),
    // How many queries a resolver sent is its retries' timing, not evidence.
    leaks: s.leaks.map((l) => `${l.environment} ${l.server} ${l.zone} ${[...l.qnames].sort().join(',')}`).sort(),
    resolverPaths: paths,
    unexplained,
    unconfirmed: s.findings.filter((f) => f.status === 'unstable').map((f) => `${queryKey(f.query)} ${f.environment}`),
    referenceAnswers: referenceAnswers(s),
    slowReference: [...new Set(s.queries.flatMap((q, i) => (referenceWaited(s, i) ? [`${q.name} ${q.type}`] : [])))],
  };
}

/** Where two backends' evidence for a scenario disagrees, one line each; [] when it agrees. */
export function disagreements(name: string, a: Evidence, b: Evidence, egressAllowed: (env: string) => boolean): string[] {
  const out: string[] = [];
  if (a.verdict !== b.verdict) out.push(`${name}: verdict ${a.verdict} vs ${b.verdict}`);
  const lists = (what: string, x: readonly string[], y: readonly string[]) => {
    for (const e of x) if (!y.includes(e)) out.push(`${name}: ${what} only in the first: ${e}`);
    for (const e of y) if (!x.includes(e)) out.push(`${name}: ${what} only in the second: ${e}`);
  };
  // A finding of a name one run lacks because its reference took the stub's timeout on that name (the machine's load): its paths go with it.
  const byLoad = (f: string, other: Evidence) => other.slowReference.includes(nameOf(f));
  // A finding of a name the two runs' references answered differently: measured against another reference.
  const referencesDiffer = (f: string) => {
    const [x, y] = [a.referenceAnswers[nameOf(f)], b.referenceAnswers[nameOf(f)]];
    return x !== undefined && y !== undefined && x !== y;
  };
  // A finding of a query and environment whose confirmation the other run's load denied (unstable there), whatever its class.
  const unconfirmed = (f: string, other: Evidence) => other.unconfirmed.includes(f.split(' ').slice(0, -2).join(' '));
  // A declared slowness is never asked again, and the scenario allows it: whether a resolver under test gave up before the
  // stub's timeout or after (named where egress is rejected, about 2 s in a loaded run, at once in a quiet one) is timing.
  const declaredSlow = (f: string) => / slow-only-in-one expected$/.test(f);
  const excusedBy = (f: string, other: Evidence) => byLoad(f, other) || referencesDiffer(f) || unconfirmed(f, other) || declaredSlow(f);
  const excused = [...a.findings.filter((f) => !b.findings.includes(f) && excusedBy(f, b)), ...b.findings.filter((f) => !a.findings.includes(f) && excusedBy(f, a))];
  const keep = (x: readonly string[]) => x.filter((f) => !excused.includes(f));
  lists('finding', keep(a.findings), keep(b.findings));
  lists('leak', a.leaks, b.leaks);
  lists('unexplained', a.unexplained, b.unexplained);
  for (const key of new Set([...Object.keys(a.resolverPaths), ...Object.keys(b.resolverPaths)])) {
    const [x, y] = [a.resolverPaths[key], b.resolverPaths[key]];
    if (x === y) continue;
    // A path only one run has, of a query whose only finding there is excused above.
    if ((x === undefined || y === undefined) && excused.some((f) => f.startsWith(`${key.replace(/ \S+$/, '')} `))) continue;
    // The cache another question's work filled gave the same answer from the same servers.
    const unmarked = (p: string | undefined) => p?.split(FILLED_MARK).join('');
    if (unmarked(x) === unmarked(y)) continue;
    const env = key.split(' ').at(-1)!;
    // Which question's work reached a server first is timing: an answer from the cache, wholly or after a referral, is the cache's.
    const cached = (p: string | undefined) => isFromCache(p) || (!!p && !p.startsWith('for ') && (p.includes(FILLED_MARK) || p.endsWith(`, which referred it on; ${NOTHING_FURTHER}`)));
    const answered = (p: string | undefined) => !!p && /^\S+ asked …/.test(p);
    if (egressAllowed(env) && ((cached(x) && answered(y)) || (answered(x) && cached(y)))) continue;
    // Cut off from the Internet, a resolver that has already learnt its servers are unreachable answers without asking again (kresd): the same evidence.
    const silent = (p: string | undefined) => !!p && /^\S+'s queries to .* got no answer/.test(p);
    if (!egressAllowed(env) && ((cached(x) && silent(y)) || (silent(x) && cached(y)))) continue;
    out.push(`${name}: resolver path of ${key}: "${x}" vs "${y}"`);
  }
  return out;
}

/**
 * Where a finding's resolver path says the opposite of what the local
 * resolver, asked directly for the same name in the same run, answered: the
 * path ends in an NXDOMAIN while it gave records, or in an answer while it
 * said NXDOMAIN. (A path that ends "with no final answer" with no server
 * silent, the other contradiction seen, is ruled out where it is written:
 * resolver-path.test.ts.) One line each.
 */
export function contradictions(s: ScenarioResult): string[] {
  const out = new Set<string>();
  for (const { f, i, env, traced: path } of findingPaths(s, s.findings)) {
    // A search walk's paths are one per name; the local resolver's direct answer here is for the query's own name.
    if (path === undefined || path.startsWith('for ')) continue;
    const local = s.observations[env]?.[i]?.resolver.find((r) => r.roles.includes('local-resolver') && r.qname === undefined);
    if (local?.outcome.status !== 'response') continue;
    const { rcode, answers } = local.outcome;
    const records = answers.some((a) => a.type === f.query.type);
    const said = (re: RegExp) => re.test(path);
    const wrong =
      (said(/, which answered NXDOMAIN(?: after [^;]*)?(?: for \S+)?$/) && rcode === 'NOERROR' && records) ||
      (said(/, which gave the answer(?: after [^;]*)?(?: for \S+)?$/) && rcode === 'NXDOMAIN');
    if (wrong) out.add(`${s.scenario.name}: ${queryKey(f.query)} ${env}: "${path}", and ${local.server} answered ${rcode}${records ? ' with records' : ''}`);
  }
  return [...out];
}
