// What the integration and end-to-end tests need from the machine. A test
// that needs something missing is skipped with the reason printed; CI
// installs everything, so nothing is skipped there.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRun } from '../harness/run-state.js';
import { NETNS_BINARIES } from '../harness/backend/netns/index.js';
import { resolverFor } from '../harness/resolver/registry.js';

function has(bin: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function netnsSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root for network namespaces';
  const missing = NETNS_BINARIES.filter((b) => !has(b.name)).map((b) => b.pkg);
  if (missing.length) return `needs Debian packages: ${[...new Set(missing)].join(' ')} (scripts/install-prerequisites.sh)`;
  if (!existsSync('dist/harness/probe/worker.js')) return 'needs the build: npm run build';
  return undefined;
}

export const skipNetns = netnsSkipReason();
if (skipNetns) console.warn(`SKIPPED netns tests: ${skipNetns}`);

/** Why the netns tests of a resolver kind cannot run here: the netns backend's own reason, or the resolver's binaries missing. */
export function resolverSkipReason(kind: string): string | undefined {
  if (skipNetns) return skipNetns;
  const missing = resolverFor(kind).binaries.filter((b) => !has(b.name)).map((b) => b.pkg);
  return missing.length ? `needs Debian packages: ${[...new Set(missing)].join(' ')} (scripts/install-prerequisites.sh)` : undefined;
}

/** Namespaces, /etc/netns entries and processes a run of ours could leave. */
export function leftovers(runId?: string): string[] {
  const prefix = runId ? `dnsparity-${runId}-` : 'dnsparity-';
  const ns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(prefix));
  const etc = existsSync('/etc/netns') ? readdirSync('/etc/netns').filter((n) => n.startsWith(prefix)).map((n) => `/etc/netns/${n}`) : [];
  const procs = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
        return cmd.includes('/run/dnsparity/') && (runId === undefined || cmd.includes(`/run/dnsparity/${runId}`));
      } catch {
        return false;
      }
    })
    .map((p) => {
      let id = '';
      try {
        id = /\/run\/dnsparity\/([0-9a-f]{6})/.exec(readFileSync(`/proc/${p}/cmdline`, 'utf8'))?.[1] ?? '';
      } catch {
        // gone meanwhile
      }
      return `pid ${p} (run dnsparity-${id}-)`;
    });
  return [...ns, ...etc, ...procs];
}

/** Run ids (from /run/dnsparity) owned by a harness process. */
export function runIdsOf(pid: number): string[] {
  const root = process.env.DNSPARITY_STATE_DIR ?? '/run/dnsparity';
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((id) => {
    try {
      return readRun(id, root)?.pid === pid;
    } catch {
      return false;
    }
  });
}

/** What the docker backend's tests need: an engine that answers, and this machine's binaries for the images. */
export async function dockerSkipReason(): Promise<string | undefined> {
  const { engineState } = await import('../harness/backend/docker/engine.js');
  const s = await engineState();
  if (!s.ok) return `needs a Docker engine (${s.reason}); scripts/test.sh installs docker.io and starts dockerd`;
  if (process.getuid?.() !== 0) return 'needs root (run directory under /run/dnsparity, bind-mounted into containers)';
  const missing = ['unbound', 'nsd', 'getent', 'ip', 'nft', 'chroot', 'ldd'].filter((b) => !has(b));
  if (missing.length) return `needs ${missing.join(', ')} on this machine to build the images (scripts/install-prerequisites.sh)`;
  if (!existsSync('dist/harness/probe/worker.js')) return 'needs the build: npm run build';
  return undefined;
}

export const skipDocker = await dockerSkipReason();
if (skipDocker) console.warn(`SKIPPED docker tests: ${skipDocker}`);

/**
 * Containers and networks labelled dnsparity that nobody will remove: their
 * owner process is gone, or it is this test process. Things of other live
 * runs (another worktree's tests on the same engine) are not leftovers.
 */
export async function dockerLeftovers(runId?: string): Promise<string[]> {
  const { processAlive } = await import('../harness/run-state.js');
  return dockerThings((t) => (runId === undefined || t.runId === runId) && (t.ownerPid === process.pid || !processAlive(t.ownerPid)));
}

/** Containers and networks labelled dnsparity that match, as "container NAME" / "network NAME". */
export async function dockerThings(match: (t: { kind: string; runId: string; ownerPid: number }) => boolean): Promise<string[]> {
  const { engineState } = await import('../harness/backend/docker/engine.js');
  const { listLabelled } = await import('../harness/backend/docker/resources.js');
  const s = await engineState();
  if (!s.ok) return [];
  return (await listLabelled(s.engine)).filter(match).map((t) => `${t.kind} ${t.name}`);
}

/**
 * Leftovers this process made: those of its own live runs, and those of runs
 * whose state is gone (torn down, yet something remained). Another live run's
 * are never counted, nor a killed run's (its state file stays, naming an owner
 * that is gone: what "dnsparity cleanup" is for, and never this process, which
 * is alive), so tests in other files running beside this one do not show up.
 */
export function orphans(): string[] {
  const root = process.env.DNSPARITY_STATE_DIR ?? '/run/dnsparity';
  const owner = (id: string): 'none' | 'self' | 'other' => {
    let pid: number;
    try {
      const rec = readRun(id, root);
      if (!rec) throw new Error('no record yet');
      pid = rec.pid;
    } catch {
      return existsSync(`${root}/${id}`) ? 'other' : 'none'; // a state directory being written or removed is a live run's
    }
    return pid === process.pid ? 'self' : 'other';
  };
  return leftovers().filter((l) => {
    const id = /dnsparity-([0-9a-f]{6})-/.exec(l)?.[1];
    if (!id) return true;
    return owner(id) !== 'other';
  });
}

/**
 * The CLI as an unprivileged user sees it: a copy of the build and of the
 * production dependencies in a temp directory anyone can read, and the user
 * to run it as (DNSPARITY_TEST_USER, which scripts/test.sh creates; nobody
 * otherwise). A copy, because the checkout may sit in a private directory.
 * The caller removes `dir`.
 */
export function unprivilegedCli(): { dir: string; cli: string; uid: number; gid: number } {
  const user = process.env.DNSPARITY_TEST_USER ?? 'nobody';
  const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
  const dir = mkdtempSync(join(tmpdir(), 'dnsparity-unprivileged-'));
  chmodSync(dir, 0o755);
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const prod = Object.entries(lock.packages)
    .filter(([k, v]) => k.startsWith('node_modules/') && k.lastIndexOf('node_modules/') === 0 && !v.dev)
    .map(([k]) => k);
  // umask 022 and no preserved modes: whatever the checkout's modes, the copy is world-readable.
  execFileSync('sh', ['-c', 'umask 022 && for p in dist package.json "$@"; do mkdir -p "$0/$(dirname "$p")" && cp -rL --no-preserve=mode,ownership "$p" "$0/$p"; done', dir, ...prod], { stdio: 'ignore' });
  return { dir, cli: join(dir, 'dist/harness/cli/main.js'), uid, gid };
}
