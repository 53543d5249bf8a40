// A scenario that cannot be carried out, through the CLI: the resolver under
// test is killed while the probe asks it. The run goes on with the next
// scenario, reports both (the error in errors[], the other in scenarios[]),
// says it in one line on stderr and exits 2, even under a baseline that
// knows every finding.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cmdline, readRun } from '../harness/run-state.js';
import { leftovers, runIdsOf, skipNetns } from './env.js';

const CLI = 'node_modules/.bin/dnsparity';
const BASELINE = 'test/fixtures/reports/incident-2024-11-05.report.json';
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const ppid = (pid: string): number | undefined => {
  try {
    // The command in parentheses may hold spaces: the fields after it are fixed.
    return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]);
  } catch {
    return undefined;
  }
};
const namespaceOf = (pid: number): string | undefined => {
  try {
    return execFileSync('ip', ['netns', 'identify', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
};
/** Whether pid descends from ancestor (the worker runs under ip netns exec, under the CLI). */
const descends = (pid: string, ancestor: number): boolean => {
  let p: number | undefined = Number(pid);
  for (let depth = 0; depth < 4 && p !== undefined && p > 1; depth++) {
    p = ppid(String(p));
    if (p === ancestor) return true;
  }
  return false;
};
/** Whether a probe worker of the CLI is running. */
const probing = (cli: number) => readdirSync('/proc').some((p) => /^\d+$/.test(p) && (cmdline(Number(p)) ?? '').match(/worker(\.bundle\.mjs|\.js) probe/) !== null && descends(p, cli));

describe.skipIf(!!skipNetns)('a run error through the CLI', () => {
  it('exits 2 with one line on stderr and errors[] in report.json, runs the other scenarios, and a baseline does not hide it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dnsparity-run-error-'));
    dirs.push(out);
    // One scenario after the other, each a single run (no twin): the first run id seen is the incident's.
    const child = spawn(CLI, ['run', 'scenarios/incident-2024-11-05.yaml', 'scenarios/stub-zone-fix.yaml', '--jobs', '1', '--confirm', 'again', '--baseline', BASELINE, '--reporter', 'json', '--out', out], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const runIds = new Set<string>();

    // While the incident's probe runs, kill staging's unbound by the pid its run recorded.
    let killed: number | undefined;
    for (let i = 0; i < 1500 && killed === undefined && child.exitCode === null; i++) {
      runIdsOf(child.pid!).forEach((id) => runIds.add(id));
      // The first scenario's run, while it lasts: once its state is gone it is over.
      const [first] = [...runIds];
      if (first && !readRun(first)) break;
      if (first && probing(child.pid!)) {
        const { pids } = readRun(first)!;
        const staging = `dnsparity-${first}-e-staging`;
        killed = pids.find((p) => (cmdline(p) ?? '').startsWith('unbound ') && (cmdline(p) ?? '').includes(`${first}/host/`) && namespaceOf(p) === staging);
        if (killed) process.kill(killed, 'SIGKILL');
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(killed, `no unbound of staging found while probing; stderr: ${stderr}`).toBeDefined();
    const code = await exit;

    expect(code, stderr).toBe(2);
    // Warnings about other, dead runs on this machine aside, one line: the error.
    const lines = stderr.trim().split('\n').filter((l) => !l.startsWith('warning: '));
    expect(lines, stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^dnsparity: incident-2024-11-05: .*unbound in staging exited/);

    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.exitCode).toBe(2);
    expect(report.errors).toEqual([{ scenario: 'incident-2024-11-05', message: expect.stringMatching(/unbound in staging exited/) }]);
    expect(report.scenarios.map((s: { scenario: { name: string }; verdict: string }) => [s.scenario.name, s.verdict])).toEqual([['stub-zone-fix', 'pass']]);
    // The baseline was applied (nothing new), and still the run could not be carried out.
    expect(report.baseline).toMatchObject({ file: BASELINE, new: 0 });
    for (const s of report.scenarios) runIds.add(s.runId);
    expect(runIds.size).toBe(2);
    for (const id of runIds) expect(leftovers(id)).toEqual([]);
  });
});
