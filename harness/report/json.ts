// report.json: every observation, finding and expectation of the run, in a
// versioned shape (schema/report.schema.json), so a later stage can
// re-render or re-compare offline.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toStored } from './stored.js';
import type { Reporter, ReporterContext, RunSummary } from './types.js';

export function toJson(summary: RunSummary): object {
  return toStored(summary);
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
