// The resolvers under test, by kind. The plan, the consistency checks and the
// backends find a resolver here, by the kind of the config they hold, and use
// it only through the ResolverUnderTest interface (types.ts); none of them
// imports a particular resolver's module. A new resolver is one module and
// one line here (and its kind in kinds.ts).
import { RESOLVER_KINDS, type ResolverKind } from './kinds.js';
import type { PrepareContext, ResolverConfig, ResolverUnderTest } from './types.js';
import { dnsmasq } from './dnsmasq.js';
import { kresd } from './kresd.js';
import { unbound } from './unbound.js';
import { bind } from './bind.js';
import { pdnsRecursor } from './pdns.js';

const MODULES: Readonly<Record<ResolverKind, ResolverUnderTest>> = {
  unbound,
  dnsmasq,
  'knot-resolver': kresd,
  bind,
  'pdns-recursor': pdnsRecursor,
};

export { RESOLVER_KINDS, type ResolverKind } from './kinds.js';

/** Every resolver under test, in the order of RESOLVER_KINDS. */
export const RESOLVERS: readonly ResolverUnderTest[] = RESOLVER_KINDS.map((k) => MODULES[k]);

export function isResolverKind(kind: string): kind is ResolverKind {
  return (RESOLVER_KINDS as readonly string[]).includes(kind);
}

/** The module of a kind (a scenario's resolver.kind, or a config's kind). */
export function resolverFor(kind: string): ResolverUnderTest {
  if (!isResolverKind(kind)) throw new Error(`no resolver module for kind ${JSON.stringify(kind)} (known: ${RESOLVER_KINDS.join(', ')})`);
  return MODULES[kind];
}

/** The module that reads this config back. */
export const resolverOf = (config: Pick<ResolverConfig, 'kind'>): ResolverUnderTest => resolverFor(config.kind);

/**
 * Addresses the config sends queries to by name (its forwards and stubs): a
 * leak to one of them is most often a public resolver the scenario has not
 * declared, which the leak message says how to declare.
 */
export function configuredUpstreams(config: ResolverConfig, resolvConf?: PrepareContext['resolvConf']): string[] {
  return [...new Set(resolverOf(config).routes(config, resolvConf).flatMap((r) => r.addresses))];
}
