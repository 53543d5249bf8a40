// Properties of reading the image's files: any resolv.conf or unbound.conf
// text gives a result or an InputError, and substitution keeps line numbers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { dnsmasqImageConfig } from './dnsmasq-config.js';
import { parseDnsmasqLog } from './dnsmasq-log.js';
import { dnsmasq } from './dnsmasq.js';
import { blankLuaComments, kresdImageConfig } from './kresd-config.js';
import { parseKresdLog } from './kresd-log.js';
import { kresd } from './kresd.js';
import { parseResolvConf } from './resolvconf.js';
import { prepareUnboundConfig } from './unbound.js';

const ctx = { rootHintsFile: '/run/x/root.hints', workDir: '/run/x', configDir: '/run/x/host' };
/** One image file, as the loader would hand it over (includes are the loader's business). */
const image = (text: string) => ({ kind: 'unbound' as const, main: '/img/unbound.conf', root: '/img', files: [{ path: '/img/unbound.conf', text, includes: [] }] });
const confLine = fc.oneof(
  fc.constantFrom('server:', 'remote-control:', 'stub-zone:', 'forward-zone:', '    control-enable: yes', '    root-hints: "/etc/x"', '    interface: 0.0.0.0', '    port: 5353', '    username: "unbound"', '# comment'),
  fc.string({ maxLength: 30 }).filter((l) => !/include/.test(l)),
);

function inputErrorOnly(f: () => void): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
  }
}

describe('image files never crash the harness', () => {
  it('resolv.conf', () => {
    const line = fc.oneof(fc.string({ maxLength: 30 }), fc.ipV4().map((a) => `nameserver ${a}`), fc.constantFrom('options timeout:0 attempts:9', 'search a b', 'nameserver'));
    fc.assert(fc.property(fc.array(line, { maxLength: 8 }), (ls) => inputErrorOnly(() => parseResolvConf(ls.join('\n'), 'resolv.conf'))), { numRuns: 500 });
  });

  it('unbound.conf: substitution keeps every original line at its number', () => {
    fc.assert(
      fc.property(fc.array(confLine, { maxLength: 12 }), (ls) =>
        inputErrorOnly(() => {
          const text = ls.join('\n');
          const p = prepareUnboundConfig(image(text), ctx);
          const main = p.files.find((f) => f.path === p.main)!.text;
          expect(main.split('\n').length).toBeGreaterThan(ls.length);
          main
            .split('\n')
            .slice(0, ls.length)
            .forEach((l, i) => expect(l === ls[i] || l.startsWith('# dnsparity substitution')).toBe(true));
        }),
      ),
      { numRuns: 500 },
    );
  });

  const dnsmasqLine = fc.oneof(
    fc.constantFrom('no-resolv', 'server=8.8.8.8', 'server=/internal.example.io/169.254.169.253', 'user=dnsmasq', 'group=dnsmasq', 'pid-file=/run/dnsmasq.pid', 'log-facility=/var/log/dnsmasq.log', 'log-queries', 'log-async', 'keep-in-foreground', 'no-hosts', 'dnssec', 'trust-anchor=.,20326,8,2,E06D', 'listen-address=127.0.0.1', 'port=5353', 'conf-file=/usr/share/dnsmasq-base/trust-anchors.conf', '# comment', '  user = "nobody" # quoted'),
    fc.string({ maxLength: 30 }),
  );
  const anchor = { ds: ['.\t3600\tIN\tDS\t1 13 2 AB'], dnskey: ['.\t3600\tIN\tDNSKEY\t257 3 13 AA'] };

  it('dnsmasq.conf: substitution keeps every original line at its number, and appends its own', () => {
    fc.assert(
      fc.property(fc.array(dnsmasqLine, { maxLength: 12 }), fc.boolean(), fc.boolean(), (ls, signed, trace) =>
        inputErrorOnly(() => {
          const c = dnsmasqImageConfig(ls.join('\n'), 'img:/etc/dnsmasq.conf', { file: 's.yaml' });
          const p = dnsmasq.prepare(c, { ...ctx, ...(signed ? { trustAnchor: anchor } : {}), traceUpstream: trace, resolvConf: { text: 'nameserver 127.0.0.1\n', source: 'r' } });
          const main = p.files.find((f) => f.path === p.main)!.text.split('\n');
          main.slice(0, ls.length).forEach((l, i) => expect(l === ls[i] || l.startsWith('# dnsparity substitution')).toBe(true));
          // Each option the harness sets appears once, after the image's lines.
          const mine = main.slice(ls.length);
          for (const key of ['user', 'group', 'pid-file', 'log-facility']) expect(mine.filter((l) => l.startsWith(`${key}=`))).toHaveLength(1);
          expect(main.filter((l) => /^\s*user\s*=/.test(l))).toHaveLength(1);
        }),
      ),
      { numRuns: 500 },
    );
  });

  it("dnsmasq's log: any text gives a list of upstream queries", () => {
    const logLine = fc.oneof(
      fc.constantFrom('dnsmasq[1]: 1 127.0.0.1/5 query[A] a.example from 127.0.0.1', 'dnsmasq[1]: 1 127.0.0.1/5 forwarded a.example to 8.8.8.8', 'dnsmasq[1]: 1 127.0.0.1/5 reply a.example is NXDOMAIN', 'dnsmasq[1]: 2 127.0.0.1/5 dnssec-query[DS] example to 8.8.8.8'),
      fc.string({ maxLength: 40 }),
    );
    fc.assert(fc.property(fc.array(logLine, { maxLength: 20 }), (ls) => {
      for (const x of parseDnsmasqLog(ls.join('\n'))) expect(typeof x.server).toBe('string');
    }), { numRuns: 500 });
  });

  const luaLine = fc.oneof(
    fc.constantFrom("net.listen('127.0.0.1', 53, { kind = 'dns' })", "user('knot-resolver', 'knot-resolver')", "trust_anchors.add_file('/var/lib/knot-resolver/root.keys')", "trust_anchors.remove('.')", "policy.add(policy.suffix(policy.STUB({'169.254.169.253'}), {todname('internal.example.io.')}))", "log_target('syslog')", "cache.storage = 'lmdb:///var/cache/knot-resolver'", '--[[', ']]', "x = '--'", '-- comment', 'modules = { "hints > iterate" }'),
    fc.string({ maxLength: 30 }).filter((l) => !/dofile|loadfile/.test(l)),
  );

  it("kresd.conf: the image's file is run as it is, from a wrapper; comments never hide what a line says", () => {
    fc.assert(
      fc.property(fc.array(luaLine, { maxLength: 12 }), fc.boolean(), (ls, trace) =>
        inputErrorOnly(() => {
          const text = ls.join('\n');
          const code = blankLuaComments(text);
          expect(code.length).toBe(text.length);
          expect(code.split('\n').length).toBe(text.split('\n').length);
          const c = kresdImageConfig(text, 'img:/etc/knot-resolver/kresd.conf', { file: 's.yaml' });
          const p = kresd.prepare(c, { ...ctx, trustAnchor: { ds: ['.\t1\tIN\tDS\t1 13 2 AB'], dnskey: [] }, traceUpstream: trace });
          expect(p.files.find((f) => f.original === '/etc/knot-resolver/kresd.conf')!.text).toBe(text);
          for (const s of p.substitutions) if (s.line !== undefined) expect(s.line).toBeLessThanOrEqual(ls.length);
          kresd.listen(c);
          kresd.routes(c);
          kresd.hostEffects(c);
        }),
      ),
      { numRuns: 500 },
    );
  });

  it("kresd's log: any text gives a list of upstream queries", () => {
    const logLine = fc.oneof(
      fc.constantFrom(
        "[iterat][1.00]   'a.example.' type 'A' new uid was assigned .01, parent uid .00",
        "[select][1.01]   => id: '1' choosing: 'ns.'@'198.51.100.1#00053' with timeout 400 ms zone cut: '.'",
        "[select][1.01]   => id: '1' updating: 'ns.'@'198.51.100.1#00053' zone cut: '.' with rtt 1",
        "[select][1.01]   => id: '1' noting selection error: 'ns.'@'198.51.100.1#00053' zone cut: '.' error: 1 QUERY_TIMEOUT",
        '[iterat][1.01]   <= rcode: NXDOMAIN',
      ),
      fc.string({ maxLength: 40 }),
    );
    fc.assert(fc.property(fc.array(logLine, { maxLength: 20 }), (ls) => {
      for (const x of parseKresdLog(ls.join('\n'))) expect(typeof x.server).toBe('string');
    }), { numRuns: 500 });
  });
});
