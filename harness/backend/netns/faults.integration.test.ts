// Faults in the simulated network, injected into a real run by ending one of
// its processes (by the pid the run recorded): each is classified, and none
// makes the run hang past its timeouts.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { skipNetns } from '../../../test/env.js';
import { compare } from '../../compare/index.js';
import { BackendError } from '../../errors.js';
import type { Query } from '../../model.js';
import { planScenario, type RunPlan } from '../../plan.js';
import { cmdline, readRun } from '../../run-state.js';
import { loadScenario } from '../../scenario/load.js';
import type { StartedRun } from '../types.js';
import { NetnsBackend } from './index.js';

const TIMEOUT_MS = 4000;
const q = (name: string, type: Query['type'] = 'A'): Query => ({ name, type, source: 'explicit' });

/** Ends the run's process whose command line contains needle, and waits until it is gone. */
async function kill(run: StartedRun, needle: string): Promise<void> {
  const state = readRun(run.runId)!;
  const pid = state.pids.find((p) => cmdline(p)?.includes(needle));
  expect(pid, `no process of run ${run.runId} matches ${needle}`).toBeDefined();
  process.kill(pid!, 'SIGKILL');
  for (let i = 0; i < 100 && cmdline(pid!) !== undefined; i++) await new Promise((r) => setTimeout(r, 10));
}

async function probeAll(plan: RunPlan, run: StartedRun, queries: Query[]) {
  const signal = new AbortController().signal;
  const started = Date.now();
  const perEnv = await Promise.all(run.environments.map(async (e) => [e.name, await e.probe(queries, { deadlines: { appMs: TIMEOUT_MS + 1000, resolverMs: TIMEOUT_MS }, concurrency: 8, signal })] as const));
  const elapsed = Date.now() - started;
  const observations = Object.fromEntries(perEnv);
  const { findings } = compare({ queries, reference: plan.reference, observations, resolvConf: plan.resolvConf }, { thresholds: { latencyMs: 1000 }, expectedDifferences: [], expectedAnswers: [] });
  return { observations, findings, elapsed };
}

describe.skipIf(!!skipNetns)('faults in the simulated network', () => {
  const signal = new AbortController().signal;

  it("the provider's resolver down: the fallback fails, classified, bounded", async () => {
    const plan = await planScenario(loadScenario('scenarios/incident-2024-11-05.yaml'));
    await using run = await new NetnsBackend().start(plan, { signal });
    await kill(run, 'provider/unbound.conf');
    const { observations, findings, elapsed } = await probeAll(plan, run, [q('proxysql.internal.example.io')]);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 2000);
    // Production never asks the provider (NXDOMAIN is final); staging has nowhere left to go.
    expect(observations.production![0]!.application!.outcome.status).toBe('not-found');
    expect(['failure', 'timeout']).toContain(observations.staging![0]!.application!.outcome.status);
    const vpc = observations.staging![0]!.resolver.find((r) => r.server === '169.254.169.253#53')!.outcome.status;
    expect(['error', 'timeout']).toContain(vpc);
    expect(findings.find((f) => f.environment === 'staging')!.difference.class).toMatch(/different-rcode|timeout/);
  });

  it('an authoritative server down: no answer from the local resolver, the stub moves on, nothing hangs', async () => {
    const plan = await planScenario(loadScenario('scenarios/stub-zone-fix.yaml'));
    await using run = await new NetnsBackend().start(plan, { signal });
    await kill(run, 'nsd/example-io/');
    const { observations, elapsed } = await probeAll(plan, run, [q('www.example.io'), q('proxysql.internal.example.io')]);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 2000);
    const prod = observations.production!;
    // unbound keeps retrying an unreachable server: silence or SERVFAIL, never an answer.
    const local = prod[0]!.resolver[0]!.outcome;
    expect(local.status === 'timeout' || (local.status === 'response' && local.rcode === 'SERVFAIL'), JSON.stringify(local)).toBe(true);
    expect(prod[0]!.application!.outcome.status).not.toBe('answer');
    // The private zone does not depend on the public server.
    expect(prod[1]!.application!.outcome).toEqual({ status: 'answer', addresses: ['10.20.30.40'] });
  });

  it('a truncated answer is retried over TCP at both layers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dnsparity-tc-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    cpSync('fixtures', join(dir, 'fixtures'), { recursive: true });
    cpSync('scenarios', join(dir, 'scenarios'), { recursive: true });
    // 80 A records do not fit in 1232 bytes of UDP.
    const big = Array.from({ length: 80 }, (_, i) => `big IN A 203.0.113.${i + 1}`).join('\n');
    writeFileSync(join(dir, 'fixtures/zones/example.io.zone'), `${readFileSync('fixtures/zones/example.io.zone', 'utf8')}${big}\n`);
    const plan = await planScenario(loadScenario(join(dir, 'scenarios/stub-zone-fix.yaml')));
    await using run = await new NetnsBackend().start(plan, { signal });
    const { observations } = await probeAll(plan, run, [q('big.example.io')]);
    const prod = observations.production![0]!;
    expect(prod.resolver[0]!.outcome).toMatchObject({ status: 'response', rcode: 'NOERROR', transport: 'tcp' });
    expect(prod.resolver[0]!.outcome.status === 'response' && prod.resolver[0]!.outcome.answers).toHaveLength(80);
    expect(prod.application!.outcome.status === 'answer' && prod.application!.outcome.addresses).toHaveLength(80);
  });

  it('the resolver under test crashing mid-run is a failure of the run, not a difference', async () => {
    const plan = await planScenario(loadScenario('scenarios/stub-zone-fix.yaml'));
    await using run = await new NetnsBackend().start(plan, { signal });
    await kill(run, `${run.runId}/host/`); // one of the environments' unbound processes
    const err = await probeAll(plan, run, [q('www.example.io')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as Error).message).toMatch(/unbound in (production|staging|preprod) exited/);
  });
});
