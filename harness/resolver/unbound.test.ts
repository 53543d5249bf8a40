import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configTree, fileText, PREPARE_CONTEXT } from '../../test/config-tree.js';
import { InputError } from '../errors.js';
import type { PrepareContext } from './types.js';
import { listenOf, mapToOriginal, prepareUnboundConfig } from './unbound.js';
import { loadUnboundConfig } from './unbound-config.js';

const CTX = PREPARE_CONTEXT;

const tree = configTree('unbound');
const { write } = tree;
const prepare = (main: string, ctx: PrepareContext = CTX) => prepareUnboundConfig(loadUnboundConfig(main, tree.root), ctx);

describe('prepareUnboundConfig', () => {
  it('copies an included tree into the run directory, edits in place, and lists every edit with file and line', () => {
    const main = write('unbound.conf', '# the image\ninclude-toplevel: "/etc/unbound/unbound.conf.d/*.conf"\nremote-control:\n  control-enable: yes\n');
    const ta = write('unbound.conf.d/anchor.conf', 'server:\n    auto-trust-anchor-file: "/var/lib/unbound/root.key"\n');
    const p = prepare(main);
    expect(p.main).toBe('/run/x/host/etc/unbound/unbound.conf');
    const copy = fileText(p, '/run/x/host/etc/unbound/unbound.conf.d/anchor.conf');
    // Line numbers stay those of the image's file.
    expect(copy.split('\n')[1]).toMatch(/^# dnsparity substitution .*auto-trust-anchor-file: "\/var\/lib\/unbound\/root.key"$/);
    expect(copy.split('\n')).toHaveLength(3);
    const top = fileText(p, p.main).split('\n');
    expect(top[1]).toBe('include-toplevel: "/run/x/host/etc/unbound/unbound.conf.d/*.conf"');
    expect(top).toContain('    auto-trust-anchor-file: "/run/x/host/root.key"');
    expect(p.files.find((f) => f.path === '/run/x/host/root.key')!.text).toBe('.\t3600\tIN\tDS\t12345 13 2 abcdef\n');
    expect(p.substitutions.filter((s) => s.line !== undefined)).toEqual([
      expect.objectContaining({ option: 'include-toplevel', original: '"/etc/unbound/unbound.conf.d/*.conf"', file: main, line: 2 }),
      expect.objectContaining({ option: 'auto-trust-anchor-file', original: '"/var/lib/unbound/root.key"', replacement: '"/run/x/host/root.key"', file: ta, line: 2 }),
      expect.objectContaining({ option: 'remote-control.control-enable', original: 'yes', replacement: 'no', file: main, line: 4 }),
    ]);
    // Defaults the image left alone are still stated, without a line.
    expect(p.substitutions.find((s) => s.option === 'root-hints')).toEqual(expect.objectContaining({ original: null, replacement: '"/run/x/root.hints"' }));
  });

  it('follows the open clause into a plain include, and the clauses included files open', () => {
    const main = write('unbound.conf', 'server:\ninclude: "/etc/unbound/in-server.conf"\ninclude-toplevel: "/etc/unbound/top.conf"\n');
    write('in-server.conf', '    root-hints: "/usr/share/dns/root.hints"\n');
    // Not a server option here: the included file opened a forward-zone clause.
    write('top.conf', 'forward-zone:\n    name: "."\n    directory: "/not/a/server/option/here"\n');
    const p = prepare(main);
    expect(p.substitutions.filter((s) => s.line !== undefined).map((s) => `${s.option}@${s.line}`)).toEqual(['include@2', 'root-hints@1', 'include-toplevel@3']);
  });

  it('replaces each form of root trust anchor in kind, and keeps anchors for other zones', () => {
    const main = write(
      'unbound.conf',
      [
        'server:',
        '    trust-anchor-file: "/usr/share/dns/root.key"',
        '    trusted-keys-file: "/etc/unbound/keys.bind"',
        '    trust-anchor: ". DS 20326 8 2 e06d44b80b8f1d39a95c0b0d7c65d08458e880409bbc683457104237c7f8ec8d"',
        '    trust-anchor: "corp.example. DS 1 13 2 00"',
      ].join('\n'),
    );
    const p = prepare(main);
    const text = fileText(p, p.main);
    expect(text).toContain('    trust-anchor-file: "/run/x/host/root.ds"');
    expect(text).toContain('    trusted-keys-file: "/run/x/host/root.trusted-keys"');
    expect(text).toContain('    trust-anchor: ". 3600 IN DS 12345 13 2 abcdef"');
    expect(text.split('\n')[4]).toBe('    trust-anchor: "corp.example. DS 1 13 2 00"');
    expect(p.files.find((f) => f.path === '/run/x/host/root.trusted-keys')!.text).toBe('trusted-keys {\n    "." 257 3 13 "AAAABBBB";\n};\n');
    expect(p.substitutions.filter((s) => /trust/.test(s.option)).map((s) => s.line)).toEqual([2, 3, 4]);
  });

  it('refuses a validating config when no signed simulated Internet is available', () => {
    const main = write('unbound.conf', 'server:\n    auto-trust-anchor-file: "/var/lib/unbound/root.key"\n');
    const { trustAnchor: _, ...unsigned } = CTX;
    expect(() => prepare(main, unsigned)).toThrow(InputError);
    expect(() => prepare(main, unsigned)).toThrow(`${main}:2: auto-trust-anchor-file: this config validates DNSSEC`);
  });

  it('finds where the resolver listens, across included files', () => {
    const main = write('unbound.conf', 'server:\ninclude: "/etc/unbound/listen.conf"\n');
    write('listen.conf', '    interface: 127.0.0.53\n    port: 5353\n');
    expect(prepare(main).listen).toEqual({ address: '127.0.0.53', port: 5353 });
  });

  it("names the image's files in unbound-checkconf messages about the copies", () => {
    const main = write('unbound.conf', 'include: "/etc/unbound/a.conf"\n');
    const a = write('a.conf', 'server:\n');
    const p = prepare(main);
    expect(mapToOriginal('/run/x/host/etc/unbound/a.conf:2: error: stray\n/run/x/host/etc/unbound/unbound.conf failed', p)).toBe(`${a}:2: error: stray\n${main} failed`);
  });
});

describe('listenOf', () => {
  it('agrees with prepare: the first IPv4 interface of the server clause, includes read in place', () => {
    write('conf.d/listen.conf', 'server:\n    interface: ::1\n    interface: 127.0.0.2\n');
    const main = write('unbound.conf', 'server:\n    include: "/etc/unbound/conf.d/*.conf"\n    interface: 127.0.0.3\n');
    const config = loadUnboundConfig(main, tree.root);
    expect(listenOf(config)).toEqual({ address: '127.0.0.2', port: 53 });
    expect(listenOf(config)).toEqual(prepareUnboundConfig(config, CTX).listen);
  });

  it('defaults to 127.0.0.1, and reads 0.0.0.0 as loopback', () => {
    expect(listenOf(loadUnboundConfig(write('a.conf', 'server:\n    verbosity: 1\n'), tree.root))).toEqual({ address: '127.0.0.1', port: 53 });
    expect(listenOf(loadUnboundConfig(write('b.conf', 'server:\n    interface: 0.0.0.0\n    port: 5353\n'), tree.root)).address).toBe('127.0.0.1');
  });
});
