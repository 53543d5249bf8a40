// The terminal report: one block per scenario, a verdict line a person can
// read in seconds, and for each difference what every environment got and why.
// Colour only on a TTY and never with NO_COLOR (chalk's own detection).
import { Chalk, type ChalkInstance } from 'chalk';
import { describeApp, describeResolver } from '../compare/normalise.js';
import { describeStubPath, stubPath } from '../explain/stub-path.js';
import { DIFFERENCE_CLASSES, type Finding, type QueryObservation } from '../model.js';
import type { ScenarioResult } from '../run.js';
import type { Reporter, ReporterContext, RunSummary } from './types.js';

const MAX_QUERIES_SHOWN = 12;
const MAX_DETAILED = 2;

const CLASS_TEXT: Record<Finding['difference']['class'], string> = {
  'resolves-only-in-one': 'resolves only in',
  timeout: 'times out in',
  'different-answer': 'different answer in',
  'different-rcode': 'different failure in',
  'slow-only-in-one': 'slow only in',
};

export function renderScenario(r: ScenarioResult, c: ChalkInstance): string {
  const out: string[] = [];
  const unexpected = r.findings.filter((f) => f.status === 'unexpected');
  const expected = r.findings.filter((f) => f.status === 'expected');
  const unmet = r.expectations.filter((e) => !e.met);
  const head = r.verdict === 'pass' ? c.green.bold('✓ PASS') : c.red.bold('✗ FAIL');
  const envs = r.environments.map((e) => `${e.name}${e.reference ? ' (reference)' : ''}: egress ${e.egress}${e.provider !== 'reachable' ? `, provider ${e.provider}` : ''}`).join('; ');
  out.push(`${head}  ${c.bold(r.scenario.name)}  ${c.dim(`${r.backend}, ${(r.wallMs / 1000).toFixed(1)} s, ${r.queries.length} queries`)}`);
  out.push(c.dim(`  ${envs}`));
  const counts = [
    unexpected.length ? c.red(`${unexpected.length} unexpected difference${unexpected.length === 1 ? '' : 's'}`) : c.green('no unexpected difference'),
    expected.length ? `${expected.length} expected` : '',
    unmet.length ? c.red(`${unmet.length} expectation${unmet.length === 1 ? '' : 's'} not met`) : '',
  ].filter(Boolean);
  out.push(`  ${counts.join(', ')}`);

  // One block per query, most significant first. The first few unexpected ones
  // show every environment and the stub's path; the rest take a line each.
  const rank = (f: Finding) => DIFFERENCE_CLASSES.indexOf(f.difference.class);
  const byQuery = new Map<number, Finding[]>();
  for (const f of [...unexpected].sort((a, b) => rank(a) - rank(b))) {
    const i = r.queries.findIndex((q) => q.name === f.query.name && q.type === f.query.type);
    byQuery.set(i, [...(byQuery.get(i) ?? []), f]);
  }
  let detailed = 0;
  let shown = 0;
  for (const [i, fs] of byQuery) {
    if (shown++ >= MAX_QUERIES_SHOWN) {
      out.push(c.dim(`  … and ${byQuery.size - MAX_QUERIES_SHOWN} more queries with differences (see report.json)`));
      break;
    }
    const q = r.queries[i]!;
    out.push(`  ${c.red('✗')} ${c.bold(`${q.name} ${q.type}`)}: ${summarise(fs)}`);
    if (detailed >= MAX_DETAILED || fs[0]!.difference.class === 'slow-only-in-one' && detailed > 0) continue;
    detailed++;
    const names = [r.reference, ...fs.map((f) => f.environment)];
    const width = Math.max(...names.map((n) => n.length));
    for (const env of names) {
      const obs = r.observations[env]![i]!;
      out.push(`      ${env.padEnd(width)}  ${result(obs)}`);
      out.push(c.dim(`      ${''.padEnd(width)}  ${describeStubPath(stubPath(obs, r.resolvConf), r.resolvConf.nameservers)}`));
    }
  }
  // Expected differences, grouped by their reason: a line per reason.
  const byReason = new Map<string, Finding[]>();
  for (const f of expected) byReason.set(f.reason ?? '', [...(byReason.get(f.reason ?? '') ?? []), f]);
  for (const [reason, fs] of byReason) {
    const qs = [...new Set(fs.map((f) => f.query.name))];
    out.push(`  ${c.yellow('~')} expected: ${summarise(fs)} for ${qs.slice(0, 4).join(', ')}${qs.length > 4 ? ` and ${qs.length - 4} more` : ''}`);
    out.push(c.dim(`      because ${reason}`));
  }
  for (const e of unmet) out.push(`  ${c.red('✗')} expected ${e.description} in ${e.environment}; got ${e.observed}`);
  // On docker the host under test sees this resolv.conf, mounted over the one Docker writes into containers.
  out.push(c.dim(`  resolver config: ${r.sources.resolverConfig}; resolv.conf: ${r.sources.resolvConf}${r.backend === 'docker' ? ' (mounted over Docker\'s own)' : ''}`));
  const subs = r.substitutions.map((s) => s.option).join(', ');
  out.push(c.dim(`  config substitutions (both environments alike): ${subs}`));
  return out.join('\n');
}

/** "resolves only in staging, preprod; slow only in qa" */
function summarise(fs: readonly Finding[]): string {
  const byClass = new Map<string, string[]>();
  for (const f of fs) byClass.set(f.difference.class, [...new Set([...(byClass.get(f.difference.class) ?? []), f.environment])]);
  return [...byClass].map(([cls, envs]) => `${CLASS_TEXT[cls as Finding['difference']['class']]} ${envs.join(', ')}`).join('; ');
}

function result(obs: QueryObservation): string {
  if (obs.application) return `${describeApp(obs.application.outcome)}  ${obs.application.latencyMs} ms`;
  const local = obs.resolver[0]!;
  return `${describeResolver(local.outcome)}  ${local.latencyMs} ms`;
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
    const verdict = s.exitCode === 0 ? c.green.bold('parity') : s.exitCode === 1 ? c.red.bold('unexpected differences') : c.red.bold('could not run');
    this.ctx.stdout.write(`${verdict}: ${passed} passed, ${failed} failed${s.errors.length ? `, ${s.errors.length} could not run` : ''} in ${(s.wallMs / 1000).toFixed(1)} s (exit ${s.exitCode})\n`);
  }
}
