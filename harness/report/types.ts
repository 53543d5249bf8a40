// The seam for reporters: each reads the same results and writes one format;
// none recomputes the comparison.
import type { ScenarioResult } from '../run.js';

export interface RunError {
  readonly scenario: string;
  readonly message: string;
}

export interface RunSummary {
  readonly results: readonly ScenarioResult[];
  readonly errors: readonly RunError[];
  readonly exitCode: number;
  readonly wallMs: number;
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
