// The comparison the cross-run and cross-backend tests rely on: what it lets
// pass as the machine's load must not let a real difference through.
import { describe, expect, it } from 'vitest';
import type { QueryObservation, UpstreamExchange } from '../harness/model.js';
import type { ScenarioResult } from '../harness/run.js';
import { comparedClass, contradictions, disagreements, endsAt, essence, FILLED_MARK, MUSL_RACE, settled, type Evidence } from './evidence.js';

const ev = (e: Partial<Evidence>): Evidence => ({ verdict: 'fail', findings: [], leaks: [], resolverPaths: {}, unexplained: [], slowReference: [], referenceAnswers: {}, unconfirmed: [], ...e });
const always = () => true;

describe('disagreements between two runs', () => {
  it('names a finding only one run has', () => {
    const a = ev({ findings: ['proxysql.internal.example.io A staging resolves-only-in-one unexpected'] });
    expect(disagreements('s', a, ev({}), always)).toEqual(['s: finding only in the first: proxysql.internal.example.io A staging resolves-only-in-one unexpected']);
    expect(disagreements('s', ev({}), a, always)).toEqual(['s: finding only in the second: proxysql.internal.example.io A staging resolves-only-in-one unexpected']);
  });

  it('lets a finding pass only where the other run\'s reference took the stub\'s timeout on that name, and takes its paths with it', () => {
    const slow = 'www.example.io A staging slow-only-in-one unexpected';
    const a = ev({ findings: [slow], resolverPaths: { 'www.example.io A staging': 'x', 'www.example.io A production': 'y' } });
    expect(disagreements('s', a, ev({ slowReference: ['www.example.io A'] }), always)).toEqual([]);
    expect(disagreements('s', ev({ slowReference: ['www.example.io A'] }), a, always)).toEqual([]);
    // Another name's, or another type's, load excuses nothing.
    expect(disagreements('s', a, ev({ slowReference: ['api.example.io A'] }), always)).toHaveLength(3);
    expect(disagreements('s', a, ev({ slowReference: ['www.example.io AAAA'] }), always)).toHaveLength(3);
    // Whatever the class and the library: the reference that waited resolved as the cut-off environments do.
    const glibc = 'proxysql.internal.example.io A [glibc] staging resolves-only-in-one unexpected';
    const musl = `proxysql.internal.example.io A [musl] preprod ${MUSL_RACE} unexpected`;
    const paths = { 'proxysql.internal.example.io A [glibc] production': 'p', 'proxysql.internal.example.io A [glibc] staging': 's', 'proxysql.internal.example.io A [musl] preprod': 'q' };
    expect(disagreements('s', ev({}), ev({ findings: [glibc, musl], resolverPaths: paths }), always)).toHaveLength(5);
    expect(disagreements('s', ev({ slowReference: ['proxysql.internal.example.io A'] }), ev({ findings: [glibc, musl], resolverPaths: paths }), always)).toEqual([]);
    // The run whose reference waited cannot excuse what only it has: the other run's reference answered in time.
    expect(disagreements('s', ev({ slowReference: ['proxysql.internal.example.io A'], findings: [glibc] }), ev({}), always)).toHaveLength(1);
    // Both have a finding there, of different classes: the one the waiting run lacks passes, the other does not.
    const other = 'proxysql.internal.example.io A [glibc] staging different-answer unexpected';
    expect(disagreements('s', ev({ slowReference: ['proxysql.internal.example.io A'], findings: [other] }), ev({ findings: [glibc] }), always)).toEqual([
      's: finding only in the first: proxysql.internal.example.io A [glibc] staging different-answer unexpected',
    ]);
  });

  it('lets the findings of a name pass where the two runs\' references answered it differently, and no other name\'s', () => {
    const glibc = 'proxysql.internal.example.io A [glibc] staging resolves-only-in-one unexpected';
    const www = 'www.example.io A staging slow-only-in-one unexpected';
    const a = ev({ referenceAnswers: { 'proxysql.internal.example.io A': 'NXDOMAIN', 'www.example.io A': 'NOERROR' }, findings: [glibc, www] });
    const b = (answer: string) => ev({ referenceAnswers: { 'proxysql.internal.example.io A': answer, 'www.example.io A': 'NOERROR' } });
    expect(disagreements('s', a, b('NXDOMAIN,SERVFAIL'), always)).toEqual(['s: finding only in the first: www.example.io A staging slow-only-in-one unexpected']);
    expect(disagreements('s', b('timeout'), a, always)).toHaveLength(1);
    // The same answers: every finding is compared.
    expect(disagreements('s', a, b('NXDOMAIN'), always)).toHaveLength(2);
    // A name one run did not ask is not a reference that differs.
    expect(disagreements('s', a, ev({}), always)).toHaveLength(2);
  });

  it('lets a finding pass where the other run could not confirm that query in that environment, and nowhere else', () => {
    const f = 'ns.internal.example.io A preprod resolves-only-in-one unexpected';
    expect(disagreements('s', ev({ findings: [f] }), ev({ unconfirmed: ['ns.internal.example.io A preprod'] }), always)).toEqual([]);
    expect(disagreements('s', ev({ findings: [f] }), ev({ unconfirmed: ['ns.internal.example.io A staging'] }), always)).toHaveLength(1);
    expect(disagreements('s', ev({ findings: [f] }), ev({ unconfirmed: ['ns.internal.example.io AAAA preprod'] }), always)).toHaveLength(1);
    expect(disagreements('s', ev({ findings: ['ns.internal.example.io A [glibc] preprod resolves-only-in-one unexpected'] }), ev({ unconfirmed: ['ns.internal.example.io A [musl] preprod'] }), always)).toHaveLength(1);
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

describe('the essence of a resolver path', () => {
  const direct = 'pdns_recursor asked the root (198.51.100.1), the io. servers (198.51.100.2) and the example.io. servers (198.51.100.53), which answered NXDOMAIN';
  const borrowed =
    'pdns_recursor asked the io. servers (198.51.100.2), which referred it on; the rest came from its cache, which its work on proxysql.internal.example.io A had filled: ' +
    'it asked the example.io. servers (198.51.100.53), which answered NXDOMAIN';
  const whole = 'pdns_recursor asked no server about it: the answer came from its cache, which its work on proxysql.internal.example.io A had filled: it asked the example.io. servers (198.51.100.53), which answered NXDOMAIN';
  const FROM = 'pdns_recursor asked no server about it (it answered from its cache or its own data)';
  const paths = (p: string, env = 'staging') => ev({ resolverPaths: { [`internal.example.io A ${env}`]: essence(p) } });
  const never = () => false;

  it('ends a path whose rest came from the cache at the servers that gave the answer, marked as the cache\'s', () => {
    expect(essence(borrowed)).toBe(`pdns_recursor asked …the example.io. servers (198.51.100.53), which answered NXDOMAIN${FILLED_MARK}`);
    expect(essence(whole)).toBe(essence(borrowed));
    // The name an NXDOMAIN above was for goes; what other servers did after stays.
    expect(essence(`${borrowed} for internal.example.io`)).toBe(essence(borrowed));
    expect(essence(`${borrowed}; its queries to the provider's resolver (169.254.169.253) got no answer`)).toBe(
      `pdns_recursor asked …the example.io. servers (198.51.100.53), which answered NXDOMAIN; its queries to the provider's resolver (169.254.169.253) got no answer${FILLED_MARK}`,
    );
  });

  it('takes the cache\'s answer as the question\'s own from the same servers, even cut off from the Internet', () => {
    for (const p of [borrowed, whole]) expect(disagreements('s', paths(p), paths(direct), never)).toEqual([]);
    // Another answer, or the same answer from other servers, is a difference there.
    expect(disagreements('s', paths(borrowed.replace('which answered NXDOMAIN', 'which gave the answer')), paths(direct), never)).toHaveLength(1);
    expect(disagreements('s', paths(borrowed.replace('the example.io. servers (198.51.100.53)', 'the io. servers (198.51.100.2)')), paths(direct), never)).toHaveLength(1);
    expect(disagreements('s', paths('pdns_recursor asked the io. servers (198.51.100.2), which referred it on, with no final answer'), paths(direct), never)).toHaveLength(1);
  });

  it('where the Internet was reachable, takes it as any answer from the servers, as an answer wholly from the cache is', () => {
    const other = direct.replace('which answered NXDOMAIN', 'which answered NXDOMAIN; its queries to the io. servers (198.51.100.2) got no answer');
    const nothing = 'pdns_recursor asked the io. servers (198.51.100.2), which referred it on; it asked no server further about it';
    for (const p of [borrowed, whole, FROM, nothing]) {
      expect(disagreements('s', paths(p, 'production'), paths(other, 'production'), (e) => e === 'production')).toEqual([]);
      expect(disagreements('s', paths(p, 'staging'), paths(other, 'staging'), (e) => e === 'production')).toHaveLength(1);
    }
  });

  it('matches a path that ends at given servers, asked by the question or by the work that filled the cache', () => {
    const at = endsAt('pdns_recursor', 'the example\\.io\\. servers \\(198\\.51\\.100\\.53\\)', 'answered NXDOMAIN');
    for (const p of [direct, borrowed, whole]) expect(p).toMatch(at);
    expect(FROM).not.toMatch(at);
    expect('pdns_recursor asked the io. servers (198.51.100.2), which referred it on, with no final answer').not.toMatch(at);
    expect(borrowed.replace('answered NXDOMAIN', 'gave the answer')).not.toMatch(at);
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

describe('an explanation that contradicts itself', () => {
  const flags = { aa: false, tc: false, ra: true, ad: false, cd: false };
  const local = (rcode: string, answers: { name: string; type: string; data: string }[] = []): QueryObservation => ({
    resolver: [{ server: '127.0.0.1#53', roles: ['local-resolver', 'nameserver'], outcome: { status: 'response', rcode, flags, answers, transport: 'udp' }, latencyMs: 3 }],
  });
  const ex = (about: string, qname: string, server: string, rcode: string, kind: string): UpstreamExchange => ({ about, qname, qtype: 'A', zone: '', server, outcome: { status: 'reply', rcode, kind } });
  const q = { name: 'internal.example.io', type: 'A' };
  const run = (upstream: UpstreamExchange[], answered: QueryObservation) =>
    ({
      scenario: { name: 's' },
      queries: [q],
      reference: 'production',
      environments: [{ name: 'production', egress: 'allow', provider: 'reachable' }, { name: 'staging', egress: 'drop', provider: 'reachable' }],
      observations: { production: [answered], staging: [local('SERVFAIL')] },
      resolvConf: { nameservers: ['127.0.0.1'], timeoutS: 2, attempts: 1, search: [], ndots: 1, options: [] },
      network: {
        servers: [
          { zone: 'io', name: 'ns.nic.io', address: '198.51.100.2' },
          { zone: 'example.io', name: 'ns1.example.io', address: '198.51.100.53' },
        ],
        provider: '169.254.169.253',
      },
      upstream: { production: upstream, staging: [] },
      findings: [{ query: q, environment: 'staging' }],
    }) as unknown as ScenarioResult;
  const referral = ex('internal.example.io A', 'example.io', '198.51.100.2', 'NOERROR', 'referral');
  const denial = ex('internal.example.io A', 'internal.example.io', '198.51.100.53', 'NXDOMAIN', 'nxdomain');

  it('lets a path referred on, then answered from the cache, stand beside the NXDOMAIN it gave', () => {
    // The path CI once failed on ("…, which referred it on, with no final answer" beside an NXDOMAIN) is no longer written.
    expect(contradictions(run([referral, { ...denial, about: 'proxysql.internal.example.io A' }], local('NXDOMAIN')))).toEqual([]);
    expect(contradictions(run([referral], local('NXDOMAIN')))).toEqual([]);
  });

  it('names an NXDOMAIN path beside records, and an answer beside an NXDOMAIN; lets agreeing ones pass', () => {
    const records = local('NOERROR', [{ name: 'internal.example.io', type: 'A', data: '10.0.0.1' }]);
    expect(contradictions(run([denial], records))).toEqual([
      's: internal.example.io A production: "unbound asked the example.io. servers (198.51.100.53), which answered NXDOMAIN", and 127.0.0.1#53 answered NOERROR with records',
    ]);
    expect(contradictions(run([denial], local('NXDOMAIN')))).toEqual([]);
    const answer = ex('internal.example.io A', 'internal.example.io', '198.51.100.53', 'NOERROR', 'answer');
    expect(contradictions(run([answer], local('NXDOMAIN')))).toHaveLength(1);
    expect(contradictions(run([answer], records))).toEqual([]);
  });
});
