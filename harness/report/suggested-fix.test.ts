// A suggested fix in every report, after the findings, and in report.json as the schema allows.
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { sampleResult } from '../../test/sample-result.js';
import type { ScenarioResult } from '../run.js';
import { toHtml } from './html.js';
import { toMarkdown } from './markdown.js';
import { renderScenario } from './pretty.js';
import { schemaProblem, toStored } from './stored.js';
import { summarise } from './summary.js';

const base = sampleResult();
const diff = '--- /img/unbound.conf\tas the image has it\n+++ /img/unbound.conf\twith the suggested fix\n@@ -1,1 +1,4 @@\n server:\n+forward-zone:\n+    name: "internal.example.io"\n+    forward-addr: 169.254.169.253\n';
const withFix = (verified: boolean): ScenarioResult => ({
  ...base,
  suggestedFix: {
    diff,
    verdict: 'fail',
    remaining: base.findings.filter((f) => f.status === 'unexpected' && (verified ? f.query.source === 'public-zone' : true)),
    zones: ['internal.example.io'],
    summary: "forward-zone for internal.example.io to the provider's resolver 169.254.169.253",
    targetsRemoved: verified,
    targeted: 1,
    targetedRemaining: verified ? 0 : 1,
  },
});
const summary = (r: ScenarioResult) => summarise({ results: [r], errors: [], wallMs: 1 });

describe('suggested fix in the reports', () => {
  it('pretty shows it after the findings: what it does, whether it is verified, the diff', () => {
    const text = renderScenario(withFix(true), new Chalk({ level: 0 }));
    const at = text.indexOf('suggested fix: forward-zone for internal.example.io');
    expect(at).toBeGreaterThan(text.indexOf('proxysql.internal.example.io A'));
    expect(text).toContain('run again with it: FAIL');
    expect(text).toContain('with this change every private name of internal.example.io resolves alike in every environment: verified; other differences remain: 1 public query slow only in staging');
    expect(text).toContain('      +    forward-addr: 169.254.169.253');
    expect(renderScenario(withFix(false), new Chalk({ level: 0 }))).toContain('this change does not remove the differences it targets: 1 of 1 remain');
  });

  it('Markdown and HTML show it too', () => {
    const md = toMarkdown(summary(withFix(true)));
    expect(md).toContain('```diff\n--- /img/unbound.conf');
    expect(md).toContain('verified');
    const html = toHtml(summary(withFix(false)));
    expect(html).toContain('<h3>Suggested fix</h3><p class="fix unverified">');
    expect(html).toContain('+    name: &quot;internal.example.io&quot;');
  });

  it('report.json carries it per scenario, as the schema describes', () => {
    const stored = JSON.parse(JSON.stringify(toStored(summary(withFix(true))))) as { scenarios: { suggestedFix: unknown }[] };
    expect(stored.scenarios[0]!.suggestedFix).toMatchObject({ diff, verdict: 'fail', targetsRemoved: true });
    expect(schemaProblem(stored)).toBeUndefined();
    (stored.scenarios[0]!.suggestedFix as Record<string, unknown>).verdict = 'maybe';
    expect(schemaProblem(stored)?.path).toContain('suggestedFix');
  });
});
