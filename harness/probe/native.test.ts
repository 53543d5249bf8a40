import { describe, expect, it } from 'vitest';
import dnsPacket from 'dns-packet';
import { BackendError } from '../errors.js';
import { nativeArgs, nativeHelperName, nativeHelperPath, nativeLookup, parseNativeOutput } from './native.js';

/** A whole DNS response as the helper prints it: lower-case hex of the wire message. */
function response(name: string, type: string, answers: dnsPacket.Answer[], rcode = 'NOERROR'): string {
  const msg = dnsPacket.encode({
    type: 'response',
    id: 4711,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (rcode === 'NXDOMAIN' ? 3 : rcode === 'SERVFAIL' ? 2 : 0),
    questions: [{ name, type: type as dnsPacket.RecordType, class: 'IN' }],
    answers,
  });
  return JSON.stringify({ ok: true, answer: msg.toString('hex') }) + '\n';
}

describe('stub-lookup arguments', () => {
  it('asks getaddrinfo for address types and the search call for every other type', () => {
    expect(nativeArgs('A', 'proxysql')).toEqual(['addr4', 'proxysql']);
    expect(nativeArgs('AAAA', 'www.example.io')).toEqual(['addr6', 'www.example.io']);
    expect(nativeArgs('MX', 'example.io')).toEqual(['search', 'MX', 'example.io']);
    expect(nativeArgs('CAA', 'example.io')).toEqual(['search', 'CAA', 'example.io']);
  });
  it('names the helper of each library', () => {
    expect(nativeHelperName('glibc')).toBe('stub-lookup-glibc');
    expect(nativeHelperName('glibc', { static: true })).toBe('stub-lookup-glibc-static');
    expect(nativeHelperName('musl')).toBe('stub-lookup-musl');
  });
  it('finds a built helper under dist/native, or says how to build it', () => {
    try {
      expect(nativeHelperPath('musl')).toMatch(/\/dist\/native\/stub-lookup-musl$/);
    } catch (e) {
      expect(e).toBeInstanceOf(BackendError);
      expect((e as BackendError).oneLine()).toContain('musl-tools');
    }
  });
});

describe('parseNativeOutput', () => {
  it('reads getaddrinfo addresses once each, in its order', () => {
    expect(parseNativeOutput('A', '{"ok":true,"addresses":["10.20.30.40","10.20.30.41","10.20.30.40"]}\n', 0, '')).toEqual({
      status: 'answer',
      addresses: ['10.20.30.40', '10.20.30.41'],
    });
    expect(parseNativeOutput('AAAA', '{"ok":true,"addresses":["2001:db8::1"]}\n', 0, '')).toEqual({ status: 'answer', addresses: ['2001:db8::1'] });
  });
  it('takes an empty address list as no name', () => {
    expect(parseNativeOutput('A', '{"ok":true,"addresses":[]}\n', 0, '')).toEqual({ status: 'not-found', code: 'EAI_NONAME' });
  });
  it('reads MX, SRV, TXT and CAA answers in the resolver layer presentation form', () => {
    const mx = response('example.io', 'MX', [
      { name: 'example.io', type: 'MX', ttl: 300, data: { preference: 10, exchange: 'mail.example.io' } },
      { name: 'example.io', type: 'MX', ttl: 300, data: { preference: 20, exchange: 'backup.example.io' } },
    ]);
    expect(parseNativeOutput('MX', mx, 0, '')).toEqual({ status: 'answer', addresses: ['10 mail.example.io', '20 backup.example.io'] });
    const srv = response('_sip._tcp.example.io', 'SRV', [{ name: '_sip._tcp.example.io', type: 'SRV', ttl: 60, data: { priority: 1, weight: 5, port: 5060, target: 'sip.example.io' } }]);
    expect(parseNativeOutput('SRV', srv, 0, '')).toEqual({ status: 'answer', addresses: ['1 5 5060 sip.example.io'] });
    const txt = response('example.io', 'TXT', [{ name: 'example.io', type: 'TXT', ttl: 60, data: ['v=spf1 -all', 'two'] }]);
    expect(parseNativeOutput('TXT', txt, 0, '')).toEqual({ status: 'answer', addresses: ['"v=spf1 -all" "two"'] });
    const caa = response('example.io', 'CAA', [{ name: 'example.io', type: 'CAA', ttl: 60, data: { flags: 0, tag: 'issue', value: 'ca.example.net' } } as dnsPacket.Answer]);
    expect(parseNativeOutput('CAA', caa, 0, '')).toEqual({ status: 'answer', addresses: ['0 issue "ca.example.net"'] });
  });
  it('counts a CNAME chain only when CNAME was asked', () => {
    const chain: dnsPacket.Answer[] = [
      { name: 'www.example.io', type: 'CNAME', ttl: 60, data: 'web.example.io' },
      { name: 'web.example.io', type: 'MX', ttl: 60, data: { preference: 5, exchange: 'mx.example.io' } },
    ];
    expect(parseNativeOutput('MX', response('www.example.io', 'MX', chain), 0, '')).toEqual({ status: 'answer', addresses: ['5 mx.example.io'] });
    const cname = response('www.example.io', 'CNAME', chain.slice(0, 1));
    expect(parseNativeOutput('CNAME', cname, 0, '')).toEqual({ status: 'answer', addresses: ['web.example.io'] });
  });
  it('takes an answer with only a CNAME for another type as no data', () => {
    const onlyCname = response('www.example.io', 'TXT', [{ name: 'www.example.io', type: 'CNAME', ttl: 60, data: 'web.example.io' }]);
    expect(parseNativeOutput('TXT', onlyCname, 0, '')).toEqual({ status: 'not-found', code: 'NO_DATA' });
  });
  it('reads a message that is not NOERROR by its rcode', () => {
    expect(parseNativeOutput('MX', response('x.example.io', 'MX', [], 'NXDOMAIN'), 0, '')).toEqual({ status: 'not-found', code: 'NXDOMAIN' });
    expect(parseNativeOutput('MX', response('x.example.io', 'MX', [], 'SERVFAIL'), 0, '')).toEqual({ status: 'failure', code: 'SERVFAIL' });
  });
  it('says when the answer is not a DNS message', () => {
    expect(parseNativeOutput('MX', '{"ok":true,"answer":"00ff"}\n', 0, '')).toMatchObject({ status: 'failure', code: expect.stringContaining('undecodable answer') });
  });
  it('takes the negative answers the library took as final as not found', () => {
    for (const error of ['EAI_NONAME', 'EAI_NODATA', 'HOST_NOT_FOUND', 'NO_DATA'])
      expect(parseNativeOutput('A', `{"ok":false,"error":"${error}"}\n`, 0, '')).toEqual({ status: 'not-found', code: error });
  });
  it('takes every other library error as a failure, with its detail', () => {
    expect(parseNativeOutput('A', '{"ok":false,"error":"EAI_AGAIN"}\n', 0, '')).toEqual({ status: 'failure', code: 'EAI_AGAIN' });
    expect(parseNativeOutput('MX', '{"ok":false,"error":"TRY_AGAIN"}\n', 0, '')).toEqual({ status: 'failure', code: 'TRY_AGAIN' });
    expect(parseNativeOutput('MX', '{"ok":false,"error":"NO_RECOVERY"}\n', 0, '')).toEqual({ status: 'failure', code: 'NO_RECOVERY' });
    expect(parseNativeOutput('A', '{"ok":false,"error":"EAI_SYSTEM","errno":"ECONNREFUSED"}\n', 0, '')).toEqual({ status: 'failure', code: 'EAI_SYSTEM (ECONNREFUSED)' });
    expect(parseNativeOutput('CAA', '{"ok":false,"error":"NETDB_INTERNAL","detail":"res_mkquery rejected the query"}\n', 0, '')).toEqual({
      status: 'failure',
      code: 'NETDB_INTERNAL (res_mkquery rejected the query)',
    });
  });
  it('reports a helper that failed or printed no JSON as a failure of the helper', () => {
    expect(parseNativeOutput('A', '', 1, 'stub-lookup-glibc: chroot /x: not permitted (--root needs root privileges)\n')).toEqual({
      status: 'failure',
      code: 'stub-lookup exit 1: stub-lookup-glibc: chroot /x: not permitted (--root needs root privileges)',
    });
    expect(parseNativeOutput('A', '', null, '')).toEqual({ status: 'failure', code: 'stub-lookup killed' });
    expect(parseNativeOutput('A', 'Segmentation fault\n', 0, '')).toMatchObject({ status: 'failure', code: expect.stringContaining('unreadable output') });
    expect(parseNativeOutput('A', '{"ok":true}\n', 0, '')).toMatchObject({ status: 'failure', code: expect.stringContaining('answer without data') });
  });
});

describe('nativeLookup', () => {
  it('runs the command with the helper arguments, and bounds it in time', async () => {
    // sh stands in for the helper: it prints its arguments back as an address list.
    const ok = await nativeLookup(['sh', '-c', 'echo "{\\"ok\\":true,\\"addresses\\":[\\"$1 $2\\"]}"', 'sh'], 'A', 'www.example.io', 2000);
    expect(ok.outcome).toEqual({ status: 'answer', addresses: ['addr4 www.example.io'] });
    expect(ok.latencyMs).toBeGreaterThanOrEqual(0);
    const slow = await nativeLookup(['sh', '-c', 'sleep 5', 'sh'], 'MX', 'x', 200);
    expect(slow.outcome).toEqual({ status: 'timeout' });
    expect(slow.latencyMs).toBeLessThan(2000);
    const missing = await nativeLookup(['/nonexistent/stub-lookup'], 'A', 'x', 1000);
    expect(missing.outcome).toMatchObject({ status: 'failure', code: expect.stringContaining('ENOENT') });
  });
});
