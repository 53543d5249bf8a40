// Bad input through the CLI, table-driven: every case exits 2 with one line
// that names the file (and line and field where there is one) and says what
// was expected, and leaves nothing running or on disk.
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { runIdsOf, skipNetns } from './env.js';

const CLI_JS = join(process.cwd(), 'dist/harness/cli/main.js');
let root = '';
const S = () => join(root, 'scenarios/s.yaml');
const base = () => readFileSync('scenarios/stub-zone-fix.yaml', 'utf8');

interface Case {
  name: string;
  /** Writes the bad input into the temp tree and returns the CLI arguments. */
  setup: () => string[];
  /** Substrings the one-line error must contain. */
  expect: (string | RegExp)[];
  env?: Record<string, string>;
  /** Needs a working netns backend (checks that run when starting). */
  netns?: boolean;
  uid?: number;
}

const scenario = (text: string) => () => {
  writeFileSync(S(), text);
  return ['run', S()];
};
const edit = (from: string | RegExp, to: string) => scenario(base().replace(from, to));
const file = (rel: string, text: string, args?: () => string[]) => () => {
  writeFileSync(join(root, rel), text);
  writeFileSync(S(), base());
  return args ? args() : ['run', S()];
};

const CASES: Case[] = [
  { name: 'YAML syntax', setup: scenario('name: x\nresolver: a: b\nstub: {}\n'), expect: ['s.yaml:2', 'invalid YAML'] },
  { name: 'empty file', setup: scenario(''), expect: ['s.yaml', 'the scenario is empty'] },
  { name: 'a list at the top', setup: scenario('- a\n- b\n'), expect: ['s.yaml:1', 'expected a mapping'] },
  { name: 'unknown top-level field', setup: edit('queries:', 'querys: {}\nqueries:'), expect: [/s\.yaml:\d+: querys: unknown field/] },
  { name: 'unknown nested field', setup: edit('  kind: unbound', '  kind: unbound\n  version: 1.17'), expect: [/s\.yaml:\d+: resolver\.version: unknown field/] },
  { name: 'missing resolver', setup: edit(/resolver:\n  kind: unbound\n  config: .*\n/, ''), expect: ['resolver', 'required field is missing'] },
  { name: 'missing resolver config', setup: edit(/  config: .*\n/, ''), expect: ['resolver.config', 'required field is missing'] },
  { name: 'environments is not a list', setup: edit(/environments:\n(  .*\n)+/, 'environments: production\n'), expect: ['environments', 'expected array'] },
  { name: 'bad egress', setup: edit('egress: drop', 'egress: blocked'), expect: ['egress', 'expected allow, drop or reject'] },
  { name: 'environment name used twice', setup: edit('name: preprod', 'name: staging'), expect: ['environments[2].name', 'defined twice'] },
  { name: 'no reference environment', setup: edit('    reference: true\n', ''), expect: ['environments', 'no environment is marked'] },
  { name: 'two reference environments', setup: edit('    egress: drop\n', '    egress: drop\n    reference: true\n'), expect: ['2 environments are marked as reference'] },
  { name: 'reference to an unknown environment', setup: edit('class: slow-only-in-one', 'class: slow-only-in-one\n      environment: qa'), expect: ['expect.differences[0].environment', 'unknown environment "qa"'] },
  { name: 'unknown difference class', setup: edit('class: slow-only-in-one', 'class: slower'), expect: ['expect.differences[0].class', 'expected one of'] },
  { name: 'negative latency threshold', setup: edit('latencyThresholdMs: 1000', 'latencyThresholdMs: -5'), expect: ['expect.latencyThresholdMs'] },
  { name: 'bad query type', setup: edit('    - www.example.io', '    - { name: www.example.io, type: AXFR }'), expect: ['queries.names[1].type', 'expected one of'] },
  { name: 'bad domain name', setup: edit('    - www.example.io', '    - "www..example.io"'), expect: ['queries.names[1]', 'domain name'] },
  { name: 'no queries', setup: edit(/queries:\n(  .*\n)+/, 'queries: {}\n'), expect: ['queries', 'no queries'] },
  { name: 'a single environment', setup: edit(/  - name: staging\n(    .*\n)+  - name: preprod\n(    .*\n)+/, ''), expect: ['environments', 'at least two'] },
  { name: 'real Internet requested', setup: edit('name: stub-zone-fix', 'name: stub-zone-fix\nallowRealInternet: true'), expect: ['allowRealInternet', 'not supported'] },
  { name: 'bad provider address', setup: edit('address: 169.254.169.253', 'address: 169.254.169'), expect: ['network.provider.address', 'IPv4'] },
  { name: 'missing resolver config file', setup: edit('images/stub-zone-fix/unbound.conf', 'images/nope/unbound.conf'), expect: ['resolver.config', 'file not found'] },
  { name: 'missing zone file', setup: edit('zones/example.io.zone', 'zones/nope.zone'), expect: ['network.public.zones[0].file', 'file not found'] },
  { name: 'zone listed twice in one list', setup: edit(/(      - origin: example.io\n        file: .*\n)/, '$1$1'), expect: ['network.public.zones[1].origin', 'listed twice under network.public.zones'] },
  { name: 'zone with a bad address', setup: file('fixtures/zones/example.io.zone', '$TTL 300\n@ IN SOA ns1 h 1 2 3 4 5\n@ IN NS ns1\nns1 IN A 198.51.100.300\n'), expect: ['example.io.zone:4', 'invalid IPv4'] },
  { name: 'zone with CNAME and other data', setup: file('fixtures/zones/example.io.zone', '$TTL 300\n@ IN SOA ns1 h 1 2 3 4 5\n@ IN NS ns1\nns1 IN A 198.51.100.53\nwww IN CNAME ns1\nwww IN A 203.0.113.1\n'), expect: ['example.io.zone:6', 'CNAME and other data'] },
  { name: 'zone without SOA', setup: file('fixtures/zones/example.io.zone', '$TTL 300\nwww IN A 203.0.113.1\n'), expect: ['example.io.zone', 'SOA'] },
  { name: 'resolv.conf without nameserver', setup: file('fixtures/stub/resolv.conf', 'options timeout:2\n'), expect: ['resolv.conf', 'no nameserver line'] },
  { name: 'resolv.conf with a bad address', setup: file('fixtures/stub/resolv.conf', 'nameserver 127.0.0.1\nnameserver localhost\n'), expect: ['resolv.conf:2', 'expected an IP address'] },
  { name: 'provider address is a public server address', setup: edit('address: 169.254.169.253', 'address: 198.51.100.53'), expect: ['198.51.100.53', 'also a public name server'] },
  { name: 'two zones on one server address', setup: file('fixtures/zones/other.zone', '$TTL 300\n@ IN SOA ns1 h 1 2 3 4 5\n@ IN NS ns1\nns1 IN A 198.51.100.53\n', () => { writeFileSync(S(), base().replace('      - origin: example.io\n', '      - origin: other.io\n        file: ../fixtures/zones/other.zone\n      - origin: example.io\n')); return ['run', S()]; }), expect: ['198.51.100.53', 'used by zone'] },
  { name: 'unknown reporter', setup: () => ['run', 'scenarios/stub-zone-fix.yaml', '--reporter', 'yaml'], expect: ['--reporter', 'unknown reporter "yaml"', 'expected one of'] },
  { name: 'unknown backend', setup: () => ['run', 'scenarios/stub-zone-fix.yaml', '--backend', 'qemu'], expect: ['--backend', 'qemu'] },
  { name: 'bad --timeout-ms', setup: () => ['run', '--timeout-ms', '0'], expect: ['--timeout-ms expects a positive whole number'] },
  { name: 'unwritable --out', setup: () => { writeFileSync(join(root, 'plainfile'), ''); return ['run', 'scenarios/stub-zone-fix.yaml', '--out', join(root, 'plainfile/out')]; }, expect: ['--out', 'cannot write reports here'] },
  { name: 'no such scenario path', setup: () => ['run', join(root, 'nope.yaml')], expect: ['nope.yaml', 'no such scenario'] },
  { name: 'directory without scenarios', setup: () => { mkdirSync(join(root, 'empty'), { recursive: true }); return ['run', join(root, 'empty')]; }, expect: ['empty', 'no *.yaml scenario'] },
  { name: 'missing binaries', setup: () => {
      // A PATH with node and nothing else: nsd-checkzone is missing.
      mkdirSync(join(root, 'bin'), { recursive: true });
      return ['run', 'scenarios/stub-zone-fix.yaml'];
    }, env: { PATH: join(root, 'bin') }, expect: ['not found', 'apt-get install'] },
  { name: 'config unbound-checkconf rejects', netns: true, setup: file('fixtures/images/stub-zone-fix/unbound.conf', 'server:\n    interface: 127.0.0.1\n    num-threads: many\n'), expect: ['unbound.conf:3', 'unbound-checkconf'] },
  { name: 'address in the link range', netns: true, setup: edit(/address: 169\.254\.169\.253/, 'address: 100.127.0.9'), expect: ['100.127.0.9', 'renumber'] },
  { name: 'not root for netns', netns: true, uid: 65534, setup: () => ['run', join(root, 'scenarios/stub-zone-fix.yaml')], expect: ['root'] },
];

/** The not-root case runs the CLI as nobody, which must be able to read the checkout. */
const readableByNobody = (() => {
  try {
    execFileSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(CLI_JS)})`], { uid: 65534, gid: 65534, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!readableByNobody) console.warn(`SKIPPED the not-root case: ${CLI_JS} is not readable by other users (a checkout in a private directory)`);

describe('bad input: exit 2, one clear line, nothing left', () => {
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'dnsparity-bad-'));
    cpSync('fixtures', join(root, 'fixtures'), { recursive: true });
    cpSync('scenarios', join(root, 'scenarios'), { recursive: true });
    chmodSync(root, 0o755);
  });

  it('has at least 30 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  for (const c of CASES) {
    it.skipIf(!!(c.netns && skipNetns) || (c.uid !== undefined && !readableByNobody))(c.name, async () => {
      // Each case starts from pristine copies.
      cpSync('fixtures', join(root, 'fixtures'), { recursive: true });
      const args = c.setup();
      const child = execa(process.execPath, [CLI_JS, ...args], {
        reject: false,
        cwd: c.uid ? root : process.cwd(),
        env: { NO_COLOR: '1', ...c.env },
        extendEnv: !c.env?.PATH,
        stdin: 'ignore',
        ...(c.uid ? { uid: c.uid, gid: c.uid } : {}),
      });
      const r = await child;
      expect(r.exitCode, r.stderr + r.stdout).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      for (const e of c.expect) expect(lines[0]).toMatch(typeof e === 'string' ? new RegExp(e.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : e);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(runIdsOf(child.pid!)).toEqual([]);
    });
  }
});
