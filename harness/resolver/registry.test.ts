import { describe, expect, it } from 'vitest';
import { configuredUpstreams, isResolverKind, RESOLVER_KINDS, RESOLVERS, resolverFor, resolverOf } from './registry.js';
import type { UnboundConfig } from './unbound-config.js';

const config = (text: string, more: string[] = []): UnboundConfig => ({
  kind: 'unbound',
  main: '/img/unbound.conf',
  root: '/img',
  files: [{ path: '/img/unbound.conf', text, includes: [] }, ...more.map((t, i) => ({ path: `/img/inc${i}.conf`, text: t, includes: [] }))],
});

describe('the resolver registry', () => {
  it('has a module for every kind the scenario schema accepts, each naming itself and its binaries', () => {
    expect(RESOLVERS.map((r) => r.kind)).toEqual([...RESOLVER_KINDS]);
    for (const r of RESOLVERS) {
      expect(resolverFor(r.kind)).toBe(r);
      expect(r.binaries.length).toBeGreaterThan(0);
      expect(r.image.mainConfig.startsWith(`${r.image.configDir}/`)).toBe(true);
    }
    expect(isResolverKind('unbound')).toBe(true);
    expect(isResolverKind('named')).toBe(false);
    expect(() => resolverFor('named')).toThrow(/no resolver module for kind "named"/);
  });

  it('finds the module of a config by its kind', () => {
    expect(resolverOf(config('server:\n')).kind).toBe('unbound');
  });

  it("reads unbound's forward-zone and stub-zone clauses as routes, with their addresses and lines", () => {
    const c = config('server:\n    interface: 127.0.0.1\nforward-zone:\n    name: "."\n    forward-addr: 8.8.8.8@53#dns.google\n    forward-addr: 8.8.4.4\nstub-zone:\n    name: "internal.example.io."\n    stub-addr: 169.254.169.253\nstub-zone:\n    name: corp.example\n    stub-host: ns.corp.example\n');
    expect(resolverOf(c).routes(c)).toEqual([
      { zone: '', addresses: ['8.8.8.8', '8.8.4.4'], how: 'forward', file: '/img/unbound.conf', line: 3 },
      { zone: 'internal.example.io', addresses: ['169.254.169.253'], how: 'stub', file: '/img/unbound.conf', line: 7 },
    ]);
    expect(configuredUpstreams(c)).toEqual(['8.8.8.8', '8.8.4.4', '169.254.169.253']);
  });
});
