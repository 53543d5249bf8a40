// report.html: one self-contained file (inline style, no script, no external
// asset) a person can scan: per scenario, a query x environment matrix whose
// cells say what each environment got and why, coloured by status, then
// unmet expectations, leaks and the config substitutions.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { queryKey } from '../model.js';
import type { ScenarioResult } from '../run.js';
import { fixHtml } from './suggested-fix.js';
import type { Reporter, ReporterContext, RunSummary } from './types.js';
import { cell, CLASS_TEXT, counts, leakText, type Cell } from './view.js';
import { displayName } from '../scenario/idn.js';

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `
:root { --fail:#b42318; --fail-bg:#fde8e6; --exp:#8a5a00; --exp-bg:#fff4d6; --uns:#3d4f7a; --uns-bg:#e8edf8; --ok:#1e6b3a; --ref-bg:#f2f4f7; --line:#d0d5dd; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1d2939; background: #fff; }
header, section, footer { padding: 16px 24px; }
header { border-bottom: 1px solid var(--line); }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 0 0 6px; } h3 { font-size: 15px; margin: 16px 0 6px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; vertical-align: middle; }
.badge.pass { background: #dcfae6; color: var(--ok); } .badge.fail { background: var(--fail-bg); color: var(--fail); } .badge.error { background: var(--exp-bg); color: var(--exp); }
.muted { color: #667085; } .desc { white-space: pre-line; color: #475467; max-width: 100ch; }
pre.diff { background: #f6f8fa; padding: .6em; overflow-x: auto; font-size: 90%; } .fix.unverified { color: #b42318; }
nav a { margin-right: 12px; }
.matrix-wrap { overflow-x: auto; }
table.matrix { border-collapse: collapse; min-width: 100%; table-layout: fixed; }
table.matrix th, table.matrix td { border: 1px solid var(--line); padding: 6px 8px; vertical-align: top; text-align: left; }
table.matrix thead th { background: #f9fafb; position: sticky; top: 0; }
table.matrix th[scope=row] { width: 260px; font-weight: 600; word-break: break-all; }
.type { font-family: ui-monospace, monospace; font-size: 12px; color: #475467; margin-left: 4px; }
.outcome { font-family: ui-monospace, monospace; font-size: 13px; word-break: break-word; }
.ms { color: #667085; font-size: 12px; margin-left: 6px; }
.class { font-weight: 600; margin-top: 2px; }
.why { margin: 4px 0 0; font-size: 12.5px; color: #344054; }
details summary { cursor: pointer; color: #667085; font-size: 12px; }
td.reference { background: var(--ref-bg); }
td.unexpected { background: var(--fail-bg); } td.unexpected .class { color: var(--fail); }
td.expected { background: var(--exp-bg); } td.expected .class { color: var(--exp); }
td.unstable { background: var(--uns-bg); } td.unstable .class { color: var(--uns); }
.mark { font-size: 11px; border: 1px solid currentColor; border-radius: 4px; padding: 0 4px; margin-left: 4px; }
ul.items li { margin: 3px 0; }
table.subs { border-collapse: collapse; font-size: 12.5px; } table.subs td, table.subs th { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
code { font-family: ui-monospace, monospace; font-size: 12px; }
`;

const markBadge = (m: 'new' | 'known' | undefined): string => (m ? ` <span class="mark">${m}</span>` : '');

function cellHtml(r: ScenarioResult, c: Cell, env: string, rowHasFinding: boolean): string {
  const f = c.finding;
  const label =
    c.status === 'reference' ? 'reference'
    : c.status === 'same' ? 'same as the reference'
    : `${c.status === 'expected' ? 'expected: ' : c.status === 'unstable' ? 'unstable: ' : ''}${CLASS_TEXT[f!.difference.class]} ${env}`;
  // The explanation is on every cell; shown open where the row differs, folded where it does not.
  const open = c.status !== 'same' && (c.status !== 'reference' || rowHasFinding);
  const extra = f?.status === 'expected' && f.reason ? ` Declared because ${f.reason}.` : f?.status === 'unstable' && f.recheck ? ` Asked again: ${f.recheck.detail}.` : '';
  const why = `${c.explanation}.${extra}`;
  return [
    `<td class="cell ${c.status}" data-env="${esc(env)}" data-status="${c.status}" title="${esc(why)}">`,
    `<div class="outcome">${esc(c.outcome)}<span class="ms">${c.latencyMs} ms</span></div>`,
    c.status === 'same' ? '' : `<div class="class">${esc(label)}${markBadge(f?.baseline)}</div>`,
    f && c.status !== 'same' ? `<div class="detail muted">${esc(f.difference.detail)}</div>` : '',
    open ? `<p class="why">${esc(why)}</p>` : `<details><summary>why</summary><p class="why">${esc(why)}</p></details>`,
    '</td>',
  ].join('');
}

function scenarioHtml(r: ScenarioResult): string {
  const c = counts(r);
  const envs = [r.reference, ...r.environments.map((e) => e.name).filter((n) => n !== r.reference)];
  const envHead = envs.map((name) => {
    const e = r.environments.find((x) => x.name === name)!;
    const policy = `egress ${e.egress}${e.provider !== 'reachable' ? `, provider ${e.provider}` : ''}`;
    return `<th scope="col">${esc(name)}<div class="muted">${name === r.reference ? 'reference · ' : ''}${esc(policy)}</div></th>`;
  });
  const rows = r.queries.map((q, i) => {
    const hasFinding = r.findings.some((f) => queryKey(f.query) === queryKey(q));
    const cells = envs.map((env) => cellHtml(r, cell(r, env, i), env, hasFinding));
    return `<tr data-query="${esc(queryKey(q))}"><th scope="row">${esc(displayName(q.name))}<span class="type">${q.type}${q.library ? ` ${q.library}` : ''}</span><div class="muted">${q.source}</div></th>${cells.join('')}</tr>`;
  });
  const countText = [
    `${c.unexpected} unexpected`,
    `${c.expected} expected`,
    c.unstable ? `${c.unstable} unstable (not reproduced when asked again)` : '',
    c.unmet ? `${c.unmet} expectation${c.unmet === 1 ? '' : 's'} not met` : '',
    c.leaks ? `${c.leaks} leak${c.leaks === 1 ? '' : 's'}` : '',
  ].filter(Boolean).join(', ');
  const expectations = r.expectations.length
    ? `<h3>Expectations</h3><ul class="items">${r.expectations.map((e) => `<li>${e.met ? '✓' : '✗'} ${esc(e.description)} in ${esc(e.environment)}${e.met ? '' : `: got ${esc(e.observed)}${markBadge(e.baseline)}`}</li>`).join('')}</ul>`
    : '';
  const leaks = r.upstream
    ? `<h3>Servers outside the scenario's network</h3>${r.leaks.length ? `<ul class="items">${r.leaks.map((l) => `<li class="leak">✗ ${esc(leakText(l))}${markBadge(l.baseline)}</li>`).join('')}</ul>` : '<p class="muted">none: unbound contacted only the simulated servers.</p>'}`
    : '';
  const subs = `<h3>Config substitutions</h3><p class="muted">Every environment gets the same config; these are the only changes made to the image's.</p><table class="subs"><tr><th>option</th><th>image's value</th><th>used</th><th>why</th></tr>${r.substitutions
    .map((s) => `<tr><td><code>${esc(s.option)}</code>${s.line ? ` <span class="muted">line ${s.line}</span>` : ''}</td><td><code>${esc(s.original ?? 'unset')}</code></td><td><code>${esc(s.replacement)}</code></td><td>${esc(s.why)}</td></tr>`)
    .join('')}</table>`;
  const recheck = r.recheck
    ? `<p class="muted">${r.recheck.queries.length} differing quer${r.recheck.queries.length === 1 ? 'y was' : 'ies were'} asked again${r.recheck.fresh ? ' after restarting every resolver' : ''}; differences that did not reproduce are marked unstable.</p>`
    : '';
  return `<section class="scenario" id="${esc(`s-${r.scenario.name}`)}" data-scenario="${esc(r.scenario.name)}">
<h2><span class="badge ${r.verdict}">${r.verdict.toUpperCase()}</span> ${esc(r.scenario.name)}</h2>
<div class="muted">${esc(r.scenario.file)} · ${r.backend} · ${(r.wallMs / 1000).toFixed(1)} s · ${r.queries.length} queries · ${esc(countText)}</div>
${r.scenario.description ? `<p class="desc">${esc(r.scenario.description)}</p>` : ''}
${recheck}
<div class="matrix-wrap"><table class="matrix"><thead><tr><th scope="col">query</th>${envHead.join('')}</tr></thead><tbody>
${rows.join('\n')}
</tbody></table></div>
${expectations}${leaks}${fixHtml(r, esc)}${subs}
</section>`;
}

export function toHtml(s: RunSummary): string {
  const failed = s.results.filter((r) => r.verdict === 'fail').length;
  const head = s.exitCode === 0 ? ['pass', 'parity'] : s.exitCode === 1 ? ['fail', s.baseline ? 'new differences' : 'unexpected differences'] : ['error', 'could not run'];
  const baseline = s.baseline
    ? `<p>Against the baseline <code>${esc(s.baseline.file)}</code>: <strong>${s.baseline.new} new</strong>, ${s.baseline.known} known, ${s.baseline.resolved.length} resolved.</p>${s.baseline.resolved.length ? `<ul class="items">${s.baseline.resolved.map((f) => `<li>resolved: ${esc(f.scenario)}: ${esc(f.subject)} in ${esc(f.environment)} (${esc(f.class)})</li>`).join('')}</ul>` : ''}`
    : '';
  const errors = s.errors.map((e) => `<p class="badge error">could not run</p> <strong>${esc(e.scenario)}</strong>: ${esc(e.message)}`).join('<br>');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>dnsparity: ${esc(head[1]!)}</title><style>${STYLE}</style></head>
<body>
<header><h1><span class="badge ${head[0]}">${head[0]!.toUpperCase()}</span> dnsparity: ${esc(head[1]!)}</h1>
<div class="muted">${s.results.length} scenario${s.results.length === 1 ? '' : 's'}, ${failed} failed${s.errors.length ? `, ${s.errors.length} could not run` : ''} · ${(s.wallMs / 1000).toFixed(1)} s${s.generatedAt ? ` · ${esc(s.generatedAt)}` : ''}${s.shard ? ` · shard ${s.shard.index}/${s.shard.count}` : ''}</div>
${baseline}${errors}
<nav>${s.results.map((r) => `<a href="#${esc(`s-${r.scenario.name}`)}">${r.verdict === 'pass' ? '✓' : '✗'} ${esc(r.scenario.name)}</a>`).join('')}</nav>
</header>
${s.results.map(scenarioHtml).join('\n')}
<footer class="muted">Cells: what getaddrinfo returned (A, AAAA) or what the local resolver answered (other types), then why: the local resolver's upstream queries and the stub's path through resolv.conf.</footer>
</body></html>
`;
}

export class HtmlReporter implements Reporter {
  readonly name = 'html';
  constructor(private readonly ctx: ReporterContext) {}
  onRunEnd(summary: RunSummary): void {
    const text = toHtml(summary);
    if (this.ctx.outDir) writeFileSync(join(this.ctx.outDir, 'report.html'), text);
    else this.ctx.stdout.write(text);
  }
}
