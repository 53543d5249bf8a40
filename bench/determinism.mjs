#!/usr/bin/env node
// Determinism: runs every shipped scenario N times (default 50) and counts
// flips: a run whose findings (scenario, query, type, library, environment,
// class, side, status) or verdicts differ from the most common outcome.
// Timings aside. With --timeout1, every scenario also runs as a copy whose
// resolv.conf says `options timeout:1` (a stub timeout that used to sit on
// the default latency threshold). The runs alternate between the scenarios
// one at a time (`run --jobs 1`) and side by side (the default --jobs), and
// the outcome of each scenario is also compared between the two: a parallel
// run must find what a sequential one finds. --scenario-jobs N pins one mode.
//   node bench/determinism.mjs [--runs N] [--jobs J] [--scenario-jobs N] [--timeout1] [SCENARIO_OR_DIR ...]
// Writes bench/results/determinism.json and prints a summary.
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
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
const scenarioJobs = opt('--scenario-jobs', 0); // 0: alternate between 1 and the default
const modeOf = (i) => (scenarioJobs ? String(scenarioJobs) : i % 2 === 0 ? '1' : 'default');
const timeout1 = args.includes('--timeout1') && !!args.splice(args.indexOf('--timeout1'), 1);
const targets = args.length ? args : ['scenarios'];
const work = new URL('./.work/', import.meta.url).pathname;

/**
 * A copy of each scenario beside the originals' tree (bench/.work/timeout1),
 * its paths rewritten to stay relative, its resolv.conf with timeout:1.
 */
function timeout1Copies(files) {
  const dir = join(work, 'timeout1');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return files.map((file) => {
    const from = dirname(resolve(file));
    const rel = (p) => relative(dir, resolve(from, p));
    let text = readFileSync(file, 'utf8').replace(/^name: (.*)$/m, 'name: $1-timeout1');
    text = text.replace(/^(\s*(?:config|configRoot|file|resolvConf|root): )(\S+)/gm, (_m, key, p) => `${key}${rel(p)}`);
    const rc = /resolvConf: (\S+)/.exec(text);
    if (rc) {
      const conf = readFileSync(resolve(dir, rc[1]), 'utf8').replace(/^options .*$/m, '').trimEnd();
      const copy = `${basename(file, '.yaml')}.resolv.conf`;
      writeFileSync(join(dir, copy), `${conf}\noptions timeout:1 attempts:1\n`);
      text = text.replace(/resolvConf: \S+/, `resolvConf: ${copy}`);
    }
    const out = join(dir, basename(file));
    writeFileSync(out, text);
    return out;
  });
}

const scenarioFiles = (t) => (statSync(t).isDirectory() ? readdirSync(t).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(t, f)) : [t]);
if (timeout1) targets.push(...timeout1Copies(targets.flatMap(scenarioFiles)));
const cli = new URL('../dist/harness/cli/main.js', import.meta.url).pathname;

async function once(i) {
  const out = mkdtempSync(join(tmpdir(), 'dnsparity-det-'));
  try {
    const mode = modeOf(i);
    const r = await run(process.execPath, [cli, 'run', ...targets, ...(mode === 'default' ? [] : ['--jobs', mode]), '--reporter', 'json', '--out', out], { maxBuffer: 1 << 26 }).catch((e) => e);
    const code = r.code ?? 0;
    if (code !== 0 && code !== 1) throw new Error(`run ${i} exited ${code}: ${r.stderr}`);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    return report.scenarios.map((s) => ({
      scenario: s.scenario.name,
      signature: JSON.stringify([s.verdict, s.leaks, ...s.findings.map((f) => [f.query.name, f.query.type, f.query.library ?? '', f.environment, f.difference.class, f.difference.side, f.status]).sort()]),
      wallMs: s.wallMs,
      mode,
      jobs: report.jobs,
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
    // One at a time against side by side: the most common outcome of each mode.
    const commonest = (mode) => {
      const c = {};
      for (const x of xs.filter((y) => y.mode === mode)) c[x.signature] = (c[x.signature] ?? 0) + 1;
      return Object.entries(c).sort((a, b) => b[1] - a[1])[0]?.[0];
    };
    const modes = [...new Set(xs.map((x) => x.mode))];
    const sameAcrossModes = modes.length < 2 ? null : new Set(modes.map(commonest)).size === 1;
    return [name, { runs: xs.length, flips: xs.length - top, distinctOutcomes: Object.keys(counts).length, sameAcrossModes, wallMsMedian: walls[walls.length >> 1], wallMsMax: walls.at(-1) }];
  }),
);
const parallelJobs = results.flat().find((s) => s.mode === 'default')?.jobs;
const doc = { command: `node bench/determinism.mjs --runs ${runs} --jobs ${jobs}${scenarioJobs ? ` --scenario-jobs ${scenarioJobs}` : ''}${timeout1 ? ' --timeout1' : ''} ${args.join(' ')}`.trim(), date: new Date().toISOString(), totalWallS: Math.round((Date.now() - started) / 1000), scenarioJobs: scenarioJobs ? [scenarioJobs] : [1, parallelJobs ?? 'default'], scenarios: summary };
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/determinism.json', import.meta.url), `${JSON.stringify(doc, null, 2)}\n`);
for (const [name, s] of Object.entries(summary)) console.log(`${name.padEnd(28)} ${s.runs} runs, ${s.flips} flips, ${s.distinctOutcomes} distinct outcome(s)${s.sameAcrossModes === false ? ', DIFFERS one at a time vs side by side' : ''}, wall median ${s.wallMsMedian} ms, max ${s.wallMsMax} ms`);
const differing = Object.values(summary).filter((s) => s.sameAcrossModes === false).length;
if (!scenarioJobs) console.log(`one at a time (--jobs 1) vs side by side (--jobs ${parallelJobs}): ${differing} scenario(s) differ`);
console.log(`total ${doc.totalWallS} s`);
process.exitCode = Object.values(summary).some((s) => s.flips > 0) || differing > 0 ? 1 : 0;
