// A long-running child (nsd, unbound) that the harness started and owns by
// its process id. Disposing it ends it: SIGTERM, then SIGKILL after a grace.
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { BackendError, tail } from '../errors.js';

export class ManagedProcess implements AsyncDisposable {
  private exitCode: number | null | undefined;
  private exitSignal: NodeJS.Signals | null = null;
  private readonly exited: Promise<void>;

  private constructor(
    readonly label: string,
    readonly pid: number,
    readonly logFile: string,
    child: ReturnType<typeof spawn>,
    /** Where this process's part of the log begins. */
    private readonly logOffset = 0,
  ) {
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        resolve();
      });
    });
  }

  /** Starts argv with stdout and stderr appended to logFile. */
  static start(label: string, argv: readonly string[], logFile: string): ManagedProcess {
    const fd = openSync(logFile, 'a');
    const offset = fstatSync(fd).size; // a restarted server appends to the same log
    try {
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', fd, fd], detached: true });
      if (child.pid === undefined) throw new BackendError(`cannot start ${label}: ${argv[0]} did not start`);
      child.on('error', () => undefined);
      return new ManagedProcess(label, child.pid, logFile, child, offset);
    } finally {
      closeSync(fd);
    }
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  log(lines = 5): string {
    try {
      return tail(readFileSync(this.logFile, 'utf8'), lines);
    } catch {
      return '';
    }
  }

  /** Throws if the process has died, with the tail of its log. */
  assertRunning(): void {
    if (!this.running) {
      throw new BackendError(`${this.label} exited (${this.exitSignal ?? `code ${this.exitCode}`}): ${this.log(3)}`);
    }
  }

  /**
   * Waits for a line in the process's log (readiness that the server itself
   * announces), failing early if the process dies or the signal aborts.
   */
  async waitForLog(pattern: RegExp, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      let text = '';
      try {
        text = readFileSync(this.logFile).subarray(this.logOffset).toString('utf8');
      } catch {
        // not written yet
      }
      if (pattern.test(text)) return;
      this.assertRunning();
      if (Date.now() > deadline) throw new BackendError(`${this.label} not ready within ${timeoutMs} ms: ${this.log(3)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Resolves when the process has exited or the timeout passed; true if it exited. */
  async waitExit(ms: number): Promise<boolean> {
    if (!this.running) return true;
    let t: NodeJS.Timeout | undefined;
    const r = await Promise.race([this.exited.then(() => true), new Promise<boolean>((res) => (t = setTimeout(() => res(false), ms)))]);
    clearTimeout(t);
    return r;
  }

  async stop(graceMs = 2000): Promise<void> {
    if (!this.running) return;
    try {
      process.kill(this.pid, 'SIGTERM');
    } catch {
      return;
    }
    if (await this.waitExit(graceMs)) return;
    try {
      process.kill(this.pid, 'SIGKILL');
    } catch {
      return;
    }
    await this.waitExit(5000);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
