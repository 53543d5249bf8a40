// BIND 9 and PowerDNS Recursor on the docker backend, in their default host
// images, which are real Debian systems (mmdebstrap minbase with Debian's
// bind9 or pdns-recursor, imported into the engine; built by the first run):
// the shipped scenarios of each get the verdicts they get on netns, for the
// same reasons, and nothing labelled dnsparity is left on the engine.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerLeftovers, resolverSkipReason, skipDocker } from './env.js';
import { endsAt } from './evidence.js';

const CLI = 'node_modules/.bin/dnsparity';
const dnsparity = (args: string[]) => execa(CLI, args, { reject: false, env: { NO_COLOR: '1' }, stdin: 'ignore' });

const SCENARIOS = ['incident-bind', 'forward-zone-fix-bind', 'incident-pdns', 'forward-zone-fix-pdns'];
const VERDICTS: Record<string, string> = { 'incident-bind': 'fail', 'forward-zone-fix-bind': 'pass', 'incident-pdns': 'fail', 'forward-zone-fix-pdns': 'pass' };

interface ScenarioReport {
  scenario: { name: string };
  backend: string;
  verdict: string;
  leaks: unknown[];
  findings: { query: { name: string; type: string }; environment: string; status: string; difference: { class: string }; explanation: string }[];
}
const unexpected = (s: ScenarioReport) =>
  s.findings.filter((f) => f.status === 'unexpected').map((f) => `${f.query.name} ${f.query.type} ${f.environment} ${f.difference.class}`).sort();

const skip = skipDocker ?? resolverSkipReason('bind') ?? resolverSkipReason('pdns-recursor');

describe.skipIf(!!skip)('BIND 9 and PowerDNS Recursor in Debian candidate images (docker)', () => {
  const made: string[] = [];
  const reports: Record<'netns' | 'docker', Map<string, ScenarioReport>> = { netns: new Map(), docker: new Map() };

  beforeAll(async () => {
    for (const backend of ['netns', 'docker'] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'dnsparity-e2e-'));
      made.push(dir);
      // On docker the first run builds dnsparity/host-bind and host-pdns-recursor: a few minutes, once per engine.
      const r = await dnsparity(['run', ...SCENARIOS.map((s) => `scenarios/${s}.yaml`), '--backend', backend, '--reporter', 'json', '--out', dir]);
      expect(r.exitCode, r.stderr).toBe(1);
      const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { scenarios: ScenarioReport[] };
      for (const s of report.scenarios) reports[backend].set(s.scenario.name, s);
    }
  }, 1_500_000);

  afterAll(async () => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
    expect(await dockerLeftovers()).toEqual([]);
  });

  it('gives each scenario the verdict it gets on netns, on docker, without leaks', () => {
    for (const backend of ['netns', 'docker'] as const) {
      expect(Object.fromEntries([...reports[backend]].map(([n, s]) => [n, s.verdict])), backend).toEqual(VERDICTS);
      for (const s of reports[backend].values()) {
        expect(s.backend).toBe(backend);
        expect(s.leaks, s.scenario.name).toEqual([]);
      }
    }
  });

  it("the unexpected differences are the same on both backends, and the docker resolver path comes from the image's own resolver", () => {
    for (const name of Object.keys(VERDICTS)) {
      expect(unexpected(reports.docker.get(name)!), name).toEqual(unexpected(reports.netns.get(name)!));
    }
    for (const [name, who] of [
      ['incident-bind', 'named'],
      ['incident-pdns', 'pdns_recursor'],
    ] as const) {
      const f = reports.docker.get(name)!.findings.find((x) => x.query.name === 'proxysql.internal.example.io' && x.environment === 'staging')!;
      expect(f.difference.class).toBe('resolves-only-in-one');
      // Compared by the last servers and outcome: which concurrent query's fetch warmed the cache first is timing.
      expect(f.explanation).toMatch(endsAt(who, 'the example\\.io\\. servers \\(198\\.51\\.100\\.53\\)', 'answered NXDOMAIN'));
    }
  });
});
