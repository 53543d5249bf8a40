// The shipped scenarios of the simulated network's real shapes (split
// horizon, public resolvers, delay), through the built CLI in one run: each
// gets the verdict its description states, for the reason it states.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leftovers, skipNetns } from './env.js';

export const NETWORK_SCENARIOS = {
  'split-horizon': 'fail',
  'split-horizon-forward-zone-fix': 'pass',
} as const;

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
    const files = Object.keys(NETWORK_SCENARIOS).map((s) => `scenarios/${s}.yaml`);
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
    expect(Object.fromEntries([...byName].map(([n, s]) => [n, s.verdict]))).toEqual(NETWORK_SCENARIOS);
    for (const [name, verdict] of Object.entries(NETWORK_SCENARIOS)) {
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
});
