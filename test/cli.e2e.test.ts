// The shipped scenarios through the built CLI, as a pipeline would run them:
// exit codes, report.json, and nothing left on the machine afterwards.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { leftovers, skipNetns } from './env.js';

const CLI = 'node_modules/.bin/dnsparity';
const dnsparity = (args: string[], env: Record<string, string> = {}) =>
  execa(CLI, args, { reject: false, env: { NO_COLOR: '1', ...env }, stdin: 'ignore' });

interface Report {
  exitCode: number;
  scenarios: { scenario: { name: string }; verdict: string; findings: { query: { name: string }; environment: string; status: string; difference: { class: string } }[] }[];
}
/** Run ids seen in reports: what must be gone once the tests are over. */
const runIds = new Set<string>();
const readReport = (dir: string) => {
  const r = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report & { scenarios: { runId: string }[] };
  for (const s of r.scenarios) runIds.add(s.runId);
  return r;
};
const made: string[] = [];
const out = () => {
  const d = mkdtempSync(join(tmpdir(), 'dnsparity-e2e-'));
  made.push(d);
  return d;
};
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('dnsparity CLI without a network', () => {
  it('exits 2 with one line naming the file and line for a bad scenario', async () => {
    const dir = out();
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: broken\nresolver:\n  config: x.conf\n  flavour: sweet\n');
    const r = await dnsparity(['run', bad]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${bad}:4: resolver.flavour: unknown field`);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });

  it('exits 2 for an unknown reporter and an unknown backend', async () => {
    const rep = await dnsparity(['run', 'scenarios', '--reporter', 'xml']);
    expect(rep.exitCode).toBe(2);
    expect(rep.stderr).toContain('unknown reporter "xml"');
    const b = await dnsparity(['run', 'scenarios', '--backend', 'vm']);
    expect(b.exitCode).toBe(2);
    expect(b.stderr).toContain('--backend');
  });

  it('lists the shipped scenarios with their query counts', async () => {
    const r = await dnsparity(['list']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/incident-2024-11-05\t8 queries\tproduction\*\(allow\) staging\(drop\) preprod\(reject\)/);
    expect(r.stdout.trim().split('\n')).toHaveLength(readdirSync('scenarios').length);
  });
});

describe.skipIf(!!skipNetns)('dnsparity run on the netns backend', () => {
  afterAll(() => {
    expect(runIds.size).toBeGreaterThan(0);
    for (const id of runIds) expect(leftovers(id)).toEqual([]);
  });

  it('fails the gate on the incident, naming the proxysql name in report.json', async () => {
    const dir = out();
    const r = await dnsparity(['run', 'scenarios/incident-2024-11-05.yaml', '--reporter', 'json', '--out', dir]);
    expect(r.exitCode).toBe(1);
    const report = readReport(dir);
    const f = report.scenarios[0]!.findings.find((x) => x.query.name === 'proxysql.internal.example.io' && x.environment === 'staging')!;
    expect(f).toMatchObject({ status: 'unexpected', difference: { class: 'resolves-only-in-one' } });
  });

  it('passes the stub-zone and forward-zone fixes and fails the private TLD, in one run with a readable report', async () => {
    const dir = out();
    const r = await dnsparity(['run', 'scenarios/stub-zone-fix.yaml', 'scenarios/forward-zone-fix.yaml', 'scenarios/private-tld-corp-internal.yaml', '--reporter', 'pretty', '--reporter', 'json', '--out', dir]);
    readReport(dir);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('✓ PASS  stub-zone-fix');
    expect(r.stdout).toContain('✓ PASS  forward-zone-fix');
    expect(r.stdout).toContain('✗ FAIL  private-tld-corp-internal');
    expect(r.stdout).toMatch(/db\.corp\.internal A: resolves only in staging/);
    expect(r.stdout).toContain('127.0.0.1 answered NXDOMAIN, which is final: the stub does not try 169.254.169.253');
    expect(r.stdout).not.toMatch(/\x1b\[/); // NO_COLOR and not a TTY: plain text
  });

  it('gives the same verdicts when the domains are renamed and the addresses renumbered', async () => {
    // Copy the scenarios and fixtures, renaming example.io and renumbering every address.
    const dir = out();
    cpSync('scenarios', join(dir, 'scenarios'), { recursive: true });
    cpSync('fixtures', join(dir, 'fixtures'), { recursive: true });
    const rewrite = (s: string) =>
      s
        .replaceAll('internal.example.io', 'intra.shop.cloud')
        .replaceAll('example.io', 'shop.cloud')
        .replaceAll('10.20.30.', '10.77.66.')
        .replaceAll('203.0.113.', '192.0.2.')
        .replaceAll('198.51.100.53', '198.51.100.99')
        .replaceAll('169.254.169.253', '169.254.20.20')
        .replaceAll('proxysql', 'dbproxy');
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else writeFileSync(p, rewrite(readFileSync(p, 'utf8')));
      }
    };
    walk(dir);
    const { renameSync } = await import('node:fs');
    for (const f of readdirSync(join(dir, 'fixtures/zones'))) renameSync(join(dir, 'fixtures/zones', f), join(dir, 'fixtures/zones', rewrite(f)));
    const report = out();
    const r = await dnsparity(['run', join(dir, 'scenarios/incident-2024-11-05.yaml'), join(dir, 'scenarios/stub-zone-fix.yaml'), '--reporter', 'json', '--out', report]);
    expect(r.exitCode, r.stderr).toBe(1);
    const [incident, fix] = readReport(report).scenarios;
    expect(incident!.verdict).toBe('fail');
    expect(fix!.verdict).toBe('pass');
    expect(incident!.findings.some((f) => f.query.name === 'dbproxy.intra.shop.cloud' && f.difference.class === 'resolves-only-in-one')).toBe(true);
  });
});
