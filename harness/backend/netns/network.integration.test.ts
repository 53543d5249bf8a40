// The network's real shapes on real namespaces: a split horizon (one origin,
// two views), public resolvers inside the simulated Internet, and a rejecting
// firewall seen as a stub sees it. Each run is torn down and checked gone.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { leftovers, skipNetns } from '../../../test/env.js';
import type { Query, QueryObservation } from '../../model.js';
import { planScenario, type RunPlan } from '../../plan.js';
import { loadScenario } from '../../scenario/load.js';
import { NetnsBackend } from './index.js';

const q = (name: string, type: Query['type'] = 'A'): Query => ({ name, type, source: 'explicit' });
const signal = new AbortController().signal;
const deadlines = { appMs: 6000, resolverMs: 4000 };
const at = (o: QueryObservation, server: string) => o.resolver.find((r) => r.server === server)!;

/** A shipped scenario with edits, written beside absolute fixture paths. */
/** Temporary directories of these tests, removed when they are over. */
const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function edited(file: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dnsparity-network-'));
  made.push(dir);
  const out = join(dir, 'scenario.yaml');
  writeFileSync(out, edit(readFileSync(file, 'utf8')).replaceAll('../fixtures/', `${process.cwd()}/fixtures/`).replace(/^  root: .*$/m, "  root: /"));
  return out;
}

async function withRun<T>(plan: RunPlan, body: (run: Awaited<ReturnType<NetnsBackend['start']>>) => Promise<T>): Promise<T> {
  let runId = '';
  try {
    await using run = await new NetnsBackend().start(plan, { signal });
    runId = run.runId;
    return await body(run);
  } finally {
    if (runId) expect(leftovers(runId)).toEqual([]);
  }
}

describe.skipIf(!!skipNetns)('netns backend: the network as real networks are', () => {
  it('serves a split horizon: the provider its view of example.io, the Internet the other', async () => {
    const plan = await planScenario(loadScenario('scenarios/split-horizon.yaml'));
    await withRun(plan, async (run) => {
      const production = run.environments.find((e) => e.name === 'production')!;
      const [www, db] = await production.probe([q('www.example.io'), q('db.example.io')], { deadlines, concurrency: 8, signal });
      // The local unbound recursing from the simulated root: the Internet's view.
      expect(at(www!, '127.0.0.1#53').outcome).toMatchObject({ status: 'response', rcode: 'NOERROR', answers: [{ data: '203.0.113.80' }] });
      expect(at(db!, '127.0.0.1#53').outcome).toMatchObject({ status: 'response', rcode: 'NXDOMAIN' });
      // The provider's resolver, asked directly: its own view.
      expect(at(www!, '169.254.169.253#53').outcome).toMatchObject({ status: 'response', rcode: 'NOERROR', answers: [{ data: '10.20.0.80' }] });
      expect(at(db!, '169.254.169.253#53').outcome).toMatchObject({ status: 'response', rcode: 'NOERROR', answers: [{ data: '10.20.0.5' }] });
    });
  });

  it('a rejected destination is an error within milliseconds at the resolver layer, not a timeout', async () => {
    // preprod: the provider's resolver rejected by the firewall (ICMP port unreachable), egress allowed.
    const file = edited('scenarios/incident-2024-11-05.yaml', (t) => t.replace('    egress: reject\n', '    egress: allow\n    provider: reject\n'));
    const plan = await planScenario(loadScenario(file));
    await withRun(plan, async (run) => {
      const preprod = run.environments.find((e) => e.name === 'preprod')!;
      const names = ['proxysql.internal.example.io', 'www.example.io', 'api.example.io', 'example.io', 'ns1.example.io', 'internal.example.io'];
      const obs = await preprod.probe(names.map((n) => q(n)), { deadlines, concurrency: 8, signal });
      for (const o of obs) {
        const vpc = at(o, '169.254.169.253#53');
        expect(vpc.outcome).toEqual({ status: 'error', message: 'ECONNREFUSED' });
        expect(vpc.latencyMs).toBeLessThan(500);
      }
    });
  });

  it('public resolvers: recursive resolvers of the simulated Internet, reachable only where egress allows, never routed on this machine', async () => {
    // A resolv.conf that names the public resolvers, so the resolver layer asks them directly.
    const file = edited('scenarios/incident-2024-11-05.yaml', (t) => t.replace('  public:\n', '  publicResolvers:\n    - address: 8.8.8.8\n    - address: 1.1.1.1\n  public:\n'));
    const resolvConf = join(file, '..', 'resolv.conf');
    writeFileSync(resolvConf, 'nameserver 127.0.0.1\nnameserver 8.8.8.8\nnameserver 1.1.1.1\noptions timeout:1 attempts:1\n');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/resolvConf: .*/, `resolvConf: ${resolvConf}`));
    const plan = await planScenario(loadScenario(file));
    await withRun(plan, async (run) => {
      // The machine's own routing table knows nothing of them: they live in the run's namespaces only.
      const routes = execFileSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' });
      expect(routes).not.toMatch(/(^|\s)(8\.8\.8\.8|1\.1\.1\.1)(\/|\s|$)/m);
      const probe = (env: string) => run.environments.find((x) => x.name === env)!.probe([q('www.example.io'), q('proxysql.internal.example.io')], { deadlines, concurrency: 8, signal });
      const [production, staging, preprod] = await Promise.all(['production', 'staging', 'preprod'].map(probe));
      for (const server of ['8.8.8.8#53', '1.1.1.1#53']) {
        // They recurse from the simulated root, and know nothing of the private zone.
        expect(at(production![0]!, server).outcome).toMatchObject({ status: 'response', rcode: 'NOERROR', flags: { ra: true }, answers: [{ data: '203.0.113.80' }] });
        expect(at(production![1]!, server).outcome).toMatchObject({ status: 'response', rcode: 'NXDOMAIN' });
        // Where egress is dropped, silence; where it is rejected, a refusal at once.
        expect(at(staging![0]!, server).outcome).toEqual({ status: 'timeout' });
        expect(at(preprod![0]!, server).outcome).toEqual({ status: 'error', message: 'ECONNREFUSED' });
      }
      // What a stub gets through them: the public view, and the private name not found.
      expect(production![0]!.application!.outcome).toEqual({ status: 'answer', addresses: ['203.0.113.80'] });
    });
  });

  it('a dual-stack Internet: egress6 lets IPv6 through where IPv4 is rejected; where both are dropped nothing replies', async () => {
    const plan = await planScenario(loadScenario('test/fixtures/scenarios/ipv6-egress-forgotten.yaml'));
    await withRun(plan, async (run) => {
      const env = (name: string) => run.environments.find((x) => x.name === name)!;
      await Promise.all(['staging', 'preprod'].map((e) => env(e).probe([q('www.example.io')], { deadlines: { appMs: 6000, resolverMs: 4000 }, concurrency: 8, signal })));
      const replies = async (name: string) => (await env(name).resolverActivity!()).filter((x) => x.outcome.status === 'reply').map((x) => x.server);
      // Staging: the simulated Internet answers over IPv6, and only over IPv6. (Whether unbound finishes
      // before the stub gives up is a race between its IPv4 tries and the stub's timeout: not asserted.)
      const staging = await replies('staging');
      expect(staging.length).toBeGreaterThan(0);
      for (const server of staging) expect(server).toMatch(/^2001:db8::198:51:100:\d+$/);
      // Preprod: both families dropped, nothing answers.
      expect(await replies('preprod')).toEqual([]);
      // IPv6 destinations of the simulated Internet are known to the router's watch: no leak.
      expect(await run.leaks!()).toEqual([]);
    });
  });
});
