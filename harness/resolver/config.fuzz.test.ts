// Properties of reading the image's files: any resolv.conf or unbound.conf
// text gives a result or an InputError, and substitution keeps line numbers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
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
});
