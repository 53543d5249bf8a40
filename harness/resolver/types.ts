// The seam for resolvers under test. Each resolver (unbound, dnsmasq, Knot
// Resolver, ...) is one module behind this interface, found by its kind in
// registry.ts; the plan, the consistency checks and the backends know only
// this interface. A module reads its own config language, owns its
// substitutions, its checker, where it listens, how it logs upstream queries,
// and what the rest of the harness needs to know of its config (does it
// validate, what does it forward where, what would it read on this machine).
import type { Location } from '../errors.js';
import type { Substitution, UpstreamExchange } from '../model.js';
import type { TrustAnchor } from '../network/dnssec.js';
import type { FilesRoot } from '../scenario/confine.js';

/** One file of the image's resolver config, as read. */
export interface ConfigText {
  /** Local path of the file (or, for an image's own file, its path in the image). */
  readonly path: string;
  readonly text: string;
}

/**
 * The image's resolver config: the main file and every file it makes the
 * resolver read, in the resolver's own reading order. Each module parses its
 * own format and may carry more per file (unbound: its include directives).
 */
export interface ResolverConfig {
  /** The resolver kind that read it (registry.ts), which also reads it back. */
  readonly kind: string;
  /** Local path of the main file. */
  readonly main: string;
  /** The local directory standing for the image's config directory (ResolverUnderTest.image.configDir). */
  readonly root: string;
  /** Every file read, the main file first. */
  readonly files: readonly ConfigText[];
}

/** Where the config sends the queries for a zone by name, rather than recursing or using its default upstreams. */
export interface ZoneRoute {
  /** The zone, without the trailing dot; "" for the root (everything). */
  readonly zone: string;
  /** Addresses (IPv4 or IPv6, no port) it sends them to. */
  readonly addresses: readonly string[];
  /** forward: to a recursive resolver; stub: to authoritative servers. */
  readonly how: 'forward' | 'stub';
  readonly file?: string;
  readonly line?: number;
}

/** Something in the config that would make this machine's resolver read a file of this machine, or run code (see hostEffects). */
export interface HostEffect {
  readonly file: string;
  readonly line: number;
  /** The option as the resolver's language names it ("clause.option" for unbound options outside server:). */
  readonly option: string;
  readonly value: string;
  readonly kind: 'reads a file' | 'runs code';
}

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
  /**
   * The image's resolv.conf (the scenario's stub.resolvConf, or the image's
   * own), for a resolver that would read the machine's /etc/resolv.conf for
   * its upstreams (dnsmasq): it is given the image's instead.
   */
  readonly resolvConf?: { readonly text: string; readonly source: string };
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
  /** Directories the resolver needs to exist before it starts (cache, rundir), as it sees them. */
  readonly dirs?: readonly string[];
  /**
   * For a resolver that keeps state on disk (kresd's cache): the backend gives
   * each instance it starts (per environment, and anew at each start) an empty
   * directory of its own below this one, as the resolver sees it, and passes
   * it to command().
   */
  readonly instanceDir?: string;
}

/** An error the resolver printed about its config, mapped to the image's file. */
export interface ConfigMessage {
  readonly file: string;
  readonly line?: number;
  readonly message: string;
}

export interface ResolverUnderTest {
  /** resolver.kind in a scenario. */
  readonly kind: string;
  /** How explanations name it: "unbound", "dnsmasq", "kresd". */
  readonly name: string;
  /** Binaries it needs (first: the one that runs), with the Debian package that provides each. */
  readonly binaries: readonly { readonly name: string; readonly pkg: string }[];
  /** Where an image keeps its config: the directory resolver.configRoot stands for, and the main file in it. */
  readonly image: { readonly configDir: string; readonly mainConfig: string };
  /**
   * What the docker backend's default host image (for a scenario that names
   * no image) copies from this machine to run this resolver: commands on PATH
   * and the packages that provide them. Absent: a scenario of this kind on
   * docker must name its candidate image.
   */
  readonly dockerHost?: {
    readonly binaries: readonly string[];
    readonly packages: readonly string[];
    /**
     * Instead of this machine's binaries: a real Debian image with these
     * packages installed, built by mmdebstrap from Debian's packages
     * (backend/docker/debian-images.ts).
     */
    readonly debianPackages?: readonly string[];
  };

  /**
   * Reads the image's config from local files: `main` and everything it makes
   * the resolver read, `root` standing for the image's config directory. With
   * `confineTo`, every file read must lie in that tree. Errors are InputErrors
   * naming the file and line.
   */
  load(main: string, root: string, confineTo?: FilesRoot): ResolverConfig;
  /** The image's own main config file, read from its layers (`source` names it), one file. */
  fromImage(text: string, source: string, where: Location): ResolverConfig;

  /** Where the config makes it listen (read without preparing anything): the plan checks resolv.conf against it. */
  listen(config: ResolverConfig): { readonly address: string; readonly port: number };
  /** Whether it validates DNSSEC with this config: only then is the simulated Internet signed. */
  validates(config: ResolverConfig): boolean;
  /** Zones the config sends to named servers (forwards, stubs), with where each is said. */
  routes(config: ResolverConfig, resolvConf?: PrepareContext['resolvConf']): ZoneRoute[];
  /** What the config would make this machine read or run, which the netns backend refuses. */
  hostEffects(config: ResolverConfig): HostEffect[];

  /** The image's config with the substitutions, and nothing else, for a run. */
  prepare(config: ResolverConfig, ctx: PrepareContext): PreparedConfig;
  /** Throws an InputError naming the image's file and line when the resolver's own checker rejects the prepared config. */
  check(prepared: PreparedConfig): Promise<void>;
  /** argv that runs it in the foreground, logging to stderr; runArgs from prepare(); instanceDir: this instance's own empty directory, where prepare() asked for one. */
  command(preparedFile: string, runArgs?: readonly string[], instanceDir?: string): readonly string[];
  /** Its upstream queries, read back from its log (written with runArgs). */
  parseActivity?(log: string): UpstreamExchange[];
  /** A config error in the log of a resolver that would not start (docker: the image's own binary), mapped to the image's file. */
  startFailure?(log: string, prepared: PreparedConfig): ConfigMessage | undefined;
}
