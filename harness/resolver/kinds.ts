// The resolver kinds a scenario may name (resolver.kind). Kept apart from the
// modules so the scenario schema can list them without loading any resolver;
// registry.ts maps each to its module, and the compiler checks that every
// kind here has one.
export const RESOLVER_KINDS = ['unbound', 'dnsmasq', 'knot-resolver', 'bind', 'pdns-recursor'] as const;
export type ResolverKind = (typeof RESOLVER_KINDS)[number];
