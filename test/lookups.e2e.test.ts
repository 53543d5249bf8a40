// Lookups as applications make them, through the built CLI on real
// namespaces: short names through a search list, a Kubernetes-style ndots:5
// walk, SRV/TXT/MX through the C library's res_nsearch, and musl beside glibc.
// Each asserts what was found and that the explanation follows the walk.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding, QueryObservation } from '../harness/model.js';
import { leftovers, skipNetns } from './env.js';

const CLI = 'node_modules/.bin/dnsparity';
const made: string[] = [];

interface Scenario {
  scenario: { name: string };
  runId: string;
  verdict: string;
  queries: { name: string; type: string; library?: string }[];
  findings: Finding[];
  observations: Record<string, QueryObservation[]>;
}

async function run(file: string): Promise<{ exitCode: number | undefined; scenario: Scenario }> {
  const dir = mkdtempSync(join(tmpdir(), 'dnsparity-lookups-'));
  made.push(dir);
  const r = await execa(CLI, ['run', file, '--reporter', 'json', '--out', dir], { reject: false, env: { NO_COLOR: '1' }, stdin: 'ignore' });
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { scenarios: Scenario[] };
  return { exitCode: r.exitCode, scenario: report.scenarios[0]! };
}

const identity = (f: Finding) => `${f.query.name} ${f.query.type}${f.query.library ? ` [${f.query.library}]` : ''} ${f.environment} ${f.status} ${f.difference.class} ${f.difference.side}`;
const finding = (s: Scenario, name: string, type: string, library?: string) =>
  s.findings.find((f) => f.query.name === name && f.query.type === type && f.query.library === library && f.environment === 'staging')!;

describe.skipIf(!!skipNetns)('lookups as applications make them (netns)', () => {
  const runIds: string[] = [];
  afterAll(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
    for (const id of runIds) expect(leftovers(id)).toEqual([]);
  });

  it('walks the search list for short names, SRV and TXT, and the explanation names every name tried', async () => {
    const { exitCode, scenario: s } = await run('scenarios/incident-search-list.yaml');
    runIds.push(s.runId);
    expect(exitCode).toBe(1);
    expect(s.findings.filter((f) => f.status === 'unexpected').map(identity).sort()).toEqual([
      '_mysql._tcp SRV staging unexpected resolves-only-in-one environment',
      'config TXT staging unexpected resolves-only-in-one environment',
      'proxysql A staging unexpected resolves-only-in-one environment',
    ]);
    // Public MX and SRV are slow where egress is dropped, decided by the stub's own wait: declared.
    expect(s.findings.filter((f) => f.status === 'expected').map(identity).sort()).toEqual([
      '_imaps._tcp.example.io SRV staging expected slow-only-in-one environment',
      'example.io MX staging expected slow-only-in-one environment',
      'www.example.io A staging expected slow-only-in-one environment',
    ]);
    const i = s.queries.findIndex((q) => q.name === 'proxysql');
    // The resolver layer asked the candidates the stub tries, not the bare name alone.
    expect([...new Set(s.observations.production![i]!.resolver.map((r) => r.qname ?? 'proxysql'))]).toEqual(['proxysql.internal.example.io', 'proxysql']);
    const f = finding(s, 'proxysql', 'A');
    expect(f.explanation).toContain('tried proxysql.internal.example.io: 127.0.0.1 answered NXDOMAIN, which is final for that name (the stub does not ask 169.254.169.253); then tried proxysql: 127.0.0.1 answered NXDOMAIN');
    expect(f.explanation).toContain('tried proxysql.internal.example.io: 127.0.0.1 gave no answer within 2 s, so the stub moved on; 169.254.169.253 answered NOERROR 10.20.30.40');
    expect(f.explanation).not.toMatch(/169\.254\.169\.253 answered NXDOMAIN[^;]*; then tried proxysql:/);
    // The SRV answer is the application's, through glibc's res_nsearch.
    const srv = s.queries.findIndex((q) => q.name === '_mysql._tcp');
    expect(s.observations.staging![srv]!.application).toMatchObject({ outcome: { status: 'answer', addresses: ['0 1 6033 proxysql.internal.example.io'] }, waitedOutTimeout: true });
    expect(s.observations.production![srv]!.application?.outcome).toEqual({ status: 'not-found', code: 'HOST_NOT_FOUND' });
  }, 120_000);

  it('agrees everywhere once a stub-zone routes the private zone, short names included', async () => {
    const { exitCode, scenario: s } = await run('scenarios/search-list-stub-zone-fix.yaml');
    runIds.push(s.runId);
    expect(exitCode).toBe(0);
    expect(s.findings.filter((f) => f.status !== 'expected')).toEqual([]);
  }, 120_000);

  it('walks ndots:5 with four search domains, and shows the walk', async () => {
    const { exitCode, scenario: s } = await run('test/fixtures/scenarios/kubernetes-ndots.yaml');
    runIds.push(s.runId);
    expect(exitCode).toBe(1);
    const f = finding(s, 'proxysql.internal.example.io', 'A');
    expect(identity(f)).toBe('proxysql.internal.example.io A staging unexpected resolves-only-in-one environment');
    const tried = [...f.explanation.matchAll(/tried (\S+):/g)].map((m) => m[1]);
    // Production then staging: each walks the four search domains before the name as it is.
    const walk = ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'internal.example.io'].map((d) => `proxysql.internal.example.io.${d}`).concat('proxysql.internal.example.io');
    expect(tried).toEqual([...walk, ...walk]);
    // Staging waited out the local unbound (timeout:1) on each of the five names.
    const i = s.queries.findIndex((q) => q.name === 'proxysql.internal.example.io');
    expect(s.observations.staging![i]!.application!.latencyMs).toBeGreaterThanOrEqual(5000);
  }, 120_000);

  it('runs the application layer per library: glibc stops at NXDOMAIN, musl races the nameservers', async () => {
    const { exitCode, scenario: s } = await run('scenarios/incident-musl.yaml');
    runIds.push(s.runId);
    expect(exitCode).toBe(1);
    expect(identity(finding(s, 'proxysql.internal.example.io', 'A', 'glibc'))).toBe('proxysql.internal.example.io A [glibc] staging unexpected resolves-only-in-one environment');
    // In production musl asks both nameservers at once: the local NXDOMAIN and the VPC answer race.
    const musl = finding(s, 'proxysql.internal.example.io', 'A', 'musl');
    expect(identity(musl)).toBe('proxysql.internal.example.io A [musl] staging unexpected flaky reference');
    expect(musl.difference.detail).toMatch(/^the outcome depends on which nameserver answers first: production: /);
    expect(musl.explanation).toContain('musl asked 127.0.0.1 and 169.254.169.253 at once and takes the first NOERROR or NXDOMAIN');
    // Where egress is dropped there is no race: the local unbound is silent, the VPC resolver answers without a wait.
    const i = s.queries.findIndex((q) => q.name === 'proxysql.internal.example.io' && q.library === 'musl');
    const staging = s.observations.staging![i]!.application!;
    expect(staging.outcome).toEqual({ status: 'answer', addresses: ['10.20.30.40'] });
    expect(staging.waitedOutTimeout).toBeUndefined();
  }, 120_000);
});
