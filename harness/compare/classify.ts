// Classification: how one environment's observation differs from the
// reference's, at each layer. Each query counts once, under its most
// significant difference (the order of DIFFERENCE_CLASSES).
import type { AppObservation, Difference, ResolverObservation } from '../model.js';
import { appKey, describeApp, describeResolver, resolverKey } from './normalise.js';

export interface Thresholds {
  readonly latencyMs: number;
}

const slow = (env: string, ref: string, envMs: number, refMs: number, t: Thresholds): string | undefined => {
  if (Math.abs(envMs - refMs) <= t.latencyMs) return undefined;
  return envMs > refMs ? `${envMs} ms in ${env}, ${refMs} ms in ${ref}` : `${refMs} ms in ${ref}, ${envMs} ms in ${env}`;
};

export function classifyApp(refName: string, ref: AppObservation, envName: string, env: AppObservation, t: Thresholds): Difference | undefined {
  const r = ref.outcome;
  const e = env.outcome;
  const layer = 'application' as const;
  const rAnswer = r.status === 'answer';
  const eAnswer = e.status === 'answer';
  if (rAnswer !== eAnswer) {
    const [yes, no, yesO, noO] = rAnswer ? [refName, envName, r, e] : [envName, refName, e, r];
    return { class: 'resolves-only-in-one', layer, detail: `resolves only in ${yes} (${describeApp(yesO)}); ${no}: ${describeApp(noO)}` };
  }
  if ((r.status === 'timeout') !== (e.status === 'timeout')) {
    const [to, other] = r.status === 'timeout' ? [refName, e] : [envName, r];
    return { class: 'timeout', layer, detail: `times out in ${to}; the other: ${describeApp(other)}` };
  }
  if (appKey(r) !== appKey(e)) {
    return rAnswer
      ? { class: 'different-answer', layer, detail: `${refName}: ${describeApp(r)}; ${envName}: ${describeApp(e)}` }
      : { class: 'different-rcode', layer, detail: `${refName}: ${describeApp(r)}; ${envName}: ${describeApp(e)}` };
  }
  const s = slow(envName, refName, env.latencyMs, ref.latencyMs, t);
  return s ? { class: 'slow-only-in-one', layer, detail: `same result, but ${s}` } : undefined;
}

export function classifyResolver(refName: string, ref: ResolverObservation, envName: string, env: ResolverObservation, t: Thresholds): Difference | undefined {
  const r = ref.outcome;
  const e = env.outcome;
  const layer = 'resolver' as const;
  const answers = (o: typeof r) => o.status === 'response' && o.answers.length > 0 && o.rcode === 'NOERROR';
  const prefix = `${env.server}: `;
  if (answers(r) !== answers(e)) {
    const [yes, no, yesO, noO] = answers(r) ? [refName, envName, r, e] : [envName, refName, e, r];
    return { class: 'resolves-only-in-one', layer, detail: `${prefix}answers only in ${yes} (${describeResolver(yesO)}); ${no}: ${describeResolver(noO)}` };
  }
  if ((r.status === 'timeout') !== (e.status === 'timeout')) {
    const [to, other] = r.status === 'timeout' ? [refName, e] : [envName, r];
    return { class: 'timeout', layer, detail: `${prefix}times out in ${to}; the other: ${describeResolver(other)}` };
  }
  if (resolverKey(r) !== resolverKey(e)) {
    const cls = answers(r) ? 'different-answer' : 'different-rcode';
    return { class: cls, layer, detail: `${prefix}${refName}: ${describeResolver(r)}; ${envName}: ${describeResolver(e)}` };
  }
  const s = slow(envName, refName, env.latencyMs, ref.latencyMs, t);
  return s ? { class: 'slow-only-in-one', layer, detail: `${prefix}same result, but ${s}` } : undefined;
}
