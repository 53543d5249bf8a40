// Classification: how one environment's observation differs from the
// reference's, at each layer. Each query counts once, under its most
// significant difference (the order of DIFFERENCE_CLASSES).
import type { AppObservation, Difference, ResolverObservation } from '../model.js';
import { appKey, describeApp, describeResolver, resolverKey } from './normalise.js';

export interface Thresholds {
  readonly latencyMs: number;
}

type Side = Difference['side'];
const sideOf = (inEnvironment: boolean): Side => (inEnvironment ? 'environment' : 'reference');

const slow = (env: string, ref: string, envMs: number, refMs: number, t: Thresholds): { text: string; side: Side } | undefined => {
  if (Math.abs(envMs - refMs) <= t.latencyMs) return undefined;
  return envMs > refMs
    ? { text: `${envMs} ms in ${env}, ${refMs} ms in ${ref}`, side: 'environment' }
    : { text: `${refMs} ms in ${ref}, ${envMs} ms in ${env}`, side: 'reference' };
};

/** "resolves in 3 of 5 (10.20.30.40), not found (ENOTFOUND) in 2 of 5" */
export function describeTally(o: AppObservation): string {
  const tally = o.tally ?? [{ outcome: o.outcome, count: 1 }];
  const of = tally.reduce((n, t) => n + t.count, 0);
  return tally
    .map((t) => (t.outcome.status === 'answer' ? `resolves in ${t.count} of ${of} (${describeApp(t.outcome)})` : `${describeApp(t.outcome)} in ${t.count} of ${of}`))
    .join(', ');
}

/** Where the stub takes whichever nameserver answers first and their usable answers differ (see explain/stub-path.ts). */
export interface Races {
  readonly ref: boolean;
  readonly env: boolean;
}

export function classifyApp(refName: string, ref: AppObservation, envName: string, env: AppObservation, t: Thresholds, races: Races = { ref: false, env: false }): Difference | undefined {
  const r = ref.outcome;
  const e = env.outcome;
  const layer = 'application' as const;
  // An outcome that depends on which nameserver answers first is a finding of its own, whatever came first this time:
  // seen when asked again (the tally), or from the nameservers' own differing answers.
  const envRaces = !!env.tally || races.env;
  const refRaces = !!ref.tally || races.ref;
  if (envRaces || refRaces) {
    const says = (name: string, o: AppObservation, raced: boolean) =>
      o.tally ? `${name}: ${describeTally(o)}` : raced ? `${name}: the nameservers' usable answers differ and the first to arrive wins; asked again, ${describeApp(o.outcome)} every time` : '';
    const parts = [says(envName, env, races.env), says(refName, ref, races.ref)].filter(Boolean);
    return { class: 'flaky', layer, side: sideOf(envRaces), detail: `the outcome depends on which nameserver answers first: ${parts.join('; ')}` };
  }
  const rAnswer = r.status === 'answer';
  const eAnswer = e.status === 'answer';
  if (rAnswer !== eAnswer) {
    const [yes, no, yesO, noO] = rAnswer ? [refName, envName, r, e] : [envName, refName, e, r];
    return { class: 'resolves-only-in-one', layer, side: sideOf(eAnswer), detail: `resolves only in ${yes} (${describeApp(yesO)}); ${no}: ${describeApp(noO)}` };
  }
  if ((r.status === 'timeout') !== (e.status === 'timeout')) {
    const [to, other] = r.status === 'timeout' ? [refName, e] : [envName, r];
    return { class: 'timeout', layer, side: sideOf(e.status === 'timeout'), detail: `times out in ${to}; the other: ${describeApp(other)}` };
  }
  if (appKey(r) !== appKey(e)) {
    return rAnswer
      ? { class: 'different-answer', layer, side: 'environment', detail: `${refName}: ${describeApp(r)}; ${envName}: ${describeApp(e)}` }
      : { class: 'different-rcode', layer, side: 'environment', detail: `${refName}: ${describeApp(r)}; ${envName}: ${describeApp(e)}` };
  }
  // Deterministic first: the stub waited out a silent nameserver in one environment and not in the other.
  if (!!ref.waitedOutTimeout !== !!env.waitedOutTimeout) {
    const [w, wo, n, no] = env.waitedOutTimeout ? [envName, env, refName, ref] : [refName, ref, envName, env];
    return { class: 'slow-only-in-one', layer, side: sideOf(!!env.waitedOutTimeout), detail: `same result, but in ${w} the stub waited out a silent nameserver's timeout first (${wo.latencyMs} ms; ${n}: ${no.latencyMs} ms)` };
  }
  const s = slow(envName, refName, env.latencyMs, ref.latencyMs, t);
  return s ? { class: 'slow-only-in-one', layer, side: s.side, detail: `same result, but ${s.text}` } : undefined;
}

export function classifyResolver(refName: string, ref: ResolverObservation, envName: string, env: ResolverObservation, t: Thresholds): Difference | undefined {
  const r = ref.outcome;
  const e = env.outcome;
  const layer = 'resolver' as const;
  const answers = (o: typeof r) => o.status === 'response' && o.answers.length > 0 && o.rcode === 'NOERROR';
  const prefix = `${env.server}${env.qname ? ` (${env.qname})` : ''}: `;
  if (answers(r) !== answers(e)) {
    const [yes, no, yesO, noO] = answers(r) ? [refName, envName, r, e] : [envName, refName, e, r];
    return { class: 'resolves-only-in-one', layer, side: sideOf(answers(e)), detail: `${prefix}answers only in ${yes} (${describeResolver(yesO)}); ${no}: ${describeResolver(noO)}` };
  }
  if ((r.status === 'timeout') !== (e.status === 'timeout')) {
    const [to, other] = r.status === 'timeout' ? [refName, e] : [envName, r];
    return { class: 'timeout', layer, side: sideOf(e.status === 'timeout'), detail: `${prefix}times out in ${to}; the other: ${describeResolver(other)}` };
  }
  if (resolverKey(r) !== resolverKey(e)) {
    const cls = answers(r) ? 'different-answer' : 'different-rcode';
    return { class: cls, layer, side: 'environment', detail: `${prefix}${refName}: ${describeResolver(r)}; ${envName}: ${describeResolver(e)}` };
  }
  const s = slow(envName, refName, env.latencyMs, ref.latencyMs, t);
  return s ? { class: 'slow-only-in-one', layer, side: s.side, detail: `${prefix}same result, but ${s.text}` } : undefined;
}
