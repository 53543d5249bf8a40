// The seam for resolvers under test: unbound first; others (dnsmasq, Knot
// Resolver, BIND) implement the same interface.
import type { Substitution, UpstreamExchange } from '../model.js';

export interface PrepareContext {
  /** Root hints file of the simulated Internet. */
  readonly rootHintsFile: string;
  /** Working directory for the resolver inside the run directory. */
  readonly workDir: string;
}

export interface PreparedConfig {
  /** The config as it will run: the image's, with the listed substitutions only. */
  readonly text: string;
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
  prepare(original: string, file: string, ctx: PrepareContext): PreparedConfig;
  /** Throws an InputError naming the image's file and line when the config is rejected. */
  check(preparedFile: string, originalFile: string): Promise<void>;
  /** argv that runs it in the foreground, logging to stderr; runArgs from prepare(). */
  command(preparedFile: string, runArgs?: readonly string[]): readonly string[];
  /** Its upstream queries, read back from its log (written with runArgs). */
  parseActivity?(log: string): UpstreamExchange[];
}
