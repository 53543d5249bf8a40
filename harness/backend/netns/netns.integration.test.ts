// The netns backend against the real thing: unbound, nsd, kernel namespaces
// and nftables. Each test checks that nothing of its run remains.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { leftovers, orphans, runIdsOf, skipNetns } from '../../../test/env.js';
import { InputError } from '../../errors.js';
import type { Query } from '../../model.js';
import { planScenario } from '../../plan.js';
import { loadScenario } from '../../scenario/load.js';
import { NetnsBackend } from './index.js';

const q = (name: string, type: Query['type'] = 'A'): Query => ({ name, type, source: 'explicit' });

describe.skipIf(!!skipNetns)('netns backend', () => {
  it('realises the incident: NXDOMAIN where egress is allowed, fallback to the VPC resolver where it is dropped', async () => {
    const plan = await planScenario(loadScenario('scenarios/incident-2024-11-05.yaml'));
    const signal = new AbortController().signal;
    let runId = '';
    {
      await using run = await new NetnsBackend().start(plan, { signal });
      runId = run.runId;
      expect(leftovers(runId).some((l) => l.startsWith(`dnsparity-${runId}-`))).toBe(true);
      const [prod, staging] = run.environments;
      expect(prod!.name).toBe('production');
      const queries = [q('proxysql.internal.example.io'), q('www.example.io'), q('www.example.io', 'MX')];
      const [p, s] = await Promise.all([prod!.probe(queries, { deadlines: { appMs: 6000, resolverMs: 4000 }, concurrency: 8, signal }), staging!.probe(queries, { deadlines: { appMs: 6000, resolverMs: 4000 }, concurrency: 8, signal })]);
      // Application layer: the verdict.
      expect(p[0]!.application!.outcome.status).toBe('not-found');
      expect(s[0]!.application!.outcome).toEqual({ status: 'answer', addresses: ['10.20.30.40'] });
      expect(s[0]!.application!.latencyMs).toBeGreaterThanOrEqual(1900); // the stub's 2 s timeout
      // Resolver layer: the explanation.
      const local = (o: (typeof p)[number]) => o.resolver.find((r) => r.roles.includes('local-resolver'))!.outcome;
      expect(local(p[0]!)).toMatchObject({ status: 'response', rcode: 'NXDOMAIN' });
      expect(local(s[0]!)).toEqual({ status: 'timeout' });
      const vpc = s[0]!.resolver.find((r) => r.server === '169.254.169.253#53')!.outcome;
      expect(vpc).toMatchObject({ status: 'response', rcode: 'NOERROR', answers: [{ type: 'A', data: '10.20.30.40' }] });
      expect(p[1]!.application!.outcome).toEqual({ status: 'answer', addresses: ['203.0.113.80'] });
      // A type getaddrinfo does not look up goes through the C library's res_nsearch: no MX there, as the local resolver says.
      expect(p[2]!.application!.outcome).toEqual({ status: 'not-found', code: 'NO_DATA' });
      expect(local(p[2]!)).toMatchObject({ status: 'response', rcode: 'NOERROR', answers: [] });
    }
    expect(leftovers(runId)).toEqual([]);
  });

  it('validates against the signed simulated Internet, and only because it is signed', async () => {
    // One environment is enough: the production-like one, where the root is reachable.
    const signedPlan = await planScenario(loadScenario('scenarios/incident-dnssec.yaml'));
    const plan = { ...signedPlan, environments: signedPlan.environments.filter((e) => e.reference) };
    const unsignedPlan = {
      ...plan,
      internet: { ...plan.internet, servers: plan.internet.servers.map((s) => ({ ...s, zones: s.zones.map((z) => ({ ...z, signed: false })) })) },
    };
    const signal = new AbortController().signal;
    const local = async (p: typeof plan) => {
      await using run = await new NetnsBackend().start(p, { signal });
      const anchor = run.substitutions.find((x) => x.option === 'auto-trust-anchor-file')!;
      expect(anchor).toMatchObject({ original: '"/var/lib/unbound/root.key"', line: 16 });
      expect(anchor.replacement).toContain(`/run/dnsparity/${run.runId}/`);
      const [www, denied] = await run.environments[0]!.probe([q('www.example.io'), q('proxysql.internal.example.io')], { deadlines: { appMs: 6000, resolverMs: 4000 }, concurrency: 8, signal });
      const outcome = (o: typeof www) => o!.resolver.find((r) => r.roles.includes('local-resolver'))!.outcome;
      return [outcome(www), outcome(denied)];
    };
    const [www, denied] = await local(plan);
    expect(www).toMatchObject({ status: 'response', rcode: 'NOERROR', flags: { ad: true }, answers: [{ data: '203.0.113.80' }] });
    expect(denied).toMatchObject({ status: 'response', rcode: 'NXDOMAIN', flags: { ad: true } });
    // The same config against the same Internet left unsigned: the trust anchor finds no keys, every answer is bogus.
    const [bogus] = await local(unsignedPlan);
    expect(bogus).toMatchObject({ status: 'response', rcode: 'SERVFAIL', flags: { ad: false }, answers: [] });
  });

  it('rejects a config unbound-checkconf rejects, naming the image file and line, with nothing left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dnsparity-test-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const conf = join(dir, 'unbound.conf');
    writeFileSync(conf, 'server:\n    interface: 127.0.0.1\n    num-threads: lots\n');
    const text = readFileSync('scenarios/stub-zone-fix.yaml', 'utf8').replace('../fixtures/images/stub-zone-fix/unbound.conf', conf);
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, text.replaceAll('../fixtures/', `${process.cwd()}/fixtures/`).replace(/^  root: .*$/m, '  root: /'));
    const plan = await planScenario(loadScenario(file));
    const before = orphans();
    const err = await new NetnsBackend().start(plan, { signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain(`${conf}:3`);
    expect(orphans()).toEqual(before);
  });

  it('tears down when aborted during set-up, once it has made something', async () => {
    const plan = await planScenario(loadScenario('scenarios/stub-zone-fix.yaml'));
    const ac = new AbortController();
    const before = orphans();
    const seen = new Set(runIdsOf(process.pid));
    const starting = new NetnsBackend().start(plan, { signal: ac.signal });
    // Abort as soon as the run has namespaces or processes: set-up is under way, not over.
    let id: string | undefined;
    let made: string[] = [];
    for (let i = 0; i < 2000 && made.length === 0; i++) {
      id ??= runIdsOf(process.pid).find((r) => !seen.has(r));
      if (id) made = leftovers(id);
      if (made.length === 0) await new Promise((r) => setTimeout(r, 2));
    }
    expect(made.length, 'the run made nothing to tear down').toBeGreaterThan(0);
    ac.abort(new Error('test abort'));
    const result = await starting.then(
      async (run) => {
        await run[Symbol.asyncDispose]();
        return 'started';
      },
      (e: Error) => e.message,
    );
    // The abort landed during set-up: start() rejects with it, and what it had made is gone.
    expect(result).toBe('test abort');
    expect(leftovers(id!)).toEqual([]);
    expect(orphans()).toEqual(before);
  });

});
