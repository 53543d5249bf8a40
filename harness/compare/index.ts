// Comparison: observations -> findings. Pure, so report.json can be compared
// again with other criteria without starting anything.
import type { Difference, ExpectationResult, Finding, Query, QueryObservation, Recheck } from '../model.js';
import type { StubConf } from '../resolver/resolvconf.js';
import type { ExpectedAnswer, ExpectedDifference } from '../scenario/schema.js';
import { describeStubWalk, stubWalk } from '../explain/stub-path.js';
import { classifyApp, classifyResolver, type Thresholds } from './classify.js';
import { describeApp, normaliseAddresses } from './normalise.js';

export interface Gathered {
  readonly queries: readonly Query[];
  readonly reference: string;
  /** Environment name -> one observation per query, in query order. */
  readonly observations: Readonly<Record<string, readonly QueryObservation[]>>;
  readonly resolvConf: StubConf;
  /** The differing queries asked a second time, to confirm their differences. */
  readonly recheck?: Rechecked;
  /** How a finding is explained; the stub path alone by default. */
  readonly explain?: (env: string, i: number) => string;
}

export interface Rechecked {
  /** Indices into queries. */
  readonly queries: readonly number[];
  /** Environment name -> one observation per re-asked query, in the order of `queries`. */
  readonly observations: Readonly<Record<string, readonly QueryObservation[]>>;
}

export interface Criteria {
  readonly thresholds: Thresholds;
  readonly expectedDifferences: readonly ExpectedDifference[];
  readonly expectedAnswers: readonly ExpectedAnswer[];
}

export function matchesName(pattern: string, name: string): boolean {
  return pattern.startsWith('*.') ? name.endsWith(pattern.slice(1)) : pattern === name;
}

function expectedBy(list: readonly ExpectedDifference[], q: Query, env: string, d: Difference): ExpectedDifference | undefined {
  return list.find(
    (x) =>
      (x.name === undefined || matchesName(x.name, q.name)) &&
      (x.source === undefined || x.source === q.source) &&
      (x.type === undefined || x.type === q.type) &&
      (x.library === undefined || x.library === (q.library ?? 'glibc')) &&
      (x.environment === undefined || x.environment === env) &&
      (x.class === undefined || x.class === d.class),
  );
}

export function explain(g: Gathered, env: string, i: number): string {
  const q = g.queries[i]!;
  const path = (e: string) => describeStubWalk(stubWalk(q, g.observations[e]![i]!, g.resolvConf), g.resolvConf);
  return `In ${g.reference}: ${path(g.reference)}. In ${env}: ${path(env)}.`;
}

/** How env's observation of q differs from the reference's: the deciding difference, and the resolver layer's. */
/** A library that takes the first usable answer races where the nameservers' answers differ. */
function races(q: Query, obs: QueryObservation, rc: StubConf | undefined): boolean {
  return q.library === 'musl' && !!rc && stubWalk(q, obs, rc).tried.some((c) => c.race);
}

export function decide(q: Query, refName: string, ref: QueryObservation, env: string, obs: QueryObservation, t: Thresholds, rc?: StubConf): { deciding?: Difference; resolverDifferences: Difference[] } {
  const byServer = obs.resolver.map((r) => {
    const rr = ref.resolver.find((x) => x.server === r.server && x.qname === r.qname);
    return rr && classifyResolver(refName, rr, env, r, t);
  });
  const resolverDifferences = byServer.filter((d): d is Difference => d !== undefined);
  // The application layer decides, for every type; the local resolver (listed first) only where it was not asked.
  const deciding = ref.application && obs.application
    ? classifyApp(refName, ref.application, env, obs.application, t, { ref: races(q, ref, rc), env: races(q, obs, rc) })
    : byServer[0];
  return deciding ? { deciding, resolverDifferences } : { resolverDifferences };
}

/**
 * What asking again showed: the same class confirms the difference, anything
 * else makes it unstable; except a race, which is never a one-off: an
 * outcome that changed while being asked is flaky, whichever pass saw it.
 */
function recheckOf(g: Gathered, q: Query, i: number, env: string, t: Thresholds): { recheck: Recheck; difference?: Difference } | undefined {
  const j = g.recheck?.queries.indexOf(i) ?? -1;
  if (j < 0) return undefined;
  const ref = g.recheck!.observations[g.reference]?.[j];
  const obs = g.recheck!.observations[env]?.[j];
  if (!ref || !obs) return undefined;
  const { deciding } = decide(q, g.reference, ref, env, obs, t, g.resolvConf);
  return deciding ? { recheck: { class: deciding.class, detail: deciding.detail }, difference: deciding } : { recheck: { class: null, detail: 'no difference when asked again' } };
}

export function compare(g: Gathered, c: Criteria): { findings: Finding[]; expectations: ExpectationResult[] } {
  const findings: Finding[] = [];
  const envs = Object.keys(g.observations).filter((e) => e !== g.reference);
  const why = g.explain ?? ((env: string, i: number) => explain(g, env, i));
  g.queries.forEach((q, i) => {
    const ref = g.observations[g.reference]![i]!;
    for (const env of envs) {
      const { deciding, resolverDifferences } = decide(q, g.reference, ref, env, g.observations[env]![i]!, c.thresholds, g.resolvConf);
      if (!deciding) continue;
      const exp = expectedBy(c.expectedDifferences, q, env, deciding);
      // Only differences that would fail the gate are asked again; a declared one needs no confirmation.
      const again = exp ? undefined : recheckOf(g, q, i, env, c.thresholds);
      const recheck = again?.recheck;
      const raced = deciding.class === 'flaky' || recheck?.class === 'flaky';
      const status = exp ? 'expected' : recheck && recheck.class !== deciding.class && !raced ? 'unstable' : 'unexpected';
      findings.push({
        query: q,
        environment: env,
        reference: g.reference,
        difference: deciding.class !== 'flaky' && recheck?.class === 'flaky' ? again!.difference! : deciding,
        resolverDifferences,
        status,
        ...(exp ? { reason: exp.reason } : {}),
        explanation: why(env, i),
        ...(recheck ? { recheck } : {}),
      });
    }
  });
  const expectations: ExpectationResult[] = [];
  for (const a of c.expectedAnswers) {
    const name = a.name.replace(/\.$/, '');
    // Every library's query of that name and type meets the expectation, or not.
    g.queries.forEach((q, i) => {
      if (q.name !== name || q.type !== a.type) return;
      for (const env of a.environment ? [a.environment] : Object.keys(g.observations)) {
        const app = g.observations[env]?.[i]?.application;
        const observed = app ? describeApp(app.outcome) : 'not looked up';
        let met = !!app;
        if (app && a.outcome) met &&= app.outcome.status === a.outcome;
        if (app && a.addresses) met &&= app.outcome.status === 'answer' && normaliseAddresses(app.outcome.addresses).join() === normaliseAddresses(a.addresses).join();
        const want = [a.outcome, a.addresses?.join(', ')].filter(Boolean).join(' ');
        expectations.push({ description: `${name} ${a.type}${q.library ? ` [${q.library}]` : ''} is ${want}`, environment: env, query: q, met, observed });
      }
    });
  }
  return { findings, expectations };
}
