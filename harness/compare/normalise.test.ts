import { describe, expect, it } from 'vitest';
import type { DnsFlags, DnsRecord, ResolverOutcome } from '../model.js';
import { appKey, describeApp, describeResolver, normaliseAddresses, normaliseAnswers, resolverKey } from './normalise.js';

const FLAGS: DnsFlags = { aa: false, tc: false, ra: true, ad: false, cd: false };
const rec = (name: string, type: string, data: string): DnsRecord => ({ name, type, data });
const response = (rcode: string, answers: DnsRecord[] = []): ResolverOutcome => ({ status: 'response', rcode, flags: FLAGS, answers, transport: 'udp' });

describe('normaliseAnswers', () => {
  it('ignores order, owner case, trailing dots and duplicates', () => {
    const a = normaliseAnswers([
      rec('WWW.Example.IO.', 'A', '203.0.113.80'),
      rec('www.example.io', 'a', '203.0.113.81'),
      rec('www.example.io.', 'A', '203.0.113.80'),
    ]);
    const b = normaliseAnswers([rec('www.example.io', 'A', '203.0.113.81'), rec('www.example.io', 'A', '203.0.113.80')]);
    expect(a).toEqual(['www.example.io A 203.0.113.80', 'www.example.io A 203.0.113.81']);
    expect(a).toEqual(b);
  });

  it('folds names inside RDATA (CNAME target, MX exchange)', () => {
    expect(normaliseAnswers([rec('www.example.io', 'CNAME', 'Web.Example.IO.')])).toEqual(['www.example.io CNAME web.example.io']);
    expect(normaliseAnswers([rec('example.io', 'MX', '10 MAIL.example.io.')])).toEqual(['example.io MX 10 mail.example.io']);
  });

  it('keeps the case of TXT strings, which are data, not names', () => {
    const upper = normaliseAnswers([rec('example.io', 'TXT', '"Hello World."')]);
    const lower = normaliseAnswers([rec('example.io', 'TXT', '"hello world."')]);
    expect(upper).toEqual(['example.io TXT "Hello World."']);
    expect(upper).not.toEqual(lower);
  });
});

describe('normaliseAddresses', () => {
  it('sorts, dedupes and lower-cases IPv6', () => {
    expect(normaliseAddresses(['2001:DB8::1', '10.0.0.2', '10.0.0.1', '2001:db8::1'])).toEqual(['10.0.0.1', '10.0.0.2', '2001:db8::1']);
  });
});

describe('appKey', () => {
  it('is equal for the same addresses in another order', () => {
    expect(appKey({ status: 'answer', addresses: ['10.0.0.2', '10.0.0.1'] })).toBe(appKey({ status: 'answer', addresses: ['10.0.0.1', '10.0.0.2', '10.0.0.1'] }));
  });

  it('differs for different addresses, codes and statuses', () => {
    const keys = [
      appKey({ status: 'answer', addresses: ['10.0.0.1'] }),
      appKey({ status: 'answer', addresses: ['10.0.0.2'] }),
      appKey({ status: 'not-found', code: 'ENOTFOUND' }),
      appKey({ status: 'not-found', code: 'ENODATA' }),
      appKey({ status: 'failure', code: 'ENOTFOUND' }),
      appKey({ status: 'timeout' }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('resolverKey', () => {
  it('is equal for equivalent responses regardless of flags, transport and order', () => {
    const a = response('NOERROR', [rec('a.example.io', 'A', '10.0.0.1'), rec('A.example.io.', 'A', '10.0.0.2')]);
    const b: ResolverOutcome = {
      status: 'response',
      rcode: 'NOERROR',
      flags: { ...FLAGS, aa: true },
      answers: [rec('a.example.io', 'A', '10.0.0.2'), rec('a.example.io', 'A', '10.0.0.1')],
      transport: 'tcp',
    };
    expect(resolverKey(a)).toBe(resolverKey(b));
  });

  it('differs by rcode, answers and failure kind', () => {
    const keys = [
      resolverKey(response('NOERROR', [rec('a.example.io', 'A', '10.0.0.1')])),
      resolverKey(response('NOERROR', [rec('a.example.io', 'A', '10.0.0.9')])),
      resolverKey(response('NOERROR')),
      resolverKey(response('NXDOMAIN')),
      resolverKey(response('SERVFAIL')),
      resolverKey({ status: 'timeout' }),
      resolverKey({ status: 'error', message: 'ECONNREFUSED' }),
      resolverKey({ status: 'error', message: 'EHOSTUNREACH' }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('describe*', () => {
  it('words outcomes for people', () => {
    expect(describeApp({ status: 'answer', addresses: ['10.0.0.2', '10.0.0.1'] })).toBe('10.0.0.1, 10.0.0.2');
    expect(describeApp({ status: 'not-found', code: 'ENOTFOUND' })).toBe('not found (ENOTFOUND)');
    expect(describeApp({ status: 'timeout' })).toBe('no answer (timeout)');
    expect(describeResolver(response('NXDOMAIN'))).toBe('NXDOMAIN');
    expect(describeResolver(response('NOERROR'))).toBe('NOERROR (no data)');
    expect(describeResolver(response('NOERROR', [rec('a.example.io', 'A', '10.0.0.1'), rec('a.example.io', 'RRSIG', 'A 8 3 300 ...')]))).toBe('NOERROR 10.0.0.1');
    expect(describeResolver({ status: 'error', message: 'ECONNREFUSED' })).toBe('unreachable (ECONNREFUSED)');
  });
});
