// The plain data that flows between stages: queries, observations, findings.
// Everything here is serialisable as is, so report.json can carry it and
// later stages (compare, explain, report) can run again without a network.

import type { StubLibrary } from './resolver/search.js';

export const QUERY_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'SRV', 'NS', 'SOA', 'PTR', 'CAA'] as const;
export type QueryType = (typeof QUERY_TYPES)[number];

/** Types that getaddrinfo looks up; the others go through the C library's res_nsearch. */
export const ADDRESS_TYPES: ReadonlySet<QueryType> = new Set(['A', 'AAAA']);

/** The C libraries whose stub resolver the application layer runs (see resolver/search.ts). */
export type { StubLibrary };

export type QuerySource = 'explicit' | 'private-zone' | 'public-zone';

export interface Query {
  /**
   * As the application asks it: lower case, without a trailing dot; a short
   * name is completed through resolv.conf's search list at every layer.
   */
  readonly name: string;
  readonly type: QueryType;
  readonly source: QuerySource;
  /** Written with a trailing dot in the scenario: asked as it is, never through the search list. */
  readonly absolute?: true;
  /** The stub library of the application layer, where the scenario names more than glibc. */
  readonly library?: StubLibrary;
}

export const queryKey = (q: Pick<Query, 'name' | 'type' | 'library'>): string => `${q.name} ${q.type}${q.library ? ` [${q.library}]` : ''}`;

export type Layer = 'application' | 'resolver';

/** What getaddrinfo returned through the environment's resolv.conf. */
export type AppOutcome =
  | { readonly status: 'answer'; readonly addresses: readonly string[] }
  /** EAI_NONAME / EAI_NODATA: the stub took a negative answer as final. */
  | { readonly status: 'not-found'; readonly code: string }
  /** EAI_AGAIN / EAI_FAIL and friends: every nameserver failed. */
  | { readonly status: 'failure'; readonly code: string }
  | { readonly status: 'timeout' };

export interface AppObservation {
  readonly outcome: AppOutcome;
  readonly latencyMs: number;
  /**
   * The stub waited out a nameserver's timeout before this outcome: it took
   * at least resolv.conf's timeout, which a stub spends on a nameserver only
   * when that one stays silent (an answer from it comes sooner, or not at all).
   */
  readonly waitedOutTimeout?: true;
  /**
   * Where a library's outcome depends on which nameserver answers first, the
   * lookup is asked several times; present when the outcomes differed, with
   * how often each came (outcome above is the first).
   */
  readonly tally?: readonly { readonly outcome: AppOutcome; readonly count: number }[];
}

export interface DnsRecord {
  readonly name: string;
  readonly type: string;
  /** Presentation form of the RDATA, normalised (lower-case names, no TTL). */
  readonly data: string;
}

export interface DnsFlags {
  readonly aa: boolean;
  readonly tc: boolean;
  readonly ra: boolean;
  readonly ad: boolean;
  readonly cd: boolean;
}

export type ResolverOutcome =
  | {
      readonly status: 'response';
      readonly rcode: string;
      readonly flags: DnsFlags;
      readonly answers: readonly DnsRecord[];
      readonly transport: 'udp' | 'tcp';
    }
  | { readonly status: 'timeout' }
  /** The query could not be sent or was refused by the network (ICMP, RST). */
  | { readonly status: 'error'; readonly message: string };

export type ServerRole = 'local-resolver' | 'nameserver';

export interface ResolverObservation {
  /** address#port */
  readonly server: string;
  /** The name asked, where the search list made it another than the query's own. */
  readonly qname?: string;
  readonly roles: readonly ServerRole[];
  readonly outcome: ResolverOutcome;
  readonly latencyMs: number;
}

/** Everything one environment showed for one query. */
export interface QueryObservation {
  readonly application?: AppObservation;
  /**
   * For each name the stub tries (the search list's candidates, in its order),
   * the local resolver first, then every other resolv.conf nameserver.
   */
  readonly resolver: readonly ResolverObservation[];
}

export const DIFFERENCE_CLASSES = [
  'resolves-only-in-one',
  'flaky',
  'timeout',
  'different-answer',
  'different-rcode',
  'slow-only-in-one',
] as const;
/** Ordered from most to least significant: a query counts once, under its first. */
export type DifferenceClass = (typeof DIFFERENCE_CLASSES)[number];

export interface Difference {
  readonly class: DifferenceClass;
  readonly layer: Layer;
  readonly detail: string;
  /**
   * Where the class holds: "resolves only in", "times out in", "slow only in",
   * "flaky in" the differing environment, or in the reference instead.
   */
  readonly side: 'environment' | 'reference';
}

/**
 * unexpected: fails the gate; expected: declared by the scenario, with a reason;
 * unstable: asking again did not reproduce it, so it does not fail the gate.
 */
export type FindingStatus = 'unexpected' | 'expected' | 'unstable';

/** What asking again showed for a difference: the class it fell into then, or none. */
export interface Recheck {
  readonly class: DifferenceClass | null;
  readonly detail: string;
}

/** Against a previous report: seen there already, or not. */
export type BaselineMark = 'new' | 'known';

export interface Finding {
  readonly query: Query;
  readonly environment: string;
  readonly reference: string;
  /** The deciding layer's difference (application for address types). */
  readonly difference: Difference;
  /** Differences at the resolver layer, which explain the deciding one. */
  readonly resolverDifferences: readonly Difference[];
  readonly status: FindingStatus;
  /** The scenario's reason, for an expected difference. */
  readonly reason?: string;
  readonly explanation: string;
  /** Present when the query was asked again to confirm the difference. */
  readonly recheck?: Recheck;
  readonly baseline?: BaselineMark;
}

export interface ExpectationResult {
  readonly description: string;
  readonly environment: string;
  readonly query: Query;
  readonly met: boolean;
  readonly observed: string;
  readonly baseline?: BaselineMark;
}

/**
 * One query the resolver under test sent upstream, as its own log tells it.
 * qname is what went on the wire (minimised); about is the name it was resolving.
 */
export interface UpstreamExchange {
  /** "name type" of the resolution it served, such as "proxysql.internal.example.io A". */
  readonly about: string;
  readonly qname: string;
  readonly qtype: string;
  /** The zone the resolver took the server to serve ("." for the root). */
  readonly zone: string;
  readonly server: string;
  /** The reply's rcode and kind, or no-answer (timed out, or still unanswered when the pass ended). */
  readonly outcome: UpstreamOutcome;
}

export type UpstreamOutcome =
  | { readonly status: 'reply'; readonly rcode: string; readonly kind: string }
  | { readonly status: 'no-answer' };

/**
 * A server contacted that the scenario's network does not have: seen in the
 * resolver's log (a query, with its zone and names), or only by the network
 * itself (packets, from a source the router knows; zone "" and no names).
 */
export interface Leak {
  /** An environment's name, or "(provider)", "(internet)", "(network)" for packets from elsewhere or of unknown origin. */
  readonly environment: string;
  readonly server: string;
  readonly zone: string;
  /** Names it was asked about (at most a few). */
  readonly qnames: readonly string[];
  /** Queries (resolver log) or packets (network); 0 when the network's record has no count (older reports). */
  readonly count: number;
  /** Where it was seen; absent: the resolver's log. */
  readonly seenBy?: 'resolver-log' | 'network';
  /** Network: the destination port and protocol, when the packets had one. */
  readonly port?: number;
  readonly protocol?: string;
  /** The resolver config names this server (forward-addr, stub-addr): most often a public resolver the scenario can declare. */
  readonly forwarder?: boolean;
  /** The resolver under test whose log saw it (absent: unbound). */
  readonly resolver?: string;
  readonly baseline?: BaselineMark;
}

/** What the network's own record holds about one destination it does not have: per source, protocol and port. */
export interface UnknownTraffic {
  /** An environment's name, or "(provider)" / "(internet)" / "(network)" for the other links. */
  readonly source: string;
  readonly address: string;
  readonly protocol: string;
  /** For TCP and UDP. */
  readonly port?: number;
  readonly packets: number;
}

export interface Substitution {
  readonly option: string;
  readonly original: string | null;
  readonly replacement: string;
  readonly why: string;
  readonly line?: number;
  /** The image's file the line is in (the main config, or one it includes). */
  readonly file?: string;
}
