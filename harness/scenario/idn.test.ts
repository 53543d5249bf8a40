import { describe, expect, it } from 'vitest';
import { displayName, toALabels, toUnicode } from './idn.js';

describe('toALabels', () => {
  it('converts Unicode labels to A-labels and leaves ASCII names as they are', () => {
    expect(toALabels('bücher.example')).toEqual({ ok: true, name: 'xn--bcher-kva.example' });
    expect(toALabels('例え.テスト')).toEqual({ ok: true, name: 'xn--r8jz45g.xn--zckzah' });
    expect(toALabels('faß.de')).toEqual({ ok: true, name: 'xn--fa-hia.de' }); // non-transitional, as IDNA 2008
    expect(toALabels('_dmarc.example.io')).toEqual({ ok: true, name: '_dmarc.example.io' });
    expect(toALabels('xn--bcher-kva.example')).toEqual({ ok: true, name: 'xn--bcher-kva.example' });
  });

  it('refuses what cannot be converted, with the reason', () => {
    expect(toALabels('a\u00a0b.io')).toEqual({ ok: false, reason: 'label "a\u00a0b" holds U+00A0 "\u00a0", which IDNA (UTS #46) does not allow in a name' });
    expect(toALabels('-ü.io')).toMatchObject({ ok: false, reason: expect.stringContaining('begins or ends with a hyphen') });
    expect(toALabels('\u0663\u0661a.io')).toMatchObject({ ok: false, reason: expect.stringContaining('bidirectional') });
    expect(toALabels(`${'ü'.repeat(70)}.io`)).toMatchObject({ ok: false, reason: expect.stringMatching(/is 76 characters as an A-label .*over DNS's 63/) });
  });
});

describe('display forms', () => {
  it('shows both forms where they differ, and the name alone where not', () => {
    expect(toUnicode('www.xn--bcher-kva.example')).toBe('www.bücher.example');
    expect(displayName('www.xn--bcher-kva.example')).toBe('www.xn--bcher-kva.example (www.bücher.example)');
    expect(displayName('www.example.io')).toBe('www.example.io');
  });
});
