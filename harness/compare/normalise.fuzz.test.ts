// Properties of answer normalisation: order, case, trailing dots and
// duplicates never make a difference; the data itself always does.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DnsRecord } from '../model.js';
import { normaliseAnswers, resolverKey } from './normalise.js';

const name = fc.array(fc.stringMatching(/^[A-Za-z0-9-]{1,10}$/), { minLength: 1, maxLength: 4 }).map((l) => l.join('.'));
const record: fc.Arbitrary<DnsRecord> = fc.oneof(
  fc.tuple(name, fc.ipV4()).map(([n, a]) => ({ name: n, type: 'A', data: a })),
  fc.tuple(name, name).map(([n, t]) => ({ name: n, type: 'CNAME', data: `${t}.` })),
  fc.tuple(name, fc.string({ maxLength: 12 })).map(([n, t]) => ({ name: n, type: 'TXT', data: JSON.stringify(t) })),
);
const vary = (r: DnsRecord, upper: boolean, dot: boolean): DnsRecord => ({
  name: `${upper ? r.name.toUpperCase() : r.name.toLowerCase()}${dot ? '.' : ''}`,
  type: r.type,
  data: r.type === 'TXT' ? r.data : upper ? r.data.toUpperCase() : r.data,
});

describe('normalisation', () => {
  it('ignores order, case, trailing dots and duplicates', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), fc.boolean(), fc.boolean(), (rs, upper, dot) => {
        const shuffled = [...rs].reverse().map((r) => vary(r, upper, dot));
        expect(normaliseAnswers([...shuffled, ...shuffled])).toEqual(normaliseAnswers(rs));
      }),
      { numRuns: 500 },
    );
  });

  it('is idempotent in its keys and tells different data apart', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 6 }), fc.ipV4(), (rs, extra) => {
        const a = { status: 'response' as const, rcode: 'NOERROR', flags: { aa: false, tc: false, ra: true, ad: false, cd: false }, answers: rs, transport: 'udp' as const };
        const b = { ...a, answers: [...rs, { name: 'zz-extra.example', type: 'A', data: extra }] };
        expect(resolverKey(a)).toBe(resolverKey({ ...a, answers: [...rs].reverse() }));
        expect(resolverKey(a)).not.toBe(resolverKey(b));
      }),
      { numRuns: 300 },
    );
  });
});
