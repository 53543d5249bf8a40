// The compactor holds observations in columns and shares outcomes between the
// environments of a run where they agree. Neither may change what an
// environment saw: each compacted observation equals the environment's own
// result, whatever the others saw for the same query and in whatever order
// they arrived, and its JSON is byte for byte that of the plain object the
// compactor made before its columns (test/plain-compactor.ts).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PlainCompactor, PlainSharedOutcomes } from '../../test/plain-compactor.js';
import type { AppObservation, DnsRecord, QueryObservation, ResolverOutcome } from '../model.js';
import { writeJson } from '../report/json-stream.js';
import type { StoredReport } from '../report/stored.js';
import { Compactor, SharedOutcomes } from './compact.js';
import type { ProbeConfig, ProbeResult } from './protocol.js';

const SERVERS: ProbeConfig['servers'] = [
  { address: '127.0.0.1', port: 53, roles: ['local-resolver', 'nameserver'] },
  { address: '169.254.169.253', port: 53, roles: ['nameserver'] },
];
const QNAMES = ['proxysql.internal.example.io', 'www.example.io'];

// Small domains, so that outcomes agree often and differ by one field as often.
const record: fc.Arbitrary<DnsRecord> = fc.record({
  name: fc.constantFrom('proxysql.internal.example.io', 'PROXYSQL.internal.example.io.', 'www.example.io', 'cname.example.io'),
  type: fc.constantFrom('A', 'CNAME'),
  data: fc.constantFrom('10.20.30.40', '10.20.30.41', '203.0.113.80'),
});
const resolverOutcome: fc.Arbitrary<ResolverOutcome> = fc.oneof(
  fc.record({
    status: fc.constant('response' as const),
    rcode: fc.constantFrom('NOERROR', 'NXDOMAIN', 'SERVFAIL'),
    flags: fc.record({ aa: fc.boolean(), tc: fc.constant(false), ra: fc.boolean(), ad: fc.boolean(), cd: fc.constant(false) }),
    answers: fc.array(record, { maxLength: 2 }),
    transport: fc.constantFrom('udp' as const, 'tcp' as const),
  }),
  fc.constant({ status: 'timeout' as const }),
  fc.record({ status: fc.constant('error' as const), message: fc.constantFrom('ECONNREFUSED', 'EHOSTUNREACH') }),
);
const appOutcome: fc.Arbitrary<AppObservation['outcome']> = fc.oneof(
  fc.record({ status: fc.constant('answer' as const), addresses: fc.array(fc.constantFrom('10.20.30.40', '10.20.30.41'), { maxLength: 2 }) }),
  fc.record({ status: fc.constantFrom('not-found' as const, 'failure' as const), code: fc.constantFrom('ENOTFOUND', 'EAI_AGAIN') }),
  fc.constant({ status: 'timeout' as const }),
);
const latency = fc.oneof(fc.nat(3000), fc.double({ min: 0, max: 3000, noNaN: true }));
const app: fc.Arbitrary<AppObservation> = fc.record(
  {
    outcome: appOutcome,
    latencyMs: latency,
    waitedOutTimeout: fc.constant(true as const),
    tally: fc.array(fc.record({ outcome: appOutcome, count: fc.integer({ min: 1, max: 5 }) }), { minLength: 2, maxLength: 3 }),
  },
  { requiredKeys: ['outcome', 'latencyMs'] },
);
const result = (i: number): fc.Arbitrary<ProbeResult> =>
  fc.record(
    {
      i: fc.constant(i),
      application: app,
      resolver: fc.tuple(resolverOutcome, resolverOutcome, latency, latency, fc.option(fc.constantFrom('www.example.io.corp.example', 'proxysql.internal.example.io'), { nil: undefined })).map(([a, b, la, lb, qname]) => [
        { server: '127.0.0.1#53', roles: SERVERS[0]!.roles, outcome: a, latencyMs: la },
        { server: '169.254.169.253#53', ...(qname === undefined ? {} : { qname }), roles: SERVERS[1]!.roles, outcome: b, latencyMs: lb },
      ]),
    },
    { requiredKeys: ['i', 'resolver'] },
  );

/** What the environment saw, in the compactor's own normal form: an answer owned by the query's name is named as the query. */
function expected(r: ProbeResult, qname: string): QueryObservation {
  const plain = (o: ResolverOutcome, asked: string): ResolverOutcome =>
    o.status !== 'response'
      ? o
      : { ...o, answers: o.answers.map((a) => (a.name.toLowerCase().replace(/\.$/, '') === asked ? { ...a, name: asked } : a)) };
  const resolver = r.resolver.map((x) => ({ ...x, outcome: plain(x.outcome, x.qname ?? qname) }));
  return r.application ? { application: r.application, resolver } : { resolver };
}

describe('Compactor', () => {
  it('gives every environment its own outcome, whatever the others saw', () => {
    const run = fc.integer({ min: 2, max: 4 }).chain((envs) =>
      fc.record({
        // results[env][query]
        results: fc.array(fc.tuple(result(0), result(1)), { minLength: envs, maxLength: envs }),
        // the order in which the environments' results arrive, query by query
        order: fc.array(fc.nat(envs - 1), { minLength: envs * 2, maxLength: envs * 4 }),
      }),
    );
    fc.assert(
      fc.property(run, fc.constantFrom(0, 1, 2), ({ results, order }, sized) => {
        // Columns made for as many queries as asked, for fewer (they grow), or left to grow from nothing.
        const shared = new SharedOutcomes(sized);
        const compactors = results.map(() => new Compactor({ servers: SERVERS }, shared));
        const plainShared = new PlainSharedOutcomes();
        const plainCompactors = results.map(() => new PlainCompactor({ servers: SERVERS }, plainShared));
        const seen = results.map(() => new Map<number, QueryObservation>());
        const plainSeen = results.map(() => new Map<number, QueryObservation>());
        // Interleave the arrivals: each step hands one environment's next result to its compactor.
        const next = results.map(() => 0);
        const steps = [...order, ...results.flatMap((_, e) => [e, e])];
        for (const e of steps) {
          const q = next[e]!;
          if (q > 1) continue;
          next[e] = q + 1;
          seen[e]!.set(q, compactors[e]!.observation(results[e]![q]!, QNAMES[q]!));
          plainSeen[e]!.set(q, plainCompactors[e]!.observation(results[e]![q]!, QNAMES[q]!));
        }
        results.forEach((rs, e) =>
          rs.forEach((r, q) => {
            const o = seen[e]!.get(q)!;
            // Read field by field, as compare and explain read it, and written whole, as report.json holds it.
            expect({ ...(o.application ? { application: o.application } : {}), resolver: o.resolver }).toEqual(expected(r, QNAMES[q]!));
            expect(JSON.stringify(o, null, 2)).toBe(JSON.stringify(plainSeen[e]!.get(q), null, 2));
          }),
        );
      }),
      { numRuns: 400 },
    );
  });

  it('shares one outcome between environments that agree, and between names on the same addresses', () => {
    const shared = new SharedOutcomes();
    const a = new Compactor({ servers: SERVERS }, shared);
    const b = new Compactor({ servers: SERVERS }, shared);
    const r: ProbeResult = {
      i: 0,
      application: { outcome: { status: 'not-found', code: 'ENOTFOUND' }, latencyMs: 8 },
      resolver: [{ server: '127.0.0.1#53', roles: ['local-resolver'], outcome: { status: 'response', rcode: 'NXDOMAIN', flags: { aa: false, tc: false, ra: true, ad: false, cd: false }, answers: [], transport: 'udp' }, latencyMs: 3 }],
    };
    const x = a.observation(r, QNAMES[0]!);
    const y = b.observation(structuredClone(r), QNAMES[0]!);
    expect(y.resolver[0]!.outcome).toBe(x.resolver[0]!.outcome);
    expect(y.application!.outcome).toBe(x.application!.outcome);
    // An answer owned by the name asked is held once for every name on that address, and read back with the name.
    const answer = (i: number, name: string): ProbeResult => ({
      i,
      resolver: [{ server: '127.0.0.1#53', roles: ['local-resolver'], outcome: { status: 'response', rcode: 'NOERROR', flags: { aa: false, tc: false, ra: true, ad: false, cd: false }, answers: [{ name: `${name}.`, type: 'A', data: '203.0.113.7' }], transport: 'udp' }, latencyMs: 1.5 }],
    });
    const before = shared.templates.length;
    const names = Array.from({ length: 50 }, (_, k) => `h${k}.bench.example`);
    const views = names.map((n, k) => a.observation(answer(k + 1, n), n));
    expect(shared.templates.length).toBe(before + 1);
    views.forEach((v, k) => expect(v.resolver[0]!.outcome).toEqual({ status: 'response', rcode: 'NOERROR', flags: { aa: false, tc: false, ra: true, ad: false, cd: false }, answers: [{ name: names[k], type: 'A', data: '203.0.113.7' }], transport: 'udp' }));
  });

  it('writes report.json byte for byte as from plain observations', () => {
    // A report a run wrote, its observations taken in again as the probe hands them over.
    const text = readFileSync(new URL('../../test/fixtures/reports/incident-2024-11-05.report.json', import.meta.url), 'utf8');
    const stored = JSON.parse(text) as StoredReport;
    const written = (doc: unknown) => {
      let out = '';
      writeJson(doc, (s) => (out += s));
      return `${out}\n`;
    };
    const columns = (obs: Readonly<Record<string, readonly QueryObservation[]>>, names: readonly string[]) => {
      const shared = new SharedOutcomes();
      return Object.fromEntries(
        Object.entries(obs).map(([env, list]) => {
          const c = new Compactor({ servers: [] }, shared);
          return [env, list.map((o, i) => c.observation({ i, ...o }, names[i]!))];
        }),
      );
    };
    const scenarios = stored.scenarios.map((s) => ({
      ...s,
      observations: columns(s.observations, s.queries.map((q) => q.name)),
      ...(s.recheck ? { recheck: { ...s.recheck, observations: columns(s.recheck.observations, s.recheck.queries.map((i) => s.queries[i]!.name)) } } : {}),
    }));
    expect(scenarios[0]!.observations.production![0]).not.toHaveProperty('resolver', undefined);
    expect(written({ ...stored, scenarios })).toBe(written(stored));
    expect(written(stored)).toBe(`${JSON.stringify(stored, null, 2)}\n`);
  });
});

describe('application outcomes by value', () => {
  it('holds one object for the same addresses seen for different names', () => {
    const c = new Compactor({ servers: SERVERS });
    const res = (i: number): ProbeResult => ({ i, application: { outcome: { status: 'answer', addresses: ['203.0.113.80'] }, latencyMs: i }, resolver: [] });
    const [a, b] = [c.observation(res(0), 'a.example.io'), c.observation(res(1), 'b.example.io')];
    expect(a.application!.outcome).toBe(b.application!.outcome);
    expect(a.application!.latencyMs).toBe(0);
    expect(b.application!.latencyMs).toBe(1);
    const other = c.observation({ i: 2, application: { outcome: { status: 'answer', addresses: ['203.0.113.81'] }, latencyMs: 2 }, resolver: [] }, 'c.example.io');
    expect(other.application!.outcome).toEqual({ status: 'answer', addresses: ['203.0.113.81'] });
  });
});
