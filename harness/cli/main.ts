#!/usr/bin/env -S node --max-semi-space-size=1 --optimize-for-size
// (--max-semi-space-size=1: V8's young generation grows to 2 x 16 MB by default,
// which the garbage of planning and probing 100k names fills and keeps as
// resident memory; held at 1 MB a half-space, the peak RSS of such a run is
// tens of MB lower, with no longer wall time measured. --optimize-for-size:
// the old generation is collected before it grows as far, so the planning's
// garbage, promoted by the small young generation, does not stay resident
// into the probe: 125 MB at 100k names against 141-157, same wall time; see
// README, Performance.)
// dnsparity's command line: run, list, report, merge, doctor, cleanup. Exit
// codes: 0 parity, 1 unexpected (or, with a baseline, new) difference, 2 could
// not run, 130/143 interrupted (after cleanup).
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { NetnsBackend, resolverDoctor } from '../backend/netns/index.js';
import type { Backend } from '../backend/types.js';
import { staleRuns, sweep } from '../cleanup.js';
import { DnsparityError, EXIT, InputError, InterruptedError, PrerequisiteError } from '../errors.js';
import { autoConfirm, defaultDockerJobs, defaultJobs, runPool } from '../jobs.js';
import { planScenario, type ImageFileReader, type RunPlan } from '../plan.js';
import { makeReporters } from '../report/index.js';
import { readReport } from '../report/stored.js';
import { summarise } from '../report/summary.js';
import type { RunError } from '../report/types.js';
import { runScenario, type ScenarioResult } from '../run.js';
import { suggestFix } from '../suggest-fix.js';
import { discoverScenarios } from '../scenario/discover.js';
import { loadScenario } from '../scenario/load.js';
import { namesFromFlag, withNames, type NamedQuery } from '../scenario/names-file.js';
import { parseShard, selectShard, type Shard } from '../shard.js';
import { engineImageFiles, initCommand, type InitFlags } from './init.js';
import { netnsMode, ROOTLESS_ENV, runRootless, wantsRootless } from './rootless.js';
import { mergeCommand, reportCommand } from './offline.js';
import { Progress } from './progress.js';

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

async function loadPlans(paths: string[], filter: string | undefined, shard?: Shard, image?: string, filesRoot?: string, names?: readonly NamedQuery[]): Promise<RunPlan[]> {
  const files = discoverScenarios(paths.length ? paths : [defaultScenarioDir()]);
  const scenarios = files
    .map((f) => loadScenario(f, filesRoot !== undefined ? { filesLimit: filesRoot } : {}))
    .map((s) => (names ? withNames(s, names) : s)) // --names adds its names to every scenario
    .filter((s) => !filter || s.name.includes(filter) || s.file.includes(filter))
    .map((s) => (image ? { ...s, image } : s)); // --image overrides the scenario's
  if (scenarios.length === 0) throw new InputError({ file: 'command line', field: '--filter' }, `no scenario matches "${filter}"`);
  // The shard is taken after the filter, so every worker filters alike; a shard may be empty.
  // Every scenario of it is validated (zones, resolv.conf, an image's own files) before anything starts.
  return Promise.all(selectShard(scenarios, (s) => s.file, shard).map((s) => planScenario(s, { imageFile })));
}

/** auto: docker when the scenario names an image and an engine answers, netns otherwise. */
async function chooseBackend(requested: string, plan: RunPlan): Promise<Backend> {
  const want = requested === 'auto' ? plan.scenario.backend : requested;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (want === 'docker') return new (await docker()).DockerBackend(log);
  if (want === 'auto' && plan.scenario.image && process.env[ROOTLESS_ENV] !== 'inner') {
    const d = await docker();
    if ((await d.engineState()).ok) return new d.DockerBackend(log);
  }
  return new NetnsBackend();
}

/** Whether chooseBackend may pick docker for the plan: such scenarios share the engine. */
function wantsDocker(requested: string, plan: RunPlan): boolean {
  const want = requested === 'auto' ? plan.scenario.backend : requested;
  return want === 'docker' || (want === 'auto' && !!plan.scenario.image);
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

const REPORTER_HELP = 'pretty | json | junit | markdown | html (repeatable)';
const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

interface RunFlags {
  backend: string;
  filesRoot?: string;
  image?: string;
  reporter: string[];
  out?: string;
  filter?: string;
  timeoutMs?: number;
  concurrency: number;
  jobs?: number;
  confirm: 'auto' | 'twin' | 'again';
  keep?: boolean;
  shard?: Shard;
  baseline?: string;
  names?: string;
  suggestFixes?: boolean;
}

async function runCommand(paths: string[], flags: RunFlags): Promise<number> {
  const started = performance.now();
  const outDir = ensureOutDir(flags.out);
  const reporters = makeReporters(flags.reporter, { outDir, stdout: process.stdout });
  // Signals are caught from the start: whatever phase they land in, the run
  // ends through its cleanup path and exits 130 (SIGINT) or 143 (SIGTERM).
  const baseline = flags.baseline ? { file: flags.baseline, report: readReport(flags.baseline) } : undefined;
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
  const progress = new Progress(process.stderr);
  const jobs = flags.jobs ?? defaultJobs();
  let fatal: unknown;
  try {
    for (const s of staleRuns()) {
      process.stderr.write(`warning: run ${s.runId} (pid ${s.pid}, started ${s.startedAt}) died and left state behind; "dnsparity cleanup" removes it\n`);
    }
    const names = flags.names !== undefined ? namesFromFlag(flags.names, flags.filesRoot) : undefined;
    const plans = await loadPlans(paths, flags.filter, flags.shard, flags.image, flags.filesRoot, names);
    if (plans.length === 0) process.stderr.write(`shard ${flags.shard?.index}/${flags.shard?.count} has no scenario: nothing to run\n`);
    // One line for every scenario in flight: "2/19 done; incident (3/19): probing…, stub-zone-fix (4/19): starting".
    const phases = new Map<number, string>();
    let finished = 0;
    const who = (k: number) => `${plans[k]!.scenario.name}${plans.length > 1 ? ` (${k + 1}/${plans.length})` : ''}`;
    const show = (restartClock = false) => {
      const now = [...phases].sort(([a], [b]) => a - b).map(([k, phase]) => `${who(k)}: ${phase}`);
      if (now.length === 0) return;
      const head = now.length > 1 || finished > 0 && jobs > 1 ? `${finished}/${plans.length} done; ` : '';
      progress.set(`${head}${now.slice(0, 3).join(', ')}${now.length > 3 ? ` (+${now.length - 3} more)` : ''}`, restartClock);
    };
    // --suggest-fixes: a failing scenario runs again with the proposed change (suggest-fix.ts).
    const withSuggestedFix = async (plan: RunPlan, result: ScenarioResult, runOpts: Parameters<typeof runScenario>[2]): Promise<ScenarioResult> => {
      if (result.verdict !== 'fail' || controller.signal.aborted) return result;
      const again = { ...runOpts, onPhase: (phase: string) => runOpts.onPhase?.(`with the suggested fix: ${phase}`) };
      const s = await suggestFix(plan, result, async (p) => runScenario(p, await chooseBackend(flags.backend, p), again));
      if ('fix' in s) return { ...result, suggestedFix: s.fix };
      process.stderr.write(`${plan.scenario.name}: no fix suggested: ${s.none}\n`);
      return result;
    };
    const failures = new Map<number, string>();
    const confirm = flags.confirm === 'auto' ? autoConfirm(Math.min(jobs, plans.length)) : flags.confirm;
    const settled = await runPool(
      plans,
      async (plan, k) => {
        phases.set(k, 'starting');
        // With one at a time the clock is the scenario's; side by side, the whole run's.
        show(jobs === 1);
        try {
          const backend = await chooseBackend(flags.backend, plan);
          const onPhase = (phase: string) => {
            phases.set(k, phase);
            show();
          };
          const runOpts = { ...(flags.timeoutMs ? { timeoutMs: flags.timeoutMs } : {}), concurrency: flags.concurrency, confirm, signal: controller.signal, keep: flags.keep ?? false, onPhase };
          const result = await runScenario(plan, backend, runOpts);
          return flags.suggestFixes ? await withSuggestedFix(plan, result, runOpts) : result;
        } catch (e) {
          // Bad input or a missing prerequisite ends the whole run: the scenarios in flight stop and clean up.
          if ((e instanceof PrerequisiteError || e instanceof InputError) && !controller.signal.aborted) {
            fatal = e;
            controller.abort(e);
          } else if (!controller.signal.aborted) {
            // A failure of its own, not of being stopped: reported even if the run is interrupted later.
            failures.set(k, e instanceof DnsparityError ? e.oneLine() : String((e as Error).stack ?? e));
          }
          throw e;
        } finally {
          phases.delete(k);
          finished++;
        }
      },
      {
        jobs,
        signal: controller.signal,
        // Docker runs share nothing but the engine (every subnet is its pick) and run side by side, a core each by default.
        lane: (plan) => (wantsDocker(flags.backend, plan) ? { name: 'docker', jobs: flags.jobs ?? defaultDockerJobs() } : undefined),
        onResult: (result) => {
          progress.clear();
          for (const r of reporters) r.onScenarioResult?.(result);
          show();
        },
      },
    );
    if (fatal) throw fatal;
    for (const [k, s] of settled.entries()) {
      if (s?.ok) results.push(s.value);
      else if (failures.has(k)) errors.push({ scenario: plans[k]!.scenario.name, message: failures.get(k)! });
    }
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  // The report carries errors too, but a pipeline's log must show them whatever the reporter:
  // one line each (a message may end with a process's log tail; report.json keeps its lines).
  for (const e of errors) process.stderr.write(`dnsparity: ${e.scenario}: ${e.message.trim().replace(/\s*\n\s*/g, ' | ')}\n`);
  const summary = summarise({
    results,
    errors,
    wallMs: Math.round(performance.now() - started),
    ...(flags.shard ? { shard: flags.shard } : {}),
    ...(baseline ? { baseline } : {}),
    jobs,
    ...(interrupted ? { interruptedExit: interrupted === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted } : {}),
  });
  for (const r of reporters) await r.onRunEnd(summary);
  return summary.exitCode;
}

async function listCommand(paths: string[], flags: { filter?: string; shard?: Shard; filesRoot?: string }): Promise<number> {
  const plans = await loadPlans(paths, flags.filter, flags.shard, undefined, flags.filesRoot);
  for (const p of plans) {
    const envs = p.environments.map((e) => `${e.name}${e.reference ? '*' : ''}(${e.egress})`).join(' ');
    process.stdout.write(`${p.scenario.name}\t${p.queries.length} queries\t${envs}\t${p.scenario.file}\n`);
  }
  return EXIT.parity;
}

async function doctorCommand(): Promise<number> {
  const [checks, resolverChecks, dockerChecks] = await Promise.all([new NetnsBackend().doctor(), resolverDoctor(), docker().then((d) => d.dockerDoctor())]);
  const print = (title: string, list: typeof checks) => {
    process.stdout.write(`${title}:\n`);
    for (const c of list) process.stdout.write(`  ${c.ok ? 'ok     ' : c.optional ? 'absent ' : 'MISSING'} ${c.what}: ${c.detail}${c.ok || !c.fix ? '' : ` -> ${c.fix}`}\n`);
  };
  // Not root, but a user namespace of its own will do: say so instead of asking for root.
  const mode = netnsMode();
  if (mode.mode === 'rootless') for (const [i, c] of checks.entries()) if (c.what === 'root' && !c.ok) checks[i] = { what: 'root', ok: true, detail: 'not needed: rootless, in a user namespace' };
  print('netns backend (default)', checks);
  process.stdout.write(mode.mode === 'none' ? `netns mode: none: ${mode.why} -> ${mode.fix}\n` : `netns mode: ${mode.mode}: ${mode.why}\n`);
  print('resolvers under test on netns (resolver.kind: binary, and the Debian package that installs it)', resolverChecks);
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
  // Not root: the netns backend runs in a user namespace of its own (rootless.ts), where the kernel allows one.
  if (wantsRootless(argv)) return runRootless(fileURLToPath(import.meta.url), argv);
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
    .option('--reporter <name>', REPORTER_HELP, collect)
    .option('--out <dir>', 'write report files (report.json, junit.xml, summary.md, report.html) into this directory')
    .option('--filter <text>', 'only scenarios whose name or file contains this text')
    .option('--timeout-ms <n>', "deadline for each query at each layer (default: from resolv.conf's timeout and attempts)", positiveInt('--timeout-ms'))
    .option('--concurrency <n>', 'queries in flight per environment', positiveInt('--concurrency'), 64)
    .option('--jobs <n>', 'scenarios run at a time, each in its own run (default: from cores and free memory)', positiveInt('--jobs'))
    .addOption(new Option('--confirm <how>', 'confirm differences by a twin of every environment asked at the same time, or by asking again afterwards (auto: a twin where cores are free for it; docker: always again)').choices(['auto', 'twin', 'again']).default('auto'))
    .option('--keep', 'keep the run directory (configs, zones, logs) for inspection')
    .option('--shard <i/n>', 'run only the i-th of n disjoint slices of the scenarios (CI workers)', parseShard)
    .option('--baseline <report.json>', 'mark findings new or known against a previous report; exit 1 only for new ones')
    .option('--files-root <dir>', "refuse any scenario whose files root (files.root, or its own directory) lies outside this tree: a gate pins what scenarios may read")
    .option('--names <file>', 'ask these names too, in every scenario: one "name [TYPE]" a line, # comments')
    .option('--suggest-fixes', "for a failing scenario, propose the resolver config change that routes its private zones to the provider's resolver, run the scenario again with it, and report the diff with the verdict it got")
    .action(async (paths: string[], flags: RunFlags) => {
      code = await runCommand(paths, { ...flags, reporter: flags.reporter ?? ['pretty'] });
    });
  program
    .command('list')
    .description('list the scenarios found, with their environments and query counts')
    .argument('[scenarios...]')
    .option('--filter <text>')
    .option('--shard <i/n>', 'only the i-th of n disjoint slices, as run --shard takes it', parseShard)
    .option('--files-root <dir>', "refuse any scenario whose files root (files.root, or its own directory) lies outside this tree: a gate pins what scenarios may read")
    .action(async (paths: string[], flags: { filter?: string; shard?: Shard; filesRoot?: string }) => {
      code = await listCommand(paths, flags);
    });
  program
    .command('report')
    .description('compare a stored report.json again and render it, without starting anything')
    .argument('<report.json>')
    .option('--reporter <name>', REPORTER_HELP, collect)
    .option('--out <dir>', 'write report files into this directory')
    .option('--baseline <report.json>', 'mark findings new or known against a previous report; exit 1 only for new ones')
    .option('--latency-threshold-ms <n>', 'compare with this slow-only-in-one threshold instead of the scenarios\'', positiveInt('--latency-threshold-ms'))
    .action(async (file: string, flags: { reporter?: string[]; out?: string; baseline?: string; latencyThresholdMs?: number }) => {
      code = await reportCommand(file, { ...flags, reporter: flags.reporter ?? ['pretty'], outDir: ensureOutDir(flags.out) });
    });
  program
    .command('merge')
    .description('combine the report.json files of shards into one report set')
    .argument('<reports...>')
    .option('--reporter <name>', REPORTER_HELP, collect)
    .option('--out <dir>', 'write report files into this directory')
    .option('--baseline <report.json>', 'mark findings new or known against a previous report; exit 1 only for new ones')
    .action(async (files: string[], flags: { reporter?: string[]; out?: string; baseline?: string }) => {
      code = await mergeCommand(files, { ...flags, reporter: flags.reporter ?? ['pretty'], outDir: ensureOutDir(flags.out) });
    });
  program
    .command('init')
    .description('write a commented scenario for an image (or its resolver config and resolv.conf) that runs as it is')
    .option('--image <ref>', "read the resolver config and /etc/resolv.conf from this image's layers")
    .option('--config <file>', "the image's resolver config (with --resolv-conf)")
    .option('--resolv-conf <file>', "the image's /etc/resolv.conf (with --config)")
    .option('--provider <addr>', "the provider's resolver (default: the first non-local nameserver of resolv.conf)")
    .option('--private <zone=file>', 'a private zone the provider serves: a master file, or Route 53 JSON (*.json) (repeatable)', collect)
    .option('--public <zone=file>', 'a zone of the simulated Internet, such as the private zone\'s public parent (repeatable)', collect)
    .option('--out <file>', 'write the scenario here (default: print it)')
    .action(async (flags: InitFlags) => {
      code = await initCommand(flags, { imageFiles: engineImageFiles, imageFile, stdout: process.stdout, stderr: process.stderr });
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

// A reader that goes away (| head) must not crash the run before its cleanup.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
