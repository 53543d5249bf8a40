import { describe, expect, it } from 'vitest';
import type { UpstreamExchange } from '../model.js';
import type { NetworkMap } from '../network/simulated-internet.js';
import { describeResolverPath, findLeaks } from './resolver-path.js';

const net: NetworkMap = {
  servers: [
    { zone: '', name: 'a.root-servers.test', address: '198.51.100.1' },
    { zone: 'io', name: 'ns.nic.io', address: '198.51.100.2' },
    { zone: 'example.io', name: 'ns1.example.io', address: '198.51.100.53' },
  ],
  provider: '169.254.169.253',
};
const production = { name: 'production', egress: 'allow', provider: 'reachable' } as const;
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
});
