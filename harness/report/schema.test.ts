// report.json against its schema: a hand-built report, a real one (written by
// a run of the incident on the netns backend and kept as a fixture), and
// reports broken on purpose. The end-to-end suite validates a fresh one too.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { sampleGathered, sampleResult } from '../../test/sample-result.js';
import { reassess } from '../assess.js';
import { DIFFERENCE_CLASSES, QUERY_TYPES } from '../model.js';
import { readReport, schemaPath, schemaProblem, toStored, type StoredReport } from './stored.js';
import { summarise } from './summary.js';

const REAL = 'test/fixtures/reports/incident-2024-11-05.report.json';
const schema = JSON.parse(readFileSync(schemaPath(), 'utf8'));
const stored = (over = {}): StoredReport => toStored(summarise({ results: [sampleResult(over)], errors: [], wallMs: 1 }));
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

describe('report.json schema', () => {
  it('accepts a hand-built report, with and without the optional parts', () => {
    expect(schemaProblem(clone(stored()))).toBeUndefined();
    const g = sampleGathered();
    const recheck = { fresh: false, queries: [1], observations: { production: [g.observations.production![1]!], staging: [g.observations.production![1]!] } };
    const full = toStored(summarise({
      results: [sampleResult({ recheck })],
      errors: [{ scenario: 'broken', message: 'could not run' }],
      wallMs: 1,
      shard: { index: 2, count: 3 },
      sources: ['a.json'],
      baseline: { file: 'prev.json', report: stored() },
    }));
    expect(full.scenarios[0]!.findings.some((f) => f.status === 'unstable')).toBe(true);
    expect(schemaProblem(clone(full))).toBeUndefined();
    const { upstream: _, ...noUpstream } = sampleGathered();
    expect(schemaProblem(clone(toStored(summarise({ results: [{ ...noUpstream, findings: [], expectations: [], leaks: [], verdict: 'pass' }], errors: [], wallMs: 1 }))))).toBeUndefined();
  });

  it('accepts a real report of the incident, and comparing it again gives the same findings', () => {
    const real = readReport(REAL);
    expect(real.scenarios[0]!.scenario.name).toBe('incident-2024-11-05');
    expect(real.scenarios[0]!.findings.some((f) => f.query.name === 'proxysql.internal.example.io' && f.status === 'unexpected')).toBe(true);
    expect(Object.keys(real.scenarios[0]!.upstream ?? {})).toEqual(['production', 'staging', 'preprod']);
    for (const r of real.scenarios) expect(reassess(r)).toEqual(r);
  });

  it('gives, compared again, the findings the incident is known for, written out here and not by this code', () => {
    const [r] = readReport(REAL).scenarios.map((x) => reassess(x));
    const both = (name: string, cls: string) => [`${name} A staging ${cls} application unexpected`, `${name} A preprod ${cls} application unexpected`];
    expect(r!.findings.map((f) => `${f.query.name} ${f.query.type} ${f.environment} ${f.difference.class} ${f.difference.layer} ${f.status}`)).toEqual([
      ...both('proxysql.internal.example.io', 'resolves-only-in-one'),
      ...both('www.example.io', 'slow-only-in-one'),
      ...both('internal.example.io', 'slow-only-in-one'),
      ...both('ns.internal.example.io', 'resolves-only-in-one'),
      ...both('proxysql-replica.internal.example.io', 'resolves-only-in-one'),
      ...both('example.io', 'slow-only-in-one'),
      ...both('ns1.example.io', 'slow-only-in-one'),
      ...both('api.example.io', 'slow-only-in-one'),
    ]);
    expect(r!.expectations.map((e) => [e.description, e.environment, e.met])).toEqual([
      ['proxysql.internal.example.io A is 10.20.30.40', 'production', false],
      ['proxysql.internal.example.io A is 10.20.30.40', 'staging', true],
      ['proxysql.internal.example.io A is 10.20.30.40', 'preprod', true],
    ]);
    expect(r!.leaks).toEqual([]);
    expect(r!.verdict).toBe('fail');
    expect(r!.findings.find((f) => f.query.name === 'proxysql.internal.example.io' && f.environment === 'staging')!.explanation).toBe(
      'In production, unbound asked the root (198.51.100.1), the io. servers (198.51.100.2) and the example.io. servers (198.51.100.53), which answered NXDOMAIN; ' +
        '127.0.0.1 answered NXDOMAIN, which is final: the stub does not try 169.254.169.253. ' +
        'In staging, unbound could not prime the root: its queries to the root (198.51.100.1) got no answer (egress to the Internet is dropped in staging); ' +
        '127.0.0.1 gave no answer within 2 s, so the stub moved on; 169.254.169.253 answered NOERROR 10.20.30.40.',
    );
  });

  it('names the place and the problem of a report that does not match', () => {
    const a = clone(stored()) as unknown as { scenarios: { findings: Record<string, unknown>[]; queries: Record<string, unknown>[] }[] };
    delete a.scenarios[0]!.findings[0]!.explanation;
    expect(schemaProblem(a)).toEqual({ path: '/scenarios/0/findings/0', message: "must have required property 'explanation'" });
    const b = clone(stored()) as unknown as { scenarios: { findings: { difference: { class: string } }[] }[] };
    b.scenarios[0]!.findings[0]!.difference.class = 'different';
    expect(schemaProblem(b)?.path).toBe('/scenarios/0/findings/0/difference/class');
    const c = clone(stored()) as unknown as { scenarios: Record<string, unknown>[] };
    c.scenarios[0]!.surprise = 1;
    expect(schemaProblem(c)).toEqual({ path: '/scenarios/0', message: 'must NOT have additional properties "surprise"' });
  });

  it('reads a report back, refusing another version or shape with the file and field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dnsparity-schema-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const write = (name: string, data: unknown) => {
      writeFileSync(join(dir, name), typeof data === 'string' ? data : JSON.stringify(data));
      return join(dir, name);
    };
    expect(() => readReport(write('v1.json', { ...clone(stored()), dnsparity: { reportVersion: 1 } }))).toThrow(/v1\.json: dnsparity\.reportVersion: expected report version 3, got 1/);
    expect(() => readReport(write('text.json', 'not json'))).toThrow(/text\.json: not JSON/);
    expect(() => readReport(join(dir, 'missing.json'))).toThrow(/missing\.json: cannot read the report: ENOENT/);
    expect(() => readReport(write('bad.json', { ...clone(stored()), verdict: 'maybe' }))).toThrow(/bad\.json: \/verdict: does not match schema\/report\.schema\.json/);
  });

  it('lists the same classes and query types as the code', () => {
    expect(schema.definitions.difference.properties.class.enum).toEqual([...DIFFERENCE_CLASSES]);
    expect(schema.definitions.query.properties.type.enum).toEqual([...QUERY_TYPES]);
  });
});
