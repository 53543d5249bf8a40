// The run command's flags and the doctor command through the built CLI, each
// checked by what it changes: --filter picks the scenarios, --keep keeps the
// run directory and nothing else, --concurrency bounds the queries in flight,
// --baseline turns known findings into exit 0 and new ones into exit 1, a bad
// --reporter is exit 2 before anything starts; doctor says what is there and
// what is missing, and how to get it.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { stateRoot } from '../harness/run-state.js';
import type { StoredReport } from '../harness/report/stored.js';
import { leftovers, skipNetns } from './env.js';

const CLI = 'node_modules/.bin/dnsparity';
const dnsparity = (args: string[], env: Record<string, string> = {}) =>
  execa(CLI, args, { reject: false, env: { NO_COLOR: '1', ...env }, stdin: 'ignore' });
const STORED = 'test/fixtures/reports/incident-2024-11-05.report.json';
const made: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'dnsparity-flags-'));
  made.push(d);
  return d;
};
const readJson = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as StoredReport;
const runIds: string[] = [];
const report = (dir: string) => {
  const r = readJson(dir);
  runIds.push(...r.scenarios.map((s) => s.runId));
  return r;
};

afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
  for (const id of runIds) expect(leftovers(id)).toEqual([]);
});

describe('flags that stop a run before it starts', () => {
  it('exits 2 for an unknown reporter on run, report and merge, with one line and nothing started', async () => {
    for (const args of [
      ['run', 'scenarios/stub-zone-fix.yaml', '--reporter', 'xml'],
      ['report', STORED, '--reporter', 'xml'],
      ['merge', STORED, '--reporter', 'xml'],
    ]) {
      const before = existsSync(stateRoot()) ? readdirSync(stateRoot()).length : 0;
      const r = await dnsparity(args);
      expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toContain('--reporter: unknown reporter "xml" (expected one of pretty, json, junit, markdown, html)');
      expect(r.stdout).toBe('');
      // Nothing was started: no run directory appeared for it.
      expect(existsSync(stateRoot()) ? readdirSync(stateRoot()).length : 0).toBeLessThanOrEqual(before);
    }
  });

  it('exits 2 for a --concurrency that is not a positive whole number', async () => {
    for (const bad of ['0', '-3', '1.5', 'many']) {
      const r = await dnsparity(['run', 'scenarios/stub-zone-fix.yaml', '--concurrency', bad]);
      expect(r.exitCode, bad).toBe(2);
      expect(r.stderr.trim()).toMatch(/--concurrency expects a positive whole number/);
    }
  });

  it('exits 2 when --filter matches no scenario, naming the text', async () => {
    const r = await dnsparity(['run', 'scenarios', '--filter', 'no-such-scenario']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--filter: no scenario matches "no-such-scenario"');
  });
});

describe('doctor', () => {
  it('says every netns prerequisite is there, exit 0', async () => {
    const r = await dnsparity(['doctor']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const netns = r.stdout.split('docker backend')[0]!;
    for (const what of ['root', 'ip', 'nft', 'nsd', 'nsd-checkzone', 'ldns-signzone', 'unbound', 'unbound-checkconf', 'network namespaces']) {
      expect(netns).toMatch(new RegExp(`^  ok {6}${what}: `, 'm'));
    }
    expect(r.stdout).toContain('ready: dnsparity run works with --backend netns');
    // Each resolver under test's binary, and the Debian package that installs it.
    for (const line of ['unbound: unbound: found (Debian package unbound)', 'dnsmasq: dnsmasq: found (Debian package dnsmasq-base)', 'knot-resolver: kresd: found (Debian package knot-resolver)']) {
      expect(r.stdout).toContain(`  ok      ${line}`);
    }
  });

  it('names what is missing and the package that has it, exit 2', async () => {
    // A PATH with a shell and nothing else.
    const bin = tmp();
    symlinkSync((await execa('sh', ['-c', 'command -v sh'])).stdout.trim(), join(bin, 'sh'));
    const r = await execa(process.execPath, ['dist/harness/cli/main.js', 'doctor'], { reject: false, env: { PATH: bin, NO_COLOR: '1' }, extendEnv: false });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toContain('MISSING ip: not found -> apt-get install iproute2');
    expect(r.stdout).toContain('MISSING nsd-checkzone: not found -> apt-get install nsd');
    expect(r.stdout).toContain('MISSING unbound-checkconf: not found -> apt-get install unbound');
    // A resolver only some scenarios name is absent, not missing: the package, and which scenarios need it.
    expect(r.stdout).toContain('absent  dnsmasq: dnsmasq: not found (Debian package dnsmasq-base; only scenarios with resolver.kind: dnsmasq need it) -> apt-get install dnsmasq-base');
    expect(r.stdout).toContain('absent  knot-resolver: kresd: not found (Debian package knot-resolver; only scenarios with resolver.kind: knot-resolver need it) -> apt-get install knot-resolver');
    expect(r.stdout).toContain('not ready: install what is missing above');
  });
});

describe.skipIf(!!skipNetns)('run flags on the netns backend', () => {
  it('--filter runs only the scenarios whose name or file holds the text', async () => {
    const dir = tmp();
    const r = await dnsparity(['run', 'scenarios', '--filter', 'stub-', '--reporter', 'json', '--out', dir]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(report(dir).scenarios.map((s) => s.scenario.name)).toEqual(['search-list-stub-zone-fix', 'stub-first', 'stub-zone-fix', 'validating-stub-zone-fix']);
  });

  it('--keep keeps the run directory, with its configs and logs, and nothing running', async () => {
    const dir = tmp();
    const r = await dnsparity(['run', 'scenarios/forward-first.yaml', '--keep', '--reporter', 'json', '--out', dir]);
    expect(r.exitCode, r.stderr).toBe(0);
    const [s] = report(dir).scenarios;
    const kept = join(stateRoot(), s!.runId);
    made.push(kept);
    expect(existsSync(kept)).toBe(true);
    const files = readdirSync(kept, { recursive: true }).map(String);
    expect(files).toContain('root.hints');
    expect(files.some((f) => /^host\/unbound-production\.log$/.test(f))).toBe(true);
    expect(readFileSync(join(kept, 'host/unbound-production.log'), 'utf8')).toMatch(/start of service/);
    // Kept files only: no namespace, /etc/netns entry or process of the run is left.
    expect(leftovers(s!.runId)).toEqual([]);
    // Without --keep the directory goes with the run.
    const plain = tmp();
    expect((await dnsparity(['run', 'scenarios/forward-first.yaml', '--reporter', 'json', '--out', plain])).exitCode).toBe(0);
    expect(existsSync(join(stateRoot(), report(plain).scenarios[0]!.runId))).toBe(false);
  });

  it('--concurrency 1 asks one query at a time: staging waits out the stub once per name', async () => {
    const dir = tmp();
    const r = await dnsparity(['run', 'scenarios/incident-2024-11-05.yaml', '--concurrency', '1', '--reporter', 'json', '--out', dir]);
    expect(r.exitCode, r.stderr).toBe(1);
    const [s] = report(dir).scenarios;
    // Each of staging's lookups waits for the local resolver's 2 s timeout before the VPC resolver answers;
    // one at a time, the first pass alone holds every one of those waits end to end.
    const waits = s!.observations.staging!.map((o) => o.application?.latencyMs ?? 0).filter((ms) => ms >= 2000);
    expect(waits.length).toBeGreaterThanOrEqual(6);
    expect(s!.timing!.probeMs).toBeGreaterThanOrEqual(waits.reduce((a, b) => a + b, 0));
    // The same verdict and findings as with queries in parallel (the stored run).
    const stored = JSON.parse(readFileSync(STORED, 'utf8')) as StoredReport;
    const ids = (x: StoredReport['scenarios'][number]) => x.findings.map((f) => `${f.query.name} ${f.query.type} ${f.environment} ${f.difference.class}`).sort();
    expect(ids(s!)).toEqual(ids(stored.scenarios[0]!));
  }, 180_000);

  it('--baseline: exit 0 when every finding is known, exit 1 naming the one that is new', async () => {
    const known = tmp();
    const r = await dnsparity(['run', 'scenarios/incident-2024-11-05.yaml', '--baseline', STORED, '--reporter', 'json', '--reporter', 'pretty', '--out', known]);
    expect(r.exitCode, r.stderr).toBe(0);
    const k = report(known);
    expect(k.exitCode).toBe(0);
    expect(k.scenarios[0]!.verdict).toBe('fail'); // the scenario still fails: the baseline decides the exit code only
    expect(k.baseline).toMatchObject({ file: STORED, new: 0, resolved: [] });
    expect(k.baseline!.known).toBeGreaterThan(0);
    // The run streams each scenario as it ends; the baseline's verdict comes with the summary.
    expect(r.stdout).toContain(`against the baseline ${STORED}: 0 new, ${k.baseline!.known} known, 0 resolved`);

    // A baseline from before the proxysql finding existed: that one is new.
    const older = JSON.parse(readFileSync(STORED, 'utf8')) as StoredReport;
    const s0 = older.scenarios[0]!;
    (s0 as unknown as { findings: unknown[] }).findings = s0.findings.filter((f) => !(f.query.name === 'proxysql.internal.example.io' && f.environment === 'staging'));
    const file = join(tmp(), 'older.json');
    writeFileSync(file, JSON.stringify(older));
    const fresh = tmp();
    const n = await dnsparity(['run', 'scenarios/incident-2024-11-05.yaml', '--baseline', file, '--reporter', 'json', '--reporter', 'pretty', '--out', fresh]);
    expect(n.exitCode, n.stderr).toBe(1);
    expect(report(fresh).baseline).toMatchObject({ new: 1 });
    expect(n.stdout).toMatch(new RegExp(`against the baseline ${file}: 1 new, \\d+ known, 0 resolved`));
    // The stored report says which one: report shows the marks per finding.
    const marks = await dnsparity(['report', join(fresh, 'report.json'), '--baseline', file, '--reporter', 'pretty']);
    expect(marks.exitCode).toBe(1);
    expect(marks.stdout).toMatch(/\[new\] (\[known\] )?proxysql\.internal\.example\.io A: resolves only in staging/);
  }, 180_000);
});
