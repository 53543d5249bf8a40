// The shipped scenarios of the simulated network's real shapes (split
// horizon, public resolvers, delay), through the built CLI in one run: each
// gets the verdict its description states, for the reason it states.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leftovers, skipNetns } from './env.js';

const NETWORK_SCENARIOS = {
  'split-horizon': 'fail',
  'split-horizon-forward-zone-fix': 'pass',
  'public-forwarder': 'fail',
  'public-forwarder-fix': 'pass',
} as const;
/** Not shipped: its staging findings race (see its description), which a shipped scenario must not. */
const IPV6 = 'test/fixtures/scenarios/ipv6-egress-forgotten.yaml';

interface ScenarioReport {
  scenario: { name: string; description: string };
  runId: string;
  verdict: string;
  findings: { query: { name: string; type: string }; environment: string; status: string; difference: { class: string }; explanation: string }[];
  expectations: { met: boolean; environment: string; query: { name: string } }[];
  leaks: unknown[];
}
const unexpected = (s: ScenarioReport) => s.findings.filter((f) => f.status === 'unexpected').map((f) => `${f.query.name} ${f.query.type} ${f.environment} ${f.difference.class}`);

describe.skipIf(!!skipNetns)('the simulated network as real networks are, through the CLI', () => {
  let exitCode: number | undefined;
  let stderr = '';
  let out = '';
  const byName = new Map<string, ScenarioReport>();

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'dnsparity-e2e-'));
    const files = [...Object.keys(NETWORK_SCENARIOS).map((s) => `scenarios/${s}.yaml`), IPV6];
    const r = await execa('node_modules/.bin/dnsparity', ['run', ...files, '--reporter', 'json', '--out', out], { reject: false, env: { NO_COLOR: '1' }, stdin: 'ignore' });
    exitCode = r.exitCode;
    stderr = r.stderr;
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { scenarios: ScenarioReport[] };
    for (const s of report.scenarios) byName.set(s.scenario.name, s);
  }, 300_000);

  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
    for (const s of byName.values()) expect(leftovers(s.runId)).toEqual([]);
  });

  it('gives each scenario the verdict its description states', () => {
    expect(exitCode, stderr).toBe(1);
    expect(Object.fromEntries([...byName].map(([n, s]) => [n, s.verdict]))).toEqual({ ...NETWORK_SCENARIOS, 'ipv6-egress-forgotten': 'fail' });
    for (const [name, verdict] of Object.entries({ ...NETWORK_SCENARIOS, 'ipv6-egress-forgotten': 'fail' })) {
      expect(byName.get(name)!.scenario.description, name).toContain(`Expected: ${verdict.toUpperCase()}`);
      expect(byName.get(name)!.leaks, name).toEqual([]);
    }
  });

  it('split horizon: different answers, and a private-only name that resolves only where egress is blocked', () => {
    const s = byName.get('split-horizon')!;
    expect(unexpected(s)).toEqual(expect.arrayContaining([
      'www.example.io A staging different-answer',
      'www.example.io A preprod different-answer',
      'db.example.io A staging resolves-only-in-one',
      'db.example.io A preprod resolves-only-in-one',
    ]));
    const db = s.findings.find((f) => f.query.name === 'db.example.io' && f.environment === 'staging')!;
    expect(db.explanation).toContain('the example.io. servers (198.51.100.53), which answered NXDOMAIN');
    expect(db.explanation).toContain('169.254.169.253 answered NOERROR 10.20.0.5');
    expect(s.expectations.filter((e) => !e.met).map((e) => `${e.query.name} ${e.environment}`)).toEqual(['db.example.io production']);
  });

  it('split horizon fixed by a forward-zone: the provider view everywhere, nothing declared', () => {
    const s = byName.get('split-horizon-forward-zone-fix')!;
    expect(s.findings).toEqual([]);
    expect(s.expectations.every((e) => e.met)).toBe(true);
  });

  it('public forwarder: the public resolvers deny the private zone where they are reachable, and say so', () => {
    const s = byName.get('public-forwarder')!;
    expect(unexpected(s)).toEqual(expect.arrayContaining(['proxysql.internal.example.io A staging resolves-only-in-one', 'proxysql.internal.example.io A preprod resolves-only-in-one']));
    const f = s.findings.find((x) => x.query.name === 'proxysql.internal.example.io' && x.environment === 'staging')!;
    // unbound picks among its forwarders: one or both are named.
    expect(f.explanation).toMatch(/unbound asked the public resolvers? 8\.8\.[48]\.[48]( and 8\.8\.[48]\.[48])?, which answered NXDOMAIN/);
    expect(f.explanation).toMatch(/queries to the public resolvers? 8\.8\.[48]\.[48].* got no answer \(egress to the Internet is dropped in staging\)/);
  });

  it('public forwarder fixed by a forward-zone for the private zone: only the declared slowness remains', () => {
    const s = byName.get('public-forwarder-fix')!;
    expect(unexpected(s)).toEqual([]);
    expect(s.findings.length).toBeGreaterThan(0);
    expect(s.findings.every((f) => f.status === 'expected' && f.difference.class === 'slow-only-in-one')).toBe(true);
  });

  it('a forwarder the scenario does not declare is a leak whose message says how to declare it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dnsparity-e2e-'));
    try {
      const file = join(dir, 'undeclared.yaml');
      const text = readFileSync('scenarios/public-forwarder.yaml', 'utf8').replace(/  publicResolvers:\n(    - .*\n)+/, '').replaceAll('../fixtures/', `${process.cwd()}/fixtures/`).replace(/^  root: .*$/m, "  root: /");
      writeFileSync(file, text);
      const r = await execa('node_modules/.bin/dnsparity', ['run', file, '--reporter', 'pretty', '--reporter', 'json', '--out', dir], { reject: false, env: { NO_COLOR: '1' }, stdin: 'ignore' });
      expect(r.exitCode, r.stderr).toBe(1);
      const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { scenarios: (Omit<ScenarioReport, "leaks"> & { leaks: { server: string; forwarder?: boolean }[] })[] };
      const leaks = report.scenarios[0]!.leaks;
      expect(leaks.map((l) => l.server.replace(/#\d+$/, ''))).toEqual(expect.arrayContaining(['8.8.8.8', '8.8.4.4']));
      expect(leaks.every((l) => l.forwarder === true)).toBe(true);
      expect(r.stdout).toContain('The config forwards to it: if it is a public resolver, declare it in the scenario (network.publicResolvers: [{ address: 8.8.8.8 }])');
      expect(leftovers(report.scenarios[0]!.runId)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('IPv6 forgotten: staging, whose IPv6 is open, breaks as production does; preprod alone resolves the private names', () => {
    const s = byName.get('ipv6-egress-forgotten')!;
    const counted = unexpected(s);
    expect(counted).toEqual(expect.arrayContaining(['proxysql.internal.example.io A preprod resolves-only-in-one']));
    // Staging, IPv4 rejected and IPv6 open, is not asserted: which address unbound tries first is a race with the stub's timeout.
    expect(s.expectations.filter((e) => !e.met).map((e) => e.environment)).toContain('production');
  });
});
