import { describe, expect, it } from 'vitest';
import type { AppObservation, AppOutcome, DnsRecord, ResolverObservation, ResolverOutcome } from '../model.js';
import { classifyApp, classifyResolver } from './classify.js';

const T = { latencyMs: 1000 };
const app = (outcome: AppOutcome, latencyMs = 5): AppObservation => ({ outcome, latencyMs });
const answer = (...addresses: string[]): AppOutcome => ({ status: 'answer', addresses });
const notFound: AppOutcome = { status: 'not-found', code: 'ENOTFOUND' };
const again: AppOutcome = { status: 'failure', code: 'EAI_AGAIN' };
const appTimeout: AppOutcome = { status: 'timeout' };

const a = (data: string): DnsRecord => ({ name: 'db.example.io', type: 'A', data });
const response = (rcode: string, answers: DnsRecord[] = []): ResolverOutcome => ({
  status: 'response',
  rcode,
  flags: { aa: false, tc: false, ra: true, ad: false, cd: false },
  answers,
  transport: 'udp',
});
const res = (outcome: ResolverOutcome, latencyMs = 5, server = '127.0.0.1#53'): ResolverObservation => ({ server, roles: ['local-resolver'], outcome, latencyMs });

describe('classifyApp', () => {
  it('resolves-only-in-one when only the other environment answers', () => {
    const d = classifyApp('production', app(notFound), 'staging', app(answer('10.20.30.40'), 2010), T);
    expect(d).toEqual({
      class: 'resolves-only-in-one',
      layer: 'application',
      side: 'environment',
      detail: 'resolves only in staging (10.20.30.40); production: not found (ENOTFOUND)',
    });
  });

  it('resolves-only-in-one when only the reference answers, even if the other times out', () => {
    const d = classifyApp('production', app(answer('10.0.0.1')), 'staging', app(appTimeout), T);
    expect(d?.class).toBe('resolves-only-in-one');
    expect(d?.detail).toBe('resolves only in production (10.0.0.1); staging: no answer (timeout)');
  });

  it('timeout when neither answers and only one times out', () => {
    const d = classifyApp('production', app(notFound), 'staging', app(appTimeout), T);
    expect(d).toEqual({ class: 'timeout', layer: 'application', side: 'environment', detail: 'times out in staging; the other: not found (ENOTFOUND)' });
    expect(classifyApp('production', app(appTimeout), 'staging', app(again), T)?.detail).toBe('times out in production; the other: failed (EAI_AGAIN)');
  });

  it('different-answer when both answer with different addresses', () => {
    const d = classifyApp('production', app(answer('10.0.0.1')), 'staging', app(answer('10.0.0.2')), T);
    expect(d).toEqual({ class: 'different-answer', layer: 'application', side: 'environment', detail: 'production: 10.0.0.1; staging: 10.0.0.2' });
  });

  it('different-rcode when both fail differently', () => {
    const d = classifyApp('production', app(notFound), 'staging', app(again), T);
    expect(d).toEqual({ class: 'different-rcode', layer: 'application', side: 'environment', detail: 'production: not found (ENOTFOUND); staging: failed (EAI_AGAIN)' });
  });

  it('no difference for the same addresses in another order', () => {
    expect(classifyApp('production', app(answer('10.0.0.1', '10.0.0.2'), 10), 'staging', app(answer('10.0.0.2', '10.0.0.1'), 900), T)).toBeUndefined();
  });

  it('no difference when both time out at similar speed', () => {
    expect(classifyApp('production', app(appTimeout, 4000), 'staging', app(appTimeout, 4000), T)).toBeUndefined();
  });

  it('a latency difference equal to the threshold is not slow; one more millisecond is', () => {
    expect(classifyApp('production', app(answer('10.0.0.1'), 10), 'staging', app(answer('10.0.0.1'), 1010), T)).toBeUndefined();
    const d = classifyApp('production', app(answer('10.0.0.1'), 10), 'staging', app(answer('10.0.0.1'), 1011), T);
    expect(d).toEqual({ class: 'slow-only-in-one', layer: 'application', side: 'environment', detail: 'same result, but 1011 ms in staging, 10 ms in production' });
  });

  it('slow-only-in-one names the slow side first when the reference is slower', () => {
    const d = classifyApp('production', app(notFound, 3000), 'staging', app(notFound, 20), T);
    expect(d?.class).toBe('slow-only-in-one');
    expect(d?.detail).toBe('same result, but 3000 ms in production, 20 ms in staging');
  });

  it('a difference in outcome outranks slowness', () => {
    expect(classifyApp('production', app(answer('10.0.0.1'), 10), 'staging', app(answer('10.0.0.2'), 5000), T)?.class).toBe('different-answer');
  });
});

describe('classifyResolver', () => {
  it('resolves-only-in-one when one side has NOERROR answers, prefixed with the server', () => {
    const d = classifyResolver('production', res(response('NXDOMAIN')), 'staging', res(response('NOERROR', [a('10.20.30.40')])), T);
    expect(d).toEqual({
      class: 'resolves-only-in-one',
      layer: 'resolver',
      side: 'environment',
      detail: '127.0.0.1#53: answers only in staging (NOERROR 10.20.30.40); production: NXDOMAIN',
    });
  });

  it('an empty NOERROR does not count as answering', () => {
    const d = classifyResolver('production', res(response('NOERROR')), 'staging', res(response('NXDOMAIN')), T);
    expect(d?.class).toBe('different-rcode');
    expect(d?.detail).toBe('127.0.0.1#53: production: NOERROR (no data); staging: NXDOMAIN');
  });

  it('timeout when only one side times out', () => {
    const d = classifyResolver('production', res(response('NXDOMAIN')), 'staging', res({ status: 'timeout' }, 2000), T);
    expect(d).toEqual({ class: 'timeout', layer: 'resolver', side: 'environment', detail: '127.0.0.1#53: times out in staging; the other: NXDOMAIN' });
  });

  it('different-answer when both answer with different data', () => {
    const d = classifyResolver('production', res(response('NOERROR', [a('10.0.0.1')])), 'staging', res(response('NOERROR', [a('10.0.0.2')])), T);
    expect(d?.class).toBe('different-answer');
  });

  it('different-rcode for SERVFAIL against an unreachable server', () => {
    const d = classifyResolver('production', res(response('SERVFAIL')), 'staging', res({ status: 'error', message: 'ECONNREFUSED' }), T);
    expect(d).toEqual({ class: 'different-rcode', layer: 'resolver', side: 'environment', detail: '127.0.0.1#53: production: SERVFAIL; staging: unreachable (ECONNREFUSED)' });
  });

  it('no difference for the same answers', () => {
    expect(classifyResolver('production', res(response('NOERROR', [a('10.0.0.1'), a('10.0.0.2')])), 'staging', res(response('NOERROR', [a('10.0.0.2'), a('10.0.0.1')])), T)).toBeUndefined();
    expect(classifyResolver('production', res({ status: 'timeout' }, 2000), 'staging', res({ status: 'timeout' }, 2000), T)).toBeUndefined();
  });

  it('the latency threshold boundary holds at the resolver layer too', () => {
    const same = response('NOERROR', [a('10.0.0.1')]);
    expect(classifyResolver('production', res(same, 1), 'staging', res(same, 1001), T)).toBeUndefined();
    const d = classifyResolver('production', res(same, 1), 'staging', res(same, 1002), T);
    expect(d).toEqual({ class: 'slow-only-in-one', layer: 'resolver', side: 'environment', detail: '127.0.0.1#53: same result, but 1002 ms in staging, 1 ms in production' });
  });

  it('uses the given threshold, not a fixed one', () => {
    const same = response('NXDOMAIN');
    expect(classifyResolver('production', res(same, 10), 'staging', res(same, 300), { latencyMs: 100 })?.class).toBe('slow-only-in-one');
  });
});

describe('classifyApp: slowness from the stub wait, races', () => {
  const waited = (outcome: AppOutcome, latencyMs: number): AppObservation => ({ outcome, latencyMs, waitedOutTimeout: true });

  it('a stub that waited out a timeout in one environment only is slow there, whatever the threshold', () => {
    const d = classifyApp('production', app(answer('10.0.0.1'), 3), 'staging', waited(answer('10.0.0.1'), 1003), { latencyMs: 5000 });
    expect(d).toEqual({
      class: 'slow-only-in-one',
      layer: 'application',
      side: 'environment',
      detail: "same result, but in staging the stub waited out a silent nameserver's timeout first (1003 ms; production: 3 ms)",
    });
  });

  it('the wait decides even right at a threshold equal to the timeout, in both directions', () => {
    const t = { latencyMs: 1000 };
    // 1000 ms apart: the threshold alone would not call it slow.
    expect(classifyApp('production', app(answer('10.0.0.1'), 1), 'staging', waited(answer('10.0.0.1'), 1001), t)?.class).toBe('slow-only-in-one');
    const ref = classifyApp('production', waited(answer('10.0.0.1'), 1001), 'staging', app(answer('10.0.0.1'), 1), t);
    expect([ref?.class, ref?.side]).toEqual(['slow-only-in-one', 'reference']);
  });

  it('two stubs that both waited are compared by the threshold alone', () => {
    expect(classifyApp('production', waited(answer('10.0.0.1'), 1004), 'staging', waited(answer('10.0.0.1'), 1030), T)).toBeUndefined();
    expect(classifyApp('production', waited(answer('10.0.0.1'), 1004), 'staging', waited(answer('10.0.0.1'), 3006), T)?.class).toBe('slow-only-in-one');
  });

  it('an outcome that changed while asked again is flaky, with the counts, before any other class', () => {
    const racing: AppObservation = { outcome: notFound, latencyMs: 2, tally: [{ outcome: notFound, count: 3 }, { outcome: answer('10.20.30.40'), count: 2 }] };
    const d = classifyApp('production', racing, 'staging', app(answer('10.20.30.40')), T);
    expect(d).toEqual({
      class: 'flaky',
      layer: 'application',
      side: 'reference',
      detail: 'the outcome depends on which nameserver answers first: production: not found (ENOTFOUND) in 3 of 5, resolves in 2 of 5 (10.20.30.40)',
    });
    expect(classifyApp('production', app(answer('10.20.30.40')), 'staging', racing, T)?.side).toBe('environment');
  });

  it('a race the nameservers show is flaky even when every ask came out the same', () => {
    const d = classifyApp('production', app(notFound), 'staging', app(answer('10.20.30.40')), T, { ref: true, env: false });
    expect(d?.class).toBe('flaky');
    expect(d?.detail).toBe("the outcome depends on which nameserver answers first: production: the nameservers' usable answers differ and the first to arrive wins; asked again, not found (ENOTFOUND) every time");
  });
});
