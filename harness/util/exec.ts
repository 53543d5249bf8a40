// Running short commands with errors that carry the command line and the
// tail of its stderr, so a failure prints as one useful line.
import { execa, type Options } from 'execa';
import { BackendError, PrerequisiteError, tail } from '../errors.js';

/** The Debian package that provides each binary the harness runs. */
export const PACKAGE_OF: Readonly<Record<string, string>> = {
  ip: 'iproute2',
  nft: 'nftables',
  nsd: 'nsd',
  'nsd-checkzone': 'nsd',
  nsenter: 'util-linux',
  'ldns-read-zone': 'ldnsutils',
  unbound: 'unbound',
  'unbound-checkconf': 'unbound',
};

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/** Runs a command; a non-zero exit is returned, not thrown. */
export async function tryRun(file: string, args: readonly string[], options: Options = {}): Promise<CommandResult> {
  const stdin = options.input === undefined && options.inputFile === undefined ? { stdin: 'ignore' as const } : {};
  const r = await execa(file, args, { reject: false, ...stdin, ...options, encoding: 'utf8' });
  if (r.failed && r.exitCode === undefined) {
    const code = (r.cause as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOENT') {
      const pkg = PACKAGE_OF[file];
      throw new PrerequisiteError(`${file} not found`, pkg ? `install it: apt-get install ${pkg} (or run scripts/install-prerequisites.sh)` : 'install it; "dnsparity doctor" says how');
    }
    throw new BackendError(`cannot run ${file}: ${code ?? r.shortMessage}`);
  }
  return { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode: r.exitCode ?? -1 };
}

/** Runs a command and throws a BackendError with its stderr tail if it fails. */
export async function run(file: string, args: readonly string[], options: Options = {}): Promise<CommandResult> {
  const r = await tryRun(file, args, options);
  if (r.exitCode !== 0) {
    throw new BackendError(`${[file, ...args].join(' ')} exited ${r.exitCode}: ${tail(r.stderr || r.stdout, 3)}`);
  }
  return r;
}
