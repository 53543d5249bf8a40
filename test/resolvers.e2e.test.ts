// The resolvers under test other than unbound, through the built CLI on the
// netns backend: each shipped scenario of each resolver gets the verdict its
// description states, for the reason it states, with the resolver path read
// from that resolver's own log, and the substitutions listed; nothing is left.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leftovers, resolverSkipReason } from './env.js';

interface ScenarioReport {
  scenario: { name: string; description: string };
  runId: string;
  verdict: string;
  resolver?: { kind: string; name: string };
  findings: { query: { name: string; type: string; source: string }; environment: string; status: string; difference: { class: string }; explanation: string }[];
  expectations: { met: boolean; environment: string; query: { name: string } }[];
  substitutions: { option: string; original: string | null; file?: string; line?: number }[];
  leaks: unknown[];
}
const unexpected = (s: ScenarioReport) => s.findings.filter((f) => f.status === 'unexpected').map((f) => `${f.query.name} ${f.query.type} ${f.environment} ${f.difference.class}`);

/** Runs scenarios through the CLI once, and hands out their reports by name. */
function runOnce(files: string[]) {
  const byName = new Map<string, ScenarioReport>();
  const state = { exitCode: undefined as number | undefined, stderr: '' };
  let out = '';
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'dnsparity-resolvers-'));
    const r = await execa('node_modules/.bin/dnsparity', ['run', ...files, '--reporter', 'json', '--out', out], { reject: false, env: { NO_COLOR: '1' }, stdin: 'ignore' });
    state.exitCode = r.exitCode;
    state.stderr = r.stderr;
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { scenarios: ScenarioReport[] };
    for (const s of report.scenarios) byName.set(s.scenario.name, s);
  }, 300_000);
  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
    for (const s of byName.values()) expect(leftovers(s.runId)).toEqual([]);
  });
  return { byName, state };
}

const verdicts = (byName: Map<string, ScenarioReport>, expected: Record<string, string>) => {
  expect(Object.fromEntries([...byName].map(([n, s]) => [n, s.verdict]))).toEqual(expected);
  for (const [name, verdict] of Object.entries(expected)) {
    expect(byName.get(name)!.scenario.description, name).toContain(`Expected: ${verdict.toUpperCase()}`);
    expect(byName.get(name)!.leaks, name).toEqual([]);
  }
};

const skipDnsmasq = resolverSkipReason('dnsmasq');
if (skipDnsmasq) console.warn(`SKIPPED dnsmasq scenarios: ${skipDnsmasq}`);

describe.skipIf(!!skipDnsmasq)('dnsmasq as the resolver under test, on netns', () => {
  const { byName, state } = runOnce(['scenarios/dnsmasq-incident.yaml', 'scenarios/dnsmasq-fix.yaml']);

  it('gives the incident FAIL and the fix PASS, as their descriptions state', () => {
    expect(state.exitCode, state.stderr).toBe(1);
    verdicts(byName, { 'dnsmasq-incident': 'fail', 'dnsmasq-fix': 'pass' });
    expect(byName.get('dnsmasq-incident')!.resolver).toEqual({ kind: 'dnsmasq', name: 'dnsmasq' });
  });

  it("incident: the public resolvers' NXDOMAIN, passed on by dnsmasq, is final for the stub where they are reachable", () => {
    const s = byName.get('dnsmasq-incident')!;
    expect(unexpected(s)).toEqual(expect.arrayContaining([
      'proxysql.internal.example.io A staging resolves-only-in-one',
      'proxysql.internal.example.io A preprod resolves-only-in-one',
      'www.example.io A staging slow-only-in-one',
    ]));
    const f = s.findings.find((x) => x.query.name === 'proxysql.internal.example.io' && x.environment === 'staging')!;
    // The resolver path from dnsmasq's own query log.
    expect(f.explanation).toMatch(/In production, dnsmasq asked the public resolvers? (8\.8\.8\.8|8\.8\.4\.4)[^,;]*, which answered NXDOMAIN/);
    expect(f.explanation).toContain("In staging, dnsmasq's queries to the public resolvers 8.8.8.8 and 8.8.4.4 got no answer (egress to the Internet is dropped in staging)");
    expect(f.explanation).toContain('169.254.169.253 answered NOERROR 10.20.30.40');
  });

  it('lists every substitution, with the image file and line of what it replaced', () => {
    const s = byName.get('dnsmasq-incident')!;
    const conf = join(process.cwd(), 'fixtures/images/dnsmasq-incident/dnsmasq.conf');
    expect(s.substitutions).toEqual(expect.arrayContaining([
      expect.objectContaining({ option: 'user', original: 'dnsmasq', file: conf, line: 9 }),
      expect.objectContaining({ option: 'pid-file', original: '/run/dnsmasq/dnsmasq.pid', file: conf, line: 10 }),
      expect.objectContaining({ option: 'conf-dir', original: '/etc/dnsmasq.d/,*.conf', file: conf, line: 11 }),
      expect.objectContaining({ option: 'log-queries', original: null }),
      expect.objectContaining({ option: 'no-hosts', original: null }),
    ]));
    // no-resolv: its upstreams are its server= lines, not a resolv.conf.
    expect(s.substitutions.some((x) => x.option === 'resolv-file')).toBe(false);
  });

  it('fix: server=/internal.example.io/ sends the private zone to the VPC resolver everywhere; only the declared slowness remains', () => {
    const s = byName.get('dnsmasq-fix')!;
    expect(unexpected(s)).toEqual([]);
    expect(s.expectations.every((e) => e.met)).toBe(true);
    expect(s.findings.every((f) => f.difference.class === 'slow-only-in-one')).toBe(true);
  });
});

const skipKresd = resolverSkipReason('knot-resolver');
if (skipKresd) console.warn(`SKIPPED kresd scenarios: ${skipKresd}`);

describe.skipIf(!!skipKresd)('Knot Resolver (kresd) as the resolver under test, on netns', () => {
  const { byName, state } = runOnce(['scenarios/kresd-incident.yaml', 'scenarios/kresd-fix.yaml']);

  it('gives the incident FAIL and the fix PASS, as their descriptions state', () => {
    expect(state.exitCode, state.stderr).toBe(1);
    verdicts(byName, { 'kresd-incident': 'fail', 'kresd-fix': 'pass' });
    expect(byName.get('kresd-incident')!.resolver).toEqual({ kind: 'knot-resolver', name: 'kresd' });
  });

  it("incident: kresd validates with the run's root key, and the signed NXDOMAIN of example.io is final for the stub", () => {
    const s = byName.get('kresd-incident')!;
    for (const f of s.findings.filter((x) => x.status !== 'unexpected')) expect(`${f.status} ${f.environment} ${f.difference.class}`).toMatch(/^(expected|unstable) staging slow-only-in-one$/);
    expect(unexpected(s).sort()).toEqual([
      'ns.internal.example.io A staging resolves-only-in-one',
      'proxysql-replica.internal.example.io A staging resolves-only-in-one',
      'proxysql.internal.example.io A staging resolves-only-in-one',
    ]);
    const f = s.findings.find((x) => x.query.name === 'proxysql.internal.example.io' && x.environment === 'staging')!;
    // The resolver path from kresd's own debug log.
    expect(f.explanation).toContain('In production, kresd asked the root (198.51.100.1), the io. servers (198.51.100.2) and the example.io. servers (198.51.100.53), which answered NXDOMAIN');
    // Which of these depends on how far kresd had got in giving up on the root when the stub asked: timing, not the image.
    expect(f.explanation).toMatch(/In staging, kresd(( could not prime the root: its|'s) queries to the root \(198\.51\.100\.1\) got no answer \(egress to the Internet is rejected in staging\)| asked no server about it)/);
    expect(f.explanation).toContain('127.0.0.1 answered SERVFAIL, so the stub moved on');
    // The real root's key is never used: the run's is.
    expect(s.substitutions).toEqual(expect.arrayContaining([expect.objectContaining({ option: 'trust anchor', original: null }), expect.objectContaining({ option: 'root hints', original: null })]));
  });

  it("fix: policy.STUB for the private zone, with a negative trust anchor, resolves it everywhere: only kresd's declared second for public names remains", () => {
    const s = byName.get('kresd-fix')!;
    expect(unexpected(s)).toEqual([]);
    // kresd's SERVFAIL after about a second where the firewall rejects is near the threshold: present in some runs, never counted.
    for (const f of s.findings) expect(`${f.status} ${f.query.source} ${f.environment} ${f.difference.class}`).toBe('expected public-zone staging slow-only-in-one');
    expect(s.expectations.every((e) => e.met)).toBe(true);
  });
});
