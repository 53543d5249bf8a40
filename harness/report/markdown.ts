// summary.md: short enough for a pipeline's step summary or a merge request
// comment. A table of scenarios, then for each failing one the queries that
// differ with the explanation of the first, unmet expectations and leaks.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioResult } from '../run.js';
import { fixMarkdown } from './suggested-fix.js';
import type { Reporter, ReporterContext, RunSummary } from './types.js';
import { byQuery, counts, leakText, mark, summariseFindings, queryLabel } from './view.js';

const MAX_QUERIES = 6;

/** Text that Markdown would otherwise read as markup or as a table cell boundary. */
export function md(text: string): string {
  return text.replace(/[\\`*_[\]<>|#]/g, (c) => `\\${c}`).replace(/\n/g, ' ');
}

function scenarioBlock(r: ScenarioResult): string[] {
  const out: string[] = [];
  const c = counts(r);
  if (r.verdict === 'pass' && c.unstable === 0) return out;
  out.push('', `### ${r.verdict === 'pass' ? '✅' : '❌'} ${md(r.scenario.name)}`, '');
  // The most significant difference with its explanation; the others a line each.
  const groups = byQuery(r, 'unexpected');
  groups.slice(0, MAX_QUERIES).forEach((fs, k) => {
    const f = fs[0]!;
    const marks = [...new Set(fs.map((x) => x.baseline).filter(Boolean))].map((m) => mark(m)).join('').trim();
    out.push(`- ${marks ? `${marks} ` : ''}**${md(queryLabel(f.query))}**: ${md(summariseFindings(fs))}${k === 0 ? `.  \n  ${md(f.explanation)}` : ''}`);
  });
  if (groups.length > MAX_QUERIES) out.push(`- … and ${groups.length - MAX_QUERIES} more queries with differences (see report.html or report.json)`);
  for (const fs of byQuery(r, 'unstable')) out.push(`- unstable, not counted: **${md(queryLabel(fs[0]!.query))}** ${md(summariseFindings(fs))}, but not when asked again`);
  for (const e of r.expectations.filter((x) => !x.met)) out.push(`- ${mark(e.baseline)}expected ${md(e.description)} in ${md(e.environment)}; got ${md(e.observed)}`);
  for (const l of r.leaks) out.push(`- ${mark(l.baseline)}leak: ${md(leakText(l))}`);
  out.push(...fixMarkdown(r, md));
  return out;
}

export function toMarkdown(s: RunSummary): string {
  const failed = s.results.filter((r) => r.verdict === 'fail').length;
  const head =
    s.exitCode === 0 ? '✅ parity' : s.exitCode === 1 ? (s.baseline ? '❌ new differences' : '❌ unexpected differences') : '⚠️ could not run';
  const out: string[] = [`## dnsparity: ${head}`, ''];
  out.push(`${s.results.length} scenario${s.results.length === 1 ? '' : 's'}, ${failed} failed${s.errors.length ? `, ${s.errors.length} could not run` : ''}, in ${(s.wallMs / 1000).toFixed(1)} s${s.shard ? ` (shard ${s.shard.index}/${s.shard.count})` : ''}.`);
  if (s.baseline) {
    out.push('', `Against the baseline ${md(s.baseline.file)}: **${s.baseline.new} new**, ${s.baseline.known} known, ${s.baseline.resolved.length} resolved.`);
  }
  if (s.results.length) {
    out.push('', '| scenario | verdict | unexpected | expected | unstable | unmet expectations | leaks |', '|---|---|---:|---:|---:|---:|---:|');
    for (const r of s.results) {
      const c = counts(r);
      out.push(`| ${md(r.scenario.name)} | ${r.verdict === 'pass' ? '✅ pass' : '❌ fail'} | ${c.unexpected} | ${c.expected} | ${c.unstable} | ${c.unmet} | ${c.leaks} |`);
    }
  }
  for (const r of s.results) out.push(...scenarioBlock(r));
  for (const e of s.errors) out.push('', `⚠️ **${md(e.scenario)}** could not run: ${md(e.message)}`);
  if (s.baseline?.resolved.length) {
    out.push('', '### Resolved since the baseline', '');
    for (const f of s.baseline.resolved.slice(0, 10)) out.push(`- ${md(f.scenario)}: ${md(f.subject)} in ${md(f.environment)} (${md(f.class)})`);
    if (s.baseline.resolved.length > 10) out.push(`- … and ${s.baseline.resolved.length - 10} more`);
  }
  // Substitutions differ per scenario only in run-directory paths and line numbers: listed once, folded away.
  const subs = [...new Set(s.results.flatMap((r) => r.substitutions.map((x) => `${x.option}: ${x.why}`)))];
  if (subs.length) {
    out.push('', '<details><summary>Config substitutions (every environment alike; the only changes made to the image\'s config)</summary>', '');
    for (const x of subs) out.push(`- ${md(x)}`);
    out.push('', '</details>');
  }
  return `${out.join('\n')}\n`;
}

export class MarkdownReporter implements Reporter {
  readonly name = 'markdown';
  constructor(private readonly ctx: ReporterContext) {}
  onRunEnd(summary: RunSummary): void {
    const text = toMarkdown(summary);
    if (this.ctx.outDir) writeFileSync(join(this.ctx.outDir, 'summary.md'), text);
    else this.ctx.stdout.write(text);
  }
}
