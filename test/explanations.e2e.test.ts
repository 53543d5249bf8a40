// Explanations through the CLI for a scenario larger than the tracing limit:
// the resolver's upstream queries are not logged there, so every
// explanation gives the stub path alone and says so, and report.json
// carries no upstream trace that would read as "nothing was sent".
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { TRACE_MAX_QUERIES } from '../harness/upstream-trace.js';
import { leftovers, skipNetns } from './env.js';

const CLI = 'node_modules/.bin/dnsparity';
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The incident with production and staging only, asking proxysql and enough public names to pass the limit. */
function largeIncident(dir: string, names: number): string {
  const f = (p: string) => resolve('fixtures', p);
  const list = ['proxysql.internal.example.io', ...Array.from({ length: names - 1 }, (_, i) => `n${i}.example.io`)];
  const file = join(dir, 'large.yaml');
  writeFileSync(
    file,
    `name: incident-large
files:
  root: ${resolve('.')}
resolver:
  kind: unbound
  config: ${f('images/incident/unbound.conf')}
stub:
  resolvConf: ${f('stub/resolv.conf')}
network:
  provider:
    address: 169.254.169.253
    zones:
      - origin: internal.example.io
        file: ${f('zones/internal.example.io.zone')}
  public:
    zones:
      - origin: example.io
        file: ${f('zones/example.io.zone')}
environments:
  - name: production
    egress: allow
    reference: true
  - name: staging
    egress: drop
queries:
  names:
${list.map((n) => `    - ${n}`).join('\n')}
expect:
  latencyThresholdMs: 1000
`,
  );
  return file;
}

describe.skipIf(!!skipNetns)(`explanations above ${TRACE_MAX_QUERIES} queries`, () => {
  it('give the stub path alone, say so, and keep no empty trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dnsparity-large-'));
    dirs.push(dir);
    const n = TRACE_MAX_QUERIES + 1;
    const r = await execa(CLI, ['run', largeIncident(dir, n), '--reporter', 'json', '--out', join(dir, 'out')], { reject: false, env: { NO_COLOR: '1' }, stdin: 'ignore' });
    expect(r.exitCode, r.stderr).toBe(1);
    const report = JSON.parse(readFileSync(join(dir, 'out/report.json'), 'utf8'));
    const s = report.scenarios[0];
    expect(s.queries).toHaveLength(n);
    expect(s.upstream).toBeUndefined();
    const proxysql = s.findings.find((f: { query: { name: string }; environment: string }) => f.query.name === 'proxysql.internal.example.io' && f.environment === 'staging');
    expect(proxysql).toMatchObject({ status: 'unexpected', difference: { class: 'resolves-only-in-one' } });
    expect(s.findings.length).toBeGreaterThan(0);
    const untraced = `the resolver's upstream queries are not traced above ${TRACE_MAX_QUERIES} queries (${n} here): stub path alone`;
    for (const f of s.findings) {
      expect(f.explanation).not.toMatch(/unbound (sent|asked|could not)/);
      expect(f.explanation).toContain(`In production, ${untraced}; `);
      expect(f.explanation).toContain(`In staging, ${untraced}; `);
    }
    expect(proxysql.explanation).toContain('127.0.0.1 answered NXDOMAIN, which is final');
    expect(leftovers(s.runId)).toEqual([]);
  });
});
