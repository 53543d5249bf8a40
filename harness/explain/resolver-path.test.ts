import { describe, expect, it } from 'vitest';
import type { UpstreamExchange } from '../model.js';
import type { NetworkMap } from '../network/simulated-internet.js';
import { INCIDENT_NETWORK, PRODUCTION } from '../../test/incident-network.js';
import { describeResolverPath, findLeaks } from './resolver-path.js';

const net = INCIDENT_NETWORK;
const production = PRODUCTION;
const staging = { name: 'staging', egress: 'drop', provider: 'reachable' } as const;
const preprod = { name: 'preprod', egress: 'reject', provider: 'drop' } as const;

const x = (about: string, server: string, zone: string, outcome: UpstreamExchange['outcome'], qname = about.split(' ')[0]!): UpstreamExchange => ({ about, qname, qtype: 'A', zone, server, outcome });
const reply = (rcode: string, kind: string) => ({ status: 'reply', rcode, kind }) as const;
const none = { status: 'no-answer' } as const;
const q = { name: 'proxysql.internal.example.io', type: 'A' };
const about = 'proxysql.internal.example.io A';

describe('describeResolverPath', () => {
  it('names the servers asked, in order, and the final NXDOMAIN', () => {
    const xs = [
      x('. NS', '198.51.100.1', '.', reply('NOERROR', 'answer')),
      x(about, '198.51.100.1', '.', reply('NOERROR', 'referral'), 'io'),
      x(about, '198.51.100.2', 'io', reply('NOERROR', 'referral'), 'example.io'),
      x(about, '198.51.100.53', 'example.io', reply('NXDOMAIN', 'nxdomain answer'), 'internal.example.io'),
    ];
    expect(describeResolverPath(xs, q, production, net)).toBe(
      'unbound asked the root (198.51.100.1), the io. servers (198.51.100.2) and the example.io. servers (198.51.100.53), which answered NXDOMAIN',
    );
  });

  it('says the root could not be primed, and why, when egress is dropped', () => {
    const xs = [x('. NS', '198.51.100.1', '.', none), x('. NS', '198.51.100.1', '.', none)];
    expect(describeResolverPath(xs, q, staging, net)).toBe(
      'unbound could not prime the root: its queries to the root (198.51.100.1) got no answer (egress to the Internet is dropped in staging)',
    );
  });

  it('tells answered servers from silent ones, naming the provider and why it was silent', () => {
    const xs = [x(about, '198.51.100.53', 'example.io', reply('NOERROR', 'referral')), x(about, '169.254.169.253', 'internal.example.io', none)];
    expect(describeResolverPath(xs, q, preprod, net)).toBe(
      "unbound asked the example.io. servers (198.51.100.53), which referred it on, with no final answer; its queries to the provider's resolver (169.254.169.253) got no answer (the provider's resolver is dropped in preprod)",
    );
  });

  it('calls a server outside the scenario a leak', () => {
    const xs = [x(about, '192.0.2.99', 'corp.example', none)];
    expect(describeResolverPath(xs, q, production, net)).toBe("unbound's queries to 192.0.2.99 (not part of the scenario's network: a leak) got no answer");
  });

  it('where a referral was the last reply, ends the path at the servers whose answer another question had put in the cache', () => {
    // pdns, under load: internal.example.io's own walk got as far as the io. referral; by its next step the
    // example.io. servers' NXDOMAIN for the minimised internal.example.io, asked for proxysql's walk, was cached.
    const own = { name: 'internal.example.io', type: 'A' };
    const xs = [
      x(about, '198.51.100.2', 'io', reply('NOERROR', 'referral'), 'example.io'),
      x('internal.example.io A', '198.51.100.2', 'io', reply('NOERROR', 'referral'), 'example.io'),
      x(about, '198.51.100.53', 'example.io', reply('NXDOMAIN', 'nxdomain'), 'internal.example.io'),
    ];
    expect(describeResolverPath(xs, own, production, net, 'pdns_recursor')).toBe(
      'pdns_recursor asked the io. servers (198.51.100.2), which referred it on; the rest came from its cache, which its work on proxysql.internal.example.io A had filled: ' +
        'it asked the example.io. servers (198.51.100.53), which answered NXDOMAIN',
    );
    // An NXDOMAIN for a name above covers every name below it (RFC 8020), and says which name it was for.
    const below = { name: 'db.internal.example.io', type: 'A' };
    const ys = [x('db.internal.example.io A', '198.51.100.2', 'io', reply('NOERROR', 'referral'), 'example.io'), ...xs.slice(2)];
    expect(describeResolverPath(ys, below, production, net)).toMatch(/which answered NXDOMAIN for internal\.example\.io$/);
    // The same name and type answered for another question counts; another type, a referral or a sibling's NXDOMAIN does not:
    // then the path says only what is known, that it asked nothing further.
    const zs = [x('www.example.io A', '198.51.100.2', 'io', reply('NOERROR', 'referral'), 'example.io')];
    const other = (about2: string, qname: string, outcome: UpstreamExchange['outcome'], qtype = 'A') => ({ ...x(about2, '198.51.100.53', 'example.io', outcome, qname), qtype });
    const www = { name: 'www.example.io', type: 'A' };
    expect(describeResolverPath([...zs, other('www A', 'www.example.io', reply('NOERROR', 'answer'))], www, production, net)).toMatch(/work on www A had filled: .* which gave the answer$/);
    for (const o of [
      other('www AAAA', 'www.example.io', reply('NOERROR', 'answer'), 'AAAA'),
      other('www A', 'www.example.io', reply('NOERROR', 'referral')),
      other('api A', 'api.example.io', reply('NXDOMAIN', 'nxdomain')),
      other('www A', 'www.example.io', none),
    ]) {
      expect(describeResolverPath([...zs, o], www, production, net)).toBe('unbound asked the io. servers (198.51.100.2), which referred it on; it asked no server further about it');
    }
    // Where servers stayed silent after the referral, the resolver may have given up: no cache is credited.
    const lost = x('www.example.io A', '198.51.100.53', 'example.io', none, 'www.example.io');
    expect(describeResolverPath([...zs, lost, other('www A', 'www.example.io', reply('NOERROR', 'answer'))], www, production, net)).toBe(
      "unbound asked the io. servers (198.51.100.2), which referred it on, with no final answer; its queries to the example.io. servers (198.51.100.53) got no answer",
    );
    // A question that sent nothing at all: its cache held the whole answer, and the path says whose work put it there.
    expect(describeResolverPath(xs.filter((e) => e.about === about), own, production, net, 'pdns_recursor')).toBe(
      'pdns_recursor asked no server about it: the answer came from its cache, which its work on proxysql.internal.example.io A had filled: ' +
        'it asked the example.io. servers (198.51.100.53), which answered NXDOMAIN',
    );
    // A question whose own walk ended in an answer is left as it is.
    expect(describeResolverPath([...xs, x('internal.example.io A', '198.51.100.53', 'example.io', reply('NXDOMAIN', 'nxdomain'))], own, production, net)).toBe(
      'unbound asked the io. servers (198.51.100.2) and the example.io. servers (198.51.100.53), which answered NXDOMAIN',
    );
  });

  it('says when nothing was sent for the name', () => {
    expect(describeResolverPath([x('www.example.io A', '198.51.100.53', 'example.io', reply('NOERROR', 'answer'))], q, production, net)).toMatch(/asked no server about it/);
    expect(describeResolverPath([], q, production, net)).toBe('unbound sent no query upstream');
  });
});

describe('findLeaks', () => {
  it('groups queries to unknown servers by server, and ignores known ones', () => {
    const xs = [
      x(about, '198.51.100.1', '.', reply('NOERROR', 'referral')),
      x('db.corp.example A', '192.0.2.99', 'corp.example', none),
      x('db.corp.example A', '192.0.2.99', 'corp.example', none),
      x('x.corp.example A', '192.0.2.99', 'corp.example', none),
      x(about, '169.254.169.253', 'internal.example.io', reply('NOERROR', 'answer')),
    ];
    expect(findLeaks('staging', xs, net)).toEqual([{ environment: 'staging', server: '192.0.2.99', zone: 'corp.example', qnames: ['db.corp.example', 'x.corp.example'], count: 3 }]);
  });

  it('groups the addresses of one zone together, and keeps two unknown servers and the provider apart', () => {
    const two: NetworkMap = { ...net, servers: [...net.servers, { zone: 'example.io', name: 'ns2.example.io', address: '203.0.113.53' }] };
    const xs = [
      x(about, '198.51.100.53', 'example.io', reply('NOERROR', 'referral')),
      x(about, '203.0.113.53', 'example.io', reply('NOERROR', 'referral')),
      x(about, '198.51.100.53', 'example.io', reply('NOERROR', 'referral')),
      x(about, '192.0.2.98', 'corp.example', none),
      x(about, '192.0.2.99', 'corp.example', none),
      x(about, '169.254.169.253', 'internal.example.io', none),
    ];
    expect(describeResolverPath(xs, q, preprod, two)).toBe(
      'unbound asked the example.io. servers (198.51.100.53, 203.0.113.53), which referred it on, with no final answer; ' +
        "its queries to 192.0.2.98 (not part of the scenario's network: a leak), 192.0.2.99 (not part of the scenario's network: a leak) and the provider's resolver (169.254.169.253) got no answer " +
        "(egress to the Internet is rejected in preprod; the provider's resolver is dropped in preprod)",
    );
  });

  it('names no policy for a silence the environment does not impose', () => {
    // Egress allowed and the provider reachable: a silent server is just silent.
    expect(describeResolverPath([x(about, '198.51.100.53', 'example.io', none)], q, production, net)).toBe("unbound's queries to the example.io. servers (198.51.100.53) got no answer");
    // The provider dropped, but only a public server was silent: egress is named, the provider is not.
    expect(describeResolverPath([x(about, '198.51.100.53', 'example.io', none)], q, { ...preprod, egress: 'drop' }, net)).toBe(
      "unbound's queries to the example.io. servers (198.51.100.53) got no answer (egress to the Internet is dropped in preprod)",
    );
    // Only the provider silent, egress rejected: the provider's policy alone.
    expect(describeResolverPath([x(about, '169.254.169.253', 'internal.example.io', none)], q, preprod, net)).toBe(
      "unbound's queries to the provider's resolver (169.254.169.253) got no answer (the provider's resolver is dropped in preprod)",
    );
  });

  it('says what the last server that answered said: SERVFAIL, an alias, no data', () => {
    const last = (outcome: UpstreamExchange['outcome']) => describeResolverPath([x(about, '198.51.100.53', 'example.io', outcome)], q, production, net);
    expect(last(reply('SERVFAIL', 'answer'))).toBe('unbound asked the example.io. servers (198.51.100.53), which answered SERVFAIL');
    expect(last(reply('NOERROR', 'cname'))).toBe('unbound asked the example.io. servers (198.51.100.53), which answered with an alias (CNAME)');
    expect(last(reply('NOERROR', 'nodata answer'))).toBe('unbound asked the example.io. servers (198.51.100.53), which answered that the name has no such record');
    // An answer after a silence: the answer is the last word.
    expect(describeResolverPath([x(about, '198.51.100.2', 'io', none), x(about, '198.51.100.53', 'example.io', reply('NXDOMAIN', 'nxdomain answer'))], q, production, net)).toBe(
      "unbound asked the example.io. servers (198.51.100.53), which answered NXDOMAIN; its queries to the io. servers (198.51.100.2) got no answer",
    );
  });

  it('calls the root unprimed only when every priming query went unanswered, and ignores other names', () => {
    const primed = [x('. NS', '198.51.100.1', '.', none), x('. NS', '198.51.100.1', '.', reply('NOERROR', 'answer'))];
    expect(describeResolverPath(primed, q, staging, net)).toBe('unbound asked no server about it (it answered from its cache or its own data)');
    const other = [x('www.example.io A', '198.51.100.1', '.', none)];
    expect(describeResolverPath(other, q, staging, net)).toBe('unbound asked no server about it (it answered from its cache or its own data)');
  });
});

describe('findLeaks', () => {
  it('groups queries to servers outside the network by server, with at most five names each', () => {
    const names = Array.from({ length: 7 }, (_, i) => `h${i}.corp.example`);
    const xs = [...names.map((n) => x(`${n} A`, '192.0.2.99', 'corp.example', none, n)), x(about, '198.51.100.53', 'example.io', reply('NXDOMAIN', 'nxdomain answer')), x(about, '169.254.169.253', 'internal.example.io', none)];
    expect(findLeaks('production', xs, net)).toEqual([{ environment: 'production', server: '192.0.2.99', zone: 'corp.example', qnames: names.slice(0, 5), count: 7 }]);
  });
});
