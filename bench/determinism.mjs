#!/usr/bin/env node
// Determinism: runs every shipped scenario N times (default 50) and counts
// flips: a run whose findings (scenario, query, type, environment, class,
// status) or verdicts differ from the most common outcome. Timings aside.
//   node bench/determinism.mjs [--runs N] [--jobs J] [SCENARIO_OR_DIR ...]
// Writes bench/results/determinism.json and prints a summary.
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(args.splice(i, 2)[1]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} expects a positive whole number`);
  return v;
};
const runs = opt('--runs', 50);
const jobs = opt('--jobs', 1);
const targets = args.length ? args : ['scenarios'];
const cli = new URL('../dist/harness/cli/main.js', import.meta.url).pathname;

async function once(i) {
  const out = mkdtempSync(join(tmpdir(), 'dnsparity-det-'));
  try {
    const r = await run(process.execPath, [cli, 'run', ...targets, '--reporter', 'json', '--out', out], { maxBuffer: 1 << 26 }).catch((e) => e);
    const code = r.code ?? 0;
    if (code !== 0 && code !== 1) throw new Error(`run ${i} exited ${code}: ${r.stderr}`);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    return report.scenarios.map((s) => ({
      scenario: s.scenario.name,
      signature: JSON.stringify([s.verdict, s.leaks, ...s.findings.map((f) => [f.query.name, f.query.type, f.environment, f.difference.class, f.status]).sort()]),
      wallMs: s.wallMs,
    }));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const started = Date.now();
const results = [];
let next = 0;
await Promise.all(
  Array.from({ length: jobs }, async () => {
    while (next < runs) {
      const i = next++;
      results[i] = await once(i);
      process.stderr.write(`\rrun ${results.filter(Boolean).length}/${runs}`);
    }
  }),
);
process.stderr.write('\n');

const byScenario = {};
for (const r of results) for (const s of r) (byScenario[s.scenario] ??= []).push(s);
const summary = Object.fromEntries(
  Object.entries(byScenario).map(([name, xs]) => {
    const counts = {};
    for (const x of xs) counts[x.signature] = (counts[x.signature] ?? 0) + 1;
    const top = Math.max(...Object.values(counts));
    const walls = xs.map((x) => x.wallMs).sort((a, b) => a - b);
    return [name, { runs: xs.length, flips: xs.length - top, distinctOutcomes: Object.keys(counts).length, wallMsMedian: walls[walls.length >> 1], wallMsMax: walls.at(-1) }];
  }),
);
const doc = { command: `node bench/determinism.mjs --runs ${runs} --jobs ${jobs} ${targets.join(' ')}`, date: new Date().toISOString(), totalWallS: Math.round((Date.now() - started) / 1000), scenarios: summary };
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/determinism.json', import.meta.url), `${JSON.stringify(doc, null, 2)}\n`);
for (const [name, s] of Object.entries(summary)) console.log(`${name.padEnd(28)} ${s.runs} runs, ${s.flips} flips, ${s.distinctOutcomes} distinct outcome(s), wall median ${s.wallMsMedian} ms, max ${s.wallMsMax} ms`);
console.log(`total ${doc.totalWallS} s`);
process.exitCode = Object.values(summary).some((s) => s.flips > 0) ? 1 : 0;
