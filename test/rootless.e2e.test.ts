// The netns backend as a normal user: dnsparity runs itself in a user
// namespace it makes (harness/cli/rootless.ts). The incident gets the same
// verdict and findings as a root run; doctor says which mode runs and why;
// an interrupted rootless run ends with its usual exit code and leaves no
// process behind. Runs the CLI from a world-readable copy of the build as
// DNSPARITY_TEST_USER (made by scripts/test.sh; nobody otherwise).
import { execFileSync } from 'node:child_process';
import { chownSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../harness/run.js';
import { netnsMode } from '../harness/cli/rootless.js';
import { leftovers, skipNetns, unprivilegedCli } from './env.js';

const CLI_JS = join(process.cwd(), 'dist/harness/cli/main.js');
const unexpected = (s: ScenarioResult) => s.findings.filter((f) => f.status === 'unexpected').map((f) => `${f.query.name} ${f.query.type} ${f.environment} ${f.difference.class}`).sort();
const report = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { scenarios: ScenarioResult[] };

/** Whether this machine lets an unprivileged user make the namespaces (asked as that user). */
function userCanUnshare(uid: number): string | undefined {
  try {
    execFileSync('unshare', ['--user', '--map-root-user', '--mount', '--net', '--pid', '--fork', 'true'], { uid, stdio: 'ignore' });
    return undefined;
  } catch (e) {
    return `an unprivileged user cannot make user namespaces here (${(e as Error).message.split('\n')[0]})`;
  }
}

const skip = skipNetns ?? (process.getuid?.() === 0 ? userCanUnshare(Number(execFileSync('id', ['-u', process.env.DNSPARITY_TEST_USER ?? 'nobody'], { encoding: 'utf8' }))) : 'needs root to run the CLI as another user');
if (skip) console.warn(`SKIPPED rootless tests: ${skip}`);

describe.skipIf(!!skip)('rootless netns runs', () => {
  let user: ReturnType<typeof unprivilegedCli>;
  const made: string[] = [];
  const rootRuns: string[] = [];
  const userDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'dnsparity-rootless-'));
    chownSync(d, user.uid, user.gid);
    made.push(d);
    return d;
  };
  const asUser = (args: string[], env: Record<string, string> = {}) => execa(process.execPath, [user.cli, ...args], { reject: false, cwd: user.dir, uid: user.uid, gid: user.gid, env: { NO_COLOR: '1', ...env }, stdin: 'ignore' });
  /** Processes of the test user that a run of ours could have left. */
  const userProcesses = (): string[] => {
    let out = '';
    try {
      out = execFileSync('ps', ['-u', String(user.uid), '-o', 'pid=,args='], { encoding: 'utf8' });
    } catch {
      // ps exits 1 when the user has no process at all.
    }
    return out.split('\n').filter((l) => /unbound|nsd|unshare|dist\/harness/.test(l));
  };

  beforeAll(() => {
    user = unprivilegedCli();
    for (const d of ['scenarios', 'fixtures', 'containers']) cpSync(d, join(user.dir, d), { recursive: true });
    execFileSync('chmod', ['-R', 'a+rX', user.dir]);
  });
  afterAll(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
    if (user) rmSync(user.dir, { recursive: true, force: true });
    // A rootless run makes nothing on the machine itself; the root run is checked by its own run id.
    for (const id of rootRuns) expect(leftovers(id)).toEqual([]);
  });

  it('gives the incident the same verdict and findings as a run as root', async () => {
    const [rootOut, userOut] = [mkdtempSync(join(tmpdir(), 'dnsparity-rootless-root-')), userDir()];
    made.push(rootOut);
    const asRoot = await execa(process.execPath, [CLI_JS, 'run', 'scenarios/incident-2024-11-05.yaml', '--reporter', 'json', '--out', rootOut], { reject: false, env: { NO_COLOR: '1' }, stdin: 'ignore' });
    const rootless = await asUser(['run', 'scenarios/incident-2024-11-05.yaml', '--reporter', 'json', '--reporter', 'pretty', '--out', userOut]);
    expect(asRoot.exitCode, asRoot.stderr).toBe(1);
    expect(rootless.exitCode, rootless.stderr).toBe(1);
    const [r, u] = [report(rootOut).scenarios[0]!, report(userOut).scenarios[0]!];
    rootRuns.push(r.runId);
    expect(u.backend).toBe('netns');
    expect(u.verdict).toBe(r.verdict);
    expect(unexpected(u)).toEqual(unexpected(r));
    expect(unexpected(u)).toContain('proxysql.internal.example.io A staging resolves-only-in-one');
    expect(userProcesses()).toEqual([]);
  }, 180_000);

  it('doctor says which mode runs, and why', async () => {
    const d = await asUser(['doctor']);
    expect(d.stdout).toMatch(/netns mode: rootless: running as uid \d+: the netns backend runs in a user namespace dnsparity makes/);
    expect(d.stdout).toContain('ok      root: not needed: rootless, in a user namespace');
    const off = await asUser(['doctor'], { DNSPARITY_ROOTLESS: 'never' });
    expect(off.stdout).toContain('netns mode: none: running as uid');
    expect(off.stdout).toContain('-> run as root (sudo), or unset DNSPARITY_ROOTLESS');
    expect(netnsMode()).toEqual({ mode: 'root', why: 'running as root' });
  }, 60_000);

  for (const [how, signal, code] of [['Ctrl-C (SIGINT to the process group)', 'SIGINT', 130], ['SIGTERM to the command', 'SIGTERM', 143]] as const) {
    it(`${how} ends a rootless run with ${code} and leaves no process behind`, async () => {
      const child = execa(process.execPath, [user.cli, 'run', 'scenarios/incident-2024-11-05.yaml'], { reject: false, cwd: user.dir, uid: user.uid, gid: user.gid, env: { NO_COLOR: '1' }, stdin: 'ignore', detached: true });
      // Interrupted once the environments are up: unbound runs inside.
      const until = Date.now() + 60_000;
      while (!userProcesses().some((l) => /\bunbound -d\b/.test(l)) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      expect(userProcesses().some((l) => /\bunbound -d\b/.test(l))).toBe(true);
      if (signal === 'SIGINT') process.kill(-child.pid!, 'SIGINT');
      else child.kill('SIGTERM');
      const r = await child;
      expect(r.exitCode, r.stderr).toBe(code);
      expect(r.stderr).toContain(`${signal}: stopping and cleaning up`);
      expect(userProcesses()).toEqual([]);
    }, 120_000);
  }
});
