// The stub resolver's path through resolv.conf, replayed from what each
// nameserver answered when asked directly, with glibc's rules
// (resolv/res_send.c): SERVFAIL, NOTIMP, REFUSED, a timeout or an unusable
// empty answer move it to the next nameserver; NXDOMAIN and answers are final.
import type { QueryObservation, ResolverObservation } from '../model.js';
import type { ResolvConf } from '../resolver/resolvconf.js';
import { describeResolver } from '../compare/normalise.js';

const MOVES_ON = new Set(['SERVFAIL', 'NOTIMP', 'REFUSED']);

export interface StubStep {
  readonly nameserver: string;
  readonly saw: string;
  readonly final: boolean;
}

export function stubPath(obs: QueryObservation, rc: Pick<ResolvConf, 'nameservers' | 'timeoutS' | 'attempts'>): StubStep[] {
  const steps: StubStep[] = [];
  const stubTimeoutMs = rc.timeoutS * 1000;
  for (const ns of rc.nameservers) {
    const o = obs.resolver.find((r) => r.server === `${ns}#53`);
    if (!o) {
      steps.push({ nameserver: ns, saw: 'not probed', final: false });
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
  if (out.status === 'timeout') return { nameserver: ns, saw: `gave no answer within ${stubTimeoutMs / 1000} s`, final: false };
  if (out.status === 'error') return { nameserver: ns, saw: `was unreachable (${out.message})`, final: false };
  if (o.latencyMs > stubTimeoutMs) return { nameserver: ns, saw: `answered ${describeResolver(out)} only after ${o.latencyMs} ms, past the stub's ${stubTimeoutMs / 1000} s timeout`, final: false };
  if (MOVES_ON.has(out.rcode)) return { nameserver: ns, saw: `answered ${out.rcode}`, final: false };
  if (out.rcode === 'NOERROR' && out.answers.length === 0 && !out.flags.aa && !out.flags.ra) return { nameserver: ns, saw: 'answered an empty, non-authoritative NOERROR', final: false };
  return { nameserver: ns, saw: `answered ${describeResolver(out)}`, final: true };
}

/** "127.0.0.1 answered NXDOMAIN, which is final: the stub does not try 169.254.169.253." */
export function describeStubPath(steps: readonly StubStep[], all: readonly string[]): string {
  if (steps.length === 0) return 'no nameserver was asked';
  const parts: string[] = [];
  steps.forEach((s, i) => {
    const next = all[i + 1];
    if (s.final) {
      const nx = /NXDOMAIN/.test(s.saw);
      parts.push(`${s.nameserver} ${s.saw}${nx && next ? `, which is final: the stub does not try ${all.slice(i + 1).join(', ')}` : ''}`);
    } else {
      parts.push(`${s.nameserver} ${s.saw}${next ? ', so the stub moved on' : ', and there is no nameserver left'}`);
    }
  });
  return parts.join('; ');
}
