// A hand-built scenario result shaped like the incident's, for unit tests of
// comparison, baselines, reporters and the report.json schema: no network,
// every observation written out, findings derived by the real assess().
import { assess, type Gathered } from '../harness/assess.js';
import type { AppOutcome, QueryObservation, ResolverOutcome, UpstreamExchange } from '../harness/model.js';
import type { ScenarioResult } from '../harness/run.js';

const flags = { aa: false, tc: false, ra: true, ad: false, cd: false };
export const response = (rcode: string, ...addresses: string[]): ResolverOutcome => ({
  status: 'response',
  rcode,
  flags,
  answers: addresses.map((data) => ({ name: 'x', type: 'A', data })),
  transport: 'udp',
});
export const obs = (app: AppOutcome, appMs: number, local: ResolverOutcome, localMs: number, vpc: ResolverOutcome = response('NOERROR', '10.20.30.40')): QueryObservation => ({
  application: { outcome: app, latencyMs: appMs },
  resolver: [
    { server: '127.0.0.1#53', roles: ['local-resolver', 'nameserver'], outcome: local, latencyMs: localMs },
    { server: '169.254.169.253#53', roles: ['nameserver'], outcome: vpc, latencyMs: 3 },
  ],
});
const notFound: AppOutcome = { status: 'not-found', code: 'ENOTFOUND' };
const answer = (...addresses: string[]): AppOutcome => ({ status: 'answer', addresses });
const timeout: ResolverOutcome = { status: 'timeout' };

const x = (about: string, server: string, zone: string, outcome: UpstreamExchange['outcome']): UpstreamExchange => ({ about, qname: about.split(' ')[0]!, qtype: 'A', zone, server, outcome });

export function sampleGathered(over: Partial<Gathered> = {}): Gathered {
  return {
    scenario: { name: 'sample-incident', file: '/srv/scenarios/sample-incident.yaml', description: 'a hand-built incident' },
    backend: 'netns',
    runId: 'abc123',
    reference: 'production',
    environments: [
      { name: 'production', egress: 'allow', provider: 'reachable', reference: true },
      { name: 'staging', egress: 'drop', provider: 'reachable', reference: false },
    ],
    localResolver: '127.0.0.1#53',
    resolvConf: { nameservers: ['127.0.0.1', '169.254.169.253'], timeoutS: 2, attempts: 1, search: [], ndots: 1, options: [] },
    latencyThresholdMs: 1000,
    expect: { differences: [], answers: [{ name: 'proxysql.internal.example.io', type: 'A', addresses: ['10.20.30.40'] }] },
    network: {
      servers: [
        { zone: '', name: 'a.root-servers.test', address: '198.51.100.1' },
        { zone: 'io', name: 'ns.nic.io', address: '198.51.100.2' },
        { zone: 'example.io', name: 'ns1.example.io', address: '198.51.100.53' },
      ],
      provider: '169.254.169.253',
    },
    substitutions: [
      { option: 'root-hints', original: null, replacement: '"/run/dnsparity/abc123/root.hints"', why: 'point recursion at the simulated root' },
      { option: 'verbosity', original: '1', replacement: '4 (-vvv on the command line; the file is not edited)', why: 'log every upstream query', line: 9 },
    ],
    queries: [
      { name: 'proxysql.internal.example.io', type: 'A', source: 'private-zone' },
      { name: 'www.example.io', type: 'A', source: 'public-zone' },
      { name: 'example.io', type: 'MX', source: 'explicit' },
    ],
    observations: {
      production: [
        obs(notFound, 40, response('NXDOMAIN'), 38),
        obs(answer('203.0.113.80'), 30, response('NOERROR', '203.0.113.80'), 29, response('NOERROR', '203.0.113.80')),
        { resolver: [{ server: '127.0.0.1#53', roles: ['local-resolver'], outcome: response('NOERROR'), latencyMs: 5 }] },
      ],
      staging: [
        obs(answer('10.20.30.40'), 2031, timeout, 5000),
        obs(answer('203.0.113.80'), 2012, timeout, 5000, response('NOERROR', '203.0.113.80')),
        { resolver: [{ server: '127.0.0.1#53', roles: ['local-resolver'], outcome: response('NOERROR'), latencyMs: 7 }] },
      ],
    },
    upstream: {
      production: [
        x('. NS', '198.51.100.1', '.', { status: 'reply', rcode: 'NOERROR', kind: 'answer' }),
        x('proxysql.internal.example.io A', '198.51.100.1', '.', { status: 'reply', rcode: 'NOERROR', kind: 'referral' }),
        x('proxysql.internal.example.io A', '198.51.100.2', 'io', { status: 'reply', rcode: 'NOERROR', kind: 'referral' }),
        x('proxysql.internal.example.io A', '198.51.100.53', 'example.io', { status: 'reply', rcode: 'NXDOMAIN', kind: 'nxdomain answer' }),
        x('www.example.io A', '198.51.100.53', 'example.io', { status: 'reply', rcode: 'NOERROR', kind: 'answer' }),
      ],
      staging: [x('. NS', '198.51.100.1', '.', { status: 'no-answer' }), x('. NS', '198.51.100.1', '.', { status: 'no-answer' })],
    },
    wallMs: 12_345,
    ...over,
  };
}

export function sampleResult(over: Partial<Gathered> = {}): ScenarioResult {
  const g = sampleGathered(over);
  return { ...g, ...assess(g) };
}
