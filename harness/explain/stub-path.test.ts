import { describe, expect, it } from 'vitest';
import type { DnsFlags, ResolverObservation, ResolverOutcome } from '../model.js';
import { describeStubPath, describeStubWalk, optionNotes, stubPath, stubWalk } from './stub-path.js';

const RC = { nameservers: ['127.0.0.1', '169.254.169.253'], timeoutS: 2, attempts: 1 };
const RA: DnsFlags = { aa: false, tc: false, ra: true, ad: false, cd: false };

const response = (rcode: string, opts: { answers?: string[]; flags?: Partial<DnsFlags> } = {}): ResolverOutcome => ({
  status: 'response',
  rcode,
  flags: { ...RA, ...opts.flags },
  answers: (opts.answers ?? []).map((data) => ({ name: 'db.internal.example.io', type: 'A', data })),
  transport: 'udp',
});
const at = (ns: string, outcome: ResolverOutcome, latencyMs = 5): ResolverObservation => ({ server: `${ns}#53`, roles: [], outcome, latencyMs });
const VPC_ANSWER = at('169.254.169.253', response('NOERROR', { answers: ['10.20.30.40'] }));

/** Which nameservers the stub asked, and whether each answer ended the lookup. */
const path = (first: ResolverObservation, second: ResolverObservation = VPC_ANSWER) =>
  stubPath({ resolver: [first, second] }, RC).map((s) => [s.nameserver, s.final]);

describe('stubPath (glibc res_send rules)', () => {
  it('stops at NXDOMAIN: the next nameserver is never asked', () => {
    expect(path(at('127.0.0.1', response('NXDOMAIN')))).toEqual([['127.0.0.1', true]]);
  });

  it('stops at an answer', () => {
    expect(path(at('127.0.0.1', response('NOERROR', { answers: ['10.0.0.1'] })))).toEqual([['127.0.0.1', true]]);
  });

  it.each(['SERVFAIL', 'REFUSED', 'NOTIMP'])('moves on after %s', (rcode) => {
    expect(path(at('127.0.0.1', response(rcode)))).toEqual([
      ['127.0.0.1', false],
      ['169.254.169.253', true],
    ]);
  });

  it('moves on after a timeout or an unreachable server', () => {
    const moved = [
      ['127.0.0.1', false],
      ['169.254.169.253', true],
    ];
    expect(path(at('127.0.0.1', { status: 'timeout' }, 2000))).toEqual(moved);
    expect(path(at('127.0.0.1', { status: 'error', message: 'ECONNREFUSED' }))).toEqual(moved);
  });

  it('treats an answer slower than the stub timeout as a timeout, even NXDOMAIN', () => {
    const steps = stubPath({ resolver: [at('127.0.0.1', response('NXDOMAIN'), 2001), VPC_ANSWER] }, RC);
    expect(steps.map((s) => s.final)).toEqual([false, true]);
    expect(steps[0]!.saw).toBe("answered NXDOMAIN only after 2001 ms, past the stub's 2 s timeout");
  });

  it('an answer exactly at the stub timeout still counts', () => {
    expect(path(at('127.0.0.1', response('NXDOMAIN'), 2000))).toEqual([['127.0.0.1', true]]);
  });

  it('moves on after an empty NOERROR with neither AA nor RA (a referral-like answer)', () => {
    expect(path(at('127.0.0.1', response('NOERROR', { flags: { ra: false, aa: false } })))).toEqual([
      ['127.0.0.1', false],
      ['169.254.169.253', true],
    ]);
  });

  it('stops at an empty NOERROR that has RA or AA (NODATA)', () => {
    expect(path(at('127.0.0.1', response('NOERROR', { flags: { ra: true } })))).toEqual([['127.0.0.1', true]]);
    expect(path(at('127.0.0.1', response('NOERROR', { flags: { ra: false, aa: true } })))).toEqual([['127.0.0.1', true]]);
  });

  it('marks a nameserver that was not probed and keeps going', () => {
    const steps = stubPath({ resolver: [VPC_ANSWER] }, RC);
    expect(steps).toEqual([
      { nameserver: '127.0.0.1', saw: 'not probed', final: false, left: 'not-probed' },
      { nameserver: '169.254.169.253', saw: 'answered NOERROR 10.20.30.40', final: true },
    ]);
  });

  it('ends when every nameserver fails', () => {
    const steps = stubPath({ resolver: [at('127.0.0.1', { status: 'timeout' }), at('169.254.169.253', response('SERVFAIL'))] }, RC);
    expect(steps.map((s) => s.final)).toEqual([false, false]);
  });
});

describe('describeStubPath', () => {
  const describePath = (obs: ResolverObservation[]) => describeStubPath(stubPath({ resolver: obs }, RC), RC.nameservers);

  it('says NXDOMAIN is final and names the nameservers never tried', () => {
    expect(describePath([at('127.0.0.1', response('NXDOMAIN')), VPC_ANSWER])).toBe(
      '127.0.0.1 answered NXDOMAIN, which is final: the stub does not try 169.254.169.253',
    );
  });

  it('says the stub moved on, then what the next nameserver answered', () => {
    expect(describePath([at('127.0.0.1', { status: 'timeout' }, 2000), VPC_ANSWER])).toBe(
      '127.0.0.1 gave no answer within 2 s, so the stub moved on; 169.254.169.253 answered NOERROR 10.20.30.40',
    );
  });

  it('says when no nameserver is left', () => {
    expect(describePath([at('127.0.0.1', response('REFUSED')), at('169.254.169.253', { status: 'error', message: 'EHOSTUNREACH' })])).toBe(
      '127.0.0.1 answered REFUSED, so the stub moved on; 169.254.169.253 was unreachable (EHOSTUNREACH), and there is no nameserver left',
    );
  });

  it('does not call NXDOMAIN from the last nameserver "final" against nobody', () => {
    const text = describePath([at('127.0.0.1', response('SERVFAIL')), at('169.254.169.253', response('NXDOMAIN'))]);
    expect(text).toBe('127.0.0.1 answered SERVFAIL, so the stub moved on; 169.254.169.253 answered NXDOMAIN');
  });

  it('handles an empty path', () => {
    expect(describeStubPath([], RC.nameservers)).toBe('no nameserver was asked');
  });
});

describe('stubWalk: the search list, as glibc and musl walk it', () => {
  const SEARCH = { ...RC, search: ['internal.example.io'], ndots: 1, options: [] as string[] };
  const SHORT = { name: 'proxysql', type: 'A' as const };
  const asked = (qname: string | undefined, ns: string, outcome: ResolverOutcome, latencyMs = 5): ResolverObservation => ({
    server: `${ns}#53`,
    ...(qname ? { qname } : {}),
    roles: [],
    outcome,
    latencyMs,
  });
  const FULL = 'proxysql.internal.example.io';

  it('names the candidate that answered, after the search domain decided', () => {
    const w = stubWalk(SHORT, { resolver: [asked(FULL, '127.0.0.1', { status: 'timeout' }, 2000), asked(FULL, '169.254.169.253', response('NOERROR', { answers: ['10.20.30.40'] }))] }, SEARCH);
    expect(w.tried.map((t) => [t.qname, t.end])).toEqual([[FULL, 'answer']]);
    expect(w.answeredBy).toBe(FULL);
    expect(w.waited).toBe(true);
    expect(describeStubWalk(w, SEARCH)).toBe(
      'tried proxysql.internal.example.io: 127.0.0.1 gave no answer within 2 s, so the stub moved on; 169.254.169.253 answered NOERROR 10.20.30.40',
    );
  });

  it('goes on to the name as it is after NXDOMAIN from the first nameserver, which it never passes', () => {
    const w = stubWalk(SHORT, {
      resolver: [
        asked(FULL, '127.0.0.1', response('NXDOMAIN')),
        asked(FULL, '169.254.169.253', response('NOERROR', { answers: ['10.20.30.40'] })),
        asked(undefined, '127.0.0.1', response('NXDOMAIN')),
        asked(undefined, '169.254.169.253', response('NXDOMAIN')),
      ],
    }, SEARCH);
    expect(w.tried.map((t) => [t.qname, t.end])).toEqual([[FULL, 'nxdomain'], ['proxysql', 'nxdomain']]);
    expect(w.answeredBy).toBeUndefined();
    expect(w.waited).toBe(false);
    expect(describeStubWalk(w, SEARCH)).toBe(
      'tried proxysql.internal.example.io: 127.0.0.1 answered NXDOMAIN, which is final for that name (the stub does not ask 169.254.169.253); then tried proxysql: 127.0.0.1 answered NXDOMAIN, which is final for that name (the stub does not ask 169.254.169.253); no name was left to try',
    );
  });

  it('ends the search list when every nameserver stayed silent on a name, but still asks the name as it is (glibc)', () => {
    const rc = { ...SEARCH, search: ['a.example', 'b.example'] };
    const w = stubWalk({ name: 'db', type: 'A' }, {
      resolver: [
        asked('db.a.example', '127.0.0.1', { status: 'timeout' }, 2000),
        asked('db.a.example', '169.254.169.253', { status: 'timeout' }, 2000),
        asked('db.b.example', '127.0.0.1', response('NOERROR', { answers: ['10.0.0.9'] })),
        asked(undefined, '127.0.0.1', response('NOERROR', { answers: ['10.0.0.1'] })),
      ],
    }, rc);
    expect(w.tried.map((t) => [t.qname, t.end])).toEqual([['db.a.example', 'failed'], ['db', 'answer']]);
    expect(describeStubWalk(w, rc)).toBe(
      'tried db.a.example: 127.0.0.1 gave no answer within 2 s, so the stub moved on; 169.254.169.253 gave no answer within 2 s, and there is no nameserver left, which ends the search list; the stub still asks the name as it is; then tried db: 127.0.0.1 answered NOERROR 10.0.0.1',
    );
  });

  it('stops at once when every nameserver refused a name (ECONNREFUSED)', () => {
    const refused = { status: 'error' as const, message: 'ECONNREFUSED' };
    const w = stubWalk(SHORT, { resolver: [asked(FULL, '127.0.0.1', refused), asked(FULL, '169.254.169.253', refused)] }, SEARCH);
    expect(w.tried.map((t) => t.end)).toEqual(['refused']);
  });

  it('goes on after a SERVFAIL among timeouts, as res_nsearch does', () => {
    const w = stubWalk(SHORT, {
      resolver: [asked(FULL, '127.0.0.1', response('SERVFAIL')), asked(FULL, '169.254.169.253', { status: 'timeout' }, 2000), asked(undefined, '127.0.0.1', response('NOERROR', { answers: ['10.0.0.1'] }))],
    }, SEARCH);
    expect(w.tried.map((t) => [t.qname, t.end])).toEqual([[FULL, 'servfail'], ['proxysql', 'answer']]);
  });

  it('musl takes the first NOERROR or NXDOMAIN and calls different usable answers a race', () => {
    const w = stubWalk({ name: FULL, type: 'A', library: 'musl' }, {
      resolver: [asked(undefined, '127.0.0.1', response('NXDOMAIN'), 3), asked(undefined, '169.254.169.253', response('NOERROR', { answers: ['10.20.30.40'] }), 1)],
    }, SEARCH);
    expect(w.tried.map((t) => [t.end, t.race])).toEqual([['answer', true]]);
    expect(describeStubWalk(w, SEARCH)).toContain("169.254.169.253's came first (their answers differ, so which arrives first decides: a race)");
  });

  it('musl does not search a name with ndots dots, and stops the walk at no data', () => {
    const w = stubWalk({ name: 'db', type: 'A', library: 'musl' }, {
      resolver: [asked('db.internal.example.io', '127.0.0.1', response('NOERROR', { flags: { ra: true } }))],
    }, SEARCH);
    expect(w.candidates).toEqual(['db.internal.example.io', 'db']);
    expect(w.tried.map((t) => t.end)).toEqual(['nodata']);
    expect(stubWalk({ name: FULL, type: 'A', library: 'musl' }, { resolver: [] }, SEARCH).candidates).toEqual([FULL]);
  });
});

describe('resolv.conf options the replay does not follow', () => {
  const ONE = { resolver: [at('127.0.0.1', response('NXDOMAIN'))] };
  const Q = { name: 'db.internal.example.io', type: 'A' as const };
  const rc = (options: string[]) => ({ ...RC, search: [] as string[], ndots: 1, options });

  it('says so for rotate, no-aaaa and use-vc, and for the rest what they do', () => {
    const text = describeStubWalk(stubWalk(Q, ONE, rc(['timeout:2', 'rotate', 'no-aaaa'])), rc(['timeout:2', 'rotate', 'no-aaaa']));
    expect(text).toContain('with "rotate", glibc starts each lookup at the next nameserver in turn; this replay follows resolv.conf\'s order');
    expect(text).toContain('with "no-aaaa", glibc sends no AAAA query at all');
    expect(optionNotes({ options: ['use-vc'] })).toContain('asks over TCP');
    expect(optionNotes({ options: ['edns0', 'trust-ad'] })).toBe('"edns0" makes glibc send EDNS; it does not change the walk; "trust-ad" keeps the AD bit in glibc\'s answers; it does not change the walk');
  });

  it('adds nothing for the options it follows (timeout, attempts, ndots)', () => {
    expect(optionNotes({ options: ['timeout:2', 'attempts:1', 'ndots:5'] })).toBeUndefined();
    expect(describeStubWalk(stubWalk(Q, ONE, rc(['timeout:2'])), rc(['timeout:2']))).toBe('127.0.0.1 answered NXDOMAIN, which is final: the stub does not try 169.254.169.253');
  });
});
