// One lookup made by a child process (getent, the stub-lookup helpers),
// bounded in time: the latency is measured around the spawn, and at the
// deadline the child is killed and the answer is "timeout" at once.
import { spawn } from 'node:child_process';
import type { AppObservation, AppOutcome } from '../model.js';

/** What a finished lookup process left behind. */
export interface ProcessRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs argv + args; parse reads a finished run, a spawn error or the deadline is an outcome of its own. */
export function boundedLookup(
  argv: readonly string[],
  args: readonly string[],
  timeoutMs: number,
  parse: (run: ProcessRun) => AppOutcome,
): Promise<AppObservation> {
  const start = performance.now();
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, [...argv.slice(1), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let settled = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = (outcome: AppOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ outcome, latencyMs: Math.round(performance.now() - start) });
    };
    // At the deadline the answer is "timeout" at once, whatever the child still holds open.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done({ status: 'timeout' });
    }, timeoutMs);
    child.on('error', (e: NodeJS.ErrnoException) => done({ status: 'failure', code: `cannot run ${argv[0]}: ${e.code ?? e.message}` }));
    child.on('close', (code) => done(parse({ exitCode: code, stdout, stderr })));
  });
}
