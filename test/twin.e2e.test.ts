// Confirmation by a twin through the built CLI: on netns every scenario runs
// with a twin of its environments, started with it and asked the same
// queries at the same time; its observations of the differing queries are
// report.json's recheck, and it leaves nothing behind.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../harness/run.js';
import { leftovers, skipNetns } from './env.js';

const CLI = 'node_modules/.bin/dnsparity';
const made: string[] = [];

describe.skipIf(!!skipNetns)('confirmation by a twin (netns)', () => {
  afterAll(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });

  it('confirms the incident from a twin asked at the same time, and removes the twin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dnsparity-twin-'));
    made.push(dir);
    const r = await execa(CLI, ['run', 'scenarios/incident-2024-11-05.yaml', 'scenarios/stub-zone-fix.yaml', '--confirm', 'twin', '--reporter', 'json', '--out', dir], { reject: false, env: { NO_COLOR: '1' } });
    expect(r.exitCode, r.stderr).toBe(1);
    const [incident, fix] = (JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { scenarios: ScenarioResult[] }).scenarios;
    const recheck = incident!.recheck!;
    expect(recheck.fresh).toBe(true);
    expect(recheck.twinRunId).toMatch(/^[0-9a-f]{6}$/);
    expect(recheck.twinRunId).not.toBe(incident!.runId);
    // The differing queries, each seen by the twin in every environment.
    const proxysql = incident!.queries.findIndex((q) => q.name === 'proxysql.internal.example.io' && q.type === 'A');
    const j = recheck.queries.indexOf(proxysql);
    expect(j).toBeGreaterThanOrEqual(0);
    expect(recheck.observations.staging![j]!.application?.outcome).toMatchObject({ status: 'answer', addresses: ['10.20.30.40'] });
    expect(recheck.observations.production![j]!.application?.outcome.status).toBe('not-found');
    expect(incident!.findings.find((f) => f.query.name === 'proxysql.internal.example.io' && f.environment === 'staging')).toMatchObject({ status: 'unexpected', recheck: { class: 'resolves-only-in-one' } });
    // The twin waited as the first pass did: staging's lookup fell back after the stub's 2 s timeout.
    const longest = (o: ScenarioResult['observations']) => Math.max(...Object.values(o).flat().map((x) => x.application?.latencyMs ?? 0));
    expect(longest(recheck.observations)).toBeGreaterThan(1900);
    // Nothing differs in the fix: nothing to confirm.
    expect(fix!.recheck).toBeUndefined();
    for (const id of [incident!.runId, recheck.twinRunId!, fix!.runId]) expect(leftovers(id), id).toEqual([]);
  });

  it('asks again after the first pass with --confirm again: the same findings, no twin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dnsparity-twin-'));
    made.push(dir);
    const r = await execa(CLI, ['run', 'scenarios/incident-2024-11-05.yaml', '--confirm', 'again', '--reporter', 'json', '--out', dir], { reject: false, env: { NO_COLOR: '1' } });
    expect(r.exitCode, r.stderr).toBe(1);
    const [incident] = (JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { scenarios: ScenarioResult[] }).scenarios;
    expect(incident!.recheck).toMatchObject({ fresh: true });
    expect(incident!.recheck!.twinRunId).toBeUndefined();
    expect(incident!.findings.find((f) => f.query.name === 'proxysql.internal.example.io' && f.environment === 'staging')).toMatchObject({ status: 'unexpected', recheck: { class: 'resolves-only-in-one' } });
  });

  it('refuses an unknown --confirm with exit 2', async () => {
    const r = await execa(CLI, ['run', 'scenarios/incident-2024-11-05.yaml', '--confirm', 'twice'], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--confirm.*twice.*(twin|choices)/s);
  });
});
