import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configTree, inputErrorOf } from '../../test/config-tree.js';
import { InputError } from '../errors.js';
import { filesRoot } from '../scenario/confine.js';
import { loadUnboundConfig, parseStatement } from './unbound-config.js';

const tree = configTree('unbound-config');
const { write } = tree;
const loadError = (main: string): InputError => inputErrorOf(() => loadUnboundConfig(main, tree.root), 'loadUnboundConfig');

describe('parseStatement', () => {
  it('reads clauses, settings with comments and quotes, and skips comments', () => {
    expect(parseStatement('server:')).toEqual({ kind: 'clause', name: 'server' });
    expect(parseStatement('  Remote-Control:  # the control channel')).toEqual({ kind: 'clause', name: 'remote-control' });
    expect(parseStatement('    root-hints: "/x/#y" # hints')).toEqual({ kind: 'setting', key: 'root-hints', value: '"/x/#y"' });
    expect(parseStatement("    include: '/etc/unbound/a.conf'")).toEqual({ kind: 'setting', key: 'include', value: "'/etc/unbound/a.conf'" });
    expect(parseStatement('  # auto-trust-anchor-file: "/x"')).toEqual({ kind: 'none' });
    expect(parseStatement('')).toEqual({ kind: 'none' });
  });
});

describe('loadUnboundConfig', () => {
  it("maps /etc/unbound globs into the config root, in unbound's sorted order", () => {
    const main = write('unbound.conf', 'include-toplevel: "/etc/unbound/unbound.conf.d/*.conf"\n');
    write('unbound.conf.d/b.conf', 'server:\n    verbosity: 2\n');
    write('unbound.conf.d/a.conf', 'server:\n    verbosity: 1\n');
    write('unbound.conf.d/ignored.txt', 'not a match\n');
    write('unbound.conf.d/.hidden.conf', 'glob(7) does not match a leading dot\n');
    const c = loadUnboundConfig(main, tree.root);
    expect(c.files.map((f) => f.path)).toEqual([main, join(tree.root, 'unbound.conf.d/a.conf'), join(tree.root, 'unbound.conf.d/b.conf')]);
    expect(c.files[0]!.includes).toEqual([
      { line: 1, toplevel: true, imagePattern: '/etc/unbound/unbound.conf.d/*.conf', files: [join(tree.root, 'unbound.conf.d/a.conf'), join(tree.root, 'unbound.conf.d/b.conf')] },
    ]);
  });

  it('includes nothing for a glob that matches nothing, as unbound does', () => {
    const main = write('unbound.conf', 'server:\ninclude: "/etc/unbound/conf.d/*.conf"\n');
    expect(loadUnboundConfig(main, tree.root).files).toHaveLength(1);
  });

  it('resolves relative includes against the last directory: (unbound changes there at once), else /etc/unbound', () => {
    const main = write('main.conf', 'include: "first.conf"\nserver:\n    directory: "/etc/unbound/sub"\ninclude: "second.conf"\n');
    write('first.conf', '');
    write('sub/second.conf', '');
    const c = loadUnboundConfig(main, tree.root);
    expect(c.files.map((f) => f.path)).toEqual([main, join(tree.root, 'first.conf'), join(tree.root, 'sub/second.conf')]);
  });

  it('names the file and line of an include that cannot be read', () => {
    const main = write('unbound.conf', 'server:\n    verbosity: 1\ninclude: "/etc/unbound/missing.conf"\n');
    const err = loadError(main);
    expect(err.message).toContain(`${main}:3: include: cannot read config file ${join(tree.root, 'missing.conf')}: ENOENT`);
  });

  it('refuses an include outside /etc/unbound, which the config root cannot stand for', () => {
    const main = write('unbound.conf', 'server:\ninclude: "/usr/share/unbound/extra.conf"\n');
    expect(loadError(main).message).toContain(`${main}:2: include: /usr/share/unbound/extra.conf lies outside /etc/unbound`);
  });

  it('refuses an include cycle instead of reading forever', () => {
    const main = write('unbound.conf', 'include: "/etc/unbound/a.conf"\n');
    write('a.conf', 'include: "/etc/unbound/unbound.conf"\n');
    expect(loadError(main).message).toMatch(/a\.conf:1: include: include cycle: .*unbound\.conf -> .*a\.conf -> .*unbound\.conf/);
  });
});

describe('loadUnboundConfig: confined to the scenario files root', () => {
  it('refuses an include that is a symlink out of the tree, naming the include line', () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'dnsparity-unbound-elsewhere-'));
    try {
      writeFileSync(join(elsewhere, 'secret.conf'), 'server:\n    secret-token-xyz: 1\n');
      mkdirSync(join(tree.root, 'conf.d'));
      symlinkSync(join(elsewhere, 'secret.conf'), join(tree.root, 'conf.d/a.conf'));
      const main = write('unbound.conf', 'server:\n    include: "/etc/unbound/conf.d/*.conf"\n');
      let e: InputError | undefined;
      try {
        loadUnboundConfig(main, tree.root, filesRoot(tree.root, true));
      } catch (x) {
        e = x as InputError;
      }
      expect(e).toBeInstanceOf(InputError);
      expect(e!.location).toEqual({ file: main, line: 2, field: 'include' });
      expect(e!.message).toMatch(/resolves to .*secret\.conf\) lies outside the scenario's files root/);
      expect(e!.message).not.toContain('secret-token-xyz');
      // Without confinement (a caller that has no scenario) the same tree loads.
      expect(loadUnboundConfig(main, tree.root).files).toHaveLength(2);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
