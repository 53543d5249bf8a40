#!/usr/bin/env node
// dnsparity's benchmarks, each against a reference measured in the same run:
//   resolver layer   the probe vs dnsperf, same queries, same warmed unbound, same namespace
//   application      getaddrinfo lookups per second through the probe
//   time to verdict  the incident scenario: wall, inherent (waits the scenario imposes), overhead;
//                    confirmed by a twin (the default on netns) and, as its reference, by asking again
//   suite            the shipped scenarios through the CLI one at a time (--jobs 1), then with the default --jobs
//   scale            1k, 10k, 100k names: wall time, its growth, the harness's peak RSS
// Usage: npm run bench [-- --quick] [--save NAME] [--only layers,verdict,suite,docker,scale]
//   (needs root and dnsperf: apt-get install dnsperf); --only runs some sections, for a quick look
// Writes bench/results/latest.json (ignored by git), with --save also bench/results/NAME.json
// (to commit when the README quotes it), and prints a table.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NetnsBackend } from '../dist/harness/backend/netns/index.js';
import { planScenario } from '../dist/harness/plan.js';
import { probeEnvironment } from '../dist/harness/probe/client.js';
import { runScenario } from '../dist/harness/run.js';
import { loadScenario } from '../dist/harness/scenario/load.js';
import { scaleScenario } from './scenario.mjs';

const sh = promisify(execFile);
const quick = process.argv.includes('--quick');
const SECTIONS = ['layers', 'verdict', 'suite', 'docker', 'scale'];
const onlyArg = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] ?? '' : SECTIONS.join(',');
const only = new Set(onlyArg.split(','));
for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`--only: unknown section "${s}" (expected some of ${SECTIONS.join(', ')})`);
const root = new URL('..', import.meta.url).pathname;
// The CLI as it is installed (npm ci links it): its own shebang's node flags count, as they do for a user.
const cli = join(root, 'node_modules/.bin/dnsparity');
const signal = new AbortController().signal;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const log = (s) => process.stderr.write(`${s}\n`);

if (process.getuid?.() !== 0) throw new Error('the benchmarks start namespaces: run them as root');
for (const bin of ['dnsperf', 'unbound', 'nsd']) {
  await sh('sh', ['-c', `command -v ${bin}`]).catch(() => {
    throw new Error(`${bin} not found: apt-get install ${bin}`);
  });
}

// ---- resolver and application layers, against one warmed unbound ---------------
async function layers() {
  const names = quick ? 5000 : 10000;
  const { dir, file } = scaleScenario(names);
  try {
    const plan = await planScenario(loadScenario(file));
    const run = await new NetnsBackend().start(plan, { signal });
    try {
      const ns = `dnsparity-${run.runId}-e-production`;
      const launch = (argv) => ['ip', 'netns', 'exec', ns, ...argv];
      const local = [{ address: '127.0.0.1', port: 53, roles: ['local-resolver'] }];
      const deadlines = { appMs: 5000, resolverMs: 2000 };
      const opts = { deadlines, concurrency: 100, signal, readyTimeoutMs: 10000, resolvConf: plan.resolvConf };
      // Warm the cache: every name once.
      await probeEnvironment(launch, local, plan.queries, { ...opts, applicationLayer: false });
      // dnsperf: the same names, looped for a fixed time, 100 queries outstanding (its default).
      const qfile = join(dir, 'queries.txt');
      writeFileSync(qfile, plan.queries.map((q) => `${q.name} ${q.type}`).join('\n'));
      const seconds = quick ? 3 : 8;
      const dp = await sh('ip', ['netns', 'exec', ns, 'dnsperf', '-s', '127.0.0.1', '-d', qfile, '-l', String(seconds), '-q', '100']);
      const dnsperfQps = Number(/Queries per second:\s+([\d.]+)/.exec(dp.stdout)?.[1]);
      const lost = Number(/Queries lost:\s+(\d+)/.exec(dp.stdout)?.[1] ?? 0);
      // The probe: the same names, enough rounds to run about as long.
      const rounds = Math.max(1, Math.round((dnsperfQps * seconds * 0.4) / names));
      const repeated = Array.from({ length: rounds }, () => plan.queries).flat();
      let t = performance.now();
      const cpu = process.cpuUsage();
      const obs = await probeEnvironment(launch, local, repeated, { ...opts, applicationLayer: false });
      const probeQps = repeated.length / ((performance.now() - t) / 1000);
      // The harness's own share (this process: requests out, results in and stored), steadier than a rate on a shared machine.
      const used = process.cpuUsage(cpu);
      const harnessUs = (used.user + used.system) / repeated.length;
      const probeOk = obs.filter((o) => o.resolver[0].outcome.status === 'response').length;
      // getaddrinfo through the environment's resolv.conf, cache warm.
      t = performance.now();
      const app = await probeEnvironment(launch, [], plan.queries, { ...opts, concurrency: 64 });
      const lookupsPerS = plan.queries.length / ((performance.now() - t) / 1000);
      const appOk = app.filter((o) => o.application?.outcome.status === 'answer').length;
      return {
        resolver_layer: { probe_qps: Math.round(probeQps), dnsperf_qps: Math.round(dnsperfQps), ratio: +(probeQps / dnsperfQps).toFixed(2), harness_cpu_us_per_query: +harnessUs.toFixed(1), queries: repeated.length, answered: probeOk, dnsperf_lost: lost, outstanding: 100 },
        application_layer: { lookups_per_s: Math.round(lookupsPerS), lookups: plan.queries.length, answered: appOk, concurrency: 64 },
      };
    } finally {
      await run[Symbol.asyncDispose]();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- time to verdict -------------------------------------------------------------
function inherentMs(r) {
  // The waiting the scenario imposes: in each pass (the first, and the confirmation
  // of differences), the longest single wait: a stub timeout, an unanswered direct query.
  // A twin is asked at the same time as the first pass: its wait overlaps the first's.
  const longest = (observations) => {
    let max = 0;
    for (const obs of Object.values(observations))
      for (const o of obs) {
        if (o.application) max = Math.max(max, o.application.latencyMs);
        for (const x of o.resolver) max = Math.max(max, x.latencyMs);
      }
    return max;
  };
  const again = r.recheck ? longest(r.recheck.observations) : 0;
  return r.recheck?.twinRunId ? Math.max(longest(r.observations), again) : longest(r.observations) + again;
}

async function timeToVerdict(backendName, makeBackend, { warmUp = false } = {}) {
  const plan = await planScenario(loadScenario(join(root, 'scenarios/incident-2024-11-05.yaml')));
  if (warmUp) await runScenario(plan, makeBackend(), { concurrency: 64, signal });
  const samples = [];
  for (let i = 0; i < (quick ? 3 : 7); i++) {
    const t = performance.now();
    const r = await runScenario(plan, makeBackend(), { concurrency: 64, signal });
    const wall = performance.now() - t;
    if (r.verdict !== 'fail') throw new Error(`${backendName}: the incident did not fail the gate`);
    samples.push({ wall, inherent: inherentMs(r), confirmation: r.recheck ? (r.recheck.twinRunId ? 'twin' : 'asked again') : 'none', ...r.timing });
  }
  const pick = samples.sort((a, b) => a.wall - b.wall)[samples.length >> 1];
  return { confirmation: pick.confirmation, wall_ms: Math.round(pick.wall), inherent_ms: pick.inherent, overhead_ms: Math.round(pick.wall - pick.inherent), setup_ms: pick.setupMs, probe_ms: pick.probeMs, teardown_ms: pick.teardownMs, runs: samples.length };
}

// ---- scale -------------------------------------------------------------------------
/** The CLI on a generated scenario, its peak RSS read from /proc while it runs. */
function scalePoint(n) {
  const { dir, file } = scaleScenario(n);
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(cli, ['run', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    let hwmKb = 0;
    const poll = setInterval(() => {
      try {
        hwmKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? hwmKb);
      } catch {
        // exited
      }
    }, 25);
    child.on('exit', (code) => {
      clearInterval(poll);
      rmSync(dir, { recursive: true, force: true });
      if (code !== 0) reject(new Error(`scale ${n}: exit ${code}: ${err}`));
      else resolve({ names: n, wall_ms: Math.round(performance.now() - t), peak_rss_mb: Math.round(hwmKb / 1024) });
    });
  });
}

// ---- the shipped scenarios, one at a time and side by side ------------------------
/** `dnsparity run scenarios` through the CLI: wall time, and the jobs its report says it ran. */
function suiteRun(jobsArgs) {
  const out = join(tmpdir(), `dnsparity-bench-suite-${process.pid}-${jobsArgs.join('')}`);
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(cli, ['run', join(root, 'scenarios'), ...jobsArgs, '--reporter', 'json', '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      const wall = performance.now() - t;
      try {
        if (code !== 1) throw new Error(`suite ${jobsArgs.join(' ')}: exit ${code} (the shipped set fails the gate: 1): ${err}`);
        const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
        resolve({ wall_ms: Math.round(wall), jobs: report.jobs, scenarios: report.scenarios.length, slowest_ms: Math.max(...report.scenarios.map((s) => s.wallMs)), verdicts: report.scenarios.map((s) => `${s.scenario.name}:${s.verdict}`) });
      } catch (e) {
        reject(e);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  });
}

async function suite() {
  const sequential = await suiteRun(['--jobs', '1']);
  const parallel = await suiteRun([]);
  if (sequential.verdicts.join() !== parallel.verdicts.join()) throw new Error('suite: verdicts one at a time and side by side differ');
  return {
    netns: {
      sequential_ms: sequential.wall_ms,
      parallel_ms: parallel.wall_ms,
      speedup: +(sequential.wall_ms / parallel.wall_ms).toFixed(2),
      jobs: parallel.jobs,
      scenarios: parallel.scenarios,
      slowest_scenario_ms: parallel.slowest_ms,
      parallel_over_slowest: +(parallel.wall_ms / parallel.slowest_ms).toFixed(2),
    },
  };
}

/** One docker run of the incident through the CLI: its wall time; the gate's verdict (exit 1) or the bench stops. */
async function dockerIncident() {
  const out = mkdtempSync(join(tmpdir(), 'dnsparity-bench-docker-'));
  const t = performance.now();
  const r = await sh(cli, ['run', join(root, 'scenarios/incident-2024-11-05.yaml'), '--backend', 'docker', '--reporter', 'json', '--out', out]).catch((e) => e);
  rmSync(out, { recursive: true, force: true });
  if (r.code !== 1) throw new Error(`docker incident: exit ${r.code}, expected 1 (the incident fails the gate): ${String(r.stderr).slice(-400)}`);
  return Math.round(performance.now() - t);
}

/** Two docker runs at once on one engine against one alone, in the same bench run. */
async function dockerSideBySide() {
  const alone = await dockerIncident();
  const [a, b] = await Promise.all([dockerIncident(), dockerIncident()]);
  return { one_alone_ms: alone, two_at_once_ms: [a, b], two_at_once_over_one: +(Math.max(a, b) / alone).toFixed(2) };
}

const results = { date: new Date().toISOString(), command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`, machine: { cores: (await import('node:os')).cpus().length, node: process.version } };
if (only.has('layers')) {
  log('layers: probe vs dnsperf, getaddrinfo …');
  Object.assign(results, await layers());
}
results.time_to_verdict = {};
if (only.has('verdict')) {
  log('time to verdict (netns) …');
  results.time_to_verdict.netns = await timeToVerdict('netns', () => new NetnsBackend());
  // The reference: the same run confirmed by restarting every resolver and asking again (the design before the twin).
  results.time_to_verdict.netns_asked_again = await timeToVerdict('netns', () => Object.assign(new NetnsBackend(), { sideBySide: false }));
  results.time_to_verdict.netns_twin_over_asked_again = +(results.time_to_verdict.netns.wall_ms / results.time_to_verdict.netns_asked_again.wall_ms).toFixed(2);
}
if (only.has('suite')) {
  log('suite: the shipped scenarios one at a time, then side by side …');
  results.suite = await suite();
}
const dockerModule = join(root, 'dist/harness/backend/docker/index.js');
if (only.has('docker') && existsSync(dockerModule)) {
  const { DockerBackend, engineState } = await import(dockerModule);
  const engine = await engineState();
  if (engine.ok) {
    log('time to verdict (docker) …');
    // "With images built": the first run builds any that are missing and is not counted.
    results.time_to_verdict.docker = await timeToVerdict('docker', () => new DockerBackend(), { warmUp: true });
    log('docker: two runs at once on one engine, against one alone …');
    results.docker_concurrency = await dockerSideBySide();
  } else results.time_to_verdict.docker = { skipped: `no Docker engine answers: ${engine.reason}` };
}
if (only.has('scale')) {
  log('scale: 1k, 10k, 100k names …');
  const points = [];
  for (const n of [1000, 10000, 100000]) points.push(await scalePoint(n));
  results.scale = {
    wall_ms: Object.fromEntries(points.map((p) => [p.names, p.wall_ms])),
    wall_ratio_100k_over_10k: +(points[2].wall_ms / points[1].wall_ms).toFixed(2),
    peak_rss_mb: Object.fromEntries(points.map((p) => [p.names, p.peak_rss_mb])),
    peak_rss_mb_at_100k: points[2].peak_rss_mb,
  };
}

mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/latest.json'), `${JSON.stringify(results, null, 2)}\n`);
// latest.json is ignored by git: a run does not dirty the tree. --save NAME keeps a copy to commit on purpose.
const saveAs = process.argv.includes('--save') ? process.argv[process.argv.indexOf('--save') + 1] : undefined;
if (saveAs !== undefined && !/^[\w.-]+$/.test(saveAs)) throw new Error('--save expects a file name (letters, digits, . _ -)');
if (saveAs) writeFileSync(join(root, `bench/results/${saveAs}.json`), `${JSON.stringify(results, null, 2)}\n`);
const r = results;
const tv = r.time_to_verdict;
const rows = [
  ...(r.resolver_layer ? [['resolver layer: probe qps / dnsperf qps', `${r.resolver_layer.probe_qps} / ${r.resolver_layer.dnsperf_qps} = ${r.resolver_layer.ratio}`, 'ratio >= 0.5']] : []),
  ...(r.resolver_layer ? [['resolver layer: CPU of the harness per query (us)', `${r.resolver_layer.harness_cpu_us_per_query}`, '']] : []),
  ...(r.application_layer ? [['application layer: getaddrinfo lookups/s', `${r.application_layer.lookups_per_s}`, '']] : []),
  ...(tv.netns
    ? [
        ['netns incident (twin): wall / inherent / overhead ms', `${tv.netns.wall_ms} / ${tv.netns.inherent_ms} / ${tv.netns.overhead_ms}`, 'inherent <= 3000, overhead <= 700'],
        ['netns incident (asked again): wall / inherent / overhead ms', `${tv.netns_asked_again.wall_ms} / ${tv.netns_asked_again.inherent_ms} / ${tv.netns_asked_again.overhead_ms}`, 'reference'],
        ['netns incident wall: twin / asked again', `${tv.netns_twin_over_asked_again}`, '< 1'],
      ]
    : []),
  ...(r.suite
    ? [
        ['suite netns ms: one at a time / --jobs ' + r.suite.netns.jobs, `${r.suite.netns.sequential_ms} / ${r.suite.netns.parallel_ms} = speed-up ${r.suite.netns.speedup}`, 'speed-up >= 3'],
        ['suite netns: parallel wall / slowest scenario', `${r.suite.netns.parallel_over_slowest}`, '<= 1.5 (goal)'],
      ]
    : []),
  ...(tv.docker?.wall_ms ? [['docker incident: wall / inherent / overhead ms', `${tv.docker.wall_ms} / ${tv.docker.inherent_ms} / ${tv.docker.overhead_ms}`, 'overhead <= 3000']] : []),
  ...(tv.docker?.skipped ? [['docker incident', `skipped: ${tv.docker.skipped}`, 'bash scripts/dockerd.sh start STATE starts one']] : []),
  ...(r.docker_concurrency ? [['docker incident: two at once / one alone', `${Math.max(...r.docker_concurrency.two_at_once_ms)} / ${r.docker_concurrency.one_alone_ms} = ${r.docker_concurrency.two_at_once_over_one}`, '<= 1.5']] : []),
  ...(r.scale
    ? [
        ['scale wall ms at 1k / 10k / 100k', Object.values(r.scale.wall_ms).join(' / '), ''],
        ['scale wall ratio 100k / 10k', `${r.scale.wall_ratio_100k_over_10k}`, '<= 12'],
        ['scale peak RSS MB at 100k', `${r.scale.peak_rss_mb_at_100k}`, '<= 150'],
      ]
    : []),
];
const w = Math.max(...rows.map((x) => x[0].length));
for (const [k, v, target] of rows) console.log(`${k.padEnd(w)}  ${v.padEnd(28)} ${target}`);
console.log(`written to bench/results/latest.json${saveAs ? ` and bench/results/${saveAs}.json` : ''} (${r.command})`);
