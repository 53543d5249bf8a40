import { describe, expect, it } from 'vitest';
import { parseLdd } from './images.js';

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
