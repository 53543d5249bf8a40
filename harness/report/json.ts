// report.json: every observation, finding and expectation of the run, in a
// versioned shape (schema/report.schema.json), so a later stage can
// re-render or re-compare offline. Written in pieces as it is walked: at
// 100k names the text would otherwise be one string of hundreds of MB.
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeJson } from './json-stream.js';
import { toStored } from './stored.js';
import type { Reporter, ReporterContext, RunSummary } from './types.js';

export function toJson(summary: RunSummary): object {
  return toStored(summary);
}

export class JsonReporter implements Reporter {
  readonly name = 'json';
  constructor(private readonly ctx: ReporterContext) {}
  onRunEnd(summary: RunSummary): void {
    const doc = toJson(summary);
    if (!this.ctx.outDir) {
      writeJson(doc, (s) => this.ctx.stdout.write(s));
      this.ctx.stdout.write('\n');
      return;
    }
    const fd = openSync(join(this.ctx.outDir, 'report.json'), 'w');
    try {
      writeJson(doc, (s) => writeSync(fd, s));
      writeSync(fd, '\n');
    } finally {
      closeSync(fd);
    }
  }
}
