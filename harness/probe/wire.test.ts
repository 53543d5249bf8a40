// The hand-encoded query against dns-packet's encoder: the same bytes for
// every name and type, plain or not (those go through dns-packet).
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeQuery } from './wire.js';

const reference = (id: number, name: string, type: string) =>
  dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.AUTHENTIC_DATA,
    questions: [{ type: type as dnsPacket.RecordType, name, class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0 } as dnsPacket.Answer],
  });

const TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'SRV', 'NS', 'SOA', 'PTR', 'CAA', 'DS', 'DNSKEY', 'RRSIG', 'NAPTR', 'HTTPS', 'SVCB', 'ANY', 'NSEC', 'TLSA', 'SSHFP'];
const label = fc.stringMatching(/^[A-Za-z0-9_-]{1,63}$/);
const plainName = fc.tuple(fc.array(label, { minLength: 1, maxLength: 5 }), fc.boolean()).map(([ls, dot]) => `${ls.join('.')}${dot ? '.' : ''}`);
const anyName = fc.oneof(plainName, fc.string({ maxLength: 40 }), fc.constantFrom('.', '..', 'a..b', '.a', 'é.example', 'a\\.b.example', `${'x'.repeat(63)}.${'y'.repeat(63)}.${'z'.repeat(63)}.${'w'.repeat(61)}`));

describe('encodeQuery', () => {
  it('gives dns-packet\'s bytes for plain names of every type', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), plainName, fc.constantFrom(...TYPES), (id, name, type) => {
        expect(encodeQuery(id, name, type).equals(reference(id, name, type))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives dns-packet\'s bytes (or its error) for any name', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), anyName, fc.constantFrom(...TYPES), (id, name, type) => {
        let want: Buffer | string;
        try {
          want = reference(id, name, type);
        } catch (e) {
          want = (e as Error).message;
        }
        let got: Buffer | string;
        try {
          got = encodeQuery(id, name, type);
        } catch (e) {
          got = (e as Error).message;
        }
        if (typeof want === 'string') expect(got).toBe(want);
        else expect(Buffer.isBuffer(got) && got.equals(want)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes as the query it stands for', () => {
    const q = dnsPacket.decode(encodeQuery(0xbeef, 'h1.bench.example.', 'AAAA'));
    expect(q).toMatchObject({ id: 0xbeef, flag_rd: true, flag_ad: true, questions: [{ name: 'h1.bench.example', type: 'AAAA', class: 'IN' }] });
    expect(q.additionals).toMatchObject([{ type: 'OPT', udpPayloadSize: 1232 }]);
  });
});
