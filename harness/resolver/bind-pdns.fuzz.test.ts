// Properties of reading named.conf and recursor.conf: any text gives a result
// or an InputError, and substitution keeps every line at its number, so the
// checkers' messages name the image's own lines.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { prepareBindConfig } from './bind.js';
import type { BindConfig } from './bind-config.js';
import { preparePdnsConfig } from './pdns.js';
import type { PdnsConfig } from './pdns-config.js';

const TA = { ds: ['.\t3600\tIN\tDS\t1 13 2 ab'], dnskey: ['.\t3600\tIN\tDNSKEY\t257 3 13 AAAA'] };
const ctx = { rootHintsFile: '/run/x/root.hints', workDir: '/run/x', configDir: '/run/x/host', trustAnchor: TA };

function inputErrorOnly(f: () => void): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
  }
}

const namedLine = fc.oneof(
  fc.constantFrom(
    'options {',
    '};',
    '}',
    '{',
    '  directory "/var/cache/bind";',
    '  dnssec-validation auto;',
    '  dnssec-validation no;',
    '  listen-on port 5353 { 127.0.0.1; any; };',
    '  forwarders { 8.8.8.8; };',
    'zone "." { type hint; file "/usr/share/dns/root.hints"; };',
    'zone "x" { type forward; forwarders { 10.0.0.1; }; };',
    'zone "y" {',
    '  type master; file "/var/lib/bind/db.y";',
    'controls { inet 127.0.0.1 allow { localhost; }; };',
    'logging { channel c { file "/var/log/x"; }; };',
    'trust-anchors { . initial-key 257 3 8 "AwEAA"; };',
    'view "v" {',
    '/* a comment */ pid-file "/run/named/named.pid";',
    '// comment',
    '# comment',
    '"quoted";',
  ),
  fc.string({ maxLength: 30 }).filter((l) => !/include/.test(l)),
);

const pdnsLine = fc.oneof(
  fc.constantFrom('hint-file=/usr/share/dns/root.hints', 'setuid=pdns', 'dnssec=off', 'dnssec=validate', 'dont-query=10.0.0.0/8, 198.51.100.0/24', 'forward-zones=a=1.2.3.4', 'forward-zones+=b=5.6.7.8', 'local-address=127.0.0.1', 'trace=fail', 'socket-dir=/var/run', 'x=\\', '# c', ''),
  fc.string({ maxLength: 30 }).filter((l) => !/include-dir|lua-config-file|-file/.test(l)),
);

describe('image files never crash the harness', () => {
  it('named.conf: substitution keeps every original line at its number', () => {
    fc.assert(
      fc.property(fc.array(namedLine, { maxLength: 14 }), (ls) =>
        inputErrorOnly(() => {
          const text = ls.join('\n');
          const config: BindConfig = { kind: 'bind', main: '/img/named.conf', root: '/img', files: [{ path: '/img/named.conf', text, includes: [] }], zoneFiles: [] };
          const p = prepareBindConfig(config, ctx);
          const main = p.files.find((f) => f.path === p.main)!.text.split('\n');
          expect(main.length).toBeGreaterThan(ls.length);
          // Each original line is there, edited in place or not at all.
          main.slice(0, ls.length).forEach((l, i) => expect(l === ls[i] || /dnsparity substitution|\/run\/x/.test(l)).toBe(true));
        }),
      ),
      { numRuns: 500 },
    );
  });

  it('recursor.conf: substitution keeps every original line at its number', () => {
    fc.assert(
      fc.property(fc.array(pdnsLine, { maxLength: 12 }), (ls) =>
        inputErrorOnly(() => {
          const text = ls.join('\n');
          const config: PdnsConfig = { kind: 'pdns-recursor', main: '/img/recursor.conf', root: '/img', files: [{ path: '/img/recursor.conf', text }], extraFiles: [] };
          const p = preparePdnsConfig(config, ctx);
          const main = p.files.find((f) => f.path === p.main)!.text.split('\n');
          const original = text.split('\n');
          expect(main).toHaveLength(original.length);
          main.forEach((l, i) => expect(l === original[i] || l.startsWith('# dnsparity substitution')).toBe(true));
          expect(p.runArgs).toContain('--hint-file=/run/x/root.hints');
        }),
      ),
      { numRuns: 500 },
    );
  });
});
