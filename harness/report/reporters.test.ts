import { create } from 'xmlbuilder2';
import { describe, expect, it } from 'vitest';
import { sampleResult } from '../../test/sample-result.js';
import type { ScenarioResult } from '../run.js';
import { toHtml } from './html.js';
import { toJunit } from './junit.js';
import { toMarkdown } from './markdown.js';
import { toStored } from './stored.js';
import { summarise } from './summary.js';
import type { RunSummary } from './types.js';

const summaryOf = (results: ScenarioResult[], over: Partial<RunSummary> = {}): RunSummary => ({ ...summarise({ results, errors: [], wallMs: 15_000, generatedAt: '2024-11-05T03:00:00.000Z' }), ...over });

/** A result whose MX answer differs, with characters XML, HTML and Markdown must escape (and one XML cannot carry). */
function nasty(): ScenarioResult {
  const r = sampleResult();
  const mx = (data: string) => ({ resolver: [{ server: '127.0.0.1#53', roles: ['local-resolver' as const], outcome: { status: 'response' as const, rcode: 'NOERROR', flags: { aa: false, tc: false, ra: true, ad: false, cd: false }, answers: [{ name: 'example.io', type: 'MX', data }], transport: 'udp' as const }, latencyMs: 5 }] });
  return sampleResult({
    scenario: { name: 'nasty|<scenario>', file: '/srv/nasty.yaml' },
    observations: {
      production: [r.observations.production![0]!, r.observations.production![1]!, mx('10 mx.example.io.')],
      staging: [r.observations.staging![0]!, r.observations.staging![1]!, mx('10 <b>&"x\u0001|y.example.io.')],
    },
  });
}

/** junit.xml read back through a DOM, which decodes entities as a CI consumer would. */
function parseJunit(xml: string) {
  const root = create(xml).root().node as unknown as Element;
  const suites = [...root.getElementsByTagName('testsuite')];
  const cases = (suite: Element) => [...suite.getElementsByTagName('testcase')];
  const named = (suite: Element, name: string) => cases(suite).find((c) => c.getAttribute('name') === name);
  return { root, suites, cases, named };
}

const withBaseline = (results: ScenarioResult[], baseline: ScenarioResult[]): RunSummary =>
  summarise({ results, errors: [], wallMs: 15_000, generatedAt: '2024-11-05T03:00:00.000Z', baseline: { file: 'nightly/prev.json', report: toStored(summaryOf(baseline)) } });

describe('junit reporter', () => {
  const xml = toJunit(summaryOf([sampleResult(), nasty()]));
  const { root, suites, cases, named } = parseJunit(xml);

  it('has a testsuite per scenario and a testcase per query x layer x environment', () => {
    expect(suites.map((s) => s.getAttribute('name'))).toEqual(['sample-incident', 'nasty|<scenario>']);
    const names = cases(suites[0]!).map((c) => c.getAttribute('name'));
    expect(names).toEqual(expect.arrayContaining(['proxysql.internal.example.io A [application] staging', 'proxysql.internal.example.io A [resolver] staging', 'example.io MX [resolver] staging']));
    expect(names).not.toContain('example.io MX [application] staging');
  });

  it('fails the testcase of the difference, naming the query, with the explanation as its text', () => {
    const failure = named(suites[0]!, 'proxysql.internal.example.io A [application] staging')!.getElementsByTagName('failure')[0]!;
    expect(failure.getAttribute('type')).toBe('resolves-only-in-one');
    expect(failure.getAttribute('message')).toMatch(/^resolves only in staging \(application layer\): resolves only in staging \(10\.20\.30\.40\)/);
    expect(failure.textContent).toContain('127.0.0.1 answered NXDOMAIN, which is final: the stub does not try 169.254.169.253');
    const expectation = cases(suites[0]!).find((c) => c.getAttribute('name')!.includes('[expectation] production'))!;
    expect(expectation.getElementsByTagName('failure')[0]!.getAttribute('type')).toBe('expectation-not-met');
    expect(Number(root.getAttribute('failures'))).toBe(suites.reduce((n, s) => n + Number(s.getAttribute('failures')), 0));
    expect(Number(root.getAttribute('failures'))).toBe(root.getElementsByTagName('failure').length);
  });

  it('skips an expected difference with its reason', () => {
    const r = sampleResult({ expect: { differences: [{ name: 'www.example.io', class: 'slow-only-in-one', reason: 'no egress in staging' }], answers: [] } });
    const j = parseJunit(toJunit(summaryOf([r])));
    expect(j.named(j.suites[0]!, 'www.example.io A [application] staging')!.getElementsByTagName('skipped')[0]!.getAttribute('message')).toBe('expected difference: no egress in staging');
  });

  it('escapes what XML needs and replaces what XML 1.0 cannot carry', () => {
    expect(xml).not.toContain('\u0001');
    const failure = named(suites[1]!, 'example.io MX [resolver] staging')!.getElementsByTagName('failure')[0]!;
    expect(failure.getAttribute('message')).toContain('10 <b>&"x\uFFFD|y.example.io');
  });

  it('carries the baseline mark in the failure message', () => {
    expect(toJunit(withBaseline([sampleResult()], []))).toMatch(/message="\[new\] resolves only in staging/);
  });
});

describe('markdown reporter', () => {
  it('names the failing query with its explanation, in a few lines', () => {
    const md = toMarkdown(summaryOf([sampleResult()]));
    expect(md).toContain('**proxysql.internal.example.io A**: resolves only in staging');
    expect(md).toContain('127.0.0.1 answered NXDOMAIN, which is final: the stub does not try 169.254.169.253');
    expect(md).toContain('| sample-incident | ❌ fail | 2 | 0 | 0 | 1 | 0 |');
    expect(md.split('\n').length).toBeLessThan(40);
  });

  it('escapes table pipes and markup', () => {
    const md = toMarkdown(summaryOf([nasty()]));
    expect(md).toContain('| nasty\\|\\<scenario\\> |');
    expect(md).not.toContain('<b>');
  });

  it('says new, known and resolved against a baseline', () => {
    const md = toMarkdown(withBaseline([sampleResult()], [sampleResult()]));
    expect(md).toContain('## dnsparity: ✅ parity');
    expect(md).toContain('**0 new**, 3 known, 0 resolved');
    expect(md).toContain('[known] **proxysql.internal.example.io A**');
  });
});

describe('html reporter', () => {
  const html = toHtml(summaryOf([sampleResult(), nasty()]));

  it('lays out a query x environment matrix with the explanation on each cell', () => {
    const row = /<tr data-query="proxysql\.internal\.example\.io A">(.*?)<\/tr>/s.exec(html)?.[1] ?? '';
    expect(row).toMatch(/<td class="cell reference" data-env="production"/);
    const staging = /<td class="cell unexpected" data-env="staging" data-status="unexpected"[^>]*>(.*?)<\/td>/s.exec(row)?.[1] ?? '';
    expect(staging).toContain('10.20.30.40');
    expect(staging).toContain('resolves only in staging');
    expect(staging).toContain('unbound could not prime the root');
    expect(html).toContain('<code>root-hints</code>');
  });

  it('is one self-contained file: no script, no external asset', () => {
    expect(html).not.toMatch(/<script|<link|src=|url\(|https?:\/\//i);
  });

  it('escapes everything it shows', () => {
    expect(html).not.toContain('<b>&');
    expect(html).toContain('&lt;b&gt;&amp;&quot;x');
    expect(html).toContain('nasty|&lt;scenario&gt;');
  });
});
