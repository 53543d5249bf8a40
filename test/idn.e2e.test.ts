// Unicode names through the CLI: a zone origin, a query and an expected answer
// written in Unicode resolve by their A-labels, and the reports show both forms.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { leftovers, skipNetns } from './env.js';

const CLI = join(process.cwd(), 'dist/harness/cli/main.js');
const dirs: string[] = [];
afterAll(() => {
  if (!process.env.KEEP_IDN) for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!!skipNetns)('IDN: Unicode names in a scenario', () => {
  it('resolves them by their A-labels and reports both forms', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dnsparity-idn-'));
    dirs.push(dir);
    cpSync('fixtures/images/stub-zone-fix/unbound.conf', join(dir, 'unbound.conf'));
    cpSync('fixtures/stub/resolv.conf', join(dir, 'resolv.conf'));
    cpSync('fixtures/zones/internal.example.io.zone', join(dir, 'internal.zone'));
    writeFileSync(join(dir, 'buecher.zone'), '$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n@ IN NS ns1\nns1 IN A 198.51.100.53\nwww IN A 203.0.113.80\n');
    writeFileSync(join(dir, 'idn.yaml'), [
      'name: idn',
      'resolver: { config: unbound.conf }',
      'stub: { resolvConf: resolv.conf }',
      'network:',
      '  provider:',
      '    zones: [{ origin: internal.example.io, file: internal.zone }]',
      '  public:',
      '    zones: [{ origin: bücher.example, file: buecher.zone }]',
      'environments:',
      '  - { name: production, egress: allow, reference: true }',
      '  - { name: replica, egress: allow }',
      'queries:',
      '  names: [www.bücher.example]',
      'expect:',
      '  answers: [{ name: WWW.Bücher.Example., addresses: [203.0.113.80] }]',
      '',
    ].join('\n'));
    const r = await execa(process.execPath, [CLI, 'run', join(dir, 'idn.yaml'), '--reporter', 'pretty', '--reporter', 'json', '--reporter', 'junit', '--out', dir], { reject: false, env: { NO_COLOR: '1' } });
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { scenarios: { runId: string; queries: { name: string }[]; expectations: { met: boolean }[]; observations: Record<string, { app?: { outcome?: { addresses?: string[] } } }[]> }[] };
    const s = report.scenarios[0]!;
    expect(s.queries.map((q) => q.name)).toEqual(['www.xn--bcher-kva.example']);
    expect(s.expectations.every((e) => e.met)).toBe(true);
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toContain('www.xn--bcher-kva.example (www.bücher.example) A [application] replica');
    expect(leftovers(s.runId)).toEqual([]);
  });
});
