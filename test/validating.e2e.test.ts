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
  environments: { name: string }[];
  runId: string;
  reference: string;
  verdict: string;
  queries: { name: string; type: string; source: string }[];
  observations: Record<string, { application?: { outcome: { status: string; addresses?: string[] } }; resolver: { roles: string[]; outcome: Outcome }[] }[]>;
  findings: { query: { name: string; source: string }; environment: string; status: string; reason?: string; explanation: string; difference: { class: string } }[];
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

  it('fails the incident-like images for the incident\'s cause: a final NXDOMAIN where the Internet is reachable, the VPC resolver where it is not', () => {
    const PRIVATE = ['ns.internal.example.io', 'proxysql-replica.internal.example.io', 'proxysql.internal.example.io'];
    for (const name of ['incident-dnssec', 'serve-expired', 'qname-minimisation']) {
      const s = byName.get(name)!;
      const onlyIn = s.findings.filter((f) => f.status === 'unexpected' && f.difference.class === 'resolves-only-in-one');
      expect([...new Set(onlyIn.map((f) => f.query.name))].sort(), name).toEqual(PRIVATE);
      expect([...new Set(onlyIn.map((f) => f.environment))].sort(), name).toEqual(['preprod', 'staging']);
      for (const f of onlyIn) {
        const [production, other] = f.explanation.split(` In ${f.environment}, `) as [string, string];
        expect(production, `${name} ${f.query.name}`).toContain('127.0.0.1 answered NXDOMAIN, which is final: the stub does not try 169.254.169.253');
        expect(other, `${name} ${f.query.name}`).toMatch(/^unbound could not prime the root: its queries to the root \(198\.51\.100\.1\) got no answer \(egress to the Internet is (dropped|rejected) in (staging|preprod)\)/);
        expect(other, `${name} ${f.query.name}`).toMatch(/so the stub moved on; 169\.254\.169\.253 answered NOERROR 10\.20\.30\.\d+\.$/);
      }
      // Where the Internet is reachable the local resolver's NXDOMAIN is the cause: it says so at the resolver layer.
      const i = s.queries.findIndex((q) => q.name === 'proxysql.internal.example.io');
      expect(s.observations[s.reference]![i]!.resolver.find((r) => r.roles.includes('local-resolver'))!.outcome.rcode, name).toBe('NXDOMAIN');
    }
  });

  it('passes the fixes because the private zone resolves through the VPC resolver everywhere, and only declared slowness differs', () => {
    for (const name of ['validating-stub-zone-fix', 'stub-first']) {
      const s = byName.get(name)!;
      expect(s.findings.filter((f) => f.status === 'unexpected'), name).toEqual([]);
      for (const f of s.findings) {
        expect([f.query.source, f.difference.class, f.status], `${name} ${f.query.name}`).toEqual(['public-zone', 'slow-only-in-one', 'expected']);
        expect(f.reason, name).toMatch(/without outbound DNS the local unbound cannot reach/);
      }
      const privates = s.queries.map((q, i) => ({ q, i })).filter(({ q }) => q.source === 'private-zone');
      expect(privates.filter(({ i }) => s.observations[s.reference]![i]!.application?.outcome.status === 'answer').length, name).toBeGreaterThan(0);
      for (const { q, i } of privates) {
        const answers = s.environments.map((e) => s.observations[e.name]![i]!.application?.outcome);
        // The same outcome in every environment (the zone's apex has no address: not found, alike).
        expect(new Set(answers.map((a) => JSON.stringify([a?.status, a?.addresses]))).size, `${name} ${q.name}`).toBe(1);
        // The local resolver answers it itself in every environment: the stub never has to fall back.
        for (const e of s.environments) expect(s.observations[e.name]![i]!.resolver.find((r) => r.roles.includes('local-resolver'))!.outcome.rcode, `${name} ${q.name} ${e.name}`).not.toBe('NXDOMAIN');
      }
    }
  });

  it('finds no difference at all when everything is forwarded to a reachable VPC resolver (forward-first)', () => {
    expect(byName.get('forward-first')!.findings).toEqual([]);
  });
});
