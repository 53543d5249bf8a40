// A run's footprint on the machine, written down as it grows, so that a run
// killed with SIGKILL can be swept later by "dnsparity cleanup" exactly:
// the namespaces and processes it made, and nothing else.
//
// The record is a log, state.jsonl in the run's directory: its first line
// the run (id, owner, start, backend, scenario), then one line per thing
// made ({"pid":N}, {"namespace":…}, {"container":…}, {"network":…}), each
// appended in one write, before the thing is used. A reader drops a last line
// cut short (its writer died in the middle of it). Appending, not rewriting
// the whole record and renaming it into place: a rename over a file waits for
// the file system's journal, on ext4 up to 11 ms each while a run starts its
// servers (87-97 ms of a twinned incident's set-up, on the CLI's one thread),
// where an append took 2.6 ms in all.
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, statSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
      const head = { runId, pid: process.pid, startedAt: new Date().toISOString(), backend, scenario };
      const s = new RunState({ ...head, namespaces: [], pids: [], containers: [], networks: [] });
      s.append(head);
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
    this.append({ namespace: ns });
  }
  addPid(pid: number): void {
    this.record.pids.push(pid);
    this.append({ pid });
  }
  addContainer(id: string): void {
    this.record.containers.push(id);
    this.append({ container: id });
  }
  addNetwork(id: string): void {
    this.record.networks.push(id);
    this.append({ network: id });
  }

  /** One line, in one write: a reader sees it whole, or cut short at the end of the log. */
  private append(entry: object): void {
    appendFileSync(join(this.dir, STATE_LOG), `${JSON.stringify(entry)}\n`);
  }

  /** Removes the run directory; called last, once everything it lists is gone. */
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const STATE_LOG = 'state.jsonl';

type Entry = { pid?: unknown; namespace?: unknown; container?: unknown; network?: unknown };

/**
 * The record of a run from its log; undefined where the log is missing or its
 * first line is not whole yet (a run being created, or whose owner died then).
 * A last line cut short is dropped; a line in the middle that is not a JSON
 * object is an error, with the file and line.
 */
export function readRun(runId: string, root: string = stateRoot()): RunRecord | undefined {
  const file = join(root, runId, STATE_LOG);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return readOldRecord(join(root, runId));
  }
  const whole = text.split('\n').slice(0, -1); // what follows the last newline is cut short, or empty
  if (whole.length === 0) return undefined;
  const parse = (line: string, n: number): Entry & Partial<RunRecord> => {
    try {
      const v = JSON.parse(line) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Entry & Partial<RunRecord>;
    } catch {
      // reported below
    }
    throw new Error(`${file}:${n}: not a JSON object: ${line.slice(0, 80)}`);
  };
  const head = parse(whole[0]!, 1);
  const rec: RunRecord = { runId: String(head.runId ?? runId), pid: Number(head.pid ?? 0), startedAt: String(head.startedAt ?? ''), backend: String(head.backend ?? 'unknown'), scenario: String(head.scenario ?? ''), namespaces: [], pids: [], containers: [], networks: [] };
  whole.slice(1).forEach((line, k) => {
    const e = parse(line, k + 2);
    if (typeof e.pid === 'number') rec.pids.push(e.pid);
    if (typeof e.namespace === 'string') rec.namespaces.push(e.namespace);
    if (typeof e.container === 'string') rec.containers.push(e.container);
    if (typeof e.network === 'string') rec.networks.push(e.network);
  });
  return rec;
}

/** A run left by a version that kept its record in state.json, rewritten whole each time. */
function readOldRecord(dir: string): RunRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as RunRecord;
  } catch {
    return undefined;
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
    let rec: RunRecord | undefined;
    try {
      rec = readRun(id);
    } catch {
      rec = undefined; // a log damaged in the middle: swept as a run of unknown footprint, below
    }
    if (rec) out.push(rec);
    else {
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
