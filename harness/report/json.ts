// report.json: every observation, finding and expectation of the run, in a
// versioned shape, so a later stage can re-render or re-compare offline.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPORT_VERSION } from '../run.js';
import type { Reporter, ReporterContext, RunSummary } from './types.js';

export function toJson(summary: RunSummary): object {
  return {
    dnsparity: { reportVersion: REPORT_VERSION },
    exitCode: summary.exitCode,
    wallMs: summary.wallMs,
    verdict: summary.exitCode === 0 ? 'pass' : summary.exitCode === 1 ? 'fail' : 'error',
    errors: summary.errors,
    scenarios: summary.results,
  };
}

export class JsonReporter implements Reporter {
  readonly name = 'json';
  constructor(private readonly ctx: ReporterContext) {}
  onRunEnd(summary: RunSummary): void {
    const text = `${JSON.stringify(toJson(summary), null, 2)}\n`;
    if (this.ctx.outDir) writeFileSync(join(this.ctx.outDir, 'report.json'), text);
    else this.ctx.stdout.write(text);
  }
}
