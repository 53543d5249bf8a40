// How each report shows a scenario's suggested fix (--suggest-fixes), after
// its findings: what the change does, the sentence that says whether it
// removed the differences it targets (from the run with it), and the diff.
import type { ChalkInstance } from 'chalk';
import type { ScenarioResult } from '../run.js';
import { fixSentence } from '../suggest-fix.js';

const headline = (r: ScenarioResult): string => {
  const f = r.suggestedFix!;
  return `suggested fix: ${f.summary}; run again with it: ${f.verdict.toUpperCase()}`;
};

export function fixPretty(r: ScenarioResult, c: ChalkInstance): string[] {
  const f = r.suggestedFix;
  if (!f) return [];
  const sentence = fixSentence(f, r.resolvConf);
  const diff = f.diff.split('\n').filter((l) => l !== '' && !/^=+$/.test(l) && !l.startsWith('Index: '));
  return [
    `  ${f.targetsRemoved ? c.green('➜') : c.red('✗')} ${headline(r)}`,
    `      ${f.targetsRemoved ? sentence : c.red(sentence)}`,
    ...diff.map((l) => `      ${l.startsWith('+') && !l.startsWith('+++') ? c.green(l) : l.startsWith('-') && !l.startsWith('---') ? c.red(l) : c.dim(l)}`),
  ];
}

export function fixMarkdown(r: ScenarioResult, md: (s: string) => string): string[] {
  const f = r.suggestedFix;
  if (!f) return [];
  return [`- ${f.targetsRemoved ? '➜' : '❌'} ${md(headline(r))}.  \n  ${md(fixSentence(f, r.resolvConf))}`, '', '```diff', f.diff.replace(/^Index: .*\n=+\n/gm, '').trimEnd(), '```'];
}

export function fixHtml(r: ScenarioResult, esc: (s: string) => string): string {
  const f = r.suggestedFix;
  if (!f) return '';
  return `<h3>Suggested fix</h3><p class="fix ${f.targetsRemoved ? 'verified' : 'unverified'}">${esc(headline(r))}. ${esc(fixSentence(f, r.resolvConf))}.</p><pre class="diff">${esc(f.diff.replace(/^Index: .*\n=+\n/gm, ''))}</pre>`;
}
