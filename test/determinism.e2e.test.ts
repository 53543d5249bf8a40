// Findings that cannot flip with scheduling: the incident with a one-second
// stub timeout and the latency threshold sitting on it, twenty runs in a row,
// must find exactly the same differences every time (slowness is decided from
// the stub's own wait, not from a threshold the wait sits on).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding } from '../harness/model.js';
import { leftovers, skipNetns } from './env.js';

const RUNS = 20;

describe.skipIf(!!skipNetns)('determinism with timeout:1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dnsparity-det-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`gives identical findings in ${RUNS} consecutive runs`, async () => {
    const signatures: string[] = [];
    for (let k = 0; k < RUNS; k++) {
      const out = join(dir, String(k));
      const r = await execa('node_modules/.bin/dnsparity', ['run', 'test/fixtures/scenarios/incident-timeout-1.yaml', '--reporter', 'json', '--out', out], { reject: false, stdin: 'ignore' });
      expect(r.exitCode, r.stderr).toBe(1);
      const s = (JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { scenarios: { runId: string; findings: Finding[] }[] }).scenarios[0]!;
      expect(leftovers(s.runId)).toEqual([]);
      signatures.push(s.findings.map((f) => `${f.query.name} ${f.query.type} ${f.environment} ${f.status} ${f.difference.class} ${f.difference.side}`).sort().join('\n'));
    }
    // Not empty: the private names resolve only where egress is blocked, and the public ones are slow there.
    expect(signatures[0]).toContain('proxysql.internal.example.io A staging unexpected resolves-only-in-one environment');
    expect(signatures[0]).toContain('www.example.io A staging unexpected slow-only-in-one environment');
    expect(new Set(signatures).size).toBe(1);
  }, 600_000);
});
