// BIND 9 and PowerDNS Recursor as resolvers under test, through the built CLI
// on real namespaces: the shipped incident and fix of each get the verdicts
// their descriptions state, for the reasons they state, with the resolver
// path read from each resolver's own log; an interrupted run and a rejected
// config leave nothing behind.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leftovers, resolverSkipReason, runIdsOf } from './env.js';
import { endsAt } from './evidence.js';

const CLI = 'node_modules/.bin/dnsparity';
const skip = resolverSkipReason('bind') ?? resolverSkipReason('pdns-recursor');
if (skip) console.warn(`SKIPPED BIND and pdns CLI tests: ${skip}`);
const SCENARIOS = {
  'incident-bind': 'fail',
  'forward-zone-fix-bind': 'pass',
  'incident-pdns': 'fail',
  'forward-zone-fix-pdns': 'pass',
} as const;

interface ScenarioReport {
  scenario: { name: string; description: string };
  runId: string;
  verdict: string;
  substitutions: { option: string; file?: string; line?: number }[];
  findings: { query: { name: string; type: string }; environment: string; status: string; difference: { class: string }; explanation: string }[];
  leaks: unknown[];
  upstream?: Record<string, { server: string }[]>;
}

describe.skipIf(!!skip)('BIND 9 and PowerDNS Recursor through the CLI', () => {
  let exitCode: number | undefined;
  let stderr = '';
  let out = '';
  const byName = new Map<string, ScenarioReport>();

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'dnsparity-e2e-'));
    const r = await execa(CLI, ['run', ...Object.keys(SCENARIOS).map((s) => `scenarios/${s}.yaml`), '--reporter', 'json', '--out', out], { reject: false, env: { NO_COLOR: '1' }, stdin: 'ignore' });
    exitCode = r.exitCode;
    stderr = r.stderr;
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { scenarios: ScenarioReport[] };
    for (const s of report.scenarios) byName.set(s.scenario.name, s);
  }, 300_000);

  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
    for (const s of byName.values()) expect(leftovers(s.runId)).toEqual([]);
  });

  it('gives each scenario the verdict its description states, without leaks', () => {
    expect(exitCode, stderr).toBe(1);
    expect(Object.fromEntries([...byName].map(([n, s]) => [n, s.verdict]))).toEqual(SCENARIOS);
    for (const [name, verdict] of Object.entries(SCENARIOS)) {
      expect(byName.get(name)!.scenario.description, name).toContain(`Expected: ${verdict.toUpperCase()}`);
      expect(byName.get(name)!.leaks, name).toEqual([]);
    }
  });

  for (const [incident, who] of [
    ['incident-bind', 'named'],
    ['incident-pdns', 'pdns_recursor'],
  ] as const) {
    it(`${incident}: the private names resolve only where egress is blocked, and ${who}'s own log says why`, () => {
      const s = byName.get(incident)!;
      const unexpected = s.findings.filter((f) => f.status === 'unexpected');
      const proxysql = unexpected.filter((f) => f.query.name === 'proxysql.internal.example.io' && f.query.type === 'A');
      expect(proxysql.map((f) => `${f.environment} ${f.difference.class}`).sort()).toEqual(['preprod resolves-only-in-one', 'staging resolves-only-in-one']);
      // The resolver path, from the resolver's log: the public example.io servers denied the private zone.
      const why = proxysql.find((f) => f.environment === 'staging')!.explanation;
      // Compared by the last servers and outcome: which concurrent query's fetch warmed the cache first is timing.
      expect(why).toMatch(endsAt(who, 'the example\\.io\\. servers \\(198\\.51\\.100\\.53\\)', 'answered NXDOMAIN'));
      expect(why).toMatch(/127\.0\.0\.1 answered NXDOMAIN, which is final/);
      // Whether the query itself waited on priming, or was sent after it, depends on when the stub asked: either way the root was silent.
      expect(why).toMatch(new RegExp(`In staging, ${who}(( could not prime the root: its|'s) queries to the root \\(198\\.51\\.100\\.1\\) got no answer \\(egress to the Internet is dropped in staging\\))`));
    });
  }

  it("lists each resolver's substitutions at the image's files and lines", () => {
    const bind = byName.get('incident-bind')!.substitutions;
    const options = resolve('fixtures/images/bind-incident/named.conf.options');
    expect(bind).toEqual(expect.arrayContaining([
      expect.objectContaining({ option: 'options.directory', file: options, line: 2 }),
      expect.objectContaining({ option: 'options.dnssec-validation', file: options, line: 21 }),
      expect.objectContaining({ option: 'zone "." (type hint) file', file: resolve('fixtures/images/bind-incident/named.conf.default-zones') }),
      expect.objectContaining({ option: 'controls' }),
    ]));
    const pdns = byName.get('incident-pdns')!.substitutions;
    const conf = resolve('fixtures/images/pdns-incident/recursor.conf');
    expect(pdns).toEqual(expect.arrayContaining([
      expect.objectContaining({ option: 'hint-file', file: conf }),
      expect.objectContaining({ option: 'lua-config-file', file: conf }),
      expect.objectContaining({ option: 'dont-query' }),
    ]));
  });

  it('the fixes: every private name agrees everywhere; only public names are slower where egress is dropped, as declared', () => {
    for (const name of ['forward-zone-fix-bind', 'forward-zone-fix-pdns']) {
      const s = byName.get(name)!;
      expect(s.findings.filter((f) => f.status === 'unexpected'), name).toEqual([]);
      const expected = s.findings.filter((f) => f.status === 'expected');
      expect(expected.length, name).toBeGreaterThan(0);
      expect(expected.every((f) => !f.query.name.endsWith('internal.example.io') && f.difference.class === 'slow-only-in-one'), name).toBe(true);
    }
  });
});

describe.skipIf(!!skip)('BIND 9 and PowerDNS Recursor: interrupts and bad configs leave nothing', () => {
  for (const scenario of ['incident-bind', 'incident-pdns']) {
    it(`SIGINT while ${scenario} serves: exit 130, nothing left`, async () => {
      const child = spawn(CLI, ['run', `scenarios/${scenario}.yaml`], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout!.resume();
      const ids = new Set<string>();
      const exit = new Promise<number | null>((r) => child.on('exit', (code, signal) => r(code ?? (signal === 'SIGINT' ? 130 : null))));
      const end = Date.now() + 20_000;
      // Serving: the resolvers under test run in every environment.
      for (;;) {
        runIdsOf(child.pid!).forEach((id) => ids.add(id));
        const mine = [...ids].flatMap((id) => leftovers(id));
        if (mine.some((x) => x.startsWith('/etc/netns/')) && mine.filter((x) => x.startsWith('pid')).length >= 6) break;
        if (Date.now() > end) throw new Error(`never served: ${err}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      child.kill('SIGINT');
      expect(await exit, err).toBe(130);
      expect([...ids].flatMap((id) => leftovers(id))).toEqual([]);
    }, 60_000);
  }

  const tmpScenario = (dir: string, kind: string, config: string) => {
    const text = readFileSync('scenarios/incident-bind.yaml', 'utf8')
      .replace(/root: \.\./, 'root: /')
      .replace(/kind: bind/, `kind: ${kind}`)
      .replace(/config: \S+/, `config: ${config}`)
      .replace(/\.\.\/fixtures\//g, `${resolve('fixtures')}/`);
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, text);
    return f;
  };

  it("a named.conf named-checkconf rejects: exit 2, one line at the image's file and line, nothing started", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dnsparity-e2e-'));
    try {
      writeFileSync(join(dir, 'named.conf'), 'options {\n\tdirectory "/var/cache/bind";\n\trecursion maybe;\n};\n');
      const r = await execa(CLI, ['run', tmpScenario(dir, 'bind', join(dir, 'named.conf'))], { reject: false, env: { NO_COLOR: '1' }, stdin: 'ignore' });
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`${join(dir, 'named.conf')}:3: named-checkconf: .*maybe`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a recursor.conf pdns rejects: exit 2, one line at the image's file and line of the setting", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dnsparity-e2e-'));
    try {
      writeFileSync(join(dir, 'recursor.conf'), 'local-address=127.0.0.1\nquiet=yes\nmax-cache-entrys=10\n');
      const r = await execa(CLI, ['run', tmpScenario(dir, 'pdns-recursor', join(dir, 'recursor.conf'))], { reject: false, env: { NO_COLOR: '1' }, stdin: 'ignore' });
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`${join(dir, 'recursor.conf')}:3: max-cache-entrys: pdns_recursor --config=check: Trying to set unknown setting 'max-cache-entrys'`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a zone file outside /etc/bind is refused on netns: it would be this machine's file", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dnsparity-e2e-'));
    try {
      writeFileSync(join(dir, 'named.conf'), 'options { dnssec-validation no; };\nzone "corp.example" { type master; file "/var/lib/bind/db.corp"; };\n');
      const r = await execa(CLI, ['run', tmpScenario(dir, 'bind', join(dir, 'named.conf'))], { reject: false, env: { NO_COLOR: '1' }, stdin: 'ignore' });
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr).toContain(`${join(dir, 'named.conf')}:2: zone "corp.example".file: /var/lib/bind/db.corp: named reads a file here`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
