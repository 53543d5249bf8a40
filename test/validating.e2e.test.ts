// Validating configs and unbound options whose effect depends on reachability:
// the shipped scenarios in one CLI run, as a pipeline would run them, each with
// the verdict its description gives and the reason for it in report.json.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leftovers, skipNetns } from './env.js';

const SCENARIOS = {
  'incident-dnssec': 'fail',
  'validating-stub-zone-fix': 'pass',
  'debian-default-config': 'pass',
  'private-address-rebinding': 'fail',
  'forward-first': 'pass',
  'stub-first': 'pass',
  'serve-expired': 'fail',
  'qname-minimisation': 'fail',
} as const;
const VALIDATING = ['incident-dnssec', 'validating-stub-zone-fix', 'debian-default-config', 'qname-minimisation'];

interface Outcome { status: string; rcode?: string; flags?: { ad: boolean }; answers?: { data: string }[] }
interface ScenarioReport {
  scenario: { name: string; description: string };
  runId: string;
  reference: string;
  verdict: string;
  queries: { name: string; type: string; source: string }[];
  observations: Record<string, { resolver: { roles: string[]; outcome: Outcome }[] }[]>;
  findings: { query: { name: string }; environment: string; status: string; difference: { class: string } }[];
  substitutions: { option: string; original: string | null; replacement: string; file?: string; line?: number }[];
}

describe.skipIf(!!skipNetns)('validating configs and reachability-dependent options, in one run', () => {
  let exitCode: number | undefined;
  let stderr = '';
  let out = '';
  const byName = new Map<string, ScenarioReport>();

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'dnsparity-e2e-'));
    const files = Object.keys(SCENARIOS).map((s) => `scenarios/${s}.yaml`);
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
    expect(Object.fromEntries([...byName].map(([n, s]) => [n, s.verdict]))).toEqual(SCENARIOS);
    for (const [name, verdict] of Object.entries(SCENARIOS)) {
      expect(byName.get(name)!.scenario.description, name).toContain(`Expected: ${verdict.toUpperCase()}`);
    }
  });

  it('validates public answers (AD) where the Internet is reachable, except the zone left unsigned', () => {
    for (const name of VALIDATING) {
      const s = byName.get(name)!;
      const local = (i: number) => s.observations[s.reference]![i]!.resolver.find((r) => r.roles.includes('local-resolver'))!.outcome;
      const answered = s.queries.map((q, i) => ({ q, o: local(i) })).filter(({ q, o }) => q.source === 'public-zone' && o.rcode === 'NOERROR' && (o.answers?.length ?? 0) > 0);
      expect(answered.length, name).toBeGreaterThan(0);
      for (const { q, o } of answered) expect(o.flags?.ad, `${name}: ${q.name}`).toBe(!q.name.endsWith('example.net'));
      expect(s.substitutions.some((x) => /trust-anchor/.test(x.option) && x.line !== undefined), name).toBe(true);
    }
    expect(byName.get('debian-default-config')!.queries.some((q) => q.name === 'www.example.net')).toBe(true);
  });

  it("uses Debian's tree through its include-toplevel, substituting only what the sandbox needs", () => {
    const subs = byName.get('debian-default-config')!.substitutions.filter((x) => x.line !== undefined);
    expect(subs.map((x) => [x.option, x.file!.replace(/.*fixtures\//, ''), x.line])).toEqual([
      ['include-toplevel', 'images/debian-default/etc/unbound/unbound.conf', 10],
      ['remote-control.control-enable', 'images/debian-default/etc/unbound/unbound.conf.d/remote-control.conf', 2],
      ['auto-trust-anchor-file', 'images/debian-default/etc/unbound/unbound.conf.d/root-auto-trust-anchor-file.conf', 4],
    ]);
  });

  it('fails the incident with validation for the same reason as without: a final NXDOMAIN for the private zone', () => {
    const s = byName.get('incident-dnssec')!;
    expect(s.findings.find((f) => f.query.name === 'proxysql.internal.example.io' && f.environment === 'staging')).toMatchObject({ status: 'unexpected', difference: { class: 'resolves-only-in-one' } });
  });

  it('fails private-address only for the public name with a private address outside every private-domain', () => {
    const unexpected = byName.get('private-address-rebinding')!.findings.filter((f) => f.status === 'unexpected');
    expect(unexpected.map((f) => [f.query.name, f.environment, f.difference.class])).toEqual([
      ['intranet.example.io', 'staging', 'resolves-only-in-one'],
      ['intranet.example.io', 'preprod', 'resolves-only-in-one'],
    ]);
  });

  it('finds no difference at all when everything is forwarded to a reachable VPC resolver (forward-first)', () => {
    expect(byName.get('forward-first')!.findings).toEqual([]);
  });
});
