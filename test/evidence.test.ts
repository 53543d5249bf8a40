// The comparison the cross-run and cross-backend tests rely on: what it lets
// pass as the machine's load must not let a real difference through.
import { describe, expect, it } from 'vitest';
import { comparedClass, disagreements, MUSL_RACE, settled, type Evidence } from './evidence.js';

const ev = (e: Partial<Evidence>): Evidence => ({ verdict: 'fail', findings: [], leaks: [], resolverPaths: {}, unexplained: [], slowByLoad: [], unconfirmed: [], ...e });
const always = () => true;

describe('disagreements between two runs', () => {
  it('names a finding only one run has', () => {
    const a = ev({ findings: ['proxysql.internal.example.io A staging resolves-only-in-one unexpected'] });
    expect(disagreements('s', a, ev({}), always)).toEqual(['s: finding only in the first: proxysql.internal.example.io A staging resolves-only-in-one unexpected']);
    expect(disagreements('s', ev({}), a, always)).toEqual(['s: finding only in the second: proxysql.internal.example.io A staging resolves-only-in-one unexpected']);
  });

  it('lets a timeout-decided slowness pass only where the other run\'s reference waited as long, and takes its paths with it', () => {
    const slow = 'www.example.io A staging slow-only-in-one unexpected';
    const a = ev({ findings: [slow], resolverPaths: { 'www.example.io A staging': 'x', 'www.example.io A production': 'y' } });
    expect(disagreements('s', a, ev({ slowByLoad: ['www.example.io A staging slow-only-in-one'] }), always)).toEqual([]);
    // Another query's, or another environment's, load excuses nothing.
    expect(disagreements('s', a, ev({ slowByLoad: ['www.example.io A preprod slow-only-in-one'] }), always)).toHaveLength(3);
    expect(disagreements('s', a, ev({ slowByLoad: ['api.example.io A staging slow-only-in-one'] }), always)).toHaveLength(3);
    // Load never excuses an answer that differs.
    const answer = ev({ findings: ['www.example.io A staging resolves-only-in-one unexpected'] });
    expect(disagreements('s', answer, ev({ slowByLoad: ['www.example.io A staging slow-only-in-one'] }), always)).toHaveLength(1);
  });

  it('lets a finding pass that the other run found but could not confirm, of the same class only', () => {
    const f = 'ns.internal.example.io A preprod resolves-only-in-one unexpected';
    expect(disagreements('s', ev({ findings: [f] }), ev({ unconfirmed: ['ns.internal.example.io A preprod resolves-only-in-one'] }), always)).toEqual([]);
    expect(disagreements('s', ev({ findings: [f] }), ev({ unconfirmed: ['ns.internal.example.io A preprod different-answer'] }), always)).toHaveLength(1);
  });

  it('lets a declared slowness one run lacks pass, and no other declared finding', () => {
    const slow = 'www.example.io A preprod slow-only-in-one expected';
    expect(disagreements('s', ev({ findings: [slow], resolverPaths: { 'www.example.io A preprod': 'x' } }), ev({}), always)).toEqual([]);
    expect(disagreements('s', ev({ findings: ['www.example.io A preprod slow-only-in-one unexpected'] }), ev({}), always)).toHaveLength(1);
    expect(disagreements('s', ev({ findings: ['www.example.io A preprod different-answer expected'] }), ev({}), always)).toHaveLength(1);
    // Both have it: its paths are still compared.
    expect(disagreements('s', ev({ findings: [slow], resolverPaths: { 'www.example.io A preprod': 'x' } }), ev({ findings: [slow], resolverPaths: { 'www.example.io A preprod': 'y' } }), always)).toHaveLength(1);
  });

  it('still compares verdicts, leaks and resolver paths', () => {
    expect(disagreements('s', ev({ verdict: 'pass' }), ev({}), always)).toEqual(['s: verdict pass vs fail']);
    expect(disagreements('s', ev({ leaks: ['staging 192.0.2.99 corp.example a'] }), ev({}), always)).toHaveLength(1);
    expect(disagreements('s', ev({ resolverPaths: { 'q A staging': 'unbound asked …the example.io. servers (198.51.100.53), which answered NXDOMAIN' } }), ev({ resolverPaths: { 'q A staging': 'unbound asked …the example.io. servers (198.51.100.53), which gave the answer' } }), always)).toHaveLength(1);
  });
});

describe('what two runs are compared on', () => {
  const f = (cls: string, detail: string, status = 'unexpected', library?: string) => ({ status, query: library ? { library } : {}, difference: { class: cls, detail } });

  it('leaves out unstable findings and threshold-decided slowness, keeps timeout-decided slowness and every other class', () => {
    expect(settled(f('resolves-only-in-one', 'resolves only in staging', 'unstable'))).toBe(false);
    expect(settled(f('slow-only-in-one', 'same result, but 1400 ms in staging, 200 ms in production'))).toBe(false);
    expect(settled(f('slow-only-in-one', "same result, but in staging the stub waited out a silent nameserver's timeout first (2010 ms; production: 50 ms)"))).toBe(true);
    expect(settled(f('resolves-only-in-one', 'resolves only in staging'))).toBe(true);
    expect(settled(f('different-answer', 'a; b', 'expected'))).toBe(true);
  });

  it('compares musl\'s race and the same winner every time as one class, and nothing else', () => {
    expect(comparedClass(f('flaky', '', 'unexpected', 'musl') as never)).toBe(MUSL_RACE);
    expect(comparedClass(f('resolves-only-in-one', '', 'unexpected', 'musl') as never)).toBe(MUSL_RACE);
    expect(comparedClass(f('different-answer', '', 'unexpected', 'musl') as never)).toBe('different-answer');
    expect(comparedClass(f('resolves-only-in-one', '', 'unexpected', 'glibc') as never)).toBe('resolves-only-in-one');
    expect(comparedClass(f('flaky', '', 'unexpected') as never)).toBe('flaky');
  });
});
