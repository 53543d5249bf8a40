// A run's footprint on the machine, written down as it grows, so that a run
// killed with SIGKILL can be swept later by "dnsparity cleanup" exactly:
// the namespaces and processes it made, and nothing else.
import { randomBytes } from 'node:crypto';
import { mkdirSync, statSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const stateRoot = (): string => process.env.DNSPARITY_STATE_DIR ?? '/run/dnsparity';
export const NAMESPACE_PREFIX = 'dnsparity-';
export const RUN_ID = /^[0-9a-f]{6}$/;

export interface RunRecord {
  readonly runId: string;
  /** The harness process that owns the run. */
  readonly pid: number;
  readonly startedAt: string;
  readonly backend: string;
  readonly scenario: string;
  namespaces: string[];
  pids: number[];
  containers: string[];
  networks: string[];
}

export class RunState {
  readonly dir: string;
  private readonly record: RunRecord;

  private constructor(record: RunRecord) {
    this.record = record;
    this.dir = join(stateRoot(), record.runId);
  }

  static create(backend: string, scenario: string): RunState {
    mkdirSync(stateRoot(), { recursive: true, mode: 0o700 });
    for (;;) {
      const runId = randomBytes(3).toString('hex');
      const dir = join(stateRoot(), runId);
      try {
        mkdirSync(dir, { mode: 0o700 }); // fails if another run took this id
      } catch {
        continue;
      }
      const s = new RunState({ runId, pid: process.pid, startedAt: new Date().toISOString(), backend, scenario, namespaces: [], pids: [], containers: [], networks: [] });
      s.save();
      return s;
    }
  }

  get runId(): string {
    return this.record.runId;
  }

  namespace(role: string): string {
    return `${NAMESPACE_PREFIX}${this.runId}-${role}`;
  }

  namespaces(): readonly string[] {
    return [...this.record.namespaces];
  }

  addNamespace(ns: string): void {
    this.record.namespaces.push(ns);
    this.save();
  }
  addPid(pid: number): void {
    this.record.pids.push(pid);
    this.save();
  }
  addContainer(id: string): void {
    this.record.containers.push(id);
    this.save();
  }
  addNetwork(id: string): void {
    this.record.networks.push(id);
    this.save();
  }

  private save(): void {
    // Write then rename: a sweep or a reader never sees half a file.
    const tmp = join(this.dir, 'state.json.tmp');
    writeFileSync(tmp, JSON.stringify(this.record, null, 2));
    renameSync(tmp, join(this.dir, 'state.json'));
  }

  /** Removes the run directory; called last, once everything it lists is gone. */
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function readRuns(): RunRecord[] {
  let ids: string[];
  try {
    ids = readdirSync(stateRoot());
  } catch {
    return []; // none yet, or not ours to read (not root)
  }
  const out: RunRecord[] = [];
  for (const id of ids) {
    if (!RUN_ID.test(id)) continue;
    try {
      out.push(JSON.parse(readFileSync(join(stateRoot(), id, 'state.json'), 'utf8')) as RunRecord);
    } catch {
      // A directory without its state file is a run being created right now,
      // unless it has been like that for a while (its owner died in between).
      try {
        if (Date.now() - statSync(join(stateRoot(), id)).mtimeMs < 60_000) continue;
      } catch {
        continue;
      }
      out.push({ runId: id, pid: 0, startedAt: '', backend: 'unknown', scenario: '', namespaces: [], pids: [], containers: [], networks: [] });
    }
  }
  return out;
}

export function processAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process's command line, or undefined if it is gone. */
export function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}
