import { describe, expect, it } from 'vitest';
import { parseUnboundLog } from './unbound-log.js';

// Abridged from a real unbound 1.17 log at verbosity 4 (production: the incident's NXDOMAIN path).
const L = (msg: string, thread = '0') => `[1795621010] unbound[15301:${thread}] ${msg}`;
const production = [
  L('info: iterator operate: query . NS IN'),
  L('info: sending query: . NS IN'),
  L('debug: sending to target: <.> 198.51.100.1#53'),
  L('info: iterator operate: query proxysql.internal.example.io. A IN'),
  L('info: sending query: io. A IN'),
  L('debug: sending to target: <.> 198.51.100.1#53'),
  L('info: response for . NS IN'),
  L('info: reply from <.> 198.51.100.1#53'),
  L('info: incoming scrubbed packet: ;; ->>HEADER<<- opcode: QUERY, rcode: NOERROR, id: 0'),
  ';; flags: qr aa ; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1 ',
  ';; QUESTION SECTION:',
  '.\tIN\tNS',
  L('info: query response was ANSWER'),
  L('info: iterator operate: query proxysql.internal.example.io. A IN'),
  L('info: response for proxysql.internal.example.io. A IN'),
  L('info: reply from <.> 198.51.100.1#53'),
  L('info: incoming scrubbed packet: ;; ->>HEADER<<- opcode: QUERY, rcode: NOERROR, id: 0'),
  L('info: query response was REFERRAL'),
  L('info: sending query: example.io. A IN'),
  L('debug: sending to target: <io.> 198.51.100.2#53'),
  L('info: iterator operate: query proxysql.internal.example.io. A IN'),
  L('info: response for proxysql.internal.example.io. A IN'),
  L('info: reply from <io.> 198.51.100.2#53'),
  L('info: query response was REFERRAL'),
  L('info: sending query: internal.example.io. A IN'),
  L('debug: sending to target: <example.io.> 198.51.100.53#53'),
  L('info: iterator operate: query proxysql.internal.example.io. A IN'),
  L('info: response for proxysql.internal.example.io. A IN'),
  L('info: reply from <example.io.> 198.51.100.53#53'),
  L('info: incoming scrubbed packet: ;; ->>HEADER<<- opcode: QUERY, rcode: NXDOMAIN, id: 0'),
  ';; AUTHORITY SECTION:',
  'example.io.\t300\tIN\tSOA\tns1.example.io. hostmaster.example.io. 2024110501 3600 600 86400 300',
  L('info: query response was NXDOMAIN ANSWER'),
].join('\n');

// Staging: egress dropped, priming the root times out and is retried.
const staging = [
  L('info: iterator operate: query . NS IN'),
  L('info: sending query: . NS IN'),
  L('debug: sending to target: <.> 198.51.100.1#53'),
  L('info: iterator operate: query proxysql.internal.example.io. A IN'),
  L('info: resolving proxysql.internal.example.io. A IN'),
  L('info: priming . IN NS'),
  L('debug: timeout udp'),
  L('info: iterator operate: query . NS IN'),
  L('debug: query response was timeout'),
  L('info: sending query: . NS IN'),
  L('debug: sending to target: <.> 198.51.100.1#53'),
].join('\n');

describe('parseUnboundLog', () => {
  it('follows each upstream query to its reply, attributed to the name being resolved', () => {
    const xs = parseUnboundLog(production);
    expect(xs).toEqual([
      { about: '. NS', qname: '.', qtype: 'NS', zone: '.', server: '198.51.100.1', outcome: { status: 'reply', rcode: 'NOERROR', kind: 'answer' } },
      { about: 'proxysql.internal.example.io A', qname: 'io', qtype: 'A', zone: '.', server: '198.51.100.1', outcome: { status: 'reply', rcode: 'NOERROR', kind: 'referral' } },
      { about: 'proxysql.internal.example.io A', qname: 'example.io', qtype: 'A', zone: 'io', server: '198.51.100.2', outcome: { status: 'reply', rcode: 'NOERROR', kind: 'referral' } },
      { about: 'proxysql.internal.example.io A', qname: 'internal.example.io', qtype: 'A', zone: 'example.io', server: '198.51.100.53', outcome: { status: 'reply', rcode: 'NXDOMAIN', kind: 'nxdomain answer' } },
    ]);
  });

  it('counts a timed-out query, and one still open when the pass ended, as no answer', () => {
    const xs = parseUnboundLog(staging);
    expect(xs).toHaveLength(2);
    expect(xs.every((x) => x.about === '. NS' && x.server === '198.51.100.1' && x.outcome.status === 'no-answer')).toBe(true);
  });

  it('keeps the threads of a multi-threaded unbound apart', () => {
    const text = [
      L('info: iterator operate: query a.example.io. A IN', '0'),
      L('info: iterator operate: query b.example.io. A IN', '1'),
      L('info: sending query: a.example.io. A IN', '0'),
      L('debug: sending to target: <example.io.> 198.51.100.53#53', '0'),
      L('info: sending query: b.example.io. A IN', '1'),
      L('debug: sending to target: <example.io.> 198.51.100.54#53', '1'),
    ].join('\n');
    expect(parseUnboundLog(text).map((x) => `${x.about} -> ${x.server}`)).toEqual(['a.example.io A -> 198.51.100.53', 'b.example.io A -> 198.51.100.54']);
  });

  it('reads the log-time-ascii prefix and ignores lines it does not know', () => {
    const text = [
      'Nov 25 15:00:00 unbound[42:0] info: iterator operate: query www.example.io. A IN',
      'Nov 25 15:00:00 unbound[42:0] info: sending query: www.example.io. A IN',
      'Nov 25 15:00:00 unbound[42:0] debug: sending to target: <example.io.> 198.51.100.53#53',
      'Nov 25 15:00:00 unbound[42:0] notice: something else entirely',
      'garbage without a prefix',
    ].join('\n');
    expect(parseUnboundLog(text)).toEqual([
      { about: 'www.example.io A', qname: 'www.example.io', qtype: 'A', zone: 'example.io', server: '198.51.100.53', outcome: { status: 'no-answer' } },
    ]);
  });

  it('is empty for a log below verbosity 4', () => {
    expect(parseUnboundLog([L('notice: init module 0: validator'), L('info: start of service (unbound 1.17.1).')].join('\n'))).toEqual([]);
  });
});
