import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configTree, inputErrorOf } from '../../test/config-tree.js';
import { InputError } from '../errors.js';
import { filesRoot } from '../scenario/confine.js';
import { confDirFiles, dnsmasqImageConfig, loadDnsmasqConfig, parseDnsmasqLine } from './dnsmasq-config.js';
import { dnsmasqOutcome, parseDnsmasqLog } from './dnsmasq-log.js';
import { dnsmasq, dnsmasqTrustAnchors, mapDnsmasqMessage, parseServer } from './dnsmasq.js';
import type { PrepareContext } from './types.js';

const TA = { ds: ['.\t3600\tIN\tDS\t12345 13 2 ABCDEF0123'], dnskey: ['.\t3600\tIN\tDNSKEY\t257 3 13 AAAA'] };
const RESOLV = { text: 'nameserver 127.0.0.1\nnameserver 169.254.169.253\n', source: '/img/resolv.conf' };
const CTX: PrepareContext = { rootHintsFile: '/run/x/root.hints', workDir: '/run/x', configDir: '/run/x/host', trustAnchor: TA, resolvConf: RESOLV };

const tree = configTree('dnsmasq');
const { write } = tree;
const load = (main: string) => loadDnsmasqConfig(main, tree.root);
const loadError = (main: string): InputError => inputErrorOf(() => load(main), 'loadDnsmasqConfig');
const text = (p: ReturnType<typeof dnsmasq.prepare>, path: string) => p.files.find((f) => f.path === path)!.text;

describe("reading dnsmasq's config", () => {
  it('reads key=value and bare keys, comments only at the start of a word, quotes removed', () => {
    expect(parseDnsmasqLine('  server=8.8.8.8   # upstream')).toEqual({ key: 'server', value: '8.8.8.8' });
    expect(parseDnsmasqLine('no-resolv')).toEqual({ key: 'no-resolv', value: undefined });
    expect(parseDnsmasqLine('# server=1.1.1.1')).toBeUndefined();
    expect(parseDnsmasqLine('   ')).toBeUndefined();
    expect(parseDnsmasqLine('txt-record=example.io,"v=spf1 #all"')).toEqual({ key: 'txt-record', value: 'example.io,v=spf1 #all' });
    expect(parseDnsmasqLine('address=/a#b/1.2.3.4')).toEqual({ key: 'address', value: '/a#b/1.2.3.4' });
    expect(parseDnsmasqLine('Port = 5353')).toEqual({ key: 'port', value: '5353' });
  });

  it('follows conf-file= and conf-dir= where they stand: conf-dir in sorted order, with its suffix filter and exclusions', () => {
    expect(confDirFiles(['b.conf', 'a.conf', 'c.bak', '.hidden.conf', 'x.conf~', '#y.conf#'], ['*.conf'])).toEqual(['a.conf', 'b.conf']);
    expect(confDirFiles(['b.conf', 'a.dpkg-old', 'c'], ['.dpkg-old', '.dpkg-new'])).toEqual(['b.conf', 'c']);
    const main = write('dnsmasq.conf', 'conf-dir=/etc/dnsmasq.d/,*.conf\nconf-file=/etc/extra.conf\nservers-file=/etc/servers\n');
    write('dnsmasq.d/20-b.conf', 'server=8.8.4.4\n');
    write('dnsmasq.d/10-a.conf', 'server=8.8.8.8\n');
    write('dnsmasq.d/README', 'not read\n');
    write('extra.conf', 'cache-size=10\n');
    write('servers', 'server=/corp.example/10.0.0.1\n');
    const c = load(main);
    expect(c.files.map((f) => [f.imagePath, f.role])).toEqual([
      ['/etc/dnsmasq.conf', 'config'],
      ['/etc/dnsmasq.d/10-a.conf', 'config'],
      ['/etc/dnsmasq.d/20-b.conf', 'config'],
      ['/etc/extra.conf', 'config'],
      ['/etc/servers', 'servers-file'],
    ]);
    expect(dnsmasq.routes(c)).toEqual([
      { zone: '', addresses: ['8.8.8.8'], how: 'forward', file: join(tree.root, 'dnsmasq.d/10-a.conf'), line: 1 },
      { zone: '', addresses: ['8.8.4.4'], how: 'forward', file: join(tree.root, 'dnsmasq.d/20-b.conf'), line: 1 },
      { zone: 'corp.example', addresses: ['10.0.0.1'], how: 'forward', file: join(tree.root, 'servers'), line: 1 },
    ]);
  });

  it('refuses a file outside /etc, a missing one, a cycle and a link out of the files root, naming the line', () => {
    const outside = write('a.conf', 'conf-file=/usr/local/etc/dnsmasq.conf\n');
    expect(loadError(outside).message).toMatch(/a\.conf:1: conf-file: \/usr\/local\/etc\/dnsmasq\.conf lies outside \/etc/);
    const missing = write('b.conf', 'port=53\nresolv-file=/etc/resolv.dnsmasq\n');
    expect(loadError(missing).message).toMatch(/b\.conf:2: resolv-file: cannot read config file .*resolv\.dnsmasq: ENOENT/);
    const cyc = write('c.conf', 'conf-file=/etc/d.conf\n');
    write('d.conf', 'conf-file=/etc/c.conf\n');
    expect(loadError(cyc).message).toMatch(/include cycle/);
    const secret = join(tmpdir(), `dnsparity-dnsmasq-secret-${process.pid}`);
    writeFileSync(secret, 'server=192.0.2.1\n');
    const linked = write('e.conf', 'conf-file=/etc/link.conf\n');
    symlinkSync(secret, join(tree.root, 'link.conf'));
    try {
      expect(() => loadDnsmasqConfig(linked, tree.root, filesRoot(tree.root, true))).toThrow(/lies outside/);
    } finally {
      rmSync(secret, { force: true });
    }
  });

  it("takes Debian's trust-anchor file as the real root's anchors, to be replaced, not read", () => {
    const c = load(write('dnsmasq.conf', 'dnssec\nconf-file=/usr/share/dnsmasq-base/trust-anchors.conf\n'));
    expect(c.files).toHaveLength(1);
    expect(dnsmasq.validates(c)).toBe(true);
    expect(dnsmasq.validates(load(write('plain.conf', 'no-resolv\n')))).toBe(false);
  });

  it("reads the image's own /etc/dnsmasq.conf alone, and refuses one that names other files", () => {
    const c = dnsmasqImageConfig('server=8.8.8.8\n', 'img:/etc/dnsmasq.conf', { file: 's.yaml' });
    expect(c.main).toBe('/etc/dnsmasq.conf');
    expect(() => dnsmasqImageConfig('conf-dir=/etc/dnsmasq.d\n', 'img:/etc/dnsmasq.conf', { file: 's.yaml', line: 3, field: 'resolver.config' })).toThrow(/s\.yaml:3: resolver\.config: .*reads other files \(conf-dir, line 1\)/);
  });

  it('listens on its first IPv4 listen-address and port, 127.0.0.1:53 by default', () => {
    expect(dnsmasq.listen(load(write('a.conf', 'port=5353\nlisten-address=::1,10.0.0.5\n')))).toEqual({ address: '10.0.0.5', port: 5353 });
    expect(dnsmasq.listen(load(write('b.conf', 'interface=eth0\n')))).toEqual({ address: '127.0.0.1', port: 53 });
    expect(dnsmasq.listen(load(write('c.conf', 'listen-address=0.0.0.0\n')))).toEqual({ address: '127.0.0.1', port: 53 });
  });

  it("routes: server= and local= lines, and without them the resolv-file's nameservers (itself left out)", () => {
    expect(parseServer('/a.example/b.example/10.0.0.1#5353@eth0')).toEqual({ domains: ['a.example', 'b.example'], address: '10.0.0.1' });
    expect(parseServer('/local.example/')).toEqual({ domains: ['local.example'], address: undefined });
    expect(parseServer('/x.example/#')).toEqual({ domains: ['x.example'], address: undefined });
    const byDefault = load(write('a.conf', 'cache-size=100\n'));
    expect(dnsmasq.routes(byDefault, RESOLV)).toEqual([{ zone: '', addresses: ['169.254.169.253'], how: 'forward' }]);
    expect(dnsmasq.routes(load(write('b.conf', 'no-resolv\nserver=/internal.example.io/169.254.169.253\n')), RESOLV)).toEqual([
      { zone: 'internal.example.io', addresses: ['169.254.169.253'], how: 'forward', file: join(tree.root, 'b.conf'), line: 2 },
    ]);
    write('resolv.dnsmasq', 'nameserver 8.8.8.8\n');
    expect(dnsmasq.routes(load(write('c.conf', 'resolv-file=/etc/resolv.dnsmasq\n')), RESOLV)).toEqual([{ zone: '', addresses: ['8.8.8.8'], how: 'forward', file: join(tree.root, 'resolv.dnsmasq') }]);
  });

  it('names what would read files of this machine or run code', () => {
    write('hosts.extra', '10.0.0.1 a\n');
    const c = load(write('a.conf', 'dhcp-script=/bin/evil\nhostsdir=/etc/hosts.d\nread-ethers\naddn-hosts=/etc/hosts.extra\n'));
    expect(dnsmasq.hostEffects(c)).toEqual([
      { file: join(tree.root, 'a.conf'), line: 1, option: 'dhcp-script', value: '/bin/evil', kind: 'runs code' },
      { file: join(tree.root, 'a.conf'), line: 2, option: 'hostsdir', value: '/etc/hosts.d', kind: 'reads a file' },
      { file: join(tree.root, 'a.conf'), line: 3, option: 'read-ethers', value: '/etc/ethers', kind: 'reads a file' },
    ]);
    // addn-hosts under /etc is the image's file, copied like the config.
    expect(dnsmasq.prepare(c, CTX).files.map((f) => f.path)).toContain('/run/x/host/etc/hosts.extra');
  });
});

describe('preparing a dnsmasq config', () => {
  it('comments out what it replaces, in place, points includes at the copies, and appends its own options', () => {
    const main = write('dnsmasq.conf', '# image\nuser=dnsmasq\npid-file=/run/dnsmasq/dnsmasq.pid\nconf-dir=/etc/dnsmasq.d/,*.conf\nno-resolv\nlog-async\n');
    write('dnsmasq.d/up.conf', 'server=8.8.8.8\nlog-queries\n');
    const p = dnsmasq.prepare(load(main), CTX);
    expect(p.main).toBe('/run/x/host/etc/dnsmasq.conf');
    const lines = text(p, p.main).split('\n');
    expect(lines[1]).toMatch(/^# dnsparity substitution .*: user=dnsmasq$/);
    expect(lines[3]).toBe('conf-dir=/run/x/host/etc/dnsmasq.d,*.conf');
    expect(lines[4]).toBe('no-resolv');
    expect(lines[5]).toMatch(/^# dnsparity substitution .*: log-async$/);
    expect(lines.slice(lines.indexOf("# dnsparity substitutions: the only edits made to the image's config."))).toEqual(["# dnsparity substitutions: the only edits made to the image's config.", 'user=root', 'group=root', 'pid-file=', 'log-facility=-', 'log-queries=extra', 'no-hosts', '']);
    expect(text(p, '/run/x/host/etc/dnsmasq.d/up.conf').split('\n')[1]).toMatch(/^# dnsparity substitution .*: log-queries$/);
    expect(p.substitutions.filter((s) => s.line !== undefined).map((s) => [s.option, s.original, s.file, s.line])).toEqual([
      ['user', 'dnsmasq', main, 2],
      ['pid-file', '/run/dnsmasq/dnsmasq.pid', main, 3],
      ['conf-dir', '/etc/dnsmasq.d/,*.conf', main, 4],
      ['log-queries', null, join(tree.root, 'dnsmasq.d/up.conf'), 2],
      ['log-async', null, main, 6],
    ]);
    expect(p.substitutions.map((s) => s.option)).toEqual(expect.arrayContaining(['group', 'log-facility', 'no-hosts', 'keep-in-foreground']));
    // no-resolv: no resolv-file of the harness's.
    expect(p.substitutions.some((s) => s.option === 'resolv-file')).toBe(false);
    expect(p.runArgs).toEqual(['-k']);
    expect(dnsmasq.command(p.main, p.runArgs)).toEqual(['dnsmasq', '-k', '-C', '/run/x/host/etc/dnsmasq.conf']);
    expect(p.listen).toEqual({ address: '127.0.0.1', port: 53 });
  });

  it("gives a config that reads /etc/resolv.conf the image's resolv.conf instead of this machine's", () => {
    const p = dnsmasq.prepare(load(write('dnsmasq.conf', 'cache-size=10\n')), CTX);
    expect(p.files.find((f) => f.path === '/run/x/host/resolv.conf.image')).toEqual({ path: '/run/x/host/resolv.conf.image', text: RESOLV.text, original: RESOLV.source });
    expect(text(p, p.main)).toContain('resolv-file=/run/x/host/resolv.conf.image\nno-poll\n');
    expect(p.substitutions.find((s) => s.option === 'resolv-file')).toMatchObject({ original: null, replacement: '/run/x/host/resolv.conf.image' });
  });

  it("replaces the real root's trust anchors, inline or Debian's file, by the simulated root's", () => {
    expect(dnsmasqTrustAnchors(TA)).toEqual(['.,12345,13,2,ABCDEF0123']);
    const inline = dnsmasq.prepare(load(write('a.conf', 'dnssec\ntrust-anchor=.,20326,8,2,E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\ntrust-anchor=corp.example,1,8,2,AA\n')), CTX);
    const lines = text(inline, inline.main).split('\n');
    expect(lines[1]).toMatch(/^# dnsparity substitution .*trust-anchor=\.,20326/);
    expect(lines[2]).toBe('trust-anchor=corp.example,1,8,2,AA');
    expect(lines).toContain('trust-anchor=.,12345,13,2,ABCDEF0123');
    const debian = dnsmasq.prepare(load(write('b.conf', 'dnssec\nconf-file=/usr/share/dnsmasq-base/trust-anchors.conf\n')), CTX);
    expect(text(debian, debian.main).split('\n')[1]).toMatch(/^# dnsparity substitution .*conf-file=\/usr\/share\/dnsmasq-base\/trust-anchors\.conf$/);
    expect(debian.substitutions.find((s) => s.option === 'conf-file')).toMatchObject({ line: 2, replacement: 'trust-anchor=.,12345,13,2,ABCDEF0123' });
    const { trustAnchor: _, ...unsigned } = CTX;
    expect(() => dnsmasq.prepare(load(join(tree.root, 'a.conf')), unsigned)).toThrow(/a\.conf:2: trust-anchor: this config validates DNSSEC/);
  });

  it('leaves the query log as the image has it when the run does not trace', () => {
    const p = dnsmasq.prepare(load(write('a.conf', 'log-queries\n')), { ...CTX, traceUpstream: false });
    expect(text(p, p.main).split('\n')[0]).toBe('log-queries');
    expect(p.substitutions.some((s) => s.option === 'log-queries')).toBe(false);
  });

  it("maps dnsmasq's messages about a copy to the image's file and line", () => {
    const main = write('dnsmasq.conf', 'conf-file=/etc/x.conf\n');
    write('x.conf', 'bogus\n');
    const p = dnsmasq.prepare(load(main), CTX);
    expect(mapDnsmasqMessage('dnsmasq: bad option at line 1 of /run/x/host/etc/x.conf', p)).toEqual({ file: join(tree.root, 'x.conf'), line: 1, message: 'dnsmasq: bad option' });
    expect(mapDnsmasqMessage('dnsmasq: syntax check OK.', p)).toBeUndefined();
  });
});

describe("reading dnsmasq's query log", () => {
  const LOG = [
    'dnsmasq[23323]: started, version 2.90 cachesize 1000',
    'dnsmasq[23323]: 1 127.0.0.1/34941 query[A] localhost from 127.0.0.1',
    'dnsmasq[23323]: 1 127.0.0.1/34941 config localhost is NXDOMAIN',
    'dnsmasq[23323]: 2 127.0.0.1/43239 query[A] proxysql.internal.example.io from 127.0.0.1',
    'dnsmasq[23323]: 2 127.0.0.1/43239 forwarded proxysql.internal.example.io to 8.8.8.8',
    'dnsmasq[23323]: 2 127.0.0.1/43239 forwarded proxysql.internal.example.io to 8.8.4.4',
    'dnsmasq[23323]: 3 127.0.0.1/34941 query[AAAA] www.example.io from 127.0.0.1',
    'dnsmasq[23323]: 3 127.0.0.1/34941 forwarded www.example.io to 198.51.100.9#5300',
    'dnsmasq[23323]: 2 127.0.0.1/43239 reply proxysql.internal.example.io is NXDOMAIN',
    'dnsmasq[23323]: 4 127.0.0.1/34941 query[A] internal.example.io from 127.0.0.1',
    'dnsmasq[23323]: 4 127.0.0.1/34941 cached internal.example.io is NXDOMAIN',
    'dnsmasq[23323]: 5 127.0.0.1/1 query[A] secure.example.io from 127.0.0.1',
    'dnsmasq[23323]: 5 127.0.0.1/1 forwarded secure.example.io to 8.8.8.8',
    'dnsmasq[23323]: 5 127.0.0.1/1 dnssec-query[DNSKEY] example.io to 8.8.8.8',
    'dnsmasq[23323]: 5 127.0.0.1/1 reply example.io is DNSKEY keytag 1234, algo 13',
    'dnsmasq[23323]: 5 127.0.0.1/1 reply secure.example.io is 203.0.113.9',
  ].join('\n');

  it("turns each forward into an upstream query: the server, the client's name, and the reply dnsmasq passed on", () => {
    expect(parseDnsmasqLog(LOG)).toEqual([
      { about: 'proxysql.internal.example.io A', qname: 'proxysql.internal.example.io', qtype: 'A', zone: '(unknown)', server: '8.8.8.8', outcome: { status: 'reply', rcode: 'NXDOMAIN', kind: 'nxdomain' } },
      { about: 'proxysql.internal.example.io A', qname: 'proxysql.internal.example.io', qtype: 'A', zone: '(unknown)', server: '8.8.4.4', outcome: { status: 'reply', rcode: 'NXDOMAIN', kind: 'nxdomain' } },
      // Never answered within the text: no answer.
      { about: 'www.example.io AAAA', qname: 'www.example.io', qtype: 'AAAA', zone: '(unknown)', server: '198.51.100.9#5300', outcome: { status: 'no-answer' } },
      { about: 'secure.example.io A', qname: 'secure.example.io', qtype: 'A', zone: '(unknown)', server: '8.8.8.8', outcome: { status: 'reply', rcode: 'NOERROR', kind: 'answer' } },
      { about: 'secure.example.io A', qname: 'example.io', qtype: 'DNSKEY', zone: '(unknown)', server: '8.8.8.8', outcome: { status: 'reply', rcode: 'NOERROR', kind: 'answer' } },
    ]);
  });

  it('reads what a reply says', () => {
    expect(dnsmasqOutcome('NODATA-IPv6')).toEqual({ status: 'reply', rcode: 'NOERROR', kind: 'nodata' });
    expect(dnsmasqOutcome('<CNAME>')).toMatchObject({ kind: 'cname' });
    expect(dnsmasqOutcome('SERVFAIL')).toEqual({ status: 'reply', rcode: 'SERVFAIL', kind: 'servfail' });
    expect(dnsmasqOutcome('10.0.0.1')).toMatchObject({ rcode: 'NOERROR', kind: 'answer' });
  });
});
