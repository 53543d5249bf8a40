// Rootless runs of the netns backend: as a normal user, `dnsparity run` runs
// itself again inside a user namespace the harness makes (unshare from
// util-linux: --user --map-root-user, with its own mount, network and PID
// namespaces), where it is root over namespaces it owns and nothing else. In
// there /run is a fresh tmpfs (ip netns's /run/netns, the run directories)
// and /etc is a view of the real /etc with an empty netns/ of its own (ip
// netns exec bind-mounts each environment's resolv.conf from there), so the
// backend runs unchanged and sees no other run. The harness is PID 1 of its
// PID namespace: when it ends, however it ends, the kernel ends every process
// left in it, and the namespaces go with them. Nothing reaches the machine's
// network: the user namespace has a network namespace of its own from the start.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { EXIT } from '../errors.js';

/** Set inside the user namespace (and to "never" by a user who wants root or nothing). */
export const ROOTLESS_ENV = 'DNSPARITY_ROOTLESS';

export type NetnsMode = { readonly mode: 'root'; readonly why: string } | { readonly mode: 'rootless'; readonly why: string } | { readonly mode: 'none'; readonly why: string; readonly fix: string };

const readNumber = (path: string): number | undefined => {
  try {
    return Number(readFileSync(path, 'utf8').trim());
  } catch {
    return undefined;
  }
};

/** Which way the netns backend will run here, and why. */
export function netnsMode(): NetnsMode {
  if (process.getuid?.() === 0) {
    return process.env[ROOTLESS_ENV] === 'inner'
      ? { mode: 'rootless', why: 'inside the user namespace dnsparity made' }
      : { mode: 'root', why: 'running as root' };
  }
  const uid = process.getuid?.();
  const fix = 'run as root (sudo), or allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 user.max_user_namespaces=15000) and install util-linux';
  if (process.env[ROOTLESS_ENV] === 'never') return { mode: 'none', why: `running as uid ${uid}, and ${ROOTLESS_ENV}=never turns rootless runs off`, fix: 'run as root (sudo), or unset DNSPARITY_ROOTLESS' };
  if (readNumber('/proc/sys/kernel/unprivileged_userns_clone') === 0) return { mode: 'none', why: `running as uid ${uid}, and the kernel does not let unprivileged users make user namespaces (kernel.unprivileged_userns_clone = 0)`, fix };
  if (readNumber('/proc/sys/user/max_user_namespaces') === 0) return { mode: 'none', why: `running as uid ${uid}, and user.max_user_namespaces = 0`, fix };
  // The real test: a user namespace with its own mount and network namespaces (AppArmor or seccomp may forbid what the sysctls allow).
  const probe = spawnSync('unshare', ['--user', '--map-root-user', '--mount', '--net', '--pid', '--fork', 'true'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 10_000 });
  if (probe.error) return { mode: 'none', why: `running as uid ${uid}, and unshare is not available (${(probe.error as NodeJS.ErrnoException).code ?? probe.error.message})`, fix: 'apt-get install util-linux, or run as root (sudo)' };
  if (probe.status !== 0) return { mode: 'none', why: `running as uid ${uid}, and this machine refuses an unprivileged user namespace: ${probe.stderr.trim().split('\n').pop() ?? `exit ${probe.status}`}`, fix };
  return { mode: 'rootless', why: `running as uid ${uid}: the netns backend runs in a user namespace dnsparity makes (unshare --user --map-root-user), root there and nowhere else` };
}

/** What runs first inside the user namespace, then execs the harness ("$@"). */
const SETUP = [
  'set -e',
  'mount -t tmpfs -o mode=0755 tmpfs /run',
  'mkdir -p /run/netns /run/dnsparity /run/.dnsparity-etc /run/.dnsparity-etc-real',
  'mount --rbind /etc /run/.dnsparity-etc-real',
  // A view of /etc whose netns/ is the harness's own: every other entry is a link to the real one.
  'for e in /run/.dnsparity-etc-real/* /run/.dnsparity-etc-real/.[!.]*; do',
  '  [ -e "$e" ] || [ -L "$e" ] || continue',
  '  n=${e##*/}',
  '  [ "$n" = netns ] || ln -s "$e" "/run/.dnsparity-etc/$n"',
  'done',
  'mkdir /run/.dnsparity-etc/netns',
  'mount --bind /run/.dnsparity-etc /etc',
  'exec "$@"',
].join('\n');

/** Whether this invocation should run itself again in a user namespace. */
export function wantsRootless(argv: readonly string[]): boolean {
  if (argv[0] !== 'run' || process.getuid?.() === 0 || process.env[ROOTLESS_ENV] !== undefined) return false;
  // The docker backend needs root on the machine (its run directory is bind-mounted into containers).
  const b = argv.indexOf('--backend');
  if ((b >= 0 && argv[b + 1] === 'docker') || argv.includes('--backend=docker')) return false;
  if (argv.includes('--help') || argv.includes('-h')) return false;
  return netnsMode().mode === 'rootless';
}

/**
 * Runs this CLI again with the same arguments inside the user namespace and
 * returns its exit code. Ctrl-C reaches the harness inside (same process
 * group) and it cleans up as it always does; SIGTERM is passed on to it.
 */
export function runRootless(script: string, argv: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('unshare', ['--user', '--map-root-user', '--mount', '--net', '--pid', '--fork', '--kill-child', '--mount-proc', 'sh', '-c', SETUP, 'dnsparity', process.execPath, ...process.execArgv, script, ...argv], {
      stdio: 'inherit',
      env: { ...process.env, [ROOTLESS_ENV]: 'inner' },
    });
    const ignore = () => undefined;
    // unshare keeps SIGINT and SIGTERM from itself while it waits: the harness inside gets SIGTERM directly.
    const term = () => {
      for (const pid of childrenOf(child.pid)) process.kill(pid, 'SIGTERM');
    };
    process.on('SIGINT', ignore);
    process.on('SIGTERM', term);
    child.on('error', (e) => {
      process.stderr.write(`dnsparity: cannot start a user namespace: ${e.message} (apt-get install util-linux, or run as root)\n`);
      resolve(EXIT.couldNotRun);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', term);
      resolve(code ?? (signal === 'SIGINT' ? EXIT.interrupted : signal === 'SIGTERM' ? EXIT.terminated : EXIT.couldNotRun));
    });
  });
}

/** A process's children, from /proc (the harness inside is the child of unshare). */
function childrenOf(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
