// No escape: during a full run of every shipped scenario, nothing leaves for
// the machine's own network, counted by nftables in the root namespace; and
// a resolver that tries a server the scenario does not know is caught.
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { skipNetns } from './env.js';

const CLI = 'node_modules/.bin/dnsparity';
const TABLE = `dnsparity_escape_watch_${process.pid}`;
const nft = (...args: string[]) => execFileSync('nft', args, { encoding: 'utf8' });

/** DNS packets (53, 853) leaving the root namespace for anything but loopback. */
function counted(): number {
  const doc = JSON.parse(nft('-j', 'list', 'table', 'inet', TABLE)) as { nftables: { rule?: { expr: { counter?: { packets: number } }[] } }[] };
  return doc.nftables.flatMap((x) => x.rule?.expr ?? []).reduce((n, e) => n + (e.counter?.packets ?? 0), 0);
}

describe.skipIf(!!skipNetns)('no escape', () => {
  beforeAll(() => {
    // Leaving the sandbox means leaving the machine: out of an interface that
    // carries a default route. Docker's bridges and the tests' own veths stay inside.
    const uplinks = [...new Set([...execFileSync('ip', ['route', 'show', 'default'], { encoding: 'utf8' }).matchAll(/ dev (\S+)/g)].map((m) => m[1]!))];
    const elements = uplinks.length ? ` elements = { ${uplinks.map((u) => `"${u}"`).join(', ')} };` : '';
    const watch = 'meta l4proto { udp, tcp } th dport { 53, 853 } oifname @uplinks counter';
    // The machine's own lookups (its tooling, in the root namespace, to the resolvers of its own
    // /etc/resolv.conf) are not the run's: nothing of a run lives in the root namespace or reads
    // that file. A resolver of ours started outside its namespace would ask the root servers or
    // public resolvers, which stay counted, as does everything forwarded from any namespace.
    const own = readFileSync('/etc/resolv.conf', 'utf8').split('\n').map((l) => /^\s*nameserver\s+(\d+\.\d+\.\d+\.\d+)\s*$/.exec(l)?.[1]).filter((a): a is string => !!a);
    const skipOwn = own.length ? `ip daddr { ${own.join(', ')} } return; ` : '';
    execFileSync('nft', ['-f', '-'], {
      input: `table inet ${TABLE} {\n set uplinks { type ifname;${elements} }\n chain watch_out { type filter hook output priority 0; policy accept; ${skipOwn}${watch}; }\n chain watch_forward { type filter hook forward priority 0; policy accept; ${watch}; }\n}\n`,
    });
  });
  afterAll(() => {
    nft('delete', 'table', 'inet', TABLE);
  });

  it('the watch counts: a DNS packet out of a watched interface is seen', async () => {
    // A veth to a namespace of this test: the packet never leaves the machine.
    const ns = `dnsparity-watchprobe-${process.pid}`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      execFileSync('ip', ['link', 'add', `wp${process.pid % 100000}`, 'type', 'veth', 'peer', 'name', 'wq', 'netns', ns]);
      execFileSync('ip', ['addr', 'add', '100.126.0.1/30', 'dev', `wp${process.pid % 100000}`]);
      execFileSync('ip', ['link', 'set', `wp${process.pid % 100000}`, 'up']);
      execFileSync('ip', ['-n', ns, 'addr', 'add', '100.126.0.2/30', 'dev', 'wq']);
      execFileSync('ip', ['-n', ns, 'link', 'set', 'wq', 'up']);
      // Watched as an uplink for the length of this test.
      nft('add', 'element', 'inet', TABLE, 'uplinks', `{ "wp${process.pid % 100000}" }`);
      const before = counted();
      const sock = createSocket('udp4');
      await new Promise<void>((r) => sock.send(Buffer.from('x'), 53, '100.126.0.2', () => r()));
      sock.close();
      expect(counted()).toBe(before + 1);
    } finally {
      execFileSync('ip', ['link', 'del', `wp${process.pid % 100000}`], { stdio: 'ignore' });
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });

  it('a full run of every shipped scenario sends nothing out of the sandbox', async () => {
    const before = counted();
    const out = mkdtempSync(join(tmpdir(), 'dnsparity-escape-'));
    onTestFinished(() => rmSync(out, { recursive: true, force: true }));
    const r = await execa(CLI, ['run', 'scenarios', '--reporter', 'json', '--out', out], { reject: false });
    expect([0, 1], r.stderr).toContain(r.exitCode);
    expect(counted() - before).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { scenarios: { leaks: unknown[]; unknownDestinations: string[] }[] };
    expect(report.scenarios.length).toBeGreaterThan(0);
    for (const s of report.scenarios) {
      expect(s.leaks).toEqual([]);
      expect(s.unknownDestinations).toEqual([]);
    }
    // Every shipped scenario, each resolver kind's among them: more than the default two minutes on two busy cores.
  }, 600_000);

  it('a resolver that forwards to a server the scenario does not have is reported as a leak', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dnsparity-leak-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'leak.yaml');
    const text = readFileSync('scenarios/incident-2024-11-05.yaml', 'utf8')
      .replace('../fixtures/images/incident/unbound.conf', resolve('fixtures/images/public-forwarder/unbound.conf'))
      .replaceAll('../fixtures/', `${resolve('fixtures')}/`)
      .replace(/^  root: .*$/m, '  root: /    # the files are in the checkout, the scenario in a temporary directory');
    writeFileSync(file, text);
    const before = counted();
    const r = await execa(CLI, ['run', file, '--reporter', 'json', '--out', dir], { reject: false });
    expect(r.exitCode, r.stderr).toBe(1);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { scenarios: { leaks: { server: string }[]; unknownDestinations: string[]; verdict: string }[] };
    // Seen by the network itself, and named as a leak.
    expect(report.scenarios[0]!.unknownDestinations).toEqual(['192.0.2.53']);
    expect(report.scenarios[0]!.leaks.map((l) => l.server.replace(/#\d+$/, ''))).toContain('192.0.2.53');
    expect(report.scenarios[0]!.verdict).toBe('fail');
    expect(counted() - before).toBe(0); // caught inside the sandbox, not on the way out
  });
});
