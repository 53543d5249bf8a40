// The first hour of a new team, through the built CLI on real namespaces (and
// on the Docker engine for an image): init writes a scenario that runs as it
// is and gets the verdict its config deserves; zones as users have them
// (master file, Route 53 JSON, inline records) and names files are asked and
// answered; --suggest-fixes proposes a change, runs the scenario again with
// it, and report.json says what that run found.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../harness/run.js';
import { dockerLeftovers, leftovers, skipDocker, skipNetns } from './env.js';

const CLI_JS = join(process.cwd(), 'dist/harness/cli/main.js');
const cli = (args: string[], cwd = process.cwd()) => execa(process.execPath, [CLI_JS, ...args], { reject: false, cwd, env: { NO_COLOR: '1' }, stdin: 'ignore' });
const made: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'dnsparity-onboarding-'));
  made.push(d);
  return d;
};
const fx = (p: string) => join(process.cwd(), 'fixtures', p);
const runs: string[] = [];
/** report.json of a run; its run ids are kept, to check that each left nothing behind. */
const report = (dir: string) => {
  const r = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { exitCode: number; scenarios: ScenarioResult[] };
  runs.push(...r.scenarios.map((s) => s.runId));
  return r;
};
const unexpected = (s: Pick<ScenarioResult, 'findings'>) => s.findings.filter((f) => f.status === 'unexpected').map((f) => `${f.query.name} ${f.query.type} ${f.environment} ${f.difference.class}`).sort();
const appOf = (s: ScenarioResult, env: string, name: string, type = 'A') => s.observations[env]![s.queries.findIndex((q) => q.name === name && q.type === type)]?.application?.outcome;

afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!!skipNetns)('onboarding on the netns backend', () => {
  afterAll(() => {
    for (const id of runs) expect(leftovers(id), id).toEqual([]);
  });

  it('init from config files writes a scenario that runs as it is: the incident fails, and the suggested fix, run again, passes', async () => {
    const dir = tmp();
    const file = join(dir, 'my-image.yaml');
    const init = await cli(['init', '--config', fx('images/incident/unbound.conf'), '--resolv-conf', fx('stub/resolv.conf'), '--private', `internal.example.io=${fx('zones/internal.example.io.zone')}`, '--public', `example.io=${fx('zones/example.io.zone')}`, '--out', file]);
    expect(init.exitCode, init.stderr).toBe(0);
    expect(init.stderr).toContain(`run it with: dnsparity run ${file}`);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^# A dnsparity scenario written by "dnsparity init"/);
    expect(text).toContain('kind: unbound');
    expect(text).toContain('# check:');
    expect(text).toMatch(/egress: allow\n    reference: true[\s\S]*egress: drop[\s\S]*egress: reject/);

    const out = tmp();
    const run = await cli(['run', file, '--suggest-fixes', '--reporter', 'json', '--reporter', 'pretty', '--reporter', 'markdown', '--out', out]);
    expect(run.exitCode, run.stderr).toBe(1);
    const [s] = report(out).scenarios;
    expect(s!.verdict).toBe('fail');
    expect(unexpected(s!)).toContain('proxysql.internal.example.io A staging resolves-only-in-one');
    // Every owner name of both zones was asked.
    expect(s!.queries.map((q) => q.name)).toEqual(expect.arrayContaining(['proxysql.internal.example.io', 'proxysql-replica.internal.example.io', 'www.example.io']));
    const fix = s!.suggestedFix!;
    expect(fix.diff).toContain('+forward-zone:\n+    name: "internal.example.io"\n+    forward-addr: 169.254.169.253');
    expect(fix).toMatchObject({ verdict: 'pass', targetsRemoved: true, targetedRemaining: 0, zones: ['internal.example.io'] });
    expect(fix.targeted).toBeGreaterThan(0);
    expect(fix.remaining).toEqual([]);
    expect(run.stdout).toContain("suggested fix: forward-zone for internal.example.io to the provider's resolver 169.254.169.253; run again with it: PASS");
    expect(run.stdout).toContain('verified; the scenario passes with it');
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain('```diff');
    // The image's own file is untouched: the fix ran on a copy.
    expect(readFileSync(fx('images/incident/unbound.conf'), 'utf8')).not.toContain('forward-zone');

    // The same init from the fixed config: the scenario passes.
    const fixedFile = join(dir, 'fixed.yaml');
    expect((await cli(['init', '--config', fx('images/stub-zone-fix/unbound.conf'), '--resolv-conf', fx('stub/resolv.conf'), '--private', `internal.example.io=${fx('zones/internal.example.io.zone')}`, '--public', `example.io=${fx('zones/example.io.zone')}`, '--out', fixedFile])).exitCode).toBe(0);
    const passing = await cli(['run', fixedFile, '--suggest-fixes', '--reporter', 'json', '--out', tmp()]);
    expect(passing.exitCode, passing.stdout + passing.stderr).toBe(0);
  }, 240_000);

  it('init without --out prints a scenario that runs from the directory init ran in', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'r53.json'), readFileSync('test/fixtures/zones/internal.example.io.route53.json'));
    const init = await cli(['init', '--config', fx('images/incident/unbound.conf'), '--resolv-conf', fx('stub/resolv.conf'), '--private', 'internal.example.io=r53.json'], dir);
    expect(init.exitCode, init.stderr).toBe(0);
    expect(init.stdout).toContain('format: route53');
    writeFileSync(join(dir, 'printed.yaml'), init.stdout);
    const listed = await cli(['list', join(dir, 'printed.yaml')]);
    expect(listed.exitCode, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^incident\t\d+ queries\tproduction\*\(allow\) staging\(drop\) preprod\(reject\)/);
  }, 60_000);

  it('serves Route 53 JSON (a wildcard, an alias) and inline records, and asks the names of a names file and of --names', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'r53.json'), readFileSync('test/fixtures/zones/internal.example.io.route53.json'));
    writeFileSync(join(dir, 'names.txt'), '# what the application resolves\nx.apps.internal.example.io      # under the wildcard\n_mysql._tcp.internal.example.io SRV\n');
    writeFileSync(join(dir, 'extra.txt'), 'other.apps.internal.example.io A\n');
    writeFileSync(join(dir, 's.yaml'), `files: { root: / }
resolver: { config: ${fx('images/incident/unbound.conf')} }
stub: { resolvConf: ${fx('stub/resolv.conf')} }
network:
  provider:
    zones:
      - { origin: internal.example.io, file: r53.json, format: route53 }
  public:
    zones:
      - origin: example.io
        records:
          - "@ NS ns1"
          - "ns1 A 198.51.100.53"
          - "www A 203.0.113.80"
environments:
  - { name: production, egress: allow, reference: true }
  - { name: staging, egress: drop }
queries:
  file: names.txt
  names: [db.internal.example.io, www.example.io]
`);
    const out = tmp();
    const run = await cli(['run', join(dir, 's.yaml'), '--names', join(dir, 'extra.txt'), '--reporter', 'json', '--out', out]);
    expect(run.exitCode, run.stderr).toBe(1);
    const [s] = report(out).scenarios;
    expect(s!.queries.map((q) => `${q.name} ${q.type}`)).toEqual(['db.internal.example.io A', 'www.example.io A', 'x.apps.internal.example.io A', '_mysql._tcp.internal.example.io SRV', 'other.apps.internal.example.io A']);
    // The wildcard (\\052 in the JSON) and the alias answer where the stub reaches the provider.
    expect(appOf(s!, 'staging', 'x.apps.internal.example.io')).toEqual({ status: 'answer', addresses: ['10.20.30.50'] });
    expect(appOf(s!, 'staging', 'other.apps.internal.example.io')).toEqual({ status: 'answer', addresses: ['10.20.30.50'] });
    expect(appOf(s!, 'staging', 'db.internal.example.io')).toEqual({ status: 'answer', addresses: ['10.20.30.40'] });
    expect(appOf(s!, 'staging', '_mysql._tcp.internal.example.io', 'SRV')).toMatchObject({ status: 'answer' });
    // The inline public zone answers from the simulated Internet.
    expect(appOf(s!, 'production', 'www.example.io')).toEqual({ status: 'answer', addresses: ['203.0.113.80'] });
    expect(appOf(s!, 'production', 'x.apps.internal.example.io')).toMatchObject({ status: 'not-found' });
    expect(unexpected(s!)).toEqual(expect.arrayContaining(['x.apps.internal.example.io A staging resolves-only-in-one', 'db.internal.example.io A staging resolves-only-in-one']));
  }, 120_000);

  it('--suggest-fixes on a validating image adds domain-insecure, and on a split horizon routes the whole domain; both verified by the run with the change', async () => {
    const out = tmp();
    const run = await cli(['run', 'scenarios/incident-dnssec.yaml', 'scenarios/split-horizon.yaml', '--suggest-fixes', '--reporter', 'json', '--out', out]);
    expect(run.exitCode, run.stderr).toBe(1);
    const [dnssec, split] = report(out).scenarios;
    expect(dnssec!.suggestedFix!.diff).toContain('+    domain-insecure: "internal.example.io"');
    expect(dnssec!.suggestedFix!.targetsRemoved).toBe(true);
    expect(split!.suggestedFix!.diff).toContain('+    name: "example.io"');
    expect(split!.suggestedFix!.targetsRemoved).toBe(true);
    // What remains is what the change does not target, each a finding of the run with it.
    for (const s of [dnssec!, split!]) for (const f of s.suggestedFix!.remaining) expect(f.status).toBe('unexpected');
  }, 240_000);
});

describe.skipIf(!!skipDocker)('onboarding from an image, on the docker backend', () => {
  afterAll(async () => {
    for (const id of runs) expect(await dockerLeftovers(id), id).toEqual([]);
  });

  it("init --image reads the image's own unbound.conf and resolv.conf from its layers; the scenario runs on docker and fails the incident", async () => {
    const tag = 'dnsparity-example/candidate:incident';
    const b = await execa('bash', ['containers/build.sh', 'candidate', tag, 'fixtures/images/incident/unbound.conf', 'fixtures/stub/resolv.conf'], { reject: false });
    expect(b.exitCode, b.stderr).toBe(0);
    const file = join(tmp(), 'image.yaml');
    const init = await cli(['init', '--image', tag, '--private', `internal.example.io=${fx('zones/internal.example.io.zone')}`, '--public', `example.io=${fx('zones/example.io.zone')}`, '--out', file]);
    expect(init.exitCode, init.stderr).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(`image: ${tag}`);
    expect(text).toContain(`kind: unbound   # found ${tag}:/etc/unbound/unbound.conf`);
    expect(text).not.toMatch(/^\s+config:/m);
    expect(text).toContain('# resolv.conf asks 127.0.0.1, then 169.254.169.253');
    const out = tmp();
    const run = await cli(['run', file, '--suggest-fixes', '--reporter', 'json', '--out', out]);
    expect(run.exitCode, run.stderr).toBe(1);
    const [s] = report(out).scenarios;
    expect(s).toMatchObject({ backend: 'docker', verdict: 'fail', sources: { resolverConfig: `${tag}:/etc/unbound/unbound.conf`, resolvConf: `${tag}:/etc/resolv.conf` } });
    expect(unexpected(s!)).toContain('proxysql.internal.example.io A staging resolves-only-in-one');
    expect(s!.suggestedFix).toMatchObject({ verdict: 'pass', targetsRemoved: true });
    expect(s!.suggestedFix!.diff).toContain(`--- ${tag}:/etc/unbound/unbound.conf`);
  }, 400_000);
});
