// Delay and loss on real namespaces, through the relays (network/relay.ts):
// a 50 ms Internet makes a cold recursion cost a round trip per zone; a slow
// authoritative server and a lossy one are classified, and nothing hangs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { leftovers, skipNetns } from '../../../test/env.js';
import { compare } from '../../compare/index.js';
import type { Query, QueryObservation } from '../../model.js';
import { planScenario, type RunPlan } from '../../plan.js';
import { loadScenario } from '../../scenario/load.js';
import { NetnsBackend } from './index.js';

const q = (name: string, type: Query['type'] = 'A'): Query => ({ name, type, source: 'explicit' });
const signal = new AbortController().signal;
const at = (o: QueryObservation, server: string) => o.resolver.find((r) => r.server === server)!;

/** Temporary directories of these tests, removed when they are over. */
const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function edited(file: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dnsparity-latency-'));
  made.push(dir);
  const out = join(dir, 'scenario.yaml');
  const text = edit(readFileSync(file, 'utf8'));
  writeFileSync(out, text.replaceAll('../fixtures/', `${process.cwd()}/fixtures/`).replace(/^  root: .*$/m, "  root: /"));
  return out;
}
const zoneLine = '        file: ../fixtures/zones/example.io.zone\n';

async function probed(plan: RunPlan, queries: Query[], deadlines: { appMs: number; resolverMs: number }) {
  let runId = '';
  try {
    await using run = await new NetnsBackend().start(plan, { signal });
    runId = run.runId;
    const started = Date.now();
    const perEnv = await Promise.all(run.environments.map(async (e) => [e.name, await e.probe(queries, { deadlines, concurrency: 8, signal })] as const));
    return { observations: Object.fromEntries(perEnv), elapsed: Date.now() - started };
  } finally {
    if (runId) expect(leftovers(runId)).toEqual([]);
  }
}

describe.skipIf(!!skipNetns)('netns backend: delay and loss', () => {
  it('a 50 ms Internet: a cold recursion through root, TLD and zone takes at least three round trips; the provider its own', async () => {
    const plan = await planScenario(loadScenario(edited('scenarios/incident-2024-11-05.yaml', (t) => t.replace('  public:\n', '  public:\n    rttMs: 50\n').replace('    address: 169.254.169.253\n', '    address: 169.254.169.253\n    rttMs: 20\n'))));
    const production = { ...plan, environments: plan.environments.filter((e) => e.reference) };
    const { observations } = await probed(production, [q('www.example.io'), q('proxysql.internal.example.io')], { appMs: 6000, resolverMs: 4000 });
    const [www, priv] = observations.production!;
    const local = at(www!, '127.0.0.1#53');
    expect(local.outcome).toMatchObject({ status: 'response', rcode: 'NOERROR', answers: [{ data: '203.0.113.80' }] });
    expect(local.latencyMs).toBeGreaterThanOrEqual(150);
    // The provider's resolver is 20 ms away, and recurses into the same 50 ms Internet for a public name.
    const vpcPriv = at(priv!, '169.254.169.253#53');
    expect(vpcPriv.outcome).toMatchObject({ status: 'response', rcode: 'NOERROR', answers: [{ data: '10.20.30.40' }] });
    expect(vpcPriv.latencyMs).toBeGreaterThanOrEqual(20);
    expect(vpcPriv.latencyMs).toBeLessThan(150);
    expect(at(www!, '169.254.169.253#53').latencyMs).toBeGreaterThanOrEqual(170);
  });

  it('a slow authoritative server (3 s): its names fail alike everywhere after the stub\'s whole budget, the private zone is unaffected, nothing hangs', async () => {
    const plan = await planScenario(loadScenario(edited('scenarios/stub-zone-fix.yaml', (t) => t.replace(zoneLine, `${zoneLine}        rttMs: 3000\n`))));
    const queries = [q('www.example.io'), q('proxysql.internal.example.io')];
    const deadlines = { appMs: 6000, resolverMs: 2500 };
    const { observations, elapsed } = await probed(plan, queries, deadlines);
    expect(elapsed).toBeLessThan(deadlines.appMs + 2000);
    for (const env of ['production', 'staging', 'preprod']) {
      const [www, priv] = observations[env]!;
      // glibc waited 2 s for each nameserver; both were still waiting on the slow server.
      expect(www!.application!.outcome, env).toEqual({ status: 'failure', code: 'EAI_AGAIN' });
      expect(www!.application!.latencyMs).toBeGreaterThanOrEqual(3900);
      expect(at(www!, '127.0.0.1#53').outcome).toEqual({ status: 'timeout' });
      expect(priv!.application!.outcome).toEqual({ status: 'answer', addresses: ['10.20.30.40'] });
    }
    // The same failure everywhere is no difference between the environments.
    const { findings } = compare({ queries, reference: plan.reference, observations, resolvConf: plan.resolvConf }, { thresholds: { latencyMs: 1000 }, expectedDifferences: [], expectedAnswers: [] });
    expect(findings).toEqual([]);
  });

  it('a lossy authoritative server (40% each way): every outcome is the right answer, a failure or a timeout, within the deadlines', async () => {
    const plan = await planScenario(loadScenario(edited('scenarios/stub-zone-fix.yaml', (t) => t.replace(zoneLine, `${zoneLine}        lossPercent: 40\n`))));
    const production = { ...plan, environments: plan.environments.filter((e) => e.reference) };
    const names = ['www.example.io', 'api.example.io', 'ns1.example.io', 'example.io'];
    const deadlines = { appMs: 6000, resolverMs: 2500 };
    const { observations, elapsed } = await probed(production, names.map((n) => q(n)), deadlines);
    expect(elapsed).toBeLessThan(deadlines.appMs + 2000);
    const expected: Record<string, string[]> = { 'www.example.io': ['203.0.113.80'], 'api.example.io': ['203.0.113.81'], 'ns1.example.io': ['198.51.100.53'], 'example.io': [] };
    observations.production!.forEach((o, i) => {
      const local = at(o, '127.0.0.1#53').outcome;
      if (local.status === 'response') {
        expect(['NOERROR', 'SERVFAIL']).toContain(local.rcode);
        if (local.rcode === 'NOERROR') expect(local.answers.filter((a) => a.type === 'A').map((a) => a.data)).toEqual(expected[names[i]!]);
      } else {
        expect(local.status).toBe('timeout');
      }
    });
  });

  it('a server that loses every packet is silence, as one that is down', async () => {
    const plan = await planScenario(loadScenario(edited('scenarios/stub-zone-fix.yaml', (t) => t.replace(zoneLine, `${zoneLine}        lossPercent: 100\n`))));
    const production = { ...plan, environments: plan.environments.filter((e) => e.reference) };
    const { observations } = await probed(production, [q('www.example.io')], { appMs: 6000, resolverMs: 2500 });
    const local = at(observations.production![0]!, '127.0.0.1#53').outcome;
    expect(local.status === 'timeout' || (local.status === 'response' && local.rcode === 'SERVFAIL'), JSON.stringify(local)).toBe(true);
    expect(observations.production![0]!.application!.outcome.status).not.toBe('answer');
  });
});
