// The seam for reporters: each reads the same results and writes one format;
// none recomputes the comparison.
import type { BaselineSummary } from '../baseline.js';
import type { ScenarioResult } from '../run.js';
import type { Shard } from '../shard.js';

export interface RunError {
  readonly scenario: string;
  readonly message: string;
}

export interface RunSummary {
  readonly results: readonly ScenarioResult[];
  readonly errors: readonly RunError[];
  readonly exitCode: number;
  readonly wallMs: number;
  /** When the results were gathered (ISO 8601); the latest shard's, for a merged set. */
  readonly generatedAt?: string;
  /** The slice of the scenarios this run took, with --shard. */
  readonly shard?: Shard;
  /** Scenarios run at a time (run --jobs); absent for a merged or re-rendered set. */
  readonly jobs?: number;
  /** The report files a merged set was made from. */
  readonly sources?: readonly string[];
  /** Present when the findings were compared with a previous report. */
  readonly baseline?: BaselineSummary;
}

export interface ReporterContext {
  /** Where file reporters write; undefined means standard output. */
  readonly outDir: string | undefined;
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface Reporter {
  readonly name: string;
  onScenarioResult?(result: ScenarioResult): void;
  onRunEnd(summary: RunSummary): Promise<void> | void;
}
