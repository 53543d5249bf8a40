// Comparison: observations -> findings. Pure, so report.json can be compared
// again with other criteria without starting anything.
import { ADDRESS_TYPES, type Difference, type ExpectationResult, type Finding, type Query, type QueryObservation } from '../model.js';
import type { ResolvConf } from '../resolver/resolvconf.js';
import type { ExpectedAnswer, ExpectedDifference } from '../scenario/schema.js';
import { describeStubPath, stubPath } from '../explain/stub-path.js';
import { classifyApp, classifyResolver, type Thresholds } from './classify.js';
import { describeApp, normaliseAddresses } from './normalise.js';

export interface Gathered {
  readonly queries: readonly Query[];
  readonly reference: string;
  /** Environment name -> one observation per query, in query order. */
  readonly observations: Readonly<Record<string, readonly QueryObservation[]>>;
  readonly resolvConf: Pick<ResolvConf, 'nameservers' | 'timeoutS' | 'attempts'>;
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
      (x.environment === undefined || x.environment === env) &&
      (x.class === undefined || x.class === d.class),
  );
}

export function explain(g: Gathered, env: string, i: number): string {
  const path = (e: string) => describeStubPath(stubPath(g.observations[e]![i]!, g.resolvConf), g.resolvConf.nameservers);
  return `In ${g.reference}: ${path(g.reference)}. In ${env}: ${path(env)}.`;
}

export function compare(g: Gathered, c: Criteria): { findings: Finding[]; expectations: ExpectationResult[] } {
  const findings: Finding[] = [];
  const envs = Object.keys(g.observations).filter((e) => e !== g.reference);
  g.queries.forEach((q, i) => {
    const ref = g.observations[g.reference]![i]!;
    for (const env of envs) {
      const obs = g.observations[env]![i]!;
      const byServer = obs.resolver.map((r) => {
        const rr = ref.resolver.find((x) => x.server === r.server);
        return rr && classifyResolver(g.reference, rr, env, r, c.thresholds);
      });
      const resolverDifferences = byServer.filter((d): d is Difference => d !== undefined);
      // The application layer decides for address lookups; the local resolver (listed first) for the rest.
      const deciding = ADDRESS_TYPES.has(q.type) && ref.application && obs.application
        ? classifyApp(g.reference, ref.application, env, obs.application, c.thresholds)
        : byServer[0];
      if (!deciding) continue;
      const exp = expectedBy(c.expectedDifferences, q, env, deciding);
      findings.push({
        query: q,
        environment: env,
        reference: g.reference,
        difference: deciding,
        resolverDifferences,
        status: exp ? 'expected' : 'unexpected',
        ...(exp ? { reason: exp.reason } : {}),
        explanation: explain(g, env, i),
      });
    }
  });
  const expectations: ExpectationResult[] = [];
  for (const a of c.expectedAnswers) {
    const i = g.queries.findIndex((q) => q.name === a.name && q.type === a.type);
    if (i < 0) continue;
    const q = g.queries[i]!;
    for (const env of a.environment ? [a.environment] : Object.keys(g.observations)) {
      const app = g.observations[env]?.[i]?.application;
      const observed = app ? describeApp(app.outcome) : 'not looked up';
      let met = !!app;
      if (app && a.outcome) met &&= app.outcome.status === a.outcome;
      if (app && a.addresses) met &&= app.outcome.status === 'answer' && normaliseAddresses(app.outcome.addresses).join() === normaliseAddresses(a.addresses).join();
      const want = [a.outcome, a.addresses?.join(', ')].filter(Boolean).join(' ');
      expectations.push({ description: `${a.name} ${a.type} is ${want}`, environment: env, query: q, met, observed });
    }
  }
  return { findings, expectations };
}
