#!/usr/bin/env node
// dnsparity's command line: run, list, doctor, cleanup. Exit codes: 0 parity,
// 1 unexpected difference, 2 could not run, 130/143 interrupted (after cleanup).
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { NetnsBackend } from '../backend/netns/index.js';
import type { Backend } from '../backend/types.js';
import { staleRuns, sweep } from '../cleanup.js';
import { DnsparityError, EXIT, InputError, InterruptedError, PrerequisiteError } from '../errors.js';
import { planScenario, type ImageFileReader, type RunPlan } from '../plan.js';
import { makeReporters } from '../report/index.js';
import type { RunError } from '../report/types.js';
import { runScenario, type ScenarioResult } from '../run.js';
import { discoverScenarios } from '../scenario/discover.js';
import { loadScenario } from '../scenario/load.js';

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function defaultScenarioDir(): string {
  return existsSync('scenarios') ? 'scenarios' : join(PACKAGE_ROOT, 'scenarios');
}

/** The docker backend loads its engine client (testcontainers) only when a run needs it. */
const docker = () => import('../backend/docker/index.js');
let imageReader: ImageFileReader | undefined;
const imageFile: ImageFileReader = async (image, path) => (imageReader ??= (await docker()).imageFileReader())(image, path);

const positiveInt = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${flag} expects a positive whole number`);
  return n;
};

async function loadPlans(paths: string[], filter: string | undefined, image?: string): Promise<RunPlan[]> {
  const files = discoverScenarios(paths.length ? paths : [defaultScenarioDir()]);
  const scenarios = files
    .map(loadScenario)
    .filter((s) => !filter || s.name.includes(filter) || s.file.includes(filter))
    .map((s) => (image ? { ...s, image } : s)); // --image overrides the scenario's
  if (scenarios.length === 0) throw new InputError({ file: 'command line', field: '--filter' }, `no scenario matches "${filter}"`);
  // Every scenario is validated (zones, resolv.conf, an image's own files) before anything starts.
  return Promise.all(scenarios.map((s) => planScenario(s, { imageFile })));
}

/** auto: docker when the scenario names an image and an engine answers, netns otherwise. */
async function chooseBackend(requested: string, plan: RunPlan): Promise<Backend> {
  const want = requested === 'auto' ? plan.scenario.backend : requested;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (want === 'docker') return new (await docker()).DockerBackend(log);
  if (want === 'auto' && plan.scenario.image) {
    const d = await docker();
    if ((await d.engineState()).ok) return new d.DockerBackend(log);
  }
  return new NetnsBackend();
}

function ensureOutDir(out: string | undefined): string | undefined {
  if (!out) return undefined;
  const dir = resolve(out);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new InputError({ file: out, field: '--out' }, `cannot write reports here: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'give a writable directory');
  }
  return dir;
}

interface RunFlags {
  backend: string;
  image?: string;
  reporter: string[];
  out?: string;
  filter?: string;
  timeoutMs: number;
  concurrency: number;
  keep?: boolean;
}

async function runCommand(paths: string[], flags: RunFlags): Promise<number> {
  const started = performance.now();
  const outDir = ensureOutDir(flags.out);
  const reporters = makeReporters(flags.reporter, { outDir, stdout: process.stdout });
  const plans = await loadPlans(paths, flags.filter, flags.image);
  for (const s of staleRuns()) {
    process.stderr.write(`warning: run ${s.runId} (pid ${s.pid}, started ${s.startedAt}) died and left state behind; "dnsparity cleanup" removes it\n`);
  }

  const controller = new AbortController();
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) {
      process.stderr.write(`\n${sig} again: still cleaning up, please wait\n`);
      return;
    }
    interrupted = sig;
    process.stderr.write(`\n${sig}: stopping and cleaning up\n`);
    controller.abort(new InterruptedError(sig));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const results: ScenarioResult[] = [];
  const errors: RunError[] = [];
  try {
    for (const plan of plans) {
      if (controller.signal.aborted) break;
      try {
        const backend = await chooseBackend(flags.backend, plan);
        const result = await runScenario(plan, backend, { timeoutMs: flags.timeoutMs, concurrency: flags.concurrency, signal: controller.signal, keep: flags.keep ?? false });
        results.push(result);
        for (const r of reporters) r.onScenarioResult?.(result);
      } catch (e) {
        if (controller.signal.aborted) break;
        if (e instanceof PrerequisiteError || e instanceof InputError) throw e;
        errors.push({ scenario: plan.scenario.name, message: e instanceof DnsparityError ? e.oneLine() : String((e as Error).stack ?? e) });
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const exitCode = interrupted
    ? interrupted === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted
    : errors.length ? EXIT.couldNotRun : results.some((r) => r.verdict === 'fail') ? EXIT.difference : EXIT.parity;
  const summary = { results, errors, exitCode, wallMs: Math.round(performance.now() - started) };
  for (const r of reporters) await r.onRunEnd(summary);
  return exitCode;
}

async function listCommand(paths: string[], flags: { filter?: string }): Promise<number> {
  const plans = await loadPlans(paths, flags.filter);
  for (const p of plans) {
    const envs = p.environments.map((e) => `${e.name}${e.reference ? '*' : ''}(${e.egress})`).join(' ');
    process.stdout.write(`${p.scenario.name}\t${p.queries.length} queries\t${envs}\t${p.scenario.file}\n`);
  }
  return EXIT.parity;
}

async function doctorCommand(): Promise<number> {
  const [checks, dockerChecks] = await Promise.all([new NetnsBackend().doctor(), docker().then((d) => d.dockerDoctor())]);
  const print = (title: string, list: typeof checks) => {
    process.stdout.write(`${title}:\n`);
    for (const c of list) process.stdout.write(`  ${c.ok ? 'ok     ' : 'MISSING'} ${c.what}: ${c.detail}${c.ok || !c.fix ? '' : ` -> ${c.fix}`}\n`);
  };
  print('netns backend (default)', checks);
  print('docker backend (scenarios with an image; --backend docker)', dockerChecks);
  const ok = checks.every((c) => c.ok);
  const dockerOk = dockerChecks.every((c) => c.ok);
  process.stdout.write(ok ? 'ready: dnsparity run works with --backend netns\n' : 'not ready: install what is missing above\n');
  process.stdout.write(dockerOk ? 'ready: dnsparity run works with --backend docker\n' : 'docker backend not ready: see above (runs use netns where they can)\n');
  return ok ? EXIT.parity : EXIT.couldNotRun;
}

async function cleanupCommand(): Promise<number> {
  if (process.getuid?.() !== 0) throw new PrerequisiteError('cleanup needs root to remove namespaces', 'run it with sudo');
  const r = await sweep();
  process.stdout.write(`removed ${r.runs.length} dead run(s), ${r.namespaces.length} namespace(s), ${r.processes.length} process(es), ${r.containers.length} container(s), ${r.networks.length} network(s)\n`);
  return EXIT.parity;
}

export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.parity;
  const program = new Command('dnsparity')
    .description('DNS resolution parity tests: does an image resolve the same with and without outbound Internet?')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program
    .command('run')
    .description('run scenarios (files or directories; default: scenarios/) and report every difference')
    .argument('[scenarios...]', 'scenario files or directories')
    .addOption(new Option('--backend <name>', 'how environments are realised (auto: docker for scenarios with an image when an engine answers)').choices(['auto', 'netns', 'docker']).default('auto'))
    .option('--image <ref>', "the candidate image to test, over the scenario's image: (docker backend)")
    .option('--reporter <name>', 'pretty | json (repeatable)', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--out <dir>', 'write report files (report.json, ...) into this directory')
    .option('--filter <text>', 'only scenarios whose name or file contains this text')
    .option('--timeout-ms <n>', 'deadline for each query at each layer', positiveInt('--timeout-ms'), 5000)
    .option('--concurrency <n>', 'queries in flight per environment', positiveInt('--concurrency'), 64)
    .option('--keep', 'keep the run directory (configs, zones, logs) for inspection')
    .action(async (paths: string[], flags: RunFlags) => {
      code = await runCommand(paths, { ...flags, reporter: flags.reporter ?? ['pretty'] });
    });
  program
    .command('list')
    .description('list the scenarios found, with their environments and query counts')
    .argument('[scenarios...]')
    .option('--filter <text>')
    .action(async (paths: string[], flags: { filter?: string }) => {
      code = await listCommand(paths, flags);
    });
  program.command('doctor').description('what this machine has and lacks for each backend, and how to get it').action(async () => {
    code = await doctorCommand();
  });
  program.command('cleanup').description('remove namespaces, processes and files left by runs that died').action(async () => {
    code = await cleanupCommand();
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    const err = e as { code?: string; exitCode?: number };
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.parity;
    if (typeof err.code === 'string' && err.code.startsWith('commander.')) return EXIT.couldNotRun;
    if (e instanceof InterruptedError) return e.signal === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted;
    if (e instanceof DnsparityError) {
      process.stderr.write(`dnsparity: ${e.oneLine()}\n`);
      return EXIT.couldNotRun;
    }
    process.stderr.write(`dnsparity: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT.couldNotRun;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
