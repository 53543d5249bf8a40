import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configTree, fileText, PREPARE_CONTEXT } from '../../test/config-tree.js';
import { effective, loadPdnsConfig, parsePdnsSettings } from './pdns-config.js';
import { describeResolverPath } from '../explain/resolver-path.js';
import { INCIDENT_NETWORK, PRODUCTION } from '../../test/incident-network.js';
import { parsePdnsTrace } from './pdns-log.js';
import { isStockLua, pdnsCheckError, pdnsHostEffects, pdnsListen, pdnsRoutes, pdnsValidates, pdnsCommand, preparePdnsConfig } from './pdns.js';
import type { PrepareContext } from './types.js';

const CTX = PREPARE_CONTEXT;

const tree = configTree('pdns');
const { write } = tree;
const load = (main: string) => loadPdnsConfig(main, tree.root);
const prepare = (main: string, ctx: PrepareContext = CTX) => preparePdnsConfig(load(main), ctx);

describe('recursor.conf reading', () => {
  it('reads key=value, += and continued lines, and drops comments', () => {
    expect(parsePdnsSettings('# c\nlocal-address = 127.0.0.1 # here\nforward-zones=a=1.2.3.4, \\\n  b=5.6.7.8\nforward-zones+=c=9.9.9.9\n', 'f')).toEqual([
      { key: 'local-address', value: '127.0.0.1', append: false, line: 2, endLine: 2 },
      { key: 'forward-zones', value: 'a=1.2.3.4,   b=5.6.7.8', append: false, line: 3, endLine: 4 },
      { key: 'forward-zones', value: 'c=9.9.9.9', append: true, line: 5, endLine: 5 },
    ]);
    expect(() => parsePdnsSettings('ok=1\nnot a setting\n', 'f.conf')).toThrow('f.conf:2: not a setting');
  });

  it("reads the include-dir's .conf files after the main file, in sorted order, the last value winning", () => {
    const main = write('recursor.conf', 'include-dir=/etc/powerdns/recursor.d\ndnssec=off\n');
    write('recursor.d/b.conf', 'dnssec=validate\n');
    write('recursor.d/a.conf', 'dnssec=log-fail\n');
    write('recursor.d/notes.txt', 'dnssec=off\n');
    const c = load(main);
    expect(c.files.map((f) => f.path.slice(tree.root.length))).toEqual(['/recursor.conf', '/recursor.d/a.conf', '/recursor.d/b.conf']);
    expect(effective(c, 'dnssec')?.value).toBe('validate');
    expect(() => load(write('x.conf', 'include-dir=/usr/share/x\n'))).toThrow('include-dir: /usr/share/x lies outside /etc/powerdns');
  });
});

describe('preparePdnsConfig', () => {
  it("substitutes Debian's stock config: hints, the stock Lua root key, dont-query, sandbox settings on the command line", () => {
    const main = write('recursor.conf', 'config-dir=/etc/powerdns\nhint-file=/usr/share/dns/root.hints\ninclude-dir=/etc/powerdns/recursor.d\nlocal-address=127.0.0.1\nlua-config-file=/etc/powerdns/recursor.lua\npublic-suffix-list-file=/usr/share/publicsuffix/public_suffix_list.dat\nquiet=yes\nsecurity-poll-suffix=\n');
    write('recursor.d/.keep', '');
    write('recursor.lua', '-- Debian default\ndofile("/usr/share/pdns-recursor/lua-config/rootkeys.lua")\n');
    const p = prepare(main);
    expect(p.main).toBe('/run/x/host/etc/powerdns/recursor.conf');
    const t = fileText(p, p.main).split('\n');
    expect(t).toHaveLength(9);
    expect(t[1]).toBe('# dnsparity substitution (on the command line): hint-file=/usr/share/dns/root.hints');
    expect(t[3]).toBe('local-address=127.0.0.1');
    expect(t[4]).toMatch(/^# dnsparity substitution .*lua-config-file/);
    expect(p.runArgs).toEqual(expect.arrayContaining(['--config-dir=/run/x/host/etc/powerdns', '--hint-file=/run/x/root.hints', '--socket-dir=/run/x/pdns', '--daemon=no', '--include-dir=/run/x/host/etc/powerdns/recursor.d', '--lua-config-file=/run/x/host/dnsparity-anchors.lua', '--trace=yes', '--public-suffix-list-file=']));
    const dq = p.runArgs!.find((a) => a.startsWith('--dont-query='))!;
    expect(dq).toContain('10.0.0.0/8');
    expect(dq).not.toContain('198.51.100.0/24');
    expect(fileText(p, '/run/x/host/dnsparity-anchors.lua')).toBe('-- dnsparity: the simulated root\'s key, made for this run, instead of the built-in root anchor.\nclearTA(".")\naddTA(".", "12345 13 2 abcdef")\n');
    expect(p.substitutions.filter((s) => s.line !== undefined).map((s) => `${s.option}@${s.line}`)).toEqual(expect.arrayContaining(['hint-file@2', 'include-dir@3', 'lua-config-file@5', 'public-suffix-list-file@6']));
    expect(p.substitutions.find((s) => s.option === 'dont-query')).toEqual(expect.objectContaining({ original: null }));
    expect(pdnsHostEffects(load(main))).toEqual([]);
    // Each instance binds its control socket in a directory of its own: two in one directory would collide.
    expect(p.instanceDir).toBe('/run/x/pdns');
    const argv = pdnsCommand(p.main, p.runArgs, '/run/x/pdns/staging-0');
    expect(argv.filter((a) => a.startsWith('--socket-dir='))).toEqual(['--socket-dir=/run/x/pdns/staging-0']);
    expect(pdnsCommand(p.main, p.runArgs).filter((a) => a.startsWith('--socket-dir='))).toEqual(['--socket-dir=/run/x/pdns']);
  });

  it("runs the image's own Lua config before the run's root anchor, and calls it code", () => {
    const main = write('recursor.conf', 'lua-config-file=/etc/powerdns/own.lua\n');
    write('own.lua', 'addNTA("internal.example.io")\nrpzFile("/etc/powerdns/rpz.zone")\n');
    const p = prepare(main);
    expect(fileText(p, '/run/x/host/dnsparity-anchors.lua').split('\n')[0]).toBe('dofile("/run/x/host/etc/powerdns/own.lua")');
    expect(fileText(p, '/run/x/host/etc/powerdns/own.lua')).toBe('addNTA("internal.example.io")\nrpzFile("/etc/powerdns/rpz.zone")\n');
    expect(pdnsHostEffects(load(main)).map((e) => `${e.option} ${e.kind}`)).toEqual(['lua-config-file runs code']);
  });

  it('refuses a validating config (dnssec=process by default) without a signed Internet; dnssec=off needs none', () => {
    const { trustAnchor: _, ...unsigned } = CTX;
    const f = write('a.conf', 'local-port=53\n');
    expect(() => prepare(f, unsigned)).toThrow(`${f}: dnssec: pdns_recursor validates DNSSEC with this config (its default, dnssec=process`);
    const off = prepare(write('b.conf', 'dnssec=off\nlocal-port=53\n'), unsigned);
    expect(off.runArgs!.some((a) => a.startsWith('--lua-config-file'))).toBe(false);
  });

  it('takes the image-level dont-query list without the simulated ranges, and leaves one without them alone', () => {
    const p = prepare(write('a.conf', 'dont-query=10.0.0.0/8, 198.51.100.0/24\n'));
    expect(p.runArgs).toContain('--dont-query=10.0.0.0/8');
    expect(p.substitutions.find((s) => s.option === 'dont-query')).toEqual(expect.objectContaining({ original: '10.0.0.0/8, 198.51.100.0/24', line: 1 }));
    const q = prepare(write('b.conf', 'dont-query=10.0.0.0/8\n'));
    expect(q.runArgs!.some((a) => a.startsWith('--dont-query'))).toBe(false);
  });
});

describe('what the config says', () => {
  it('listens at its first IPv4 local-address', () => {
    expect(pdnsListen(load(write('a.conf', 'local-address=::1, 127.0.0.53:5353\n')))).toEqual({ address: '127.0.0.53', port: 5353 });
    expect(pdnsListen(load(write('b.conf', 'local-address=0.0.0.0\nlocal-port=5300\n')))).toEqual({ address: '127.0.0.1', port: 5300 });
    expect(pdnsListen(load(write('c.conf', 'quiet=yes\n')))).toEqual({ address: '127.0.0.1', port: 53 });
  });

  it('validates unless dnssec is off or process-no-validate', () => {
    expect(pdnsValidates(load(write('a.conf', '')))).toBe(true);
    expect(pdnsValidates(load(write('b.conf', 'dnssec=off\n')))).toBe(false);
    expect(pdnsValidates(load(write('c.conf', 'dnssec=process-no-validate\n')))).toBe(false);
  });

  it('routes: forward-zones (stub), forward-zones-recurse and += additions (forward)', () => {
    const f = write('r.conf', 'forward-zones=internal.example.io=169.254.169.253\nforward-zones+=corp=10.0.0.1;10.0.0.2:5300\nforward-zones-recurse=.=8.8.8.8;8.8.4.4\n');
    expect(pdnsRoutes(load(f))).toEqual([
      { zone: 'internal.example.io', addresses: ['169.254.169.253'], how: 'stub', file: f, line: 1 },
      { zone: 'corp', addresses: ['10.0.0.1', '10.0.0.2'], how: 'stub', file: f, line: 2 },
      { zone: '', addresses: ['8.8.8.8', '8.8.4.4'], how: 'forward', file: f, line: 3 },
    ]);
  });

  it('recognises only the stock Lua config as no code of the image', () => {
    expect(isStockLua('-- Debian\ndofile("/usr/share/pdns-recursor/lua-config/rootkeys.lua")\n')).toBe(true);
    expect(isStockLua('dofile("/usr/share/pdns-recursor/lua-config/rootkeys.lua")\nos.execute("x")\n')).toBe(false);
    expect(isStockLua('addNTA("internal.example.io", "unsigned in the VPC")\nclearTA(".")\n')).toBe(true);
    expect(isStockLua('addNTA(os.getenv("X"))\n')).toBe(false);
  });

  it("maps pdns's complaint about a setting to the line that sets it", () => {
    const main = write('recursor.conf', 'quiet=yes\nbogus-option=1\n');
    const p = prepare(main);
    const e = pdnsCheckError('msg="Unable to parse configuration file" error="Cannot parse configuration" reason="Trying to set unknown setting \'bogus-option\'"', p);
    expect(e.message).toBe(`${main}:2: bogus-option: pdns_recursor --config=check: Trying to set unknown setting 'bogus-option'`);
  });
});

describe("pdns's trace", () => {
  it('reads the upstream queries of the incident: minimised, the denial final', () => {
    const x = parsePdnsTrace(readFileSync(new URL('../../test/fixtures/logs/pdns-incident.log', import.meta.url), 'utf8'));
    const own = x.filter((e) => e.about === 'proxysql.internal.example.io A');
    expect(own.map((e) => `${e.qname} ${e.qtype} @${e.server} ${e.zone} ${e.outcome.status === 'reply' ? `${e.outcome.rcode} ${e.outcome.kind}` : 'none'}`)).toEqual([
      'io A @198.51.100.1  NOERROR referral',
      'example.io A @198.51.100.2 io NOERROR referral',
      'internal.example.io A @198.51.100.53 example.io NXDOMAIN nxdomain',
    ]);
    expect(x.filter((e) => e.about === '. NS').map((e) => e.server)).toEqual(['198.51.100.1']);
    expect(x.find((e) => e.qname === 'example.io' && e.qtype === 'DNSKEY')?.about).toBe('example.io DNSKEY');
    expect(x.find((e) => e.about === 'www.example.io A' && e.qname === 'www.example.io')?.outcome).toEqual({ status: 'reply', rcode: 'NOERROR', kind: 'answer' });
  });

  it("names, for a name answered wholly from its cache, the other question's work that put the NXDOMAIN there", () => {
    // A real trace, cut to two questions: proxysql's minimised walk got the example.io. servers' NXDOMAIN for
    // internal.example.io, and the question for internal.example.io, asked a moment later, found it negatively cached.
    const x = parsePdnsTrace(readFileSync(new URL('../../test/fixtures/logs/pdns-cache-filled.log', import.meta.url), 'utf8'));
    expect(x.filter((e) => e.about === 'internal.example.io A')).toEqual([]);
    expect(describeResolverPath(x, { name: 'internal.example.io', type: 'A' }, PRODUCTION, INCIDENT_NETWORK, 'pdns_recursor')).toBe(
      'pdns_recursor asked no server about it: the answer came from its cache, which its work on proxysql.internal.example.io A had filled: ' +
        'it asked the example.io. servers (198.51.100.53), which answered NXDOMAIN',
    );
  });

  it('counts an error or a timeout as no answer', () => {
    const x = parsePdnsTrace(readFileSync(new URL('../../test/fixtures/logs/pdns-error.log', import.meta.url), 'utf8'));
    expect(x.filter((e) => e.server === '198.51.100.53').map((e) => e.outcome.status)).toEqual(['no-answer', 'no-answer']);
    expect(parsePdnsTrace("Dec 02 00:13:20 [3] QM a.example.|A child=(empty): doResolve\nDec 02 00:13:20 [3] a.example: Trying IP 192.0.2.9:53, asking 'a.example|A'\n")[0]?.about).toBe('a.example A');
    expect(parsePdnsTrace("[3] a.example: Trying IP 192.0.2.9:53, asking 'a.example|A'\n[3] a.example: timeout resolving after 1500.3msec \n")).toEqual([
      { about: 'a.example A', qname: 'a.example', qtype: 'A', zone: '', server: '192.0.2.9', outcome: { status: 'no-answer' } },
    ]);
  });
});

describe('the image-layer config and start-up errors', () => {
  it("takes an image's own recursor.conf only without an include-dir", async () => {
    const { pdnsImageConfig, pdnsStartFailure } = await import('./pdns.js');
    expect(pdnsImageConfig('quiet=yes\n', 'img:/etc/powerdns/recursor.conf', { file: 's.yaml' })).toMatchObject({ kind: 'pdns-recursor', main: '/etc/powerdns/recursor.conf' });
    expect(() => pdnsImageConfig('include-dir=/etc/powerdns/recursor.d\n', 'img:/etc/powerdns/recursor.conf', { file: 's.yaml' })).toThrow('includes the directory /etc/powerdns/recursor.d (line 1)');
    const main = write('recursor.conf', 'quiet=yes\nmax-cache-entrys=1\n');
    const p = prepare(main);
    expect(pdnsStartFailure('Dec 02 00:09:01 msg="Unable to parse configuration file" error="Cannot parse configuration" reason="Trying to set unknown setting \'max-cache-entrys\'"\n', p)).toEqual({ file: main, line: 2, message: "pdns_recursor: Trying to set unknown setting 'max-cache-entrys'" });
    expect(pdnsStartFailure('msg="Listening for queries"\n', p)).toBeUndefined();
  });
});
