import { describe, expect, it } from 'vitest';
import { checkConsistency, nameserverLines, unusableAddress, type ConsistencyInput } from './consistency.js';
import { InputError } from './errors.js';
import type { SimulatedInternet } from './network/simulated-internet.js';
import type { StubTarget } from './plan.js';

const internet = (address = '198.51.100.53'): SimulatedInternet => ({
  root: [{ name: 'a.root-servers.test', address: '198.51.100.1' }],
  servers: [{ id: 'example-io', nameServers: [{ name: 'ns1.example.io', address }], zones: [{ origin: 'example.io', source: '/nonexistent/example.io.zone', records: [], signed: false }] }],
  addresses: ['198.51.100.1', address],
  provider: { address: '169.254.169.253', zones: [] },
  publicResolvers: [],
  addresses6: [],
  shaping: [],
});
const TARGETS: StubTarget[] = [
  { address: '127.0.0.1', role: 'local-resolver', what: 'the local resolver', field: 'where resolver.config makes it listen' },
  { address: '169.254.169.253', role: 'provider', what: "the provider's resolver", field: 'network.provider.address' },
];
const input = (over: Partial<ConsistencyInput> & { text?: string } = {}): ConsistencyInput => ({
  internet: over.internet ?? internet(),
  provider: over.provider ?? { address: '169.254.169.253', at: { file: 's.yaml', line: 17, field: 'network.provider.address' } },
  resolvConf: { text: over.text ?? '# image\nnameserver 127.0.0.1\nnameserver 169.254.169.253\n', source: '/x/resolv.conf', at: { file: 's.yaml', line: 12, field: 'stub.resolvConf' } },
  targets: over.targets ?? TARGETS,
});
const error = (i: ConsistencyInput): InputError => {
  try {
    checkConsistency(i);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError');
};

describe('unusableAddress', () => {
  it('names loopback, unspecified, multicast, broadcast, reserved and the link range; passes the rest', () => {
    expect(unusableAddress('127.0.0.53')).toMatch(/loopback/);
    expect(unusableAddress('0.0.0.0')).toMatch(/unspecified/);
    expect(unusableAddress('239.1.2.3')).toMatch(/multicast/);
    expect(unusableAddress('255.255.255.255')).toMatch(/broadcast/);
    expect(unusableAddress('250.0.0.1')).toMatch(/reserved/);
    expect(unusableAddress('100.127.4.2')).toMatch(/100\.127\.0\.0\/16/);
    for (const ok of ['169.254.169.253', '198.51.100.53', '10.0.0.2', '100.126.255.255', '100.128.0.1', '223.255.255.255']) expect(unusableAddress(ok)).toBeUndefined();
  });
});

describe('nameserverLines', () => {
  it('gives the first three nameserver lines with their line numbers, comments ignored', () => {
    expect(nameserverLines('# x\nnameserver 127.0.0.1 # local\n;nameserver 9.9.9.9\nnameserver 10.0.0.2\nnameserver 10.0.0.3\nnameserver 10.0.0.4\n')).toEqual([
      { address: '127.0.0.1', line: 2 },
      { address: '10.0.0.2', line: 4 },
      { address: '10.0.0.3', line: 5 },
    ]);
  });
});

describe('checkConsistency', () => {
  it('accepts the local resolver and the provider, or the local resolver alone', () => {
    expect(() => checkConsistency(input())).not.toThrow();
    expect(() => checkConsistency(input({ text: 'nameserver 127.0.0.1\n' }))).not.toThrow();
  });

  it('refuses a nameserver the network does not have, naming the line and the scenario field', () => {
    const e = error(input({ text: 'nameserver 127.0.0.1\nnameserver 10.0.0.2\n' }));
    expect(e.location).toEqual({ file: '/x/resolv.conf', line: 2, field: 'nameserver' });
    expect(e.message).toContain('nameserver 10.0.0.2 is not a resolver the scenario has');
    expect(e.message).toContain("the provider's resolver (169.254.169.253, network.provider.address)");
    expect(e.hint).toContain('set network.provider.address to 10.0.0.2');
    expect(e.hint).toContain('s.yaml:12: stub.resolvConf');
  });

  it('takes its allowed set from the targets: a public resolver added there is accepted', () => {
    const targets: StubTarget[] = [...TARGETS, { address: '192.0.2.9', role: 'public-resolver', what: 'a public resolver', field: 'network.publicResolvers[0].address' }];
    expect(() => checkConsistency(input({ targets, text: 'nameserver 127.0.0.1\nnameserver 192.0.2.9\n' }))).not.toThrow();
  });

  it('refuses a resolv.conf without the local resolver', () => {
    const e = error(input({ text: 'nameserver 169.254.169.253\n' }));
    expect(e.location).toEqual({ file: '/x/resolv.conf', field: 'nameserver' });
    expect(e.message).toMatch(/no nameserver line names the local resolver \(127\.0\.0\.1/);
  });

  it('refuses a provider address no packet can reach, at its scenario field', () => {
    const e = error(input({ provider: { address: '127.0.0.53', at: { file: 's.yaml', line: 17, field: 'network.provider.address' } } }));
    expect(e.message).toMatch(/^s\.yaml:17: network\.provider\.address: 127\.0\.0\.53 cannot be the provider's resolver: it is a loopback address/);
  });

  it('refuses a public name server at an unusable address, naming its zone file', () => {
    const e = error(input({ internet: internet('224.0.0.5') }));
    expect(e.location).toEqual({ file: '/nonexistent/example.io.zone', field: 'ns1.example.io A' });
    expect(e.message).toContain('224.0.0.5 cannot be reached: it is a multicast address');
  });
});

describe("the resolver's routes (its module's routes())", () => {
  it('refuses a forward or stub into the backends\' link range, naming the config file and line', () => {
    const routes = [{ zone: 'corp.example', addresses: ['100.127.0.9'], how: 'forward' as const, file: '/img/dnsmasq.conf', line: 4 }];
    expect(error({ ...input(), routes }).message).toBe("/img/dnsmasq.conf:4: forward: the resolver's config sends corp.example. to 100.127.0.9, which lies in 100.127.0.0/16, which the backends use for their own links");
    expect(error({ ...input(), routes: [{ zone: '', addresses: ['100.127.1.1'], how: 'stub' }] }).message).toMatch(/^\/x\/resolv\.conf: stub: the resolver's config sends every name to 100\.127\.1\.1/);
    expect(() => checkConsistency({ ...input(), routes: [{ zone: '', addresses: ['8.8.8.8', '2001:db8::1'], how: 'forward' }] })).not.toThrow();
  });
});
