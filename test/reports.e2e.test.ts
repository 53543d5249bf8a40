// The gate's and the nightly job's outputs through the built CLI: junit.xml,
// summary.md, report.html (rendered in headless Chromium), report.json against
// its schema, baselines, shards and their merge. The runs happen once, side by
// side as CI workers would, and every assertion reads their files; report,
// merge and baseline also work from a stored report without a network.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { create } from 'xmlbuilder2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDirs } from './temp-dirs.js';
import { gateFindings } from '../harness/baseline.js';
import { schemaProblem, type StoredReport } from '../harness/report/stored.js';
import { leftovers, skipNetns } from './env.js';
import { disagreements, evidenceOf } from './evidence.js';
import type { ScenarioResult } from '../harness/run.js';

const CLI = 'node_modules/.bin/dnsparity';
const FIXTURE = 'test/fixtures/reports/incident-2024-11-05.report.json';
const LEAKY = 'test/fixtures/scenarios/stray-forwarder.yaml';
const dnsparity = (args: string[]) => execa(CLI, args, { reject: false, env: { NO_COLOR: '1' }, stdin: 'ignore' });
const tmp = tempDirs('reports');
const readJson = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as StoredReport;
/** What a finding is, without how long anything took: scenario, query, environment, class, layer, status. */
const identities = (r: StoredReport, keep: (f: StoredReport['scenarios'][number]['findings'][number]) => boolean = () => true) =>
  r.scenarios
    .flatMap((s) => s.findings.filter(keep).map((f) => `${s.scenario.name} | ${f.query.name} ${f.query.type}${f.query.library ? ` (${f.query.library})` : ''} | ${f.environment} | ${f.difference.class} | ${f.difference.layer} | ${f.status}`))
    .sort();

describe('report, merge and list --shard, from stored files', () => {
  const stored = JSON.parse(readFileSync(FIXTURE, 'utf8')) as StoredReport;

  it('report compares a stored run again and renders every format, exiting as the run did', async () => {
    const out = tmp();
    const r = await dnsparity(['report', FIXTURE, '--reporter', 'json', '--reporter', 'junit', '--reporter', 'markdown', '--reporter', 'html', '--out', out]);
    expect(r.exitCode, r.stderr).toBe(1);
    for (const f of ['report.json', 'junit.xml', 'summary.md', 'report.html']) expect(existsSync(join(out, f))).toBe(true);
    expect(identities(readJson(out))).toEqual(identities(stored));
    expect(schemaProblem(readJson(out))).toBeUndefined();
  });

  it('report with the same report as baseline exits 0 and marks every finding known', async () => {
    const out = tmp();
    const r = await dnsparity(['report', FIXTURE, '--baseline', FIXTURE, '--reporter', 'pretty', '--reporter', 'json', '--out', out]);
    expect(r.exitCode, r.stderr).toBe(0);
    const n = stored.scenarios.flatMap(gateFindings).length;
    expect(r.stdout).toContain(`against the baseline ${FIXTURE}: 0 new, ${n} known, 0 resolved`);
    const again = readJson(out);
    expect(again.baseline).toMatchObject({ new: 0, known: n, resolved: [] });
    expect(again.scenarios[0]!.findings.filter((f) => f.status === 'unexpected').every((f) => f.baseline === 'known')).toBe(true);
  });

  it('report against a baseline that lacks one finding exits 1 for that one only', async () => {
    const dir = tmp();
    const older = structuredClone(stored) as unknown as { scenarios: { findings: { query: { name: string }; environment: string }[] }[] };
    older.scenarios[0]!.findings = older.scenarios[0]!.findings.filter((f) => !(f.query.name === 'proxysql.internal.example.io' && f.environment === 'staging'));
    writeFileSync(join(dir, 'older.json'), JSON.stringify(older));
    const r = await dnsparity(['report', FIXTURE, '--baseline', join(dir, 'older.json'), '--reporter', 'markdown']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('**1 new**');
    expect(r.stdout).toContain('[new] [known] **proxysql.internal.example.io A**: resolves only in staging, preprod');
  });

  it('report --latency-threshold-ms compares again with another threshold, without starting anything', async () => {
    const out = tmp();
    const r = await dnsparity(['report', FIXTURE, '--latency-threshold-ms', '60000', '--reporter', 'json', '--out', out]);
    expect(r.exitCode).toBe(1);
    const again = readJson(out).scenarios[0]!;
    expect((again as unknown as { latencyThresholdMs: number }).latencyThresholdMs).toBe(60000);
    const slow = again.findings.filter((f) => f.difference.class === 'slow-only-in-one');
    expect(stored.scenarios[0]!.findings.some((f) => f.difference.class === 'slow-only-in-one')).toBe(true);
    // The public names stay slow where egress is blocked: that comes from the stub's own wait, which no threshold removes.
    expect(slow.length).toBe(stored.scenarios[0]!.findings.filter((f) => f.difference.class === 'slow-only-in-one').length);
    for (const f of slow) expect((f.difference as { detail?: string }).detail).toContain("the stub waited out a silent nameserver's timeout first");
    expect(again.findings.map((f) => f.difference.class)).toContain('resolves-only-in-one');
  });

  it('merge refuses a scenario twice and shards of different runs, with one line and exit 2', async () => {
    const dir = tmp();
    const twice = await dnsparity(['merge', FIXTURE, FIXTURE]);
    expect(twice.exitCode).toBe(2);
    expect(twice.stderr.trim().split('\n')).toHaveLength(1);
    expect(twice.stderr).toContain('scenario incident-2024-11-05 is also in');
    const a = { ...stored, shard: { index: 1, count: 2 } };
    const b = { ...stored, scenarios: [], shard: { index: 1, count: 3 } };
    writeFileSync(join(dir, 'a.json'), JSON.stringify(a));
    writeFileSync(join(dir, 'b.json'), JSON.stringify(b));
    const mixed = await dnsparity(['merge', join(dir, 'a.json'), join(dir, 'b.json')]);
    expect(mixed.exitCode).toBe(2);
    expect(mixed.stderr).toContain('shard 1/3 does not belong with');
    const partial = await dnsparity(['merge', join(dir, 'a.json'), '--reporter', 'json']);
    expect(partial.stderr).toContain('warning: merging 1 of 2 shards: shard 2 missing');
  });

  it('exits 2 naming the file and the field for a report that is not one', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...stored, scenarios: [{ ...stored.scenarios[0], verdict: 'maybe' }] }));
    const r = await dnsparity(['report', join(dir, 'bad.json')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'bad.json')}: /scenarios/0/verdict: does not match schema/report.schema.json`);
  });

  it('list --shard splits the shipped scenarios disjoint and complete', async () => {
    const all = (await dnsparity(['list'])).stdout.trim().split('\n');
    for (const n of [2, 3]) {
      const shards = await Promise.all(Array.from({ length: n }, (_, i) => dnsparity(['list', '--shard', `${i + 1}/${n}`])));
      const lines = shards.flatMap((s) => s.stdout.trim().split('\n').filter(Boolean));
      expect(new Set(lines).size).toBe(lines.length);
      expect([...lines].sort()).toEqual([...all].sort());
    }
    expect((await dnsparity(['list', '--shard', '3/2'])).stderr).toContain('--shard: expected I/N');
  });
});

describe.skipIf(!!skipNetns)('gate and nightly outputs on the netns backend', () => {
  const dir = { full: tmp(), s1: tmp(), s2: tmp(), leak: tmp(), merged: tmp() };
  let full: Awaited<ReturnType<typeof dnsparity>>;
  let shards: Awaited<ReturnType<typeof dnsparity>>[];
  let leak: Awaited<ReturnType<typeof dnsparity>>;
  let merge: Awaited<ReturnType<typeof dnsparity>>;

  beforeAll(async () => {
    // One run of every shipped scenario with the leak scenario beside it, then its two shards side by side as two CI
    // workers run them. Not all four at once: that is three machines' load on one, and on two cores the local
    // resolvers' recursion then outlasts the stub's timeout often enough to turn findings into load.
    // A 3 s query deadline still outlasts the stub's 2 s fallback, so every verdict is the same as with the default.
    const all = ['--timeout-ms', '3000', '--reporter', 'json'];
    [full, leak] = await Promise.all([
      dnsparity(['run', '--reporter', 'pretty', ...all, '--reporter', 'junit', '--reporter', 'markdown', '--reporter', 'html', '--out', dir.full]),
      dnsparity(['run', LEAKY, ...all, '--reporter', 'junit', '--out', dir.leak]),
    ]);
    shards = await Promise.all([1, 2].map((i) => dnsparity(['run', '--shard', `${i}/2`, ...all, '--out', i === 1 ? dir.s1 : dir.s2])));
    // The shards are a rerun of the single run: merged, and compared with it as the previous report.
    merge = await dnsparity(['merge', join(dir.s1, 'report.json'), join(dir.s2, 'report.json'), '--baseline', join(dir.full, 'report.json'), '--reporter', 'pretty', '--reporter', 'json', '--out', dir.merged]);
    // The shipped set twice over (whole and in shards), each resolver kind's scenarios among them.
  }, 600_000);

  afterAll(() => {
    // Only these runs' own: other runs on the machine may be live.
    const ids = [dir.full, dir.s1, dir.s2, dir.leak].flatMap((d) => (existsSync(join(d, 'report.json')) ? readJson(d).scenarios.map((s) => s.runId) : []));
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.flatMap((id) => leftovers(id))).toEqual([]);
  });

  it('fails the gate, with nothing of the progress line in non-TTY output', () => {
    expect(full.exitCode, full.stderr).toBe(1);
    expect(full.stderr).not.toMatch(/\r|\x1b\[|probing/);
    expect(full.stdout).not.toMatch(/\r|\x1b\[/);
  });

  it("writes an incident junit.xml whose failing testcase names the proxysql name, with the explanation", () => {
    const root = create(readFileSync(join(dir.full, 'junit.xml'), 'utf8')).root().node as unknown as Element;
    const suite = [...root.getElementsByTagName('testsuite')].find((s) => s.getAttribute('name') === 'incident-2024-11-05')!;
    const tc = [...suite.getElementsByTagName('testcase')].find((c) => c.getAttribute('name') === 'proxysql.internal.example.io A [application] staging')!;
    const failure = tc.getElementsByTagName('failure')[0]!;
    expect(failure.getAttribute('type')).toBe('resolves-only-in-one');
    expect(failure.textContent).toMatch(/In production, unbound asked the root \(198\.51\.100\.1\).*which answered NXDOMAIN; 127\.0\.0\.1 answered NXDOMAIN, which is final/);
    expect(failure.textContent).toMatch(/In staging, unbound could not prime the root: its queries to the root \(198\.51\.100\.1\) got no answer \(egress to the Internet is dropped in staging\)/);
    const passing = [...root.getElementsByTagName('testsuite')].find((s) => s.getAttribute('name') === 'stub-zone-fix')!;
    expect(passing.getAttribute('failures')).toBe('0');
  });

  it('writes a summary.md that names the proxysql name with its explanation', () => {
    const md = readFileSync(join(dir.full, 'summary.md'), 'utf8');
    expect(md).toContain('**proxysql.internal.example.io A**: resolves only in staging, preprod');
    expect(md).toMatch(/unbound asked the root \(198\.51\.100\.1\), the io\. servers \(198\.51\.100\.\d+\) and the example\.io\. servers \(198\.51\.100\.53\), which answered NXDOMAIN/);
    expect(md).toContain('| stub-zone-fix | ✅ pass |');
  });

  it('writes a report.json that validates against its schema and keeps every observation', () => {
    const report = readJson(dir.full);
    expect(schemaProblem(report)).toBeUndefined();
    const incident = report.scenarios.find((s) => s.scenario.name === 'incident-2024-11-05')!;
    expect(Object.keys(incident.observations)).toEqual(['production', 'staging', 'preprod']);
    expect(incident.recheck).toMatchObject({ fresh: true });
    expect(incident.findings.find((f) => f.query.name === 'proxysql.internal.example.io' && f.environment === 'staging')).toMatchObject({ status: 'unexpected', recheck: { class: 'resolves-only-in-one' } });
    expect(incident.substitutions.map((s) => s.option)).toEqual(expect.arrayContaining(['root-hints', 'verbosity']));
  });

  it('renders report.html in headless Chromium: the matrix, the proxysql cell and its explanation', async (ctx) => {
    const chromium = '/usr/bin/chromium';
    if (!existsSync(chromium)) {
      console.warn(`SKIPPED report.html rendering: ${chromium} not found (apt-get install chromium; scripts/install-prerequisites.sh --browser installs it)`);
      ctx.skip();
    }
    const { chromium: pw } = await import('playwright-core');
    const profile = tmp();
    const browser = await pw.launchPersistentContext(profile, {
      executablePath: chromium,
      headless: true,
      viewport: { width: 1400, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`file://${resolve(dir.full, 'report.html')}`);
      const incident = page.locator('section[data-scenario="incident-2024-11-05"]');
      await expect(incident.locator('table.matrix tbody tr').count()).resolves.toBe(8);
      const cellLoc = incident.locator('tr[data-query="proxysql.internal.example.io A"] td[data-env="staging"][data-status="unexpected"]');
      await cellLoc.waitFor({ state: 'visible' });
      const text = await cellLoc.innerText();
      expect(text).toContain('10.20.30.40');
      expect(text).toContain('resolves only in staging');
      expect(text).toContain('unbound could not prime the root');
      const box = await cellLoc.boundingBox();
      expect(box!.width).toBeGreaterThan(150);
      // The style rendered: an unexpected cell carries the failure colour.
      expect(await cellLoc.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(253, 232, 230)');
      const shots = resolve('artifacts');
      mkdirSync(shots, { recursive: true });
      const shot = join(shots, 'report-html.png');
      await incident.screenshot({ path: shot });
      expect(statSync(shot).size).toBeGreaterThan(10_000);
      expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
      console.warn(`report.html screenshot: ${shot}`);
    } finally {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });

  it('shards run disjoint slices that together are every shipped scenario', () => {
    const [a, b] = [readJson(dir.s1), readJson(dir.s2)];
    expect([a.shard, b.shard]).toEqual([{ index: 1, count: 2 }, { index: 2, count: 2 }]);
    const names = (r: StoredReport) => r.scenarios.map((s) => s.scenario.name);
    expect(names(a).filter((n) => names(b).includes(n))).toEqual([]);
    expect([...names(a), ...names(b)].sort()).toEqual(names(readJson(dir.full)).sort());
    expect(shards.map((s) => s.exitCode)).toEqual([1, 1]);
  });

  it('merged shard reports have the single run\'s findings, and against it as baseline count every finding new, known or resolved', () => {
    const single = readJson(dir.full);
    const merged = readJson(dir.merged);
    // The merge loses and invents nothing: exactly the shards' findings, unstable ones too.
    expect(identities(merged)).toEqual([...identities(readJson(dir.s1)), ...identities(readJson(dir.s2))].sort());
    // And the shards, separate runs, found what the single run found: every confirmed finding alike, with the same resolver paths,
    // but for what the machine's load decided in one of them (test/evidence.ts says which).
    expect(merged.scenarios.map((s) => s.scenario.name)).toEqual(single.scenarios.map((s) => s.scenario.name));
    const problems = single.scenarios.flatMap((one, k) => {
      const egressAllowed = (env: string) => one.environments.find((e) => e.name === env)!.egress === 'allow';
      return disagreements(one.scenario.name, evidenceOf(one as unknown as ScenarioResult), evidenceOf(merged.scenarios[k] as unknown as ScenarioResult), egressAllowed);
    });
    expect(problems.join('\n')).toBe('');
    // The baseline's counts are the two reports' gate findings, compared by key; a finding the load decided in one run
    // (a class that differs, an unstable one) is new or resolved there, as a nightly job would see it.
    const before = new Set(single.scenarios.flatMap(gateFindings).map((f) => f.key));
    const now = merged.scenarios.flatMap(gateFindings).map((f) => f.key);
    const fresh = now.filter((k) => !before.has(k)).length;
    const known = now.length - fresh;
    const resolved = [...before].filter((k) => !now.includes(k)).length;
    expect(known).toBeGreaterThan(0);
    expect(merged.baseline).toMatchObject({ new: fresh, known });
    expect(merged.baseline!.resolved).toHaveLength(resolved);
    expect(merge.stdout).toContain(`${fresh} new, ${known} known, ${resolved} resolved`);
    expect(merge.exitCode, merge.stdout + merge.stderr).toBe(fresh > 0 ? 1 : 0);
    expect(merge.stdout).toContain('[known] proxysql.internal.example.io A: resolves only in staging, preprod');
  });

  it('reports a server outside the scenario\'s network as a leak, failing the gate', () => {
    expect(leak.exitCode, leak.stderr).toBe(1);
    const r = readJson(dir.leak).scenarios[0]!;
    expect(r.findings).toEqual([]);
    expect(r.leaks.map((l) => [l.environment, l.server, l.zone])).toEqual([
      ['production', '192.0.2.99', 'corp.example'],
      ['staging', '192.0.2.99', 'corp.example'],
    ]);
    const junit = readFileSync(join(dir.leak, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testcase classname="stray-forwarder" name="no server outside the scenario's network \[resolver\] staging"[^>]*>\s*<failure type="leak" message="192\.0\.2\.99"/);
  });
});
