// Messages between the harness and the probe worker inside an environment:
// JSON lines on the worker's stdin and stdout.
import type { AppObservation, QueryType, ResolverObservation, ServerRole, StubLibrary } from '../model.js';

/** How long each layer waits for an answer. */
export interface Deadlines {
  /** getaddrinfo: the stub's whole budget, plus a margin. */
  readonly appMs: number;
  /** One direct query to one server: the stub's wait for one nameserver, plus a margin. */
  readonly resolverMs: number;
}

export interface ProbeConfig {
  /** Servers asked directly (resolver layer), the local resolver first. */
  readonly servers: readonly { readonly address: string; readonly port: number; readonly roles: readonly ServerRole[] }[];
  readonly deadlines: Deadlines;
  readonly concurrency: number;
  /** Wait until the local resolver (servers[0]) answers before the first query. */
  readonly readyTimeoutMs: number;
  /** argv that runs the image's own getent: the application layer then spawns it instead of calling getaddrinfo here. */
  readonly getent?: readonly string[];
  /** The C library the image's getent is built on (default glibc): other libraries' address lookups go through their helper. */
  readonly getentLibrary?: StubLibrary;
  /**
   * argv of the native stub helper per library (probe/native.ts): glibc's for
   * the types getaddrinfo does not look up, musl's for every type.
   */
  readonly native?: Partial<Record<StubLibrary, readonly string[]>>;
  /** resolv.conf's timeout: a lookup that took this long waited out a silent nameserver. */
  readonly stubTimeoutMs: number;
  /** Send the resolver layer's datagrams through the UDP pump (many queries) rather than Node's socket (a few). */
  readonly udpPump?: boolean;
  /**
   * Through the pump, the most queries in flight to one server (default
   * concurrency). The harness gives concurrency x the most names one search
   * walk asks, so requests within concurrency never wait for room in it.
   */
  readonly window?: number;
}

export interface ProbeRequest {
  readonly i: number;
  /** As the application asks it (a trailing dot when absolute). */
  readonly name: string;
  readonly type: QueryType;
  /** The names the stub tries, in its order: the resolver layer asks each of them. */
  readonly candidates: readonly string[];
  /** Ask the application layer too. */
  readonly app: boolean;
  /** The stub library of the application layer (default glibc). */
  readonly library?: StubLibrary;
  /** Ask the application layer up to this many times, to see an outcome that depends on which nameserver answers first. */
  readonly repeat?: number;
}

export interface ProbeResult {
  readonly i: number;
  readonly application?: AppObservation;
  readonly resolver: readonly ResolverObservation[];
}
