// junit.xml for CI test reports (GitLab, Jenkins, GitHub test reporters): a
// testsuite per scenario, a testcase per query x layer x environment compared
// with the reference, named so the query reads first. Unexpected differences
// fail, declared ones are skipped with their reason, unstable ones (not
// reproduced when asked again) are skipped as such. Unmet expectations and
// leaks are testcases of their own.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as Xmlbuilder2 from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import { queryKey, type Difference, type Finding, type Layer } from '../model.js';
import type { ScenarioResult } from '../run.js';
import type { Reporter, ReporterContext, RunSummary } from './types.js';
import { CLASS_TEXT, leakText, mark, substitutionText, queryLabel } from './view.js';

// Loaded on first use: it takes a good part of a second to load, and most runs write no junit.xml.
const xmlbuilder2 = (): typeof Xmlbuilder2 => createRequire(import.meta.url)('xmlbuilder2') as typeof Xmlbuilder2;

type Verdict =
  | { readonly kind: 'pass' }
  | { readonly kind: 'failure'; readonly type: string; readonly message: string; readonly text: string }
  | { readonly kind: 'skipped'; readonly message: string };

interface Case {
  readonly name: string;
  readonly seconds: number;
  readonly verdict: Verdict;
}

const seconds = (ms: number): number => Math.round(ms) / 1000;

function judge(f: Finding | undefined, layer: Layer, diffs: readonly Difference[]): Verdict {
  if (!f || diffs.length === 0) return { kind: 'pass' };
  if (f.status === 'expected') return { kind: 'skipped', message: `expected difference: ${f.reason ?? ''}` };
  if (f.status === 'unstable') return { kind: 'skipped', message: `unstable: did not reproduce when asked again (${f.recheck?.detail ?? ''})` };
  const d = diffs[0]!;
  const asked = f.recheck ? `\nAsked again: ${f.recheck.detail}.` : '';
  return {
    kind: 'failure',
    type: d.class,
    message: `${mark(f.baseline)}${CLASS_TEXT[d.class]} ${f.environment} (${layer} layer): ${diffs.map((x) => x.detail).join('; ')}`,
    text: `${f.explanation}${asked}`,
  };
}

export function scenarioCases(r: ScenarioResult): Case[] {
  const cases: Case[] = [];
  const others = r.environments.filter((e) => e.name !== r.reference).map((e) => e.name);
  r.queries.forEach((q, i) => {
    for (const env of others) {
      const obs = r.observations[env]![i]!;
      const f = r.findings.find((x) => x.environment === env && queryKey(x.query) === queryKey(q));
      const layers: Layer[] = obs.application ? ['application', 'resolver'] : ['resolver'];
      for (const layer of layers) {
        // The deciding layer carries the finding; the resolver layer of an address lookup carries what explains it.
        const diffs = !f ? [] : f.difference.layer === layer ? [f.difference] : layer === 'resolver' ? f.resolverDifferences : [];
        const ms = layer === 'application' ? obs.application!.latencyMs : obs.resolver[0]!.latencyMs;
        cases.push({ name: `${queryLabel(q)} [${layer}] ${env}`, seconds: seconds(ms), verdict: judge(f, layer, diffs) });
      }
    }
  });
  for (const e of r.expectations) {
    cases.push({
      name: `${queryLabel(e.query)} [expectation] ${e.environment}: ${e.description}`,
      seconds: 0,
      verdict: e.met ? { kind: 'pass' } : { kind: 'failure', type: 'expectation-not-met', message: `${mark(e.baseline)}expected ${e.description} in ${e.environment}; got ${e.observed}`, text: '' },
    });
  }
  for (const env of Object.keys(r.upstream ?? {})) {
    const leaks = r.leaks.filter((l) => l.environment === env);
    cases.push({
      name: `no server outside the scenario's network [resolver] ${env}`,
      seconds: 0,
      verdict: leaks.length === 0 ? { kind: 'pass' } : { kind: 'failure', type: 'leak', message: leaks.map((l) => `${mark(l.baseline)}${l.server}`).join(', '), text: leaks.map(leakText).join('\n') },
    });
  }
  return cases;
}

function addSuite(root: XMLBuilder, r: ScenarioResult, timestamp: string): { tests: number; failures: number; skipped: number } {
  const cases = scenarioCases(r);
  const failures = cases.filter((c) => c.verdict.kind === 'failure').length;
  const skipped = cases.filter((c) => c.verdict.kind === 'skipped').length;
  const suite = root.ele('testsuite', {
    name: r.scenario.name,
    tests: cases.length,
    failures,
    errors: 0,
    skipped,
    time: seconds(r.wallMs),
    timestamp,
    file: r.scenario.file,
  });
  const props = suite.ele('properties');
  props.ele('property', { name: 'backend', value: r.backend });
  props.ele('property', { name: 'reference', value: r.reference });
  for (const s of r.substitutions) props.ele('property', { name: 'substitution', value: substitutionText(s) });
  for (const c of cases) {
    const tc = suite.ele('testcase', { classname: r.scenario.name, name: c.name, time: c.seconds });
    if (c.verdict.kind === 'failure') tc.ele('failure', { type: c.verdict.type, message: c.verdict.message }).txt(c.verdict.text || c.verdict.message);
    else if (c.verdict.kind === 'skipped') tc.ele('skipped', { message: c.verdict.message });
  }
  suite.ele('system-out').txt(`config substitutions (every environment alike):\n${r.substitutions.map(substitutionText).join('\n')}\n`);
  return { tests: cases.length, failures, skipped };
}

export function toJunit(summary: RunSummary): string {
  const timestamp = (summary.generatedAt ?? new Date().toISOString()).replace(/\.\d+Z$/, 'Z');
  // Characters XML 1.0 cannot carry (control characters in an answer's TXT data) are replaced, never passed through.
  const doc = xmlbuilder2().create({ version: '1.0', encoding: 'UTF-8', invalidCharReplacement: '\uFFFD' });
  const root = doc.ele('testsuites', { name: 'dnsparity' });
  const total = { tests: 0, failures: 0, errors: summary.errors.length, skipped: 0 };
  for (const r of summary.results) {
    const t = addSuite(root, r, timestamp);
    total.tests += t.tests;
    total.failures += t.failures;
    total.skipped += t.skipped;
  }
  if (summary.errors.length) {
    const suite = root.ele('testsuite', { name: 'could not run', tests: summary.errors.length, failures: 0, errors: summary.errors.length, skipped: 0, time: 0, timestamp });
    for (const e of summary.errors) suite.ele('testcase', { classname: e.scenario, name: `${e.scenario} could not run`, time: 0 }).ele('error', { message: e.message }).txt(e.message);
  }
  root.att({ tests: String(total.tests + total.errors), failures: String(total.failures), errors: String(total.errors), skipped: String(total.skipped), time: String(seconds(summary.wallMs)) });
  return doc.end({ prettyPrint: true });
}

export class JunitReporter implements Reporter {
  readonly name = 'junit';
  constructor(private readonly ctx: ReporterContext) {}
  onRunEnd(summary: RunSummary): void {
    const text = `${toJunit(summary)}\n`;
    if (this.ctx.outDir) writeFileSync(join(this.ctx.outDir, 'junit.xml'), text);
    else this.ctx.stdout.write(text);
  }
}
