import { describe, expect, it } from 'vitest';
import { obs, response, sampleResult } from '../test/sample-result.js';
import { applyBaseline, gateFindings } from './baseline.js';

describe('baselines', () => {
  it('identifies a finding by scenario, query, environment, class and layer, never by timings or run', () => {
    const a = sampleResult();
    const b = sampleResult({ runId: 'ffffff', wallMs: 1, observations: { ...a.observations, staging: a.observations.staging!.map((o) => (o.application ? { ...o, application: { ...o.application, latencyMs: o.application.latencyMs + 700 } } : o)) } });
    expect(gateFindings(a).map((f) => f.key)).toEqual(gateFindings(b).map((f) => f.key));
    expect(gateFindings(a).map((f) => f.key)).toContain('sample-incident | proxysql.internal.example.io A | staging | resolves-only-in-one | application');
    expect(gateFindings(a).map((f) => f.key)).toContain('sample-incident | proxysql.internal.example.io A | production | expectation-not-met | application');
  });

  it('marks every finding known against itself: nothing new, nothing resolved', () => {
    const r = sampleResult();
    const { results, summary } = applyBaseline([r], [r], 'prev.json');
    expect(summary).toMatchObject({ file: 'prev.json', new: 0, known: gateFindings(r).length, resolved: [] });
    expect(results[0]!.findings.filter((f) => f.status === 'unexpected').every((f) => f.baseline === 'known')).toBe(true);
    expect(results[0]!.expectations.filter((e) => !e.met).every((e) => e.baseline === 'known')).toBe(true);
  });

  it('marks a finding the baseline lacks as new, and one gone since as resolved', () => {
    const before = sampleResult();
    // Tonight www.example.io answers differently in staging, and the slow difference is gone.
    const tonight = sampleResult({
      observations: {
        ...before.observations,
        staging: [before.observations.staging![0]!, obs({ status: 'answer', addresses: ['203.0.113.99'] }, 30, response('NOERROR', '203.0.113.99'), 30), before.observations.staging![2]!],
      },
    });
    const { results, summary } = applyBaseline([tonight], [before], 'prev.json');
    expect(summary.new).toBe(1);
    expect(summary.resolved.map((f) => f.key)).toEqual(['sample-incident | www.example.io A | staging | slow-only-in-one | application']);
    expect(results[0]!.findings.find((f) => f.query.name === 'www.example.io')).toMatchObject({ baseline: 'new', difference: { class: 'different-answer' } });
  });

  it('tracks leaks as findings of their own: known by scenario, server and environment, new when they appear, resolved when they stop', () => {
    const leak = (environment: string, server: string, count = 3) => ({ environment, server, zone: 'corp.example', qnames: ['db.corp.example'], count });
    const before = { ...sampleResult(), leaks: [leak('production', '192.0.2.99'), leak('staging', '192.0.2.99')] };
    expect(gateFindings(before).filter((f) => f.kind === 'leak').map((f) => f.key)).toEqual([
      'sample-incident | 192.0.2.99 | production | leak | resolver',
      'sample-incident | 192.0.2.99 | staging | leak | resolver',
    ]);
    // The same leaks, with other counts (retries are timing): known, nothing new.
    const same = applyBaseline([{ ...before, leaks: [leak('production', '192.0.2.99', 5), leak('staging', '192.0.2.99', 1)] }], [before], 'prev.json');
    expect(same.results[0]!.leaks.map((l) => l.baseline)).toEqual(['known', 'known']);
    expect(same.summary.new).toBe(0);
    // A leak to another server is new; the staging one gone is resolved.
    const tonight = { ...before, leaks: [leak('production', '192.0.2.99'), leak('production', '198.18.0.1')] };
    const { results, summary } = applyBaseline([tonight], [before], 'prev.json');
    expect(results[0]!.leaks.map((l) => [l.server, l.baseline])).toEqual([['192.0.2.99', 'known'], ['198.18.0.1', 'new']]);
    expect(summary.new).toBe(1);
    expect(summary.resolved.map((f) => f.key)).toEqual(['sample-incident | 192.0.2.99 | staging | leak | resolver']);
  });

  it('resolves nothing for a scenario that did not run this time', () => {
    const other = sampleResult({ scenario: { name: 'other', file: '/srv/other.yaml' } });
    const { summary } = applyBaseline([sampleResult()], [sampleResult(), other], 'prev.json');
    expect(summary.resolved).toEqual([]);
  });
});
