// A run's summary from its results: baseline marks applied where a previous
// report is given, and the exit code. Without a baseline, 1 means a scenario
// failed; with one, 1 means a finding is new. 2 means a scenario could not run.
import { applyBaseline, withoutBaseline } from '../baseline.js';
import { EXIT } from '../errors.js';
import type { ScenarioResult } from '../run.js';
import type { Shard } from '../shard.js';
import type { StoredReport } from './stored.js';
import type { RunError, RunSummary } from './types.js';

export interface SummaryInput {
  readonly results: readonly ScenarioResult[];
  readonly errors: readonly RunError[];
  readonly wallMs: number;
  readonly generatedAt?: string;
  readonly shard?: Shard;
  /** Scenarios run at a time (run --jobs). */
  readonly jobs?: number;
  readonly sources?: readonly string[];
  readonly baseline?: { readonly file: string; readonly report: StoredReport };
  /** Set when the run was interrupted: the exit code says so, whatever was found. */
  readonly interruptedExit?: number;
}

export function summarise(input: SummaryInput): RunSummary {
  const plain = input.results.map(withoutBaseline);
  const marked = input.baseline ? applyBaseline(plain, input.baseline.report.scenarios, input.baseline.file) : undefined;
  const results = marked?.results ?? plain;
  const failed = marked ? marked.summary.new > 0 : results.some((r) => r.verdict === 'fail');
  const exitCode = input.interruptedExit ?? (input.errors.length ? EXIT.couldNotRun : failed ? EXIT.difference : EXIT.parity);
  return {
    results,
    errors: input.errors,
    exitCode,
    wallMs: input.wallMs,
    generatedAt: input.generatedAt ?? new Date().toISOString(),
    ...(input.shard ? { shard: input.shard } : {}),
    ...(input.jobs ? { jobs: input.jobs } : {}),
    ...(input.sources ? { sources: input.sources } : {}),
    ...(marked ? { baseline: marked.summary } : {}),
  };
}
