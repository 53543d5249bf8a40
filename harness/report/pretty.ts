// The terminal report: one block per scenario, a verdict line a person can
// read in seconds, and for each difference what every environment got and why.
// Colour only on a TTY and never with NO_COLOR (chalk's own detection).
import { Chalk, type ChalkInstance } from 'chalk';
import { explainEnvironment } from '../explain/index.js';
import { DIFFERENCE_CLASSES, queryKey, type Finding } from '../model.js';
import type { ScenarioResult } from '../run.js';
import { fixPretty } from './suggested-fix.js';
import type { Reporter, ReporterContext, RunSummary } from './types.js';
import { byQuery, leakText, mark, outcomeText, summariseFindings as summarise, queryLabel } from './view.js';

const MAX_QUERIES_SHOWN = 12;
const MAX_DETAILED = 2;

export function renderScenario(r: ScenarioResult, c: ChalkInstance): string {
  const out: string[] = [];
  const unexpected = r.findings.filter((f) => f.status === 'unexpected');
  const expected = r.findings.filter((f) => f.status === 'expected');
  const unstable = r.findings.filter((f) => f.status === 'unstable');
  const unmet = r.expectations.filter((e) => !e.met);
  const head = r.verdict === 'pass' ? c.green.bold('✓ PASS') : c.red.bold('✗ FAIL');
  const envs = r.environments.map((e) => `${e.name}${e.reference ? ' (reference)' : ''}: egress ${e.egress}${e.provider !== 'reachable' ? `, provider ${e.provider}` : ''}`).join('; ');
  out.push(`${head}  ${c.bold(r.scenario.name)}  ${c.dim(`${r.backend}, ${(r.wallMs / 1000).toFixed(1)} s, ${r.queries.length} queries`)}`);
  out.push(c.dim(`  ${envs}`));
  const counts = [
    unexpected.length ? c.red(`${unexpected.length} unexpected difference${unexpected.length === 1 ? '' : 's'}`) : c.green('no unexpected difference'),
    expected.length ? `${expected.length} expected` : '',
    unstable.length ? c.yellow(`${unstable.length} unstable (not reproduced when asked again)`) : '',
    r.leaks.length ? c.red(`${r.leaks.length} leak${r.leaks.length === 1 ? '' : 's'}`) : '',
    unmet.length ? c.red(`${unmet.length} expectation${unmet.length === 1 ? '' : 's'} not met`) : '',
  ].filter(Boolean);
  out.push(`  ${counts.join(', ')}`);

  // One block per query, most significant first. The first few unexpected ones
  // show every environment and the stub's path; the rest take a line each.
  const rank = (f: Finding) => DIFFERENCE_CLASSES.indexOf(f.difference.class);
  const groups = new Map<number, Finding[]>();
  for (const f of [...unexpected].sort((a, b) => rank(a) - rank(b))) {
    const i = r.queries.findIndex((q) => queryKey(q) === queryKey(f.query));
    groups.set(i, [...(groups.get(i) ?? []), f]);
  }
  let detailed = 0;
  let shown = 0;
  for (const [i, fs] of groups) {
    if (shown++ >= MAX_QUERIES_SHOWN) {
      out.push(c.dim(`  … and ${groups.size - MAX_QUERIES_SHOWN} more queries with differences (see report.json)`));
      break;
    }
    const q = r.queries[i]!;
    const marks = [...new Set(fs.map((f) => f.baseline).filter(Boolean))].map((m) => mark(m)).join('');
    out.push(`  ${c.red('✗')} ${marks}${c.bold(queryLabel(q))}: ${summarise(fs)}`);
    if (detailed >= MAX_DETAILED || fs[0]!.difference.class === 'slow-only-in-one' && detailed > 0) continue;
    detailed++;
    const names = [r.reference, ...fs.map((f) => f.environment)];
    const width = Math.max(...names.map((n) => n.length));
    for (const env of names) {
      const o = outcomeText(r.observations[env]![i]!);
      out.push(`      ${env.padEnd(width)}  ${o.text}  ${o.latencyMs} ms`);
      out.push(c.dim(`      ${''.padEnd(width)}  ${explainEnvironment(r, env, i)}`));
    }
  }
  for (const fs of byQuery(r, 'unstable')) {
    out.push(`  ${c.yellow('?')} ${queryLabel(fs[0]!.query)}: ${summarise(fs)}, but not when asked again (${fs[0]!.recheck?.detail ?? ''}): not counted`);
  }
  for (const l of r.leaks) out.push(`  ${c.red('✗')} ${mark(l.baseline)}leak: ${leakText(l)}`);
  // Expected differences, grouped by their reason: a line per reason.
  const byReason = new Map<string, Finding[]>();
  for (const f of expected) byReason.set(f.reason ?? '', [...(byReason.get(f.reason ?? '') ?? []), f]);
  for (const [reason, fs] of byReason) {
    const qs = [...new Set(fs.map((f) => f.query.name))];
    out.push(`  ${c.yellow('~')} expected: ${summarise(fs)} for ${qs.slice(0, 4).join(', ')}${qs.length > 4 ? ` and ${qs.length - 4} more` : ''}`);
    out.push(c.dim(`      because ${reason}`));
  }
  for (const e of unmet) out.push(`  ${c.red('✗')} ${mark(e.baseline)}expected ${e.description} in ${e.environment}; got ${e.observed}`);
  out.push(...fixPretty(r, c));
  // On docker the host under test sees this resolv.conf, mounted over the one Docker writes into containers.
  if (r.sources) out.push(c.dim(`  resolver config: ${r.sources.resolverConfig}; resolv.conf: ${r.sources.resolvConf}${r.backend === 'docker' ? " (mounted over Docker's own)" : ''}`));
  const subs = r.substitutions.map((s) => s.option).join(', ');
  out.push(c.dim(`  config substitutions (every environment alike): ${subs}`));
  return out.join('\n');
}

export class PrettyReporter implements Reporter {
  readonly name = 'pretty';
  private readonly c: ChalkInstance;
  constructor(private readonly ctx: ReporterContext) {
    const color = !process.env.NO_COLOR && !!ctx.stdout.isTTY && process.env.TERM !== 'dumb';
    this.c = new Chalk({ level: color ? 1 : 0 });
  }
  onScenarioResult(r: ScenarioResult): void {
    this.ctx.stdout.write(`${renderScenario(r, this.c)}\n\n`);
  }
  onRunEnd(s: RunSummary): void {
    const c = this.c;
    const passed = s.results.filter((r) => r.verdict === 'pass').length;
    const failed = s.results.length - passed;
    for (const e of s.errors) this.ctx.stdout.write(`${c.red.bold('! ERROR')}  ${e.scenario}: ${e.message}\n`);
    if (s.baseline) {
      const b = s.baseline;
      this.ctx.stdout.write(`against the baseline ${b.file}: ${b.new ? c.red.bold(`${b.new} new`) : '0 new'}, ${b.known} known, ${b.resolved.length} resolved\n`);
      for (const f of b.resolved.slice(0, 10)) this.ctx.stdout.write(c.dim(`  resolved: ${f.scenario}: ${f.subject} in ${f.environment} (${f.class})\n`));
    }
    // The ten-second read: one line per scenario, its verdict and what decided it.
    if (s.results.length > 1) {
      this.ctx.stdout.write(`${c.bold('summary')}\n`);
      const width = Math.max(...s.results.map((r) => r.scenario.name.length));
      for (const r of s.results) this.ctx.stdout.write(`  ${r.verdict === 'pass' ? c.green('✓') : c.red('✗')} ${r.scenario.name.padEnd(width)}  ${headline(r)}\n`);
    }
    const verdict = s.exitCode === 0 ? c.green.bold('parity') : s.exitCode === 1 ? c.red.bold(s.baseline ? 'new differences' : 'unexpected differences') : c.red.bold('could not run');
    this.ctx.stdout.write(`${verdict}: ${passed} passed, ${failed} failed${s.errors.length ? `, ${s.errors.length} could not run` : ''} in ${(s.wallMs / 1000).toFixed(1)} s${s.jobs ? `, ${s.jobs} at a time` : ''} (exit ${s.exitCode})\n`);
  }
}

/** What decided a scenario's verdict, in a few words. */
export function headline(r: ScenarioResult): string {
  const top = byQuery(r, 'unexpected')[0];
  const unmet = r.expectations.filter((e) => !e.met).length;
  const expected = r.findings.filter((f) => f.status === 'expected').length;
  if (top) {
    const more = byQuery(r, 'unexpected').length - 1;
    return `${queryLabel(top[0]!.query)} ${summarise(top)}${more > 0 ? ` (+${more} more quer${more === 1 ? 'y' : 'ies'})` : ''}`;
  }
  if (r.leaks.length) return `leak: ${leakText(r.leaks[0]!)}`;
  if (unmet) return `${unmet} expectation${unmet === 1 ? '' : 's'} not met`;
  return `parity on ${r.queries.length} queries${expected ? `, ${expected} declared difference${expected === 1 ? '' : 's'}` : ''}`;
}
