// Sweeps what dead runs left behind: their processes (by id, and only those
// whose command line names the run's directory or that live in the run's
// namespaces), their namespaces and /etc/netns entries, their containers and
// networks on a Docker engine (by label), their directories.
// A run whose owner is alive is never touched.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { removeNamespaces } from './backend/netns/index.js';
import { cmdline, NAMESPACE_PREFIX, processAlive, readRuns, stateRoot, type RunRecord } from './run-state.js';
import { tryRun } from './util/exec.js';

export interface SweepReport {
  readonly runs: string[];
  readonly namespaces: string[];
  readonly processes: number[];
  readonly containers: string[];
  readonly networks: string[];
}

const OWN_NS = new RegExp(`^${NAMESPACE_PREFIX}([0-9a-f]{6})-`);

export async function listNamespaces(): Promise<string[]> {
  const r = await tryRun('ip', ['netns', 'list']).catch(() => ({ stdout: '' }));
  return r.stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => OWN_NS.test(n));
}

/** Runs whose owning process is gone: what a SIGKILL leaves. */
export function staleRuns(): RunRecord[] {
  return readRuns().filter((r) => !processAlive(r.pid));
}

export async function sweep(): Promise<SweepReport> {
  const live = new Set(readRuns().filter((r) => processAlive(r.pid)).map((r) => r.runId));
  const report: SweepReport = { runs: [], namespaces: [], processes: [], containers: [], networks: [] };
  for (const run of staleRuns()) {
    const dir = join(stateRoot(), run.runId);
    for (const pid of run.pids) {
      const cmd = cmdline(pid);
      if (cmd && cmd.includes(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
          report.processes.push(pid);
        } catch {
          // gone already
        }
      }
    }
    report.runs.push(run.runId);
  }
  const orphans = (await listNamespaces()).filter((ns) => !live.has(OWN_NS.exec(ns)![1]!));
  await removeNamespaces(orphans);
  report.namespaces.push(...orphans);
  // /etc/netns entries without a namespace (a crash between the two removals).
  if (existsSync('/etc/netns')) {
    for (const e of readdirSync('/etc/netns')) {
      const m = OWN_NS.exec(e);
      if (m && !live.has(m[1]!)) rmSync(join('/etc/netns', e), { recursive: true, force: true });
    }
  }
  // Containers and networks labelled dnsparity whose run is gone (only when an engine answers).
  const { sweepDocker } = await import('./backend/docker/sweep.js'); // loads the engine client only here
  const docker = await sweepDocker(live);
  report.containers.push(...docker.containers);
  report.networks.push(...docker.networks);
  for (const id of report.runs) rmSync(join(stateRoot(), id), { recursive: true, force: true });
  return report;
}
