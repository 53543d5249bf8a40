// Leak lines through the CLI, from each source that can see a leak: the
// resolver's log, and the network alone (a run above the tracing limit, where
// unbound's log is not raised, so only the router's record names the server).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { TRACE_MAX_QUERIES } from '../harness/plan.js';
import { leftovers, skipNetns } from './env.js';

const CLI = join(process.cwd(), 'dist/harness/cli/main.js');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The stray forwarder (192.0.2.99 for corp.example), with `extra` public names to ask. */
function scenario(extra: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'dnsparity-leaks-'));
  dirs.push(dir);
  cpSync('fixtures/images/stray-forwarder/unbound.conf', join(dir, 'unbound.conf'));
  cpSync('fixtures/stub/resolv.conf', join(dir, 'resolv.conf'));
  cpSync('fixtures/zones/internal.example.io.zone', join(dir, 'internal.zone'));
  const hosts = Array.from({ length: extra }, (_, i) => `h${i} IN A 203.0.113.${(i % 250) + 1}`);
  writeFileSync(join(dir, 'public.zone'), ['$TTL 300', '@ IN SOA ns1 hostmaster 1 3600 600 86400 300', '@ IN NS ns1', 'ns1 IN A 198.51.100.53', ...hosts, ''].join('\n'));
  writeFileSync(join(dir, 'leak.yaml'), [
    'name: leak',
    'resolver: { config: unbound.conf }',
    'stub: { resolvConf: resolv.conf }',
    'network:',
    '  provider:',
    '    zones: [{ origin: internal.example.io, file: internal.zone }]',
    '  public:',
    '    zones: [{ origin: example.io, file: public.zone }]',
    'environments:',
    '  - { name: production, egress: allow, reference: true }',
    '  - { name: staging, egress: drop }',
    'queries:',
    '  names: [{ name: db.corp.example, type: TXT }]',
    `  publicZones: ${extra > 0}`,
    '',
  ].join('\n'));
  return dir;
}

const WELL_FORMED = /^✗ leak: (unbound in \S+ sent \d+ quer(y|ies) to \S+ \(as a server for \S+\.\), which the scenario's network does not have; asked about \S.*|something in \S+ sent \d+ packets? to [\d.]+ port \d+, which the scenario's network does not have)(\. The config forwards to it: if it is a public resolver, declare it in the scenario \(network\.publicResolvers: \[\{ address: [\d.]+ \}\]\) and the simulated Internet will have one there)?$/;

async function leakLines(dir: string): Promise<{ lines: string[]; report: { scenarios: { runId: string; leaks: { seenBy?: string; environment: string }[] }[] } }> {
  const r = await execa(process.execPath, [CLI, 'run', join(dir, 'leak.yaml'), '--reporter', 'pretty', '--reporter', 'json', '--out', dir], { reject: false, env: { NO_COLOR: '1' } });
  expect(r.exitCode, r.stderr).toBe(1);
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
  // Rendered again from the stored report, as "dnsparity report" reads it on another machine.
  const again = await execa(process.execPath, [CLI, 'report', join(dir, 'report.json')], { reject: false, env: { NO_COLOR: '1' } });
  const lines = again.stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('✗ leak:'));
  expect(leftovers(report.scenarios[0].runId)).toEqual([]);
  return { lines, report };
}

describe.skipIf(!!skipNetns)('leak lines through the CLI', () => {
  it('from the resolver log: the zone and the names asked about', async () => {
    const { lines, report } = await leakLines(scenario(0));
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).toMatch(WELL_FORMED);
    expect(lines[0]).toContain('unbound in production sent');
    expect(report.scenarios[0]!.leaks.every((l) => l.seenBy === undefined)).toBe(true);
  });

  it('from the network alone, above the tracing limit: the sender, the packets and the port', async () => {
    const { lines, report } = await leakLines(scenario(TRACE_MAX_QUERIES + 1));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(l).toMatch(WELL_FORMED);
    expect(lines.some((l) => /^✗ leak: something in staging sent \d+ packets? to 192\.0\.2\.99 port 53/.test(l))).toBe(true);
    expect(report.scenarios[0]!.leaks.every((l) => l.seenBy === 'network')).toBe(true);
  }, 120_000);
});
