// Internationalised domain names: a scenario may write a name in Unicode
// ("bücher.example"); DNS carries its A-labels ("xn--bcher-kva.example"),
// converted by UTS #46 as browsers do (node:url's domainToASCII, the WHATWG
// URL standard's algorithm). Reports show both forms. A name that cannot be
// converted is refused with the reason.
import { domainToASCII, domainToUnicode } from 'node:url';

const NON_ASCII = /[^\x00-\x7f]/;

export type Converted = { readonly ok: true; readonly name: string } | { readonly ok: false; readonly reason: string };

const codePoint = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** The A-label form of a name; ASCII names are returned as they are. */
export function toALabels(name: string): Converted {
  if (!NON_ASCII.test(name)) return { ok: true, name };
  for (const label of name.split('.')) {
    if (!NON_ASCII.test(label)) continue;
    // UTS #46 with CheckHyphens, as registries apply it; the URL standard does not.
    if (label.startsWith('-') || label.endsWith('-')) return { ok: false, reason: `label "${label}" begins or ends with a hyphen` };
    const ascii = domainToASCII(label);
    if (ascii === '') {
      const bad = [...label].filter((ch) => NON_ASCII.test(ch) && domainToASCII(`a${ch}`) === '');
      if (bad.length) return { ok: false, reason: `label "${label}" holds ${bad.map((ch) => `${codePoint(ch)} "${ch}"`).join(', ')}, which IDNA (UTS #46) does not allow in a name` };
      return { ok: false, reason: `label "${label}" breaks IDNA's rules (UTS #46 and its bidirectional-text rule: a label mixes scripts or directions it may not)` };
    }
    if (ascii.length > 63) return { ok: false, reason: `label "${label}" is ${ascii.length} characters as an A-label (${ascii}), over DNS's 63` };
  }
  const ascii = domainToASCII(name);
  if (ascii === '') return { ok: false, reason: 'IDNA (UTS #46) refuses it' };
  if (ascii.length > 253) return { ok: false, reason: `it is ${ascii.length} characters as A-labels, over DNS's 253` };
  return { ok: true, name: ascii };
}

/** The Unicode form of a name with A-labels, or the name itself. */
export function toUnicode(name: string): string {
  if (!/(^|\.)xn--/i.test(name)) return name;
  const u = domainToUnicode(name);
  return u === '' ? name : u;
}

/** "xn--bcher-kva.example (bücher.example)": both forms where they differ. */
export function displayName(name: string): string {
  const u = toUnicode(name);
  return u === name ? name : `${name} (${u})`;
}
