// The seam for resolvers under test: unbound first; others (dnsmasq, Knot
// Resolver, BIND) implement the same interface.
import type { Substitution, UpstreamExchange } from '../model.js';
import type { TrustAnchor } from '../network/dnssec.js';
import type { UnboundConfig } from './unbound-config.js';

export interface PrepareContext {
  /** Root hints file of the simulated Internet. */
  readonly rootHintsFile: string;
  /** Working directory for the resolver inside the run directory. */
  readonly workDir: string;
  /** Where the prepared config files are written, as the resolver will see them. */
  readonly configDir: string;
  /**
   * The signed simulated root's trust anchor. Without it, a config that names a
   * trust anchor is refused: it would find every public answer bogus.
   */
  readonly trustAnchor?: TrustAnchor;
  /**
   * Log every upstream query, for the resolver path in explanations (default
   * true). Off for large query sets: at verbosity 4 unbound writes kilobytes
   * per name, gigabytes at 100k names.
   */
  readonly traceUpstream?: boolean;
}

/** A file the resolver reads: a prepared copy of one of the image's, or one the harness writes. */
export interface PreparedFile {
  readonly path: string;
  readonly text: string;
  /** The image's file it is a copy of, so errors can name that file instead. */
  readonly original?: string;
}

export interface PreparedConfig {
  /** The config file to start the resolver with. */
  readonly main: string;
  /** Every file to write before starting: the image's, with the listed substitutions only, and trust anchors. */
  readonly files: readonly PreparedFile[];
  readonly substitutions: readonly Substitution[];
  /** Where the resolver listens, for the resolver-layer probe. */
  readonly listen: { readonly address: string; readonly port: number };
  /** Command-line flags the harness adds (listed among the substitutions), such as raised log verbosity. */
  readonly runArgs?: readonly string[];
}

export interface ResolverUnderTest {
  readonly kind: string;
  /** Binaries it needs, with the Debian package that provides each. */
  readonly binaries: readonly { readonly name: string; readonly pkg: string }[];
  prepare(config: UnboundConfig, ctx: PrepareContext): PreparedConfig;
  /** Throws an InputError naming the image's file and line when the prepared config is rejected. */
  check(prepared: PreparedConfig): Promise<void>;
  /** argv that runs it in the foreground, logging to stderr; runArgs from prepare(). */
  command(preparedFile: string, runArgs?: readonly string[]): readonly string[];
  /** Its upstream queries, read back from its log (written with runArgs). */
  parseActivity?(log: string): UpstreamExchange[];
}
