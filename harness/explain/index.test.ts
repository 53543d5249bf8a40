// An explanation joins the resolver path (what unbound did upstream) and the
// stub path. Above the tracing limit there is no resolver path to give: the
// explanation says so, instead of taking an empty trace as "no query sent".
import { describe, expect, it } from 'vitest';
import type { Query, QueryObservation, UpstreamExchange } from '../model.js';
import type { NetworkMap } from '../network/simulated-internet.js';
import { TRACE_MAX_QUERIES } from '../upstream-trace.js';
import { explainDifference, explainEnvironment, type ExplainInput } from './index.js';

const net: NetworkMap = {
  servers: [
    { zone: '', name: 'a.root-servers.test', address: '198.51.100.1' },
    { zone: 'example.io', name: 'ns1.example.io', address: '198.51.100.53' },
  ],
  provider: '169.254.169.253',
};
const RC = { nameservers: ['127.0.0.1', '169.254.169.253'], timeoutS: 2, attempts: 1, search: [] as string[], ndots: 1, options: [] as string[] };
const flags = { aa: false, tc: false, ra: true, ad: false, cd: false };
const nxdomain: QueryObservation = {
  application: { outcome: { status: 'not-found', code: 'ENOTFOUND' }, latencyMs: 8 },
  resolver: [
    { server: '127.0.0.1#53', roles: ['local-resolver', 'nameserver'], outcome: { status: 'response', rcode: 'NXDOMAIN', flags, answers: [], transport: 'udp' }, latencyMs: 8 },
    { server: '169.254.169.253#53', roles: ['nameserver'], outcome: { status: 'response', rcode: 'NOERROR', flags, answers: [{ name: 'q0.internal.example.io', type: 'A', data: '10.20.30.40' }], transport: 'udp' }, latencyMs: 1 },
  ],
};
const timedOut: QueryObservation = {
  application: { outcome: { status: 'answer', addresses: ['10.20.30.40'] }, latencyMs: 2004 },
  resolver: [
    { server: '127.0.0.1#53', roles: ['local-resolver', 'nameserver'], outcome: { status: 'timeout' }, latencyMs: 2500 },
    nxdomain.resolver[1]!,
  ],
};
const asked: UpstreamExchange = { about: 'q0.internal.example.io A', qname: 'internal.example.io', qtype: 'A', zone: 'example.io', server: '198.51.100.53', outcome: { status: 'reply', rcode: 'NXDOMAIN', kind: 'nxdomain answer' } };

function input(n: number, upstream: ExplainInput['upstream']): ExplainInput {
  const queries: Query[] = Array.from({ length: n }, (_, i) => ({ name: `q${i}.internal.example.io`, type: 'A' }) as Query);
  return {
    queries,
    reference: 'production',
    environments: [
      { name: 'production', egress: 'allow', provider: 'reachable' },
      { name: 'staging', egress: 'drop', provider: 'reachable' },
    ],
    observations: { production: queries.map(() => nxdomain), staging: queries.map(() => timedOut) },
    resolvConf: RC,
    network: net,
    ...(upstream ? { upstream } : {}),
  };
}

describe('explanations', () => {
  it('give the resolver path and the stub path when the run traced upstream queries', () => {
    const r = input(2, { production: [asked], staging: [] });
    const text = explainEnvironment(r, 'production', 0);
    expect(text).toMatch(/^unbound asked the example\.io\. servers \(198\.51\.100\.53\), which answered NXDOMAIN; /);
    expect(text).toContain('127.0.0.1 answered NXDOMAIN, which is final');
    expect(explainEnvironment(r, 'staging', 0)).toMatch(/^unbound sent no query upstream; /);
  });

  it(`give the stub path alone above ${TRACE_MAX_QUERIES} queries, and say why`, () => {
    const n = TRACE_MAX_QUERIES + 1;
    // Empty traces, as a run above the limit (or an older report of one) may carry.
    for (const upstream of [undefined, { production: [], staging: [] }]) {
      const r = input(n, upstream);
      const text = explainDifference(r, 'staging', 0);
      expect(text).not.toContain('unbound sent no query upstream');
      expect(text).toBe(
        `In production, the resolver's upstream queries are not traced above ${TRACE_MAX_QUERIES} queries (${n} here): stub path alone; ` +
          `${explainEnvironment(input(1, undefined), 'production', 0)}. ` +
          `In staging, the resolver's upstream queries are not traced above ${TRACE_MAX_QUERIES} queries (${n} here): stub path alone; ` +
          `${explainEnvironment(input(1, undefined), 'staging', 0)}.`,
      );
    }
  });

  it(`still trace at exactly ${TRACE_MAX_QUERIES} queries`, () => {
    expect(explainEnvironment(input(TRACE_MAX_QUERIES, { production: [asked], staging: [] }), 'production', 0)).toMatch(/^unbound asked/);
  });

  it('give the stub path alone, without a claim, where the backend saw no upstream queries', () => {
    const text = explainEnvironment(input(2, undefined), 'staging', 0);
    expect(text).toMatch(/^127\.0\.0\.1 gave no answer within 2 s/);
    expect(text).not.toMatch(/unbound|traced/);
  });
});
