import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../../../test/temp-dirs.js';
import { locate, parseLdd } from './images.js';

describe('shared libraries from ldd', () => {
  it('takes resolved paths and the loader, and skips the vDSO', () => {
    const out = [
      '\tlinux-vdso.so.1 (0x00007ffbfdd5d000)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007ffbfd81e000)',
      '\tlibfoo.so.1 => not found',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007ffbfdd5f000)',
    ].join('\n');
    expect(parseLdd(out)).toEqual(['/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2']);
  });
});

describe('commands found on PATH', () => {
  const dir = tempDirs('locate');

  it('finds the first executable file of that name, as command -v does, and nothing else', () => {
    const [a, b, c] = [dir(), dir(), dir()];
    writeFileSync(join(a, 'tool'), 'not executable', { mode: 0o644 });
    mkdirSync(join(b, 'tool')); // a directory is no command
    writeFileSync(join(c, 'tool'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(join(a, 'other'), '#!/bin/sh\n', { mode: 0o755 });
    expect(locate('tool', `${a}:relative:${b}:${c}`)).toBe(join(c, 'tool'));
    expect(locate('other', `${a}:${c}`)).toBe(join(a, 'other'));
    expect(locate('missing', `${a}:${b}:${c}`)).toBeUndefined();
    expect(locate(join(c, 'tool'), '')).toBe(join(c, 'tool'));
    expect(locate(join(c, 'nothing'), '')).toBeUndefined();
  });
});
