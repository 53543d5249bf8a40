import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configTree, fileText, PREPARE_CONTEXT } from '../../test/config-tree.js';
import { InputError } from '../errors.js';
import { body, loadBindConfig, parseStatements, words } from './bind-config.js';
import { parseBindLog } from './bind-log.js';
import { bindCheckError, bindHostEffects, bindListen, bindRoutes, bindValidates, prepareBindConfig } from './bind.js';
import type { PrepareContext } from './types.js';

const CTX = PREPARE_CONTEXT;

const tree = configTree('bind');
const { write } = tree;
const load = (main: string) => loadBindConfig(main, tree.root);
const prepare = (main: string, ctx: PrepareContext = CTX) => prepareBindConfig(load(main), ctx);

describe('named.conf reading', () => {
  it('reads statements, blocks, strings and the three comment styles with their positions', () => {
    const s = parseStatements('options { // c\n  directory "/var/cache/bind"; # c\n  /* a\n b */ forwarders { 8.8.8.8; 1.1.1.1 port 53; };\n};\n', 'f');
    expect(s).toHaveLength(1);
    expect(s[0]!.name).toBe('options');
    const inner = body(s[0]!);
    expect(inner.map((x) => x.name)).toEqual(['directory', 'forwarders']);
    expect(words(inner[0]!)).toEqual(['/var/cache/bind']);
    expect(inner[1]!.start).toEqual({ line: 4, col: 6 });
    expect(s[0]!.end).toEqual({ line: 5, col: 2 });
  });

  it('refuses what no config can mean, naming the line', () => {
    expect(() => parseStatements('options {\n  directory "x;\n', 'f.conf')).toThrow('f.conf:2: a quoted string is never closed');
    expect(() => parseStatements('a;\n};\n', 'f.conf')).toThrow('f.conf:2: a } closes no block');
    expect(() => parseStatements('/* open\n', 'f.conf')).toThrow(InputError);
  });

  it('follows includes under /etc/bind and reads the zone files there; refuses one outside', () => {
    const main = write('named.conf', 'include "/etc/bind/named.conf.options";\ninclude "named.conf.local";\n');
    write('named.conf.options', 'options { directory "/var/cache/bind"; };\n');
    write('named.conf.local', 'zone "localhost" { type master; file "/etc/bind/db.local"; };\n');
    write('db.local', '@ 86400 IN SOA localhost. root.localhost. 1 1 1 1 1\n');
    const c = load(main);
    expect(c.files.map((f) => f.path)).toEqual([main, join(tree.root, 'named.conf.options'), join(tree.root, 'named.conf.local')]);
    expect(c.zoneFiles.map((z) => z.imagePath)).toEqual(['/etc/bind/db.local']);
    const bad = write('bad.conf', 'options {};\ninclude "/usr/share/x.conf";\n');
    expect(() => load(bad)).toThrow(`${bad}:2: include: /usr/share/x.conf lies outside /etc/bind`);
    const cyc = write('cyc.conf', 'include "/etc/bind/cyc.conf";\n');
    expect(() => load(cyc)).toThrow('include cycle');
  });
});

describe('prepareBindConfig', () => {
  it("substitutes Debian's stock tree: hints, directory, controls, the built-in root key, includes; lines keep their numbers", () => {
    const main = write('named.conf', 'include "/etc/bind/named.conf.options";\ninclude "/etc/bind/named.conf.default-zones";\n');
    const opts = write('named.conf.options', 'options {\n\tdirectory "/var/cache/bind";\n\tdnssec-validation auto;\n\tlisten-on-v6 { any; };\n};\n');
    const zones = write('named.conf.default-zones', 'zone "." {\n\ttype hint;\n\tfile "/usr/share/dns/root.hints";\n};\nzone "localhost" {\n\ttype master;\n\tfile "/etc/bind/db.local";\n};\n');
    write('db.local', '@ 86400 IN SOA localhost. root.localhost. 1 1 1 1 1\n');
    const p = prepare(main);
    expect(p.main).toBe('/run/x/host/etc/bind/named.conf');
    const o = fileText(p, '/run/x/host/etc/bind/named.conf.options').split('\n');
    expect(o).toHaveLength(6);
    expect(o[0]).toBe('options { directory "/run/x"; pid-file none; lock-file none; session-keyfile "/run/x/session.key"; bindkeys-file "/run/x/host/bind.keys"; dnssec-validation yes; ');
    expect(o[1]).toBe('\t/* dnsparity substitution: directory "/var/cache/bind"; */');
    expect(o[2]).toBe('\t/* dnsparity substitution: dnssec-validation auto; */');
    expect(o[3]).toBe('\tlisten-on-v6 { any; };');
    const z = fileText(p, '/run/x/host/etc/bind/named.conf.default-zones').split('\n');
    expect(z[2]).toBe('\tfile "/run/x/root.hints";');
    expect(z[6]).toBe('\tfile "/run/x/host/etc/bind/db.local";');
    expect(p.files.find((f) => f.path === '/run/x/host/etc/bind/db.local')?.original).toBe(join(tree.root, 'db.local'));
    const m = fileText(p, p.main);
    expect(m.split('\n')[0]).toBe('include "/run/x/host/etc/bind/named.conf.options";');
    expect(m).toContain('controls { };');
    expect(m).toContain('trust-anchors { "." static-key 257 3 13 "AAAABBBB"; };');
    expect(m).not.toContain('type hint; file'); // the image's own hints zone is pointed at the simulated root instead
    expect(p.files.find((f) => f.path === '/run/x/host/bind.keys')!.text).toContain('"." initial-key 257 3 13 "AAAABBBB";');
    const lined = p.substitutions.filter((s) => s.line !== undefined).map((s) => `${s.option}@${s.file === opts ? 'o' : s.file === zones ? 'z' : 'm'}:${s.line}`);
    expect(lined).toEqual(expect.arrayContaining(['options.directory@o:2', 'options.dnssec-validation@o:3', 'zone "." (type hint) file@z:3', 'zone "localhost" file@z:7', 'include@m:1', 'include@m:2']));
    expect(p.substitutions.find((s) => s.option === 'controls')).toEqual(expect.objectContaining({ original: null }));
    expect(p.runArgs).toEqual(['-d', '11']);
    expect(p.listen).toEqual({ address: '127.0.0.1', port: 53 });
  });

  it('adds hints, options and anchors where the image has none, and keeps a stated dnssec-validation yes', () => {
    const p = prepare(write('a.conf', 'zone "internal.example.io" { type forward; forward only; forwarders { 169.254.169.253; }; };\n'));
    const m = fileText(p, p.main);
    expect(m.split('\n')[0]).toBe('zone "internal.example.io" { type forward; forward only; forwarders { 169.254.169.253; }; };');
    expect(m).toContain('options { directory "/run/x"; pid-file none; lock-file none; session-keyfile "/run/x/session.key"; bindkeys-file "/run/x/host/bind.keys"; dnssec-validation yes; };');
    expect(m).toContain('zone "." { type hint; file "/run/x/root.hints"; };');
    const y = prepare(write('b.conf', 'options { dnssec-validation yes; trust-anchors-file-is-not-an-option 1; };\ntrust-anchors {\n  "." initial-key 257 3 8 "AwEAAag";\n  "corp.example." static-key 257 3 13 "Zm9v";\n};\n'));
    const t = fileText(y, y.main).split('\n');
    expect(t[0]).toContain('dnssec-validation yes;');
    expect(t[0]).not.toContain('dnssec-validation yes; dnssec-validation yes;');
    expect(t[2]).toBe('  /* dnsparity substitution: "." initial-key 257 3 8 "AwEAAag"; */');
    expect(t[3]).toBe('  "corp.example." static-key 257 3 13 "Zm9v";');
  });

  it('comments out controls and logging as a whole, wherever they span', () => {
    const p = prepare(write('c.conf', 'controls {\n  inet 127.0.0.1 port 953 allow { localhost; } keys { "rndc-key"; };\n};\nlogging { channel q { file "/var/log/named/q.log"; }; category queries { q; }; };\noptions { dnssec-validation no; };\n'));
    const t = fileText(p, p.main).split('\n');
    expect(t[0]).toBe('/* dnsparity substitution: controls { */');
    expect(t[1]).toBe('/*   inet 127.0.0.1 port 953 allow { localhost; } keys { "rndc-key"; }; */');
    expect(t[2]).toBe('/* }; */');
    expect(t[3]).toMatch(/^\/\* dnsparity substitution: logging \{ channel q \{ file "\/var\/log\/named\/q.log"; \}; category queries \{ q; \}; \}; \*\/$/);
    expect(t).not.toContain('trust-anchors');
    expect(p.substitutions.map((s) => s.option)).toEqual(expect.arrayContaining(['controls', 'logging']));
  });

  it('refuses a validating config (named validates by default) when no signed Internet is available', () => {
    const { trustAnchor: _, ...unsigned } = CTX;
    const f = write('v.conf', 'options {\n  directory "/x";\n};\n');
    expect(() => prepare(f, unsigned)).toThrow(`${f}: dnssec-validation: named validates DNSSEC with this config (named's default, dnssec-validation auto)`);
    expect(() => prepare(write('n.conf', 'options { dnssec-validation no; };\n'), unsigned)).not.toThrow();
  });

  it('puts a hints zone in every view that lacks one', () => {
    const p = prepare(write('v.conf', 'view "inside" {\n  match-clients { any; };\n};\nview "other" { zone "." { type hint; file "/usr/share/dns/root.hints"; }; };\n'));
    const t = fileText(p, p.main).split('\n');
    expect(t[0]).toBe('view "inside" { zone "." { type hint; file "/run/x/root.hints"; }; ');
    expect(t[3]).toBe('view "other" { zone "." { type hint; file "/run/x/root.hints"; }; };');
  });
});

describe('what the config says', () => {
  it('listens where the first IPv4 listen-on says', () => {
    expect(bindListen(load(write('a.conf', 'options { listen-on port 5353 { ::1; 127.0.0.53; }; };\n')))).toEqual({ address: '127.0.0.53', port: 5353 });
    expect(bindListen(load(write('b.conf', 'options { listen-on { any; }; };\n')))).toEqual({ address: '127.0.0.1', port: 53 });
  });

  it('validates unless dnssec-validation no', () => {
    expect(bindValidates(load(write('a.conf', 'options { };\n')))).toBe(true);
    expect(bindValidates(load(write('b.conf', 'options { dnssec-validation no; };\n')))).toBe(false);
  });

  it('routes: global forwarders, forward zones, stub zones', () => {
    const f = write('r.conf', 'options {\n forwarders { 8.8.8.8; 8.8.4.4 port 53; };\n};\nzone "internal.example.io" { type forward; forward only; forwarders { 169.254.169.253; }; };\nzone "corp" { type stub; primaries { 10.0.0.1; }; };\n');
    expect(bindRoutes(load(f))).toEqual([
      { zone: '', addresses: ['8.8.8.8', '8.8.4.4'], how: 'forward', file: f, line: 2 },
      { zone: 'internal.example.io', addresses: ['169.254.169.253'], how: 'forward', file: f, line: 4 },
      { zone: 'corp', addresses: ['10.0.0.1'], how: 'stub', file: f, line: 5 },
    ]);
  });

  it("names what would read this machine's files or run code", () => {
    const f = write('h.conf', 'options { dnstap-output file "/var/log/dnstap"; };\nzone "x" { type master; file "/var/lib/bind/db.x"; };\ndlz "d" { database "dlopen /usr/lib/x.so"; };\nlogging { channel c { file "/var/log/x"; }; };\n');
    expect(bindHostEffects(load(f)).map((e) => `${e.line} ${e.option} ${e.kind}`)).toEqual(['1 options.dnstap-output reads a file', '2 zone "x".file reads a file', '3 dlz runs code']);
  });

  it("maps named-checkconf's message to the image's file and line, past its warnings", () => {
    const main = write('named.conf', 'include "/etc/bind/o.conf";\n');
    const o = write('o.conf', 'options { bogus yes; };\n');
    const p = prepare(main);
    const e = bindCheckError('/run/x/host/etc/bind/named.conf:3: static entry for the root zone WILL FAIL after key rollover - use trust-anchors with initial-key or initial-ds instead.\n/run/x/host/etc/bind/o.conf:1: unknown option \'bogus\'\n', p);
    expect(e.message).toBe(`${o}:1: named-checkconf: unknown option 'bogus'`);
  });
});

describe("named's log", () => {
  it('reads the upstream queries of the incident, with servers, zones and replies', () => {
    const log = readFileSync(new URL('../../test/fixtures/logs/named-incident.log', import.meta.url), 'utf8');
    const x = parseBindLog(log);
    const own = x.filter((e) => e.about === 'proxysql.internal.example.io A');
    expect(own.map((e) => `${e.qname} ${e.qtype} @${e.server} ${e.outcome.status === 'reply' ? e.outcome.rcode : 'none'}`)).toEqual([
      'io NS @198.51.100.1 NOERROR',
      'example.io NS @198.51.100.2 NOERROR',
      'internal.example.io NS @198.51.100.53 NXDOMAIN',
      'proxysql.internal.example.io A @198.51.100.53 NXDOMAIN',
    ]);
    expect(own.map((e) => e.zone)).toEqual(['', 'io', 'example.io', 'example.io']);
    expect(x.filter((e) => e.about === '. NS').map((e) => e.server)).toEqual(['198.51.100.1']);
    expect(x.find((e) => e.qtype === 'DNSKEY' && e.qname === 'example.io')?.about).toBe('example.io DNSKEY');
  });

  it("keeps named's fetch of a nameserver's other address type apart from the client's query of that name", () => {
    const send = (id: number, name: string, type: string) => `02-Dec-2026 00:06:58.590 sending packet to 198.51.100.2#53\n;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id:  ${id}\n;; flags:; QUESTION: 1, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 1\n;; QUESTION SECTION:\n;${name}.\t\t\tIN\t${type}\n\n`;
    const log = "02-Dec-2026 00:06:58.585 client @0x1 127.0.0.1#1 (ns1.example.io): query (cache) 'ns1.example.io/A/IN' approved\n" + send(7, 'ns1.example.io', 'AAAA') + send(8, 'ns1.example.io', 'A') + send(9, 'ns1.example.io', 'MX');
    expect(parseBindLog(log).map((e) => `${e.qname} ${e.qtype}: ${e.about}`)).toEqual([
      'ns1.example.io AAAA: ns1.example.io AAAA',
      'ns1.example.io A: ns1.example.io A',
      'ns1.example.io MX: ns1.example.io A',
    ]);
  });

  it('counts a query sent and never answered as no answer', () => {
    const log = '02-Dec-2026 00:06:58.585 client @0x1 127.0.0.1#1 (a.example): query (cache) \'a.example/A/IN\' approved\n02-Dec-2026 00:06:58.585 sending packet to 198.51.100.1#53\n;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id:  7\n;; flags:; QUESTION: 1, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 1\n;; QUESTION SECTION:\n;example.\t\t\tIN\tNS\n\n';
    expect(parseBindLog(log)).toEqual([{ about: 'a.example A', qname: 'example', qtype: 'NS', zone: '', server: '198.51.100.1', outcome: { status: 'no-answer' } }]);
  });
});

describe('the image-layer config and start-up errors', () => {
  it("takes an image's own named.conf only without includes", async () => {
    const { bindImageConfig, bindStartFailure } = await import('./bind.js');
    const c = bindImageConfig('options { directory "/var/cache/bind"; };\n', 'img:/etc/bind/named.conf', { file: 's.yaml', line: 3, field: 'resolver.config' });
    expect(c).toMatchObject({ kind: 'bind', main: '/etc/bind/named.conf', root: '/etc/bind' });
    expect(() => bindImageConfig('options {};\ninclude "/etc/bind/named.conf.local";\n', 'img:/etc/bind/named.conf', { file: 's.yaml', line: 3, field: 'resolver.config' })).toThrow('s.yaml:3: resolver.config: the image\'s own config (img:/etc/bind/named.conf) includes other files (line 2)');
    const main = write('named.conf', 'options { bogus; };\n');
    const p = prepare(main);
    expect(bindStartFailure('02-Dec-2026 00:02:28.813 loading configuration from \'/run/x/host/etc/bind/named.conf\'\n02-Dec-2026 00:02:28.813 /run/x/host/etc/bind/named.conf:1: unknown option \'bogus\'\n', p)).toEqual({ file: main, line: 1, message: "named: unknown option 'bogus'" });
    expect(bindStartFailure('02-Dec-2026 00:02:28.813 running\n', p)).toBeUndefined();
  });
});
