// Messages between the harness and the probe worker inside an environment:
// JSON lines on the worker's stdin and stdout.
import type { AppObservation, QueryType, ResolverObservation, ServerRole } from '../model.js';

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
}

export interface ProbeRequest {
  readonly i: number;
  readonly name: string;
  readonly type: QueryType;
  /** Ask getaddrinfo too (address types only). */
  readonly app: boolean;
}

export interface ProbeResult {
  readonly i: number;
  readonly application?: AppObservation;
  readonly resolver: readonly ResolverObservation[];
}
