import { describe, expect, it } from 'vitest';
import type { Leak } from '../model.js';
import { describeLeak } from './leak.js';

const log = (over: Partial<Leak> = {}): Leak => ({ environment: 'staging', server: '192.0.2.99', zone: 'corp.example', qnames: ['db.corp.example'], count: 1, ...over });
const net = (over: Partial<Leak> = {}): Leak => ({ environment: 'staging', server: '10.0.0.2', zone: '', qnames: [], count: 2, seenBy: 'network', protocol: 'udp', port: 53, ...over });
const PLACEHOLDERS = /\((unknown|network)\)|undefined|NaN|asked about\s*$|as a server for \.|, ,/;

describe('describeLeak: one well-formed sentence for every source', () => {
  const cases: [string, Leak, string][] = [
    ['the resolver log, a zone and names', log({ count: 3, qnames: ['a.corp.example', 'b.corp.example'] }), "unbound in staging sent 3 queries to 192.0.2.99 (as a server for corp.example.), which the scenario's network does not have; asked about a.corp.example, b.corp.example"],
    ['the resolver log, one query', log(), "unbound in staging sent 1 query to 192.0.2.99 (as a server for corp.example.), which the scenario's network does not have; asked about db.corp.example"],
    ['the resolver log, as a root server', log({ zone: '.', qnames: ['.'] }), "unbound in staging sent 1 query to 192.0.2.99 (as a server for the root), which the scenario's network does not have; asked about ."],
    ['the resolver log without names or zone', log({ zone: '', qnames: [] }), "unbound in staging sent 1 query to 192.0.2.99, which the scenario's network does not have"],
    ['the network, from an environment', net(), "something in staging sent 2 packets to 10.0.0.2 port 53, which the scenario's network does not have"],
    ['the network, one packet over TCP', net({ count: 1, protocol: 'tcp', port: 853 }), "something in staging sent 1 packet to 10.0.0.2 port 853, which the scenario's network does not have"],
    ['the network, without a port', net({ protocol: 'icmp', port: undefined }), "something in staging sent 2 packets to 10.0.0.2 (icmp), which the scenario's network does not have"],
    ['the network, from the provider', net({ environment: '(provider)' }), "the provider's resolver sent 2 packets to 10.0.0.2 port 53, which the scenario's network does not have"],
    ['the network, from the simulated Internet', net({ environment: '(internet)' }), "the simulated Internet sent 2 packets to 10.0.0.2 port 53, which the scenario's network does not have"],
    ['an older report: an address alone', { environment: '(network)', server: '10.0.0.2', zone: '', qnames: [], count: 0, seenBy: 'network' }, "the sandbox sent packets to 10.0.0.2, which the scenario's network does not have"],
    ['a report from before seenBy: the network record', { environment: '(network)', server: '10.0.0.2', zone: '(unknown)', qnames: [], count: 1 }, "the sandbox sent 1 packet to 10.0.0.2, which the scenario's network does not have"],
    ['a report from before seenBy: the old placeholder', { environment: 'staging', server: '10.0.0.2', zone: '(unknown)', qnames: [], count: 1 }, "unbound in staging sent 1 query to 10.0.0.2, which the scenario's network does not have"],
  ];
  it.each(cases)('%s', (_, leak, text) => {
    expect(describeLeak(leak)).toBe(text);
    expect(describeLeak(leak)).not.toMatch(PLACEHOLDERS);
  });
});
