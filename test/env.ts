// What the integration and end-to-end tests need from the machine. A test
// that needs something missing is skipped with the reason printed; CI
// installs everything, so nothing is skipped there.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { NETNS_BINARIES } from '../harness/backend/netns/index.js';

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
    .map((p) => `pid ${p}`);
  return [...ns, ...etc, ...procs];
}

/** Run ids (from /run/dnsparity) owned by a harness process. */
export function runIdsOf(pid: number): string[] {
  const root = process.env.DNSPARITY_STATE_DIR ?? '/run/dnsparity';
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((id) => {
    try {
      return (JSON.parse(readFileSync(`${root}/${id}/state.json`, 'utf8')) as { pid: number }).pid === pid;
    } catch {
      return false;
    }
  });
}
