import { describe, expect, it } from 'vitest';
import type { AppOutcome, DnsRecord, Query, QueryObservation, ResolverObservation, ResolverOutcome } from '../model.js';
import type { ExpectedAnswer, ExpectedDifference } from '../scenario/schema.js';
import { compare, matchesName, type Criteria, type Gathered } from './index.js';

const LOCAL = '127.0.0.1';
const VPC = '169.254.169.253';

const response = (rcode: string, answers: DnsRecord[] = []): ResolverOutcome => ({
  status: 'response',
  rcode,
  flags: { aa: false, tc: false, ra: true, ad: false, cd: false },
  answers,
  transport: 'udp',
});
const local = (outcome: ResolverOutcome, latencyMs = 3): ResolverObservation => ({ server: `${LOCAL}#53`, roles: ['local-resolver'], outcome, latencyMs });
const vpc = (outcome: ResolverOutcome, latencyMs = 4): ResolverObservation => ({ server: `${VPC}#53`, roles: ['nameserver'], outcome, latencyMs });
const obs = (resolver: ResolverObservation[], app?: { outcome: AppOutcome; latencyMs: number }): QueryObservation =>
  app ? { application: app, resolver } : { resolver };
const timeout: ResolverOutcome = { status: 'timeout' };

const PROXYSQL: Query = { name: 'proxysql.internal.example.io', type: 'A', source: 'private-zone' };
const WWW: Query = { name: 'www.example.io', type: 'A', source: 'public-zone' };
const MX: Query = { name: 'example.io', type: 'MX', source: 'public-zone' };

const proxysqlA = response('NOERROR', [{ name: PROXYSQL.name, type: 'A', data: '10.20.30.40' }]);
const wwwA = response('NOERROR', [{ name: WWW.name, type: 'A', data: '203.0.113.80' }]);
const mx = response('NOERROR', [{ name: MX.name, type: 'MX', data: '10 mail.example.io.' }]);

/**
 * The 2024-11-05 incident: production's local unbound reaches the public
 * servers, gets NXDOMAIN for the private name and the stub stops there;
 * staging's cannot, so the stub falls through to the VPC resolver.
 */
function incident(): Gathered {
  return {
    queries: [PROXYSQL, WWW, MX],
    reference: 'production',
    resolvConf: { nameservers: [LOCAL, VPC], timeoutS: 2, attempts: 1, search: [], ndots: 1, options: [] },
    observations: {
      production: [
        obs([local(response('NXDOMAIN'), 40), vpc(proxysqlA)], { outcome: { status: 'not-found', code: 'ENOTFOUND' }, latencyMs: 41 }),
        obs([local(wwwA, 30), vpc(wwwA, 35)], { outcome: { status: 'answer', addresses: ['203.0.113.80'] }, latencyMs: 31 }),
        obs([local(mx, 30), vpc(mx, 30)]),
      ],
      staging: [
        obs([local(timeout, 2000), vpc(proxysqlA)], { outcome: { status: 'answer', addresses: ['10.20.30.40'] }, latencyMs: 2010 }),
        obs([local(timeout, 2000), vpc(wwwA, 35)], { outcome: { status: 'answer', addresses: ['203.0.113.80'] }, latencyMs: 2015 }),
        obs([local(timeout, 2000), vpc(mx, 30)]),
      ],
    },
  };
}

const criteria = (c: Partial<Criteria> = {}): Criteria => ({
  thresholds: { latencyMs: 1000 },
  expectedDifferences: [],
  expectedAnswers: [],
  ...c,
});

describe('compare: the incident', () => {
  it('finds that the private name resolves only in staging, and says why', () => {
    const { findings } = compare(incident(), criteria());
    const proxysql = findings.filter((f) => f.query.name === PROXYSQL.name);
    expect(proxysql).toHaveLength(1);
    const f = proxysql[0]!;
    expect(f.environment).toBe('staging');
    expect(f.reference).toBe('production');
    expect(f.status).toBe('unexpected');
    expect(f.reason).toBeUndefined();
    expect(f.difference).toEqual({
      class: 'resolves-only-in-one',
      layer: 'application',
      side: 'environment',
      detail: 'resolves only in staging (10.20.30.40); production: not found (ENOTFOUND)',
    });
    // Only the local resolver differs; the VPC resolver answers alike in both.
    expect(f.resolverDifferences.map((d) => [d.class, d.detail.split(':')[0]])).toEqual([['timeout', '127.0.0.1#53']]);
    expect(f.explanation).toContain('NXDOMAIN');
    expect(f.explanation).toContain('does not try 169.254.169.253');
    expect(f.explanation).toBe(
      'In production: 127.0.0.1 answered NXDOMAIN, which is final: the stub does not try 169.254.169.253. ' +
        'In staging: 127.0.0.1 gave no answer within 2 s, so the stub moved on; 169.254.169.253 answered NOERROR 10.20.30.40.',
    );
  });

  it('reports each query at most once per environment and never the reference against itself', () => {
    const { findings } = compare(incident(), criteria());
    expect(findings.map((f) => `${f.query.name} ${f.query.type} ${f.environment}`)).toEqual([
      'proxysql.internal.example.io A staging',
      'www.example.io A staging',
      'example.io MX staging',
    ]);
  });

  it('calls a public name that is only slower a slow-only-in-one finding, unexpected by default', () => {
    const www = compare(incident(), criteria()).findings.find((f) => f.query.name === WWW.name)!;
    expect(www.difference.class).toBe('slow-only-in-one');
    expect(www.difference.layer).toBe('application');
    expect(www.status).toBe('unexpected');
  });

  it('marks a finding expected when a declared difference matches it, with the reason', () => {
    const declared: ExpectedDifference = { source: 'public-zone', class: 'slow-only-in-one', reason: 'staging reaches the Internet only through the VPC resolver' };
    const { findings } = compare(incident(), criteria({ expectedDifferences: [declared] }));
    const www = findings.find((f) => f.query.name === WWW.name)!;
    expect(www.status).toBe('expected');
    expect(www.reason).toBe('staging reaches the Internet only through the VPC resolver');
    // The declaration is narrow: other classes and other sources stay unexpected.
    expect(findings.find((f) => f.query.type === 'MX')!.status).toBe('unexpected');
    expect(findings.find((f) => f.query.name === PROXYSQL.name)!.status).toBe('unexpected');
  });

  it('applies a declared difference by type to that type only', () => {
    // Same name (example.io for MX, www.example.io for A) aside, the type alone decides.
    const byType = (type: ExpectedDifference['type']) => compare(incident(), criteria({ expectedDifferences: [{ name: '*.example.io', type, reason: 'by type' }] })).findings;
    const mxOnly = byType('MX');
    expect(mxOnly.find((f) => f.query.name === WWW.name)!.status).toBe('unexpected');
    expect(mxOnly.find((f) => f.query.name === PROXYSQL.name)!.status).toBe('unexpected');
    const aOnly = byType('A');
    expect(aOnly.find((f) => f.query.name === WWW.name)!.status).toBe('expected');
    expect(aOnly.find((f) => f.query.name === PROXYSQL.name)!.status).toBe('expected');
    // MX is asked of example.io itself, which *.example.io does not cover: a declaration naming it exactly, by type.
    const mxNamed = compare(incident(), criteria({ expectedDifferences: [{ name: 'example.io', type: 'A', reason: 'wrong type' }, { name: 'example.io', type: 'MX', reason: 'right type' }] })).findings;
    expect(mxNamed.find((f) => f.query.type === 'MX')).toMatchObject({ status: 'expected', reason: 'right type' });
    const mxWrong = compare(incident(), criteria({ expectedDifferences: [{ name: 'example.io', type: 'A', reason: 'wrong type' }] })).findings;
    expect(mxWrong.find((f) => f.query.type === 'MX')!.status).toBe('unexpected');
  });

  it('applies a declared difference by source to that source only', () => {
    const { findings } = compare(incident(), criteria({ expectedDifferences: [{ source: 'public-zone', reason: 'public only' }] }));
    expect(findings.find((f) => f.query.name === WWW.name)!.status).toBe('expected');
    expect(findings.find((f) => f.query.name === PROXYSQL.name)!.status).toBe('unexpected');
  });

  it('does not apply a declared difference to another environment or name', () => {
    const declared: ExpectedDifference[] = [
      { name: '*.example.io', environment: 'preprod', reason: 'not staging' },
      { name: 'api.example.io', reason: 'another name' },
    ];
    const { findings } = compare(incident(), criteria({ expectedDifferences: declared }));
    expect(findings.every((f) => f.status === 'unexpected')).toBe(true);
  });

  it('decides a non-address query (MX) by the local resolver, which times out in staging', () => {
    const mxFinding = compare(incident(), criteria()).findings.find((f) => f.query.type === 'MX')!;
    expect(mxFinding.difference.layer).toBe('resolver');
    expect(mxFinding.difference.class).toBe('resolves-only-in-one');
    expect(mxFinding.difference.detail).toBe('127.0.0.1#53: answers only in production (NOERROR 10 mail.example.io.); staging: no answer (timeout)');
  });

  it('ignores a non-address difference seen only at a later nameserver', () => {
    const g = incident();
    const observations = {
      production: [g.observations.production![2]!],
      staging: [obs([local(mx, 30), vpc({ status: 'error', message: 'ECONNREFUSED' })])],
    };
    const { findings } = compare({ ...g, queries: [MX], observations }, criteria());
    expect(findings).toEqual([]);
  });
});

describe('compare: expected answers', () => {
  it('reports met and unmet expectations per environment', () => {
    const answers: ExpectedAnswer[] = [
      { name: PROXYSQL.name, type: 'A', addresses: ['10.20.30.40'] },
      { name: PROXYSQL.name, type: 'A', environment: 'production', outcome: 'not-found' },
      { name: WWW.name, type: 'A', environment: 'staging', outcome: 'answer', addresses: ['203.0.113.99'] },
    ];
    const { expectations } = compare(incident(), criteria({ expectedAnswers: answers }));
    expect(expectations.map((e) => [e.description, e.environment, e.met, e.observed])).toEqual([
      ['proxysql.internal.example.io A is 10.20.30.40', 'production', false, 'not found (ENOTFOUND)'],
      ['proxysql.internal.example.io A is 10.20.30.40', 'staging', true, '10.20.30.40'],
      ['proxysql.internal.example.io A is not-found', 'production', true, 'not found (ENOTFOUND)'],
      ['www.example.io A is answer 203.0.113.99', 'staging', false, '203.0.113.80'],
    ]);
    expect(expectations[0]!.query).toEqual(PROXYSQL);
  });

  it('compares expected addresses as a set', () => {
    const g = incident();
    const staging = [...g.observations.staging!];
    staging[0] = obs(staging[0]!.resolver as ResolverObservation[], { outcome: { status: 'answer', addresses: ['10.20.30.41', '10.20.30.40'] }, latencyMs: 5 });
    const { expectations } = compare(
      { ...g, observations: { ...g.observations, staging } },
      criteria({ expectedAnswers: [{ name: PROXYSQL.name, type: 'A', environment: 'staging', addresses: ['10.20.30.40', '10.20.30.41', '10.20.30.40'] }] }),
    );
    expect(expectations.map((e) => e.met)).toEqual([true]);
  });

  it('holds an outcome expectation to the outcome, with no addresses to compare', () => {
    const { expectations } = compare(
      incident(),
      criteria({ expectedAnswers: [{ name: PROXYSQL.name, type: 'A', environment: 'staging', outcome: 'not-found' }, { name: PROXYSQL.name, type: 'AAAA', outcome: 'answer' }] }),
    );
    // staging got the address: "not found" is unmet. (No AAAA query for the name: skipped.)
    expect(expectations.map((e) => [e.description, e.environment, e.met])).toEqual([['proxysql.internal.example.io A is not-found', 'staging', false]]);
  });

  it('skips expectations for names that were not queried', () => {
    const { expectations } = compare(incident(), criteria({ expectedAnswers: [{ name: 'nope.example.io', type: 'A', outcome: 'answer' }] }));
    expect(expectations).toEqual([]);
  });

  it('counts a query without an application lookup as unmet', () => {
    const g = incident();
    const production = [...g.observations.production!];
    production[0] = obs(production[0]!.resolver as ResolverObservation[]);
    const { expectations } = compare(
      { ...g, observations: { ...g.observations, production } },
      criteria({ expectedAnswers: [{ name: PROXYSQL.name, type: 'A', environment: 'production', outcome: 'not-found' }] }),
    );
    expect(expectations).toEqual([expect.objectContaining({ met: false, observed: 'not looked up' })]);
  });
});

describe('matchesName', () => {
  it('matches names strictly below a "*." pattern', () => {
    expect(matchesName('*.example.io', 'www.example.io')).toBe(true);
    expect(matchesName('*.example.io', 'a.b.example.io')).toBe(true);
    expect(matchesName('*.example.io', 'example.io')).toBe(false);
    expect(matchesName('*.example.io', 'badexample.io')).toBe(false);
    expect(matchesName('*.example.io', 'www.example.io.evil')).toBe(false);
  });

  it('matches a plain pattern only exactly', () => {
    expect(matchesName('www.example.io', 'www.example.io')).toBe(true);
    expect(matchesName('www.example.io', 'a.www.example.io')).toBe(false);
  });
});

describe('compare: confirmation of a race', () => {
  it('a difference that came back flaky when asked again counts as flaky, never as unstable', () => {
    const g = incident();
    const i = g.queries.indexOf(PROXYSQL);
    const racing = { outcome: { status: 'not-found' as const, code: 'EAI_NONAME' }, latencyMs: 3, tally: [{ outcome: { status: 'not-found' as const, code: 'EAI_NONAME' }, count: 4 }, { outcome: { status: 'answer' as const, addresses: ['10.20.30.40'] }, count: 1 }] };
    const again = {
      queries: [i],
      observations: {
        production: [{ ...g.observations.production![i]!, application: racing }],
        staging: [g.observations.staging![i]!],
      },
    };
    const { findings } = compare({ ...g, recheck: again }, criteria());
    const f = findings.find((x) => x.query === PROXYSQL)!;
    expect(f.status).toBe('unexpected');
    expect(f.difference.class).toBe('flaky');
    expect(f.recheck?.class).toBe('flaky');
  });
});
