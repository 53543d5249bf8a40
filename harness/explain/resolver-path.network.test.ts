// Explanations name what the scenario's network adds: public resolvers, and
// servers the network slows or thins; a leak to a configured forwarder says
// how to declare it.
import { describe, expect, it } from 'vitest';
import type { UpstreamExchange } from '../model.js';
import type { NetworkMap } from '../network/simulated-internet.js';
import { leakText } from '../report/view.js';
import { INCIDENT_NETWORK, PRODUCTION } from '../../test/incident-network.js';
import { describeResolverPath, findLeaks } from './resolver-path.js';

const net: NetworkMap = {
  ...INCIDENT_NETWORK,
  publicResolvers: ['8.8.8.8', '8.8.4.4'],
  shaping: [
    { address: '198.51.100.53', rttMs: 3000, lossPercent: 0 },
    { address: '198.51.100.2', rttMs: 50, lossPercent: 40 },
  ],
};
const production = PRODUCTION;
const staging = { name: 'staging', egress: 'drop', provider: 'reachable' } as const;
const about = 'proxysql.internal.example.io A';
const q = { name: 'proxysql.internal.example.io', type: 'A' };
const x = (server: string, zone: string, outcome: UpstreamExchange['outcome']): UpstreamExchange => ({ about, qname: q.name, qtype: 'A', zone, server, outcome });

describe('explanations on a network with public resolvers, delay and loss', () => {
  it('names the public resolver that answered', () => {
    expect(describeResolverPath([x('8.8.8.8', '.', { status: 'reply', rcode: 'NXDOMAIN', kind: 'nxdomain answer' })], q, production, net)).toBe(
      'unbound asked the public resolver 8.8.8.8, which answered NXDOMAIN',
    );
  });

  it('names the public resolvers that stayed silent, and why', () => {
    const xs = [x('8.8.8.8', '.', { status: 'no-answer' }), x('8.8.4.4', '.', { status: 'no-answer' })];
    expect(describeResolverPath(xs, q, staging, net)).toBe(
      "unbound's queries to the public resolvers 8.8.8.8 and 8.8.4.4 got no answer (egress to the Internet is dropped in staging)",
    );
  });

  it('says how slow a slow server is, and how lossy a lossy one', () => {
    const xs = [
      x('198.51.100.2', 'io', { status: 'reply', rcode: 'NOERROR', kind: 'referral' }),
      x('198.51.100.53', 'example.io', { status: 'reply', rcode: 'NXDOMAIN', kind: 'nxdomain answer' }),
    ];
    expect(describeResolverPath(xs, q, production, net)).toBe(
      'unbound asked the io. servers (198.51.100.2; 50 ms round trip, 40% of packets lost) and the example.io. servers (198.51.100.53; 3 s round trip), which answered NXDOMAIN after 3 s',
    );
  });

  it('is no leak to reach a declared public resolver', () => {
    expect(findLeaks('production', [x('8.8.8.8', '.', { status: 'no-answer' })], net, ['8.8.8.8'])).toEqual([]);
  });

  it('tells how to declare an unknown server the config forwards to, and only such a one', () => {
    const bare = { servers: net.servers, provider: net.provider };
    const [forwarded] = findLeaks('production', [x('9.9.9.9', '.', { status: 'no-answer' })], bare, ['9.9.9.9']);
    expect(forwarded).toMatchObject({ server: '9.9.9.9', forwarder: true });
    expect(leakText(forwarded!)).toContain('The config forwards to it: if it is a public resolver, declare it in the scenario (network.publicResolvers: [{ address: 9.9.9.9 }])');
    const [stray] = findLeaks('production', [x('9.9.9.9', '.', { status: 'no-answer' })], bare, []);
    expect(stray!.forwarder).toBeUndefined();
    expect(leakText(stray!)).not.toContain('publicResolvers');
  });
});

describe('the servers that gave the final word come last', () => {
  const plain: NetworkMap = { ...net, shaping: [] };
  const fetch = (server: string, zone: string, qname: string, qtype: string, outcome: UpstreamExchange['outcome']): UpstreamExchange => ({ about, qname, qtype, zone, server, outcome });

  it("names the servers whose NXDOMAIN it was last, though a parent's servers were first asked later (a DS fetch)", () => {
    const xs = [
      fetch('198.51.100.53', 'example.io', 'example.io', 'DNSKEY', { status: 'reply', rcode: 'NOERROR', kind: 'answer' }),
      fetch('198.51.100.2', 'io', 'example.io', 'DS', { status: 'reply', rcode: 'NOERROR', kind: 'answer' }),
      fetch('198.51.100.53', 'example.io', q.name, 'A', { status: 'reply', rcode: 'NXDOMAIN', kind: 'nxdomain' }),
      fetch('198.51.100.2', 'io', 'example.io', 'NS', { status: 'reply', rcode: 'NOERROR', kind: 'answer' }),
    ];
    // First contact put the example.io. servers first; the sentence must still end with them, and say what they said.
    expect(describeResolverPath(xs, q, production, plain)).toBe('unbound asked the io. servers (198.51.100.2) and the example.io. servers (198.51.100.53), which answered NXDOMAIN');
  });

  it('takes the last reply when none was to the question itself (a minimised name)', () => {
    const xs = [fetch('198.51.100.53', 'example.io', 'internal.example.io', 'NS', { status: 'reply', rcode: 'NXDOMAIN', kind: 'nxdomain' })];
    expect(describeResolverPath(xs, q, production, plain)).toBe('unbound asked the example.io. servers (198.51.100.53), which answered NXDOMAIN');
  });
});
