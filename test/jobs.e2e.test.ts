// Scenarios side by side (run --jobs) through the built CLI: the shipped
// scenarios give the same verdicts, findings, leaks and resolver paths one
// at a time and several at a time, in the same order; each scenario has its
// own run id; --jobs 0 is bad input; and Ctrl-C in the middle of a parallel
// run removes what every running scenario had made.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { processAlive, readRun } from '../harness/run-state.js';
import type { ScenarioResult } from '../harness/run.js';
import { leftovers, skipNetns } from './env.js';
import { contradictions, disagreements, evidenceOf } from './evidence.js';

const CLI = 'node_modules/.bin/dnsparity';
const dnsparity = (args: string[], env: Record<string, string> = {}) => execa(CLI, args, { reject: false, env: { NO_COLOR: '1', ...env }, stdin: 'ignore' });
const made: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'dnsparity-jobs-'));
  made.push(d);
  return d;
};
type Report = { exitCode: number; jobs?: number; scenarios: ScenarioResult[] };
const readReport = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;

describe('run --jobs input', () => {
  it('refuses --jobs 0 and a fraction with exit 2 and one line, starting nothing', async () => {
    for (const bad of ['0', '1.5', 'many']) {
      const r = await dnsparity(['run', 'scenarios/incident-2024-11-05.yaml', '--jobs', bad]);
      expect(r.exitCode, bad).toBe(2);
      expect(r.stderr).toContain('--jobs expects a positive whole number');
    }
  });
});

describe.skipIf(!!skipNetns)('run --jobs on the netns backend', () => {
  afterAll(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });

  it('gives the shipped scenarios the same verdicts, findings, leaks and resolver paths one at a time and side by side, in the same order', async () => {
    const [seqDir, parDir] = [tmp(), tmp()];
    // Both at once: what the parallel run gives must not depend on a quiet machine either.
    // On two cores the one-at-a-time run confirms with twins and the parallel one by asking again (--confirm auto).
    const [seq, par] = await Promise.all([
      dnsparity(['run', 'scenarios', '--jobs', '1', '--reporter', 'json', '--reporter', 'pretty', '--out', seqDir]),
      dnsparity(['run', 'scenarios', '--reporter', 'json', '--reporter', 'pretty', '--out', parDir]),
    ]);
    expect(seq.exitCode, seq.stderr).toBe(1);
    expect(par.exitCode, par.stderr).toBe(1);
    const [s, p] = [readReport(seqDir), readReport(parDir)];
    expect(s.jobs).toBe(1);
    expect(p.jobs).toBeGreaterThan(1); // the default, from this machine's cores and memory
    expect(par.stdout).toMatch(new RegExp(`in [\\d.]+ s, ${p.jobs} at a time \\(exit 1\\)`));
    const shipped = readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).length;
    expect(s.scenarios).toHaveLength(shipped);
    // The scenarios' own order, whatever finished first.
    expect(p.scenarios.map((x) => x.scenario.file)).toEqual(s.scenarios.map((x) => x.scenario.file));
    expect(p.scenarios.map((x) => x.scenario.file)).toEqual([...p.scenarios.map((x) => x.scenario.file)].sort());
    // The pretty report prints them in that order too.
    const printed = [...par.stdout.matchAll(/^[✓✗] (?:PASS|FAIL)\s+(\S+)/gm)].map((m) => m[1]);
    expect(printed).toEqual(p.scenarios.map((x) => x.scenario.name));
    // Every scenario its own run.
    const ids = [...s.scenarios, ...p.scenarios].map((x) => x.runId);
    expect(new Set(ids).size).toBe(ids.length);
    const problems = s.scenarios.flatMap((one, k) => {
      const egressAllowed = (env: string) => one.environments.find((e) => e.name === env)!.egress === 'allow';
      return disagreements(one.scenario.name, evidenceOf(one), evidenceOf(p.scenarios[k]!), egressAllowed);
    });
    expect(problems.join('\n')).toBe('');
    // Each explanation agrees with itself: its resolver path ends as the local resolver answered.
    expect([...s.scenarios, ...p.scenarios].flatMap(contradictions)).toEqual([]);
    // Not an empty comparison: the incident fails in both for its reason, the fix passes.
    const incident = p.scenarios.find((x) => x.scenario.name === 'incident-2024-11-05')!;
    expect(evidenceOf(incident).findings).toContain('proxysql.internal.example.io A staging resolves-only-in-one unexpected');
    expect(p.scenarios.find((x) => x.scenario.name === 'stub-zone-fix')!.verdict).toBe('pass');
    for (const id of ids) expect(leftovers(id), id).toEqual([]);
  }, 600_000);

  it('Ctrl-C in the middle of a parallel run: exit 130, and every running scenario\'s namespaces, processes and files are gone', async () => {
    // A state directory of the test's own: every run id in it is this run's.
    const state = tmp();
    const child = spawn(CLI, ['run', 'scenarios', '--jobs', '4', '--confirm', 'twin'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', DNSPARITY_STATE_DIR: state } });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.resume();
    const exit = new Promise<number | null>((r) => child.on('exit', (code, signal) => r(code ?? (signal ? 128 + osConstants.signals[signal] : null))));
    type Rec = { runId: string; namespaces: string[]; pids: number[] };
    const seen = new Map<string, Rec>();
    const read = () => {
      for (const id of existsSync(state) ? readdirSync(state) : []) {
        try {
          const rec = readRun(id, state);
          if (rec) seen.set(id, rec);
        } catch {
          // being written, or gone
        }
      }
    };
    // In the middle: several scenarios serving at once (namespaces made, servers started).
    const serving = () => [...seen.values()].filter((r) => r.namespaces.length > 0 && r.pids.length >= 3 && existsSync(join(state, r.runId)));
    const end = Date.now() + 60_000;
    while (serving().length < 3 && Date.now() < end) {
      read();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(serving().length, err).toBeGreaterThanOrEqual(3);
    child.kill('SIGINT');
    expect(await exit, err).toBe(130);
    expect(err).toContain('SIGINT: stopping and cleaning up');
    read();
    expect(seen.size).toBeGreaterThanOrEqual(3);
    for (const r of seen.values()) {
      const ns = namespaces().filter((n) => n.startsWith(`dnsparity-${r.runId}-`));
      expect(ns, r.runId).toEqual([]);
      for (const n of r.namespaces) expect(existsSync(`/etc/netns/${n}`), n).toBe(false);
      for (const pid of r.pids) expect(processAlive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(r.runId), `pid ${pid} of ${r.runId}`).toBe(false);
      expect(existsSync(join(state, r.runId)), r.runId).toBe(false);
    }
  }, 120_000);
});

function namespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
}
