// Interrupts, kills, concurrent runs: whatever happens to a run, it ends with
// the right exit code and leaves nothing of itself behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { leftovers, runIdsOf, skipNetns } from './env.js';

const CLI = 'node_modules/.bin/dnsparity';

interface Watched {
  child: ChildProcess;
  runIds: Set<string>;
  stderr: () => string;
  exit: Promise<number | null>;
}

/** Starts the CLI and keeps track of every run id it creates, for scoped leftover checks. */
function start(args: string[]): Watched {
  const child = spawn(CLI, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  const runIds = new Set<string>();
  const poll = setInterval(() => runIdsOf(child.pid!).forEach((id) => runIds.add(id)), 20);
  const exit = new Promise<number | null>((r) =>
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      // A death by signal reads as 128 + its number, as a shell or CI sees it.
      r(code ?? (signal ? 128 + osConstants.signals[signal] : null));
    }),
  );
  return { child, runIds, stderr: () => err, exit };
}

const mine = (w: Watched) => [...w.runIds].flatMap((id) => leftovers(id));
const until = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  for (;;) {
    if (cond()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
};
/** Servers are up once the environments' /etc/netns entries and long-lived processes exist. */
const serving = (w: Watched) => () => {
  const l = mine(w);
  return l.some((x) => x.startsWith('/etc/netns/')) && l.filter((x) => x.startsWith('pid')).length >= 3;
};

describe.skipIf(!!skipNetns)('interrupts and cleanup', () => {
  it('SIGTERM while probing: exit 143, nothing left', async () => {
    const w = start(['run', 'scenarios/incident-2024-11-05.yaml']);
    // Probing has started once a probe worker runs inside an environment namespace.
    expect(await until(serving(w)), w.stderr()).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    w.child.kill('SIGTERM');
    expect(await w.exit, w.stderr()).toBe(143);
    expect(mine(w)).toEqual([]);
  });

  it('a second Ctrl-C during cleanup does not cut the cleanup short', async () => {
    const w = start(['run', 'scenarios/stub-zone-fix.yaml']);
    // Interrupted while serving, teardown has processes to stop and namespaces to delete.
    expect(await until(serving(w)), w.stderr()).toBe(true);
    w.child.kill('SIGINT');
    // The second one lands once the first is being handled, i.e. during cleanup.
    expect(await until(() => w.stderr().includes('stopping and cleaning up'), 5000)).toBe(true);
    w.child.kill('SIGINT');
    expect(await w.exit, w.stderr()).toBe(130);
    expect(w.stderr()).toContain('still cleaning up');
    expect(mine(w)).toEqual([]);
  });

  it('SIGINT at any moment of a run ends it with 130 (or 1 if it had finished) and leaves nothing', async () => {
    for (const delay of [0, 80, 250, 500, 900, 1500, 3000, 5500]) {
      const w = start(['run', 'scenarios/incident-2024-11-05.yaml']);
      await new Promise((r) => setTimeout(r, delay));
      w.child.kill('SIGINT');
      const code = await w.exit;
      expect([130, 1], `delay ${delay} ms: ${w.stderr()}`).toContain(code);
      expect(mine(w), `delay ${delay} ms`).toEqual([]);
    }
  });

  it('after SIGKILL, the next run warns and "dnsparity cleanup" removes exactly what the dead run made', async () => {
    // Something that is not ours, named like ours would not be: it must survive the sweep.
    execFileSync('ip', ['netns', 'add', 'notdnsparity-keep']);
    try {
      const w = start(['run', 'scenarios/incident-2024-11-05.yaml']);
      expect(await until(serving(w)), w.stderr()).toBe(true);
      await new Promise((r) => setTimeout(r, 300));
      w.child.kill('SIGKILL');
      await w.exit;
      expect(mine(w).length).toBeGreaterThan(0); // SIGKILL leaves state behind by nature
      const warn = await execa(CLI, ['run', '--filter', 'no-such-scenario'], { reject: false });
      expect(warn.stderr).toMatch(/warning: run [0-9a-f]{6} .* died and left state behind/);
      const c = await execa(CLI, ['cleanup'], { reject: false });
      expect(c.exitCode, c.stderr).toBe(0);
      expect(c.stdout).toMatch(/removed \d+ dead run/);
      expect(mine(w)).toEqual([]);
      expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).toContain('notdnsparity-keep');
    } finally {
      execFileSync('ip', ['netns', 'del', 'notdnsparity-keep']);
    }
  });
});

describe.skipIf(!!skipNetns)('cleanup beside a live run', () => {
  it('"dnsparity cleanup" removes a killed run and leaves a live one, named by the same pattern, to finish', async () => {
    // The dead run: killed once its servers are up.
    const dead = start(['run', 'scenarios/stub-zone-fix.yaml']);
    expect(await until(serving(dead)), dead.stderr()).toBe(true);
    dead.child.kill('SIGKILL');
    await dead.exit;
    expect(mine(dead).length).toBeGreaterThan(0);
    // The live run: its namespaces match dnsparity-<id>-* as the dead run's do.
    const out = mkdtempSync(join(tmpdir(), 'dnsparity-live-'));
    const live = start(['run', 'scenarios/incident-2024-11-05.yaml', '--reporter', 'json', '--out', out]);
    try {
      expect(await until(serving(live)), live.stderr()).toBe(true);
      const decoys = mine(live).filter((l) => /^dnsparity-[0-9a-f]{6}-/.test(l));
      expect(decoys.length).toBeGreaterThan(0);
      const c = await execa(CLI, ['cleanup'], { reject: false });
      expect(c.exitCode, c.stderr).toBe(0);
      expect(mine(dead)).toEqual([]);
      // Every namespace of the live run is still there, and the run finishes with its own verdict.
      const after = new Set(mine(live));
      for (const d of decoys) expect(after.has(d), d).toBe(true);
      expect(await live.exit, live.stderr()).toBe(1);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { scenarios: { verdict: string; findings: { query: { name: string }; environment: string; status: string }[] }[] };
      expect(report.scenarios[0]!.verdict).toBe('fail');
      expect(report.scenarios[0]!.findings.some((f) => f.query.name === 'proxysql.internal.example.io' && f.environment === 'staging' && f.status === 'unexpected')).toBe(true);
      expect(mine(live)).toEqual([]);
    } finally {
      live.child.kill('SIGINT');
      await live.exit;
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!!skipNetns)('concurrent runs', () => {
  it('two runs at once on one machine give the right verdicts and do not collide', async () => {
    const a = mkdtempSync(join(tmpdir(), 'dnsparity-conc-'));
    const b = mkdtempSync(join(tmpdir(), 'dnsparity-conc-'));
    const [ra, rb] = await Promise.all([
      execa(CLI, ['run', 'scenarios/incident-2024-11-05.yaml', '--reporter', 'json', '--out', a], { reject: false }),
      execa(CLI, ['run', 'scenarios/stub-zone-fix.yaml', 'scenarios/incident-2024-11-05.yaml', '--reporter', 'json', '--out', b], { reject: false }),
    ]);
    expect(ra.exitCode, ra.stderr).toBe(1);
    expect(rb.exitCode, rb.stderr).toBe(1);
    const verdicts = (dir: string) =>
      (JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { scenarios: { scenario: { name: string }; verdict: string; runId: string }[] }).scenarios;
    const va = verdicts(a);
    const vb = verdicts(b);
    expect(va.map((s) => [s.scenario.name, s.verdict])).toEqual([['incident-2024-11-05', 'fail']]);
    expect(vb.map((s) => [s.scenario.name, s.verdict])).toEqual([['stub-zone-fix', 'pass'], ['incident-2024-11-05', 'fail']]);
    const ids = [...va, ...vb].map((s) => s.runId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(leftovers(id)).toEqual([]);
    for (const d of [a, b]) rmSync(d, { recursive: true, force: true });
  });
});
