import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configTree, inputErrorOf } from '../../test/config-tree.js';
import { InputError } from '../errors.js';
import { blankLuaComments, calls, kresdImageConfig, loadKresdConfig, luaStrings } from './kresd-config.js';
import { kresdServer, parseKresdLog } from './kresd-log.js';
import { CHECK_WRAPPER, kresd, mapKresdMessage } from './kresd.js';
import type { PrepareContext } from './types.js';

const TA = { ds: ['.\t3600\tIN\tDS\t12345 13 2 abcdef'], dnskey: ['.\t3600\tIN\tDNSKEY\t257 3 13 AAAA'] };
const CTX: PrepareContext = { rootHintsFile: '/run/x/root.hints', workDir: '/run/x', configDir: '/run/x/host', trustAnchor: TA };

const tree = configTree('kresd');
const { write } = tree;
const load = (main: string) => loadKresdConfig(main, tree.root);
const loadError = (main: string): InputError => inputErrorOf(() => load(main), 'loadKresdConfig');

describe("reading kresd's Lua config", () => {
  it('blanks comments, keeps strings and lines', () => {
    const text = "net.listen('127.0.0.1') -- a comment\n--[[ a\nblock ]] x = '--not a comment'\n--[==[\n]==]y = [[s -- s]]\n";
    const code = blankLuaComments(text);
    expect(code.split('\n')).toHaveLength(text.split('\n').length);
    expect(code.length).toBe(text.length);
    expect(code).toContain("net.listen('127.0.0.1')");
    expect(code).not.toContain('-- a comment');
    expect(code).not.toContain('block ]]');
    expect(code).toContain("x = '--not a comment'");
    expect(code).toContain('y = [[s -- s]]');
    expect(luaStrings(`{ 'a', "b\\"c", [[d]] }`)).toEqual(['a', 'b"c', 'd']);
    expect(calls("policy.add(policy.suffix(policy.STUB({'10.0.0.1'}), {todname('a.')}))\n", 'policy.add')).toEqual([
      { at: 0, line: 1, name: 'policy.add', args: "policy.suffix(policy.STUB({'10.0.0.1'}), {todname('a.')})" },
    ]);
  });

  it("reads the files it runs with dofile() under /etc/knot-resolver, and refuses any other", () => {
    const main = write('kresd.conf', "dofile('/etc/knot-resolver/local.lua')\n-- dofile('/etc/x.lua')\n");
    write('local.lua', "net.listen('127.0.0.1', 5353)\n");
    const c = load(main);
    expect(c.files.map((f) => f.imagePath)).toEqual(['/etc/knot-resolver/kresd.conf', '/etc/knot-resolver/local.lua']);
    expect(kresd.listen(c)).toEqual({ address: '127.0.0.1', port: 5353 });
    expect(loadError(write('a.conf', "\ndofile('/usr/local/x.lua')\n")).message).toMatch(/a\.conf:2: dofile: \/usr\/local\/x\.lua lies outside \/etc\/knot-resolver/);
    expect(loadError(write('b.conf', "dofile('local2.lua')\n")).message).toMatch(/relative path/);
    expect(loadError(write('c.conf', 'dofile(path)\n')).message).toMatch(/cannot read from the text/);
    expect(loadError(write('d.conf', "dofile('/etc/knot-resolver/missing.lua')\n")).message).toMatch(/d\.conf:1: dofile: cannot read config file .*ENOENT/);
    write('e.conf', "dofile('/etc/knot-resolver/f.conf')\n");
    write('f.conf', "dofile('/etc/knot-resolver/e.conf')\n");
    expect(loadError(join(tree.root, 'e.conf')).message).toMatch(/include cycle/);
    expect(() => kresdImageConfig("dofile('/etc/knot-resolver/x.lua')\n", 'img:/etc/knot-resolver/kresd.conf', { file: 's.yaml' })).toThrow(/runs other files \(dofile, line 1\)/);
  });

  it("listens on the first plain-DNS net.listen() of an IPv4 address, kresd's 127.0.0.1:53 without one", () => {
    const debian = load(write('kresd.conf', readFileSync('fixtures/images/kresd-incident/kresd.conf', 'utf8')));
    expect(kresd.listen(debian)).toEqual({ address: '127.0.0.1', port: 53 });
    expect(kresd.listen(load(write('a.conf', "net.listen('127.0.0.1', 853, { kind = 'tls' })\nnet.listen({ '::1', '10.1.2.3' }, 5300)\n")))).toEqual({ address: '10.1.2.3', port: 5300 });
    expect(kresd.listen(load(write('b.conf', 'cache.size = 10 * MB\n')))).toEqual({ address: '127.0.0.1', port: 53 });
  });

  it('validates unless the config removes the root anchor', () => {
    expect(kresd.validates(load(write('a.conf', 'cache.size = 10 * MB\n')))).toBe(true);
    expect(kresd.validates(load(write('b.conf', "trust_anchors.remove('.')\n")))).toBe(false);
    expect(kresd.validates(load(write('c.conf', "-- trust_anchors.remove('.')\n")))).toBe(true);
  });

  it('reads policy STUB and FORWARD rules as routes, with their zones', () => {
    const c = load(write('kresd.conf', [
      "policy.add(policy.suffix(policy.STUB({ '169.254.169.253' }), { todname('internal.example.io.') }))",
      "policy.add(policy.all(policy.FORWARD({ '8.8.8.8@53', '8.8.4.4' })))",
      "policy.add(policy.suffix(policy.TLS_FORWARD({ { '1.1.1.1', hostname = 'one.one' } }), policy.todnames({ 'a.example.', 'b.example.' })))",
      '',
    ].join('\n')));
    expect(kresd.routes(c)).toEqual([
      { zone: 'internal.example.io', addresses: ['169.254.169.253'], how: 'stub', file: join(tree.root, 'kresd.conf'), line: 1 },
      { zone: '', addresses: ['8.8.8.8', '8.8.4.4'], how: 'forward', file: join(tree.root, 'kresd.conf'), line: 2 },
      { zone: 'a.example', addresses: ['1.1.1.1'], how: 'forward', file: join(tree.root, 'kresd.conf'), line: 3 },
      { zone: 'b.example', addresses: ['1.1.1.1'], how: 'forward', file: join(tree.root, 'kresd.conf'), line: 3 },
    ]);
  });

  it('names what would run code of this machine or read its files', () => {
    const c = load(write('kresd.conf', "local ffi = require('ffi')\nos.execute('id')\nhints.add_hosts()\npolicy.add(policy.rpz(policy.DENY, '/var/rpz.zone'))\n-- os.execute('x')\n"));
    expect(kresd.hostEffects(c).map((e) => [e.line, e.option, e.kind])).toEqual([
      [1, 'require()', 'runs code'],
      [2, 'os.execute()', 'runs code'],
      [3, 'hints.add_hosts()', 'reads a file'],
      [4, 'policy.rpz()', 'reads a file'],
    ]);
    expect(kresd.hostEffects(load(write('ok.conf', readFileSync('fixtures/images/kresd-fix/kresd.conf', 'utf8'))))).toEqual([]);
  });
});

describe('preparing a kresd config', () => {
  it("runs a copy of the image's files from a wrapper that makes the substitutions, and lists them with their lines", () => {
    const main = write('kresd.conf', "user('knot-resolver', 'knot-resolver')\ndofile('/etc/knot-resolver/local.lua')\ncache.storage = 'lmdb:///var/cache/knot-resolver'\n");
    write('local.lua', "trust_anchors.add_file('/var/lib/knot-resolver/root.keys')\nhints.root_file('/usr/share/dns/root.hints')\nlog_target('syslog')\n");
    const p = kresd.prepare(load(main), CTX);
    expect(p.main).toBe('/run/x/host/kresd.dnsparity.lua');
    const copy = p.files.find((f) => f.path === '/run/x/host/etc/knot-resolver/kresd.conf')!;
    expect(copy.original).toBe(main);
    // The same lines, but for the dofile() path, pointed at the copy.
    expect(copy.text.split('\n')).toEqual(["user('knot-resolver', 'knot-resolver')", "dofile('/run/x/host/etc/knot-resolver/local.lua')", "cache.storage = 'lmdb:///var/cache/knot-resolver'", '']);
    expect(p.files.find((f) => f.path === '/run/x/host/etc/knot-resolver/local.lua')!.text).toBe(readFileSync(join(tree.root, 'local.lua'), 'utf8'));
    const wrapper = p.files.find((f) => f.path === p.main)!.text;
    expect(wrapper).toContain("trust_anchors.remove('.')");
    expect(wrapper).toContain("dofile('/run/x/host/etc/knot-resolver/kresd.conf')");
    expect(wrapper).toContain("_hint_root_file('/run/x/root.hints')");
    expect(wrapper).toContain("dnsparity.add_file('/run/x/host/root.ds', true)");
    expect(wrapper).toContain("log_groups({'iterat', 'resolv', 'select', 'valdtr'})");
    expect(wrapper).not.toContain('quit()');
    expect(p.files.find((f) => f.path === `/run/x/host/${CHECK_WRAPPER}`)!.text).toMatch(/quit\(\)\n$/);
    expect(p.files.find((f) => f.path === '/run/x/host/root.ds')!.text).toBe('.\t3600\tIN\tDS\t12345 13 2 abcdef\n');
    expect(p.substitutions.filter((s) => s.line !== undefined).map((s) => [s.option, s.file, s.line])).toEqual([
      ['user()', main, 1],
      ['cache.storage', main, 3],
      ['trust_anchors.add_file()', join(tree.root, 'local.lua'), 1],
      ['hints.root()', join(tree.root, 'local.lua'), 2],
      ['log_target()', join(tree.root, 'local.lua'), 3],
      ['dofile()', main, 2],
    ]);
    expect(p.substitutions.filter((s) => s.line === undefined).map((s) => s.option)).toEqual(['root hints', 'trust anchor', 'rundir', 'log_target()', 'user()', 'log_groups()']);
    expect(p.instanceDir).toBe('/run/x/kresd');
    expect(kresd.command(p.main, p.runArgs, '/run/x/kresd/production-0')).toEqual(['kresd', '-n', '-c', '/run/x/host/kresd.dnsparity.lua', '/run/x/kresd/production-0']);
  });

  it('refuses to validate without a signed simulated Internet, and adds no anchor where the config removes it', () => {
    const { trustAnchor: _, ...unsigned } = CTX;
    expect(() => kresd.prepare(load(write('a.conf', 'cache.size = 10 * MB\n')), unsigned)).toThrow(/kresd validates DNSSEC by default/);
    const p = kresd.prepare(load(write('b.conf', "trust_anchors.remove('.')\n")), unsigned);
    expect(p.files.find((f) => f.path === p.main)!.text).not.toContain('add_file(');
    expect(p.files.some((f) => f.path.endsWith('root.ds'))).toBe(false);
  });

  it('does not raise the log when the run does not trace', () => {
    const p = kresd.prepare(load(write('a.conf', '\n')), { ...CTX, traceUpstream: false });
    expect(p.files.find((f) => f.path === p.main)!.text).not.toContain('log_groups');
    expect(p.substitutions.some((s) => s.option === 'log_groups()')).toBe(false);
  });

  it("maps kresd's config errors in a copy to the image's file and line", () => {
    const main = write('kresd.conf', "dofile('/etc/knot-resolver/local.lua')\n");
    write('local.lua', 'x = 1\nfoo.bar()\n');
    const p = kresd.prepare(load(main), CTX);
    expect(mapKresdMessage("[system] error while loading config: /run/x/host/etc/knot-resolver/local.lua:2: attempt to index global 'foo' (a nil value) (workdir '/run/x/kresd-check')", p)).toEqual({
      file: join(tree.root, 'local.lua'),
      line: 2,
      message: "kresd: attempt to index global 'foo' (a nil value)",
    });
    // Lua shortens a long chunk name to its tail.
    expect(mapKresdMessage("[system] error while loading config: ...un/x/host/etc/knot-resolver/local.lua:2: boom (workdir '/w')", p)).toMatchObject({ file: join(tree.root, 'local.lua'), line: 2, message: 'kresd: boom' });
    expect(mapKresdMessage('[system] nothing wrong', p)).toBeUndefined();
  });
});

describe("reading kresd's debug log", () => {
  const LOG = [
    '[system] warning: hard limit for number of file-descriptors is only 20000',
    "[iterat][65536.00]   '.' type 'NS' new uid was assigned .01, parent uid .00",
    "[select][65536.01]   => id: '29635' choosing: 'a.root-servers.test.'@'198.51.100.1#00053' with timeout 400 ms zone cut: '.'",
    "[select][65536.01]   => id: '29635' noting selection error: 'a.root-servers.test.'@'198.51.100.1#00053' zone cut: '.' error: 1 QUERY_TIMEOUT",
    "[iterat][29001.00]   'proxysql.internal.example.io.' type 'A' new uid was assigned .01, parent uid .00",
    "[iterat][29001.01]   'proxysql.internal.example.io.' type 'A' new uid was assigned .05, parent uid .00",
    "[select][29001.05]   => id: '31828' choosing: 'a.root-servers.test.'@'198.51.100.1#00053' with timeout 175 ms zone cut: '.'",
    "[resolv][29001.05]   => id: '31828' querying: 'a.root-servers.test.'@'198.51.100.1#00053' zone cut: '.' qname: 'io.' qtype: 'NS' proto: 'udp'",
    "[select][29001.05]   => id: '31828' updating: 'a.root-servers.test.'@'198.51.100.1#00053' zone cut: '.' with rtt 0 to srtt: 34 and variance: 35 ",
    '[iterat][29001.05]   <= loaded 1 glue addresses',
    '[iterat][29001.05]   <= referral response, follow',
    "[iterat][29001.10]   'proxysql.internal.example.io.' type 'A' new uid was assigned .13, parent uid .00",
    "[select][29001.13]   => id: '27778' choosing: 'ns1.example.io.'@'198.51.100.53#05300' with timeout 23 ms zone cut: 'example.io.'",
    "[select][29001.13]   => id: '44178' updating: 'ns1.example.io.'@'198.51.100.53#05300' zone cut: 'example.io.' with rtt 3 to srtt: 14 and variance: 15 ",
    '[iterat][29001.13]   <= rcode: NXDOMAIN',
    "[select][29001.14]   => id: '1' choosing: 'ns1.example.io.'@'198.51.100.53#00053' with timeout 74 ms zone cut: 'example.io.'",
  ].join('\n');

  it("turns each query on the wire into an upstream query of the client's question, with the server's reply or its silence", () => {
    expect(parseKresdLog(LOG)).toEqual([
      { about: '. NS', qname: '.', qtype: 'NS', zone: '.', server: '198.51.100.1', outcome: { status: 'no-answer' } },
      { about: 'proxysql.internal.example.io A', qname: 'io', qtype: 'NS', zone: '.', server: '198.51.100.1', outcome: { status: 'reply', rcode: 'NOERROR', kind: 'referral' } },
      { about: 'proxysql.internal.example.io A', qname: 'proxysql.internal.example.io', qtype: 'A', zone: 'example.io', server: '198.51.100.53#5300', outcome: { status: 'reply', rcode: 'NXDOMAIN', kind: 'nxdomain' } },
      // Uid .14 has no name of its own in the text: still a query of its request, never answered.
      { about: 'proxysql.internal.example.io A', qname: '', qtype: '', zone: 'example.io', server: '198.51.100.53', outcome: { status: 'no-answer' } },
    ]);
    expect(kresdServer('198.51.100.1#00053')).toBe('198.51.100.1');
  });

  it('counts a reply to a wire query several uids shared as the answer of each of them, with or without an updating line', () => {
    // Recorded (test/fixtures/logs/kresd-incident-production.log): uid 11723.03 rode on another request's
    // query for io. DNSKEY, and 11723.09's reply came under the id of the query it shared.
    const shared = [
      "[iterat][11723.00]   'proxysql-replica.internal.example.io.' type 'A' new uid was assigned .01, parent uid .00",
      "[iterat][11723.02]     'io.' type 'DNSKEY' new uid was assigned .03, parent uid .01",
      "[select][11723.03]     => id: '41771' choosing: 'ns.nic.io.'@'198.51.100.2#00053' with timeout 400 ms zone cut: 'io.'",
      '[iterat][11723.03]     <= rcode: NOERROR',
      "[iterat][11723.05]   'proxysql-replica.internal.example.io.' type 'A' new uid was assigned .09, parent uid .00",
      "[select][11723.09]   => id: '19234' choosing: 'ns1.example.io.'@'198.51.100.53#00053' with timeout 26 ms zone cut: 'example.io.'",
      "[select][11723.09]   => id: '38668' updating: 'ns1.example.io.'@'198.51.100.53#00053' zone cut: 'example.io.' with rtt 7 to srtt: 5 and variance: 3 ",
      '[iterat][11723.09]   <= rcode: NXDOMAIN',
    ].join('\n');
    expect(parseKresdLog(shared).map((x) => [x.qname, x.qtype, x.server, x.outcome])).toEqual([
      ['io', 'DNSKEY', '198.51.100.2', { status: 'reply', rcode: 'NOERROR', kind: 'answer' }],
      ['proxysql-replica.internal.example.io', 'A', '198.51.100.53', { status: 'reply', rcode: 'NXDOMAIN', kind: 'nxdomain' }],
    ]);
  });

  it('reads a whole recorded incident: every query answered where egress is allowed, the root silent where it is dropped', () => {
    const production = parseKresdLog(readFileSync('test/fixtures/logs/kresd-incident-production.log', 'utf8'));
    const staging = parseKresdLog(readFileSync('test/fixtures/logs/kresd-incident-staging.log', 'utf8'));
    expect(production.length).toBeGreaterThan(50);
    expect(production.filter((x) => x.outcome.status !== 'reply')).toEqual([]);
    expect(production.some((x) => x.about === 'proxysql-replica.internal.example.io A' && x.server === '198.51.100.53' && x.outcome.status === 'reply' && x.outcome.kind === 'nxdomain')).toBe(true);
    expect(staging.length).toBeGreaterThan(0);
    expect(new Set(staging.map((x) => `${x.server} ${x.outcome.status}`))).toEqual(new Set(['198.51.100.1 no-answer']));
  });
});
