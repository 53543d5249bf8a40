// The docker backend through the built CLI, as a pipeline would run it: the
// shipped scenarios and the test fixtures give the findings, leaks and
// resolver paths they give on netns, a candidate image
// is gated on its own files, and nothing labelled dnsparity is left on the
// engine after a pass, a failure, an interrupt or a kill.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { sweepDocker } from '../harness/backend/docker/sweep.js';
import { stateRoot } from '../harness/run-state.js';
import { dockerLeftovers, dockerThings, skipDocker, skipNetns } from './env.js';
import { comparedClass, contradictions, disagreements, evidenceOf, isFromCache, MUSL_RACE } from './evidence.js';
import type { ScenarioResult } from '../harness/run.js';

const CLI = 'node_modules/.bin/dnsparity';
const dnsparity = (args: string[]) => execa(CLI, args, { reject: false, env: { NO_COLOR: '1' }, stdin: 'ignore' });
const made: string[] = [];
const out = () => {
  const d = mkdtempSync(join(tmpdir(), 'dnsparity-e2e-'));
  made.push(d);
  return d;
};

type Scenario = ScenarioResult & { sources: { resolverConfig: string; resolvConf: string } };
const readReport = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { exitCode: number; scenarios: Scenario[] };
const unexpected = (s: ScenarioResult) => s.findings.filter((f) => f.status === 'unexpected').map((f) => `${f.query.name} ${f.query.type} ${f.environment} ${f.difference.class}`).sort();

async function waitFor(what: string, cond: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!!skipDocker)('dnsparity run on the docker backend', () => {
  afterAll(async () => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
    expect(await dockerLeftovers()).toEqual([]);
  });

  it.skipIf(!!skipNetns)('gives every shipped scenario and test fixture the findings, leaks and resolver paths it gets on netns', async () => {
    const [netnsDir, dockerDir] = [out(), out()];
    // The shipped scenarios and the test fixtures, the leaking one among them. No --backend: auto, which is netns for scenarios without an image.
    // Every fixture docker can realise: IPv6 is netns-only, and docker refuses it (harness/backend/docker/public-resolvers.test.ts).
    const NETNS_ONLY = new Set(['ipv6-egress-forgotten.yaml']);
    const fixtures = readdirSync('test/fixtures/scenarios').filter((f) => f.endsWith('.yaml') && !NETNS_ONLY.has(f)).sort().map((f) => join('test/fixtures/scenarios', f));
    const sets = ['scenarios', ...fixtures];
    const n = await dnsparity(['run', ...sets, '--reporter', 'json', '--out', netnsDir]);
    const d = await dnsparity(['run', ...sets, '--backend', 'docker', '--reporter', 'json', '--out', dockerDir]);
    expect(n.exitCode, n.stderr).toBe(1);
    expect(d.exitCode, d.stderr).toBe(1);
    const [nr, dr] = [readReport(netnsDir), readReport(dockerDir)];
    expect(nr.scenarios.map((s) => s.backend)).toEqual(nr.scenarios.map(() => 'netns'));
    expect(dr.scenarios.map((s) => s.backend)).toEqual(dr.scenarios.map(() => 'docker'));
    expect(dr.scenarios.map((s) => s.scenario.name)).toEqual(nr.scenarios.map((s) => s.scenario.name));
    const summary = (r: typeof nr) => Object.fromEntries(r.scenarios.map((s) => [s.scenario.name, { verdict: s.verdict, unexpected: unexpected(s) }]));
    // The verdicts alike; the findings (expected ones too), leaks, and the resolver path of every explanation compared below,
    // where a finding one run lacks only by the machine's load (its own observations show it) is told apart (test/evidence.ts).
    const verdicts = (r: typeof nr) => Object.fromEntries(r.scenarios.map((s) => [s.scenario.name, s.verdict]));
    expect(verdicts(dr)).toEqual(verdicts(nr));
    const problems = nr.scenarios.flatMap((ns) => {
      const ds = dr.scenarios.find((s) => s.scenario.name === ns.scenario.name)!;
      const egressAllowed = (env: string) => ns.environments.find((e) => e.name === env)!.egress === 'allow';
      return disagreements(ns.scenario.name, evidenceOf(ns), evidenceOf(ds), egressAllowed);
    });
    expect(problems.join("\n")).toBe("");
    // Each explanation agrees with itself: its resolver path ends as the local resolver answered.
    expect([...nr.scenarios, ...dr.scenarios].flatMap(contradictions)).toEqual([]);
    // The comparison is not empty: the incident fails on both, for the same reason...
    expect(summary(dr)['incident-2024-11-05']!.unexpected).toContain('proxysql.internal.example.io A staging resolves-only-in-one');
    expect(evidenceOf(dr.scenarios.find((s) => s.scenario.name === 'incident-2024-11-05')!).resolverPaths['proxysql.internal.example.io A staging']).toBe(
      // (as compared: "could not prime the root: its queries" reads as "unbound's queries", see essence)
      "unbound's queries to the root (198.51.100.1) got no answer (egress to the Internet is dropped in staging)",
    );
    expect(summary(dr)['stub-zone-fix']!.verdict).toBe('pass');
    // The other resolvers under test, each from the image's own binary (Debian's, in an image mmdebstrap built): the incident and the fix in its own language.
    expect(summary(dr)['dnsmasq-incident']!.unexpected).toContain('proxysql.internal.example.io A staging resolves-only-in-one');
    expect(summary(dr)['kresd-incident']!.unexpected).toContain('proxysql.internal.example.io A staging resolves-only-in-one');
    expect([summary(dr)['dnsmasq-fix']!.verdict, summary(dr)['kresd-fix']!.verdict]).toEqual(['pass', 'pass']);
    expect(dr.scenarios.find((s) => s.scenario.name === 'kresd-incident')!.resolver).toEqual({ kind: 'knot-resolver', name: 'kresd' });
    // ...and the leaking fixture fails on both, with a leak per environment that the network itself saw.
    for (const r of [nr, dr]) {
      const stray = r.scenarios.find((s) => s.scenario.name === 'stray-forwarder')!;
      expect(stray.verdict).toBe('fail');
      expect(evidenceOf(stray).leaks).toEqual(['production 192.0.2.99 corp.example db.corp.example', 'staging 192.0.2.99 corp.example db.corp.example']);
      expect(stray.unknownDestinations).toEqual(['192.0.2.99']);
    }
    // Docker's explanations carry resolver paths taken from its own trace, not only cached answers: at least half of
    // them. (Exactly half is kresd's lot in a run where its first query under an NXDOMAIN name is not the one that
    // has a finding: every other name under it comes from its cache, "NXDOMAIN cut", RFC 8020, in whichever order
    // its queries arrived.)
    for (const s of dr.scenarios) {
      const paths = Object.values(evidenceOf(s).resolverPaths);
      const traced = paths.filter((p) => !isFromCache(p) && p !== '(no trace)').length;
      if (paths.length) expect(traced, s.scenario.name).toBeGreaterThanOrEqual(Math.max(1, paths.length / 2));
    }
  }, 900_000);

  it('fails the gate on a candidate image with the incident config and passes one with the stub-zone fix, using their own files', async () => {
    for (const [tag, conf] of [
      ['dnsparity-example/candidate:incident', 'fixtures/images/incident/unbound.conf'],
      ['dnsparity-example/candidate:stub-zone-fix', 'fixtures/images/stub-zone-fix/unbound.conf'],
    ] as const) {
      const b = await execa('bash', ['containers/build.sh', 'candidate', tag, conf, 'fixtures/stub/resolv.conf'], { reject: false });
      expect(b.exitCode, b.stderr).toBe(0);
    }
    const dir = out();
    const failing = await dnsparity(['run', 'fixtures/scenarios/candidate-image.yaml', '--reporter', 'json', '--reporter', 'pretty', '--out', dir]);
    expect(failing.exitCode, failing.stderr).toBe(1);
    const [s] = readReport(dir).scenarios;
    expect(s).toMatchObject({ backend: 'docker', verdict: 'fail', sources: { resolvConf: 'dnsparity-example/candidate:incident:/etc/resolv.conf', resolverConfig: 'dnsparity-example/candidate:incident:/etc/unbound/unbound.conf' } });
    expect(unexpected(s!)).toContain('proxysql.internal.example.io A staging resolves-only-in-one');
    expect(failing.stdout).toContain("resolv.conf: dnsparity-example/candidate:incident:/etc/resolv.conf (mounted over Docker's own)");

    // The same scenario without "backend: docker": auto picks docker because it names an image; --image overrides it.
    const auto = join(out(), 'candidate.yaml');
    writeFileSync(auto, readFileSync('fixtures/scenarios/candidate-image.yaml', 'utf8').replace('backend: docker\n', '').replaceAll('../zones/', `${process.cwd()}/fixtures/zones/`).replace(/^  root: .*$/m, '  root: /'));
    const fixedDir = out();
    const passing = await dnsparity(['run', auto, '--image', 'dnsparity-example/candidate:stub-zone-fix', '--reporter', 'json', '--out', fixedDir]);
    expect(passing.exitCode, passing.stderr).toBe(0);
    expect(readReport(fixedDir).scenarios[0]).toMatchObject({ backend: 'docker', verdict: 'pass', sources: { resolvConf: 'dnsparity-example/candidate:stub-zone-fix:/etc/resolv.conf' } });
  }, 300_000);

  it("gates candidate images of Debian's own packages (mmdebstrap): dnsmasq and kresd from the image, with the image's own config", async () => {
    const images = [
      ['dnsmasq', 'dnsparity-example/dnsmasq:incident', 'fixtures/images/dnsmasq-candidate'],
      ['dnsmasq', 'dnsparity-example/dnsmasq:fix', 'fixtures/images/dnsmasq-candidate-fix'],
      ['knot-resolver', 'dnsparity-example/kresd:incident', 'fixtures/images/kresd-incident'],
      ['knot-resolver', 'dnsparity-example/kresd:fix', 'fixtures/images/kresd-fix'],
    ] as const;
    for (const [kind, tag, dir] of images) {
      const b = await execa('bash', ['containers/build.sh', 'candidate-debian', kind, tag, dir, 'fixtures/stub/resolv.conf'], { reject: false });
      expect(b.exitCode, b.stderr).toBe(0);
    }
    for (const [scenario, kind, failing, fixed, config] of [
      ['fixtures/scenarios/candidate-dnsmasq.yaml', 'dnsmasq', 'dnsparity-example/dnsmasq:incident', 'dnsparity-example/dnsmasq:fix', '/etc/dnsmasq.conf'],
      ['fixtures/scenarios/candidate-kresd.yaml', 'knot-resolver', 'dnsparity-example/kresd:incident', 'dnsparity-example/kresd:fix', '/etc/knot-resolver/kresd.conf'],
    ] as const) {
      const dir = out();
      const r = await dnsparity(['run', scenario, '--reporter', 'json', '--out', dir]);
      expect(r.exitCode, r.stderr).toBe(1);
      const [s] = readReport(dir).scenarios;
      expect(s).toMatchObject({ backend: 'docker', verdict: 'fail', resolver: { kind }, sources: { resolverConfig: `${failing}:${config}`, resolvConf: `${failing}:/etc/resolv.conf` } });
      expect(unexpected(s!)).toContain('proxysql.internal.example.io A staging resolves-only-in-one');
      const fixedDir = out();
      const p = await dnsparity(['run', scenario, '--image', fixed, '--reporter', 'json', '--out', fixedDir]);
      expect(p.exitCode, p.stderr).toBe(0);
      expect(readReport(fixedDir).scenarios[0]).toMatchObject({ backend: 'docker', verdict: 'pass', sources: { resolverConfig: `${fixed}:${config}` } });
    }
  }, 600_000);

  it('gates a musl-based candidate image with musl: the private names race where egress is allowed', async () => {
    const tag = 'dnsparity-example/candidate-musl:incident';
    // Each step has its own bound, so a step that hangs is named by the failure rather than by the test's timeout.
    const b = await execa('bash', ['containers/build.sh', 'candidate-musl', tag, 'fixtures/images/incident/unbound.conf', 'fixtures/stub/resolv.conf'], { reject: false, timeout: 120_000 });
    expect(b.timedOut, `containers/build.sh candidate-musl did not finish in 120 s: ${b.stdout}\n${b.stderr}`).toBe(false);
    expect(b.exitCode, b.stderr).toBe(0);
    // Named as if glibc, the image would be judged by rules it does not follow: the run refuses.
    const unnamed = await dnsparity(['run', 'fixtures/scenarios/candidate-image.yaml', '--image', tag]);
    expect(unnamed.exitCode).toBe(2);
    expect(unnamed.stderr).toContain('stub.libraries: image dnsparity-example/candidate-musl:incident resolves names with musl, not glibc');
    const dir = out();
    const r = await execa(CLI, ['run', 'fixtures/scenarios/candidate-image-musl.yaml', '--reporter', 'json', '--out', dir], { reject: false, env: { NO_COLOR: '1', DNSPARITY_TRACE: '1' }, stdin: 'ignore', timeout: 120_000 });
    expect(r.timedOut, `the musl candidate's run did not finish in 120 s; its trace:\n${r.stderr}`).toBe(false);
    expect(r.exitCode, r.stderr).toBe(1);
    const [s] = readReport(dir).scenarios;
    // Whether a run sees the race itself (flaky) or the same winner every time it asked is which reply came first (test/evidence.ts).
    const raced = s!.findings.filter((f) => f.status === 'unexpected' && comparedClass(f) === MUSL_RACE).map((f) => `${f.query.name} ${f.environment}`);
    expect(raced).toContain('proxysql.internal.example.io staging');
  }, 300_000);

  it('exits 2 with one line saying how to get a candidate image that is missing', async () => {
    const r = await dnsparity(['run', 'fixtures/scenarios/candidate-image.yaml', '--image', 'dnsparity-example/nosuch:1']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('image dnsparity-example/nosuch:1 is not in the Docker engine');
    expect(r.stderr).toContain('containers/build.sh candidate');
  });

  it('exits 130 on SIGINT during a run, after removing every container and network it made', async () => {
    const child = spawn(CLI, ['run', 'scenarios/incident-2024-11-05.yaml', '--backend', 'docker'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    const its = () => dockerThings((t) => t.ownerPid === child.pid);
    await waitFor('the run\'s containers', async () => (await its()).some((l) => l.startsWith('container')));
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    expect(await its()).toEqual([]);
  }, 120_000);

  it('leaves a killed run\'s containers and networks to cleanup, which removes exactly those', async () => {
    const child = spawn(CLI, ['run', 'scenarios/stub-zone-fix.yaml', '--backend', 'docker'], { stdio: 'ignore' });
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    const its = () => dockerThings((t) => t.ownerPid === child.pid);
    await waitFor('the run\'s pods', async () => (await its()).filter((l) => l.startsWith('container')).length >= 3);
    child.kill('SIGKILL');
    await exited;
    // Creations the engine had in flight when the run died still finish: list once the set holds still.
    let left = await its();
    for (let k = 0; k < 20; k++) {
      await new Promise((r) => setTimeout(r, 500));
      const now = await its();
      if (now.join() === left.join()) break;
      left = now;
    }
    expect(left.some((l) => l.startsWith('network'))).toBe(true);
    const runIds = new Set(left.map((l) => /dnsparity-([0-9a-f]{6})-/.exec(l)?.[1]).filter((x): x is string => !!x));
    expect(runIds.size).toBe(1);
    // What cleanup does for the docker backend: everything labelled whose run is over and whose owner is gone.
    const swept = await sweepDocker(new Set());
    expect(swept.errors).toEqual([]);
    const removed = new Set([...swept.containers.map((c) => `container ${c}`), ...swept.networks.map((n) => `network ${n}`)]);
    for (const l of left) expect(removed.has(l), l).toBe(true);
    expect(await its()).toEqual([]);
    for (const id of runIds) rmSync(join(stateRoot(), id), { recursive: true, force: true }); // the dead run's own directory
  }, 120_000);
});
