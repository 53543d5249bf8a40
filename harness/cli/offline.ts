// The commands that work from stored report.json files and start nothing:
// "report" compares one again (other criteria, a baseline) and renders it;
// "merge" combines the reports of CI shards into one report set.
import { basename } from 'node:path';
import { reassess } from '../assess.js';
import { InputError } from '../errors.js';
import { makeReporters } from '../report/index.js';
import { readReport, type StoredReport } from '../report/stored.js';
import { summarise } from '../report/summary.js';
import type { RunSummary } from '../report/types.js';
import type { ScenarioResult } from '../run.js';

export interface OfflineFlags {
  reporter: string[];
  outDir: string | undefined;
  baseline?: string;
}

async function render(summary: RunSummary, flags: OfflineFlags): Promise<number> {
  const reporters = makeReporters(flags.reporter, { outDir: flags.outDir, stdout: process.stdout });
  for (const r of summary.results) for (const rep of reporters) rep.onScenarioResult?.(r);
  for (const rep of reporters) await rep.onRunEnd(summary);
  return summary.exitCode;
}

const baselineOf = (file: string | undefined) => (file ? { file, report: readReport(file) } : undefined);

export async function reportCommand(file: string, flags: OfflineFlags & { latencyThresholdMs?: number }): Promise<number> {
  const stored = readReport(file);
  const baseline = baselineOf(flags.baseline);
  const over = flags.latencyThresholdMs !== undefined ? { latencyThresholdMs: flags.latencyThresholdMs } : {};
  const summary = summarise({
    results: stored.scenarios.map((r) => reassess(r, over)),
    errors: stored.errors,
    wallMs: stored.wallMs,
    generatedAt: stored.generatedAt,
    ...(stored.shard ? { shard: stored.shard } : {}),
    ...(stored.sources ? { sources: stored.sources } : {}),
    ...(baseline ? { baseline } : {}),
  });
  return render(summary, flags);
}

/** Checks that shard reports fit together: one count, no index twice; names the missing ones. */
function checkShards(reports: readonly { file: string; report: StoredReport }[]): string | undefined {
  const sharded = reports.filter((r) => r.report.shard);
  if (sharded.length === 0) return undefined;
  const count = sharded[0]!.report.shard!.count;
  const seen = new Map<number, string>();
  for (const { file, report } of sharded) {
    const s = report.shard!;
    if (s.count !== count) throw new InputError({ file, field: 'shard' }, `shard ${s.index}/${s.count} does not belong with ${sharded[0]!.file} (shard ${sharded[0]!.report.shard!.index}/${count})`, 'merge the shards of one run');
    if (seen.has(s.index)) throw new InputError({ file, field: 'shard' }, `shard ${s.index}/${count} is also ${seen.get(s.index)}`, 'give each shard once');
    seen.set(s.index, file);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  return missing.length ? `merging ${seen.size} of ${count} shards: shard${missing.length === 1 ? '' : 's'} ${missing.join(', ')} missing` : undefined;
}

export async function mergeCommand(files: readonly string[], flags: OfflineFlags): Promise<number> {
  const reports = files.map((file) => ({ file, report: readReport(file) }));
  const warning = checkShards(reports);
  if (warning) process.stderr.write(`warning: ${warning}\n`);
  const owner = new Map<string, string>();
  const results: ScenarioResult[] = [];
  for (const { file, report } of reports) {
    for (const r of report.scenarios) {
      const had = owner.get(r.scenario.name);
      if (had) throw new InputError({ file, field: 'scenarios' }, `scenario ${r.scenario.name} is also in ${had}`, 'merge reports of disjoint shards');
      owner.set(r.scenario.name, file);
      results.push(r);
    }
  }
  // A single run lists scenarios in file order; shards interleave them, so sort them back.
  results.sort((a, b) => basename(a.scenario.file).localeCompare(basename(b.scenario.file)) || a.scenario.name.localeCompare(b.scenario.name));
  const baseline = baselineOf(flags.baseline);
  const summary = summarise({
    results,
    errors: reports.flatMap((r) => r.report.errors),
    // Shards run side by side: the set took as long as its longest shard.
    wallMs: Math.max(0, ...reports.map((r) => r.report.wallMs)),
    generatedAt: reports.map((r) => r.report.generatedAt).sort().at(-1)!,
    sources: files,
    ...(baseline ? { baseline } : {}),
  });
  return render(summary, flags);
}
