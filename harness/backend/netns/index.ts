// The netns backend: environments as Linux network namespaces joined by a
// router namespace whose nftables policy is the only difference between
// them. The resolver under test (this machine's binary of the scenario's
// resolver.kind, with the image's config) runs in each environment namespace,
// nsd serves the simulated Internet, unbound plays the provider's resolver.
import { constants, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { BackendError, InputError, PrerequisiteError } from '../../errors.js';
import type { Query, QueryObservation, ServerRole, Substitution, UnknownTraffic, UpstreamExchange } from '../../model.js';
import { signInternet } from '../../network/dnssec.js';
import { publicResolverConfig } from '../../network/public-resolvers.js';
import { RELAY_READY, relayMainPath, relaySpecs, serverPort } from '../../network/relay.js';
import { internetDestinations, rootHints, zoneTextChunks } from '../../network/simulated-internet.js';
import { traceUpstream, type RunPlan } from '../../plan.js';
import { PrestartedWorker, probeEnvironment, workerPath, type Launcher } from '../../probe/client.js';
import type { ProbeConfig } from '../../probe/protocol.js';
import { stubHelpers } from '../../probe/stubs.js';
import { resolverOf, RESOLVERS } from '../../resolver/registry.js';
import { RunState } from '../../run-state.js';
import { run, tryRun } from '../../util/exec.js';
import { LogReader } from '../../util/log-reader.js';
import { ManagedProcess } from '../../util/process.js';
import { tracer } from '../../util/trace.js';
import type { ResolverUnderTest } from '../../resolver/types.js';
import type { Backend, PrerequisiteCheck, ProbeRunOptions, StartOptions, StartedEnvironment, StartedRun } from '../types.js';
import { harnessUnbound, nsdFiles, providerConfig } from './files.js';
import { ipBatches, LINK_RANGE, nftRuleset, planTopology, sourceOfInterface, type Topology } from './topology.js';
import { writeText } from '../../util/write-text.js';

const ETC_NETNS = '/etc/netns';
const READY_TIMEOUT_MS = 15_000;

export const NETNS_BINARIES = [
  { name: 'ip', pkg: 'iproute2' },
  { name: 'nft', pkg: 'nftables' },
  { name: 'nsd', pkg: 'nsd' },
  { name: 'nsd-checkzone', pkg: 'nsd' },
  { name: 'ldns-read-zone', pkg: 'ldnsutils' },
  { name: 'ldns-keygen', pkg: 'ldnsutils' },
  { name: 'ldns-signzone', pkg: 'ldnsutils' },
  // The provider's and the public resolvers, whatever resolver the image runs; and the default resolver under test.
  { name: 'unbound', pkg: 'unbound' },
  { name: 'unbound-checkconf', pkg: 'unbound' },
] as const;

const netnsExec = (ns: string): Launcher => (argv) => ['ip', 'netns', 'exec', ns, ...argv];

/** Finds a binary on PATH without starting a process: this runs on every start. */
async function which(bin: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    try {
      await access(join(dir, bin), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

export async function netnsDoctor(opts: { tryNamespace?: boolean } = { tryNamespace: true }): Promise<PrerequisiteCheck[]> {
  const checks: PrerequisiteCheck[] = [];
  const root = process.getuid?.() === 0;
  checks.push({ what: 'root', ok: root, detail: root ? 'running as root' : `running as uid ${process.getuid?.()}`, fix: 'run as root (sudo): network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN' });
  const missing = new Map<string, string[]>();
  for (const b of NETNS_BINARIES) {
    const ok = await which(b.name);
    checks.push({ what: b.name, ok, detail: ok ? 'found' : 'not found', fix: `apt-get install ${b.pkg}` });
    if (!ok) missing.set(b.pkg, [...(missing.get(b.pkg) ?? []), b.name]);
  }
  if (opts.tryNamespace && root && (await which('ip'))) {
    const probe = `dnsparity-doctor-${process.pid}`;
    const r = await tryRun('ip', ['netns', 'add', probe]);
    await tryRun('ip', ['netns', 'del', probe]);
    checks.push({ what: 'network namespaces', ok: r.exitCode === 0, detail: r.exitCode === 0 ? 'ip netns add works' : r.stderr.trim(), fix: 'a kernel with network namespaces, and CAP_SYS_ADMIN (not in an unprivileged container)' });
  }
  return checks;
}

/**
 * Each resolver under test's binaries on this machine (the netns backend runs
 * them), with the Debian package that installs each: needed only by the
 * scenarios that name its kind, so a missing one does not make the machine unready.
 */
export async function resolverDoctor(): Promise<PrerequisiteCheck[]> {
  const checks: PrerequisiteCheck[] = [];
  for (const r of RESOLVERS) {
    for (const b of r.binaries) {
      const ok = await which(b.name);
      checks.push({ what: `${r.kind}: ${b.name}`, ok, optional: true, detail: ok ? `found (Debian package ${b.pkg})` : `not found (Debian package ${b.pkg}; only scenarios with resolver.kind: ${r.kind} need it)`, fix: `apt-get install ${b.pkg}` });
    }
  }
  return checks;
}

let prerequisitesMet = false;

async function assertPrerequisites(resolver: ResolverUnderTest): Promise<void> {
  if (!prerequisitesMet) {
    // Creating the run's namespaces is the real test of namespace support; a failure there says so.
    const failed = (await netnsDoctor({ tryNamespace: false })).filter((c) => !c.ok);
    prerequisitesMet = failed.length === 0;
    if (failed.length) refuse(failed);
  }
  const missing: PrerequisiteCheck[] = [];
  for (const b of resolver.binaries) if (!(await which(b.name))) missing.push({ what: b.name, ok: false, detail: 'not found', fix: `apt-get install ${b.pkg}` });
  if (missing.length) refuse(missing);
}

function refuse(failed: readonly PrerequisiteCheck[]): never {
  const pkgs = [...new Set(failed.map((c) => c.fix).filter((f) => f?.startsWith('apt-get install')).map((f) => f!.split(' ').pop()))];
  const other = failed.filter((c) => !c.fix?.startsWith('apt-get install'));
  const parts = [
    ...other.map((c) => `${c.what}: ${c.detail}; ${c.fix}`),
    ...(pkgs.length ? [`missing ${failed.filter((c) => c.fix?.startsWith('apt-get')).map((c) => c.what).join(', ')}: apt-get install ${pkgs.join(' ')}`] : []),
  ];
  throw new PrerequisiteError(`the netns backend cannot run: ${parts.join('; ')}`, 'run "dnsparity doctor" for details');
}

class NetnsRun implements StartedRun {
  readonly backend = 'netns' as const;
  readonly processes: ManagedProcess[] = [];
  /** Probe workers started during set-up and not yet taken by a probe. */
  readonly workers: PrestartedWorker[] = [];
  environments: StartedEnvironment[] = [];
  substitutions: Substitution[] = [];
  localResolver = '';
  topology: Topology | undefined;
  restartResolvers: ((signal: AbortSignal) => Promise<void>) | undefined;
  private disposed = false;

  constructor(
    readonly state: RunState,
    private readonly keep: boolean,
  ) {}

  get runId(): string {
    return this.state.runId;
  }

  async leaks(): Promise<string[]> {
    return [...new Set((await this.unknownTraffic()).map((t) => t.address))].sort();
  }

  async unknownTraffic(): Promise<UnknownTraffic[]> {
    if (!this.topology) return [];
    // Both sets in one listing: one process in the router, not one per set.
    const r = await run('ip', ['netns', 'exec', this.topology.router, 'nft', '-j', 'list', 'sets', 'inet']);
    return [...parseUnknownSet(r.stdout, this.topology, 'unknown'), ...parseUnknownSet(r.stdout, this.topology, 'unknown6')];
  }

  file(rel: string, text: string | Iterable<string>): string {
    const p = join(this.state.dir, rel);
    writeText(p, text);
    return p;
  }

  startProcess(label: string, ns: string, argv: readonly string[], log: string): ManagedProcess {
    const p = ManagedProcess.start(label, netnsExec(ns)(argv), join(this.state.dir, log));
    this.processes.push(p);
    this.state.addPid(p.pid);
    return p;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const trace = tracer(`netns ${this.runId}`);
    const errors: string[] = [];
    for (const w of this.workers) w.dispose();
    await Promise.all(this.processes.map((p) => p.stop().catch((e: Error) => errors.push(e.message))));
    trace('teardown: processes stopped');
    await removeNamespaces(this.state.namespaces(), errors);
    trace('teardown: namespaces removed');
    if (!this.keep) this.state.remove();
    if (errors.length) throw new BackendError(`teardown of run ${this.runId} was incomplete: ${errors.join('; ')}`, 'run "dnsparity cleanup"');
  }
}

/** The processes inside each named namespace, found as `ip netns pids` finds them (the namespace's inode), in one pass over /proc. */
export function pidsInNamespaces(namespaces: readonly string[]): Map<string, number[]> {
  const byInode = new Map<number, string>();
  for (const ns of namespaces) {
    try {
      byInode.set(statSync(join('/run/netns', ns)).ino, ns);
    } catch {
      // not (or no longer) there
    }
  }
  const out = new Map<string, number[]>(namespaces.map((ns) => [ns, []]));
  if (byInode.size === 0) return out;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let ino: number;
    try {
      ino = statSync(`/proc/${entry}/ns/net`).ino;
    } catch {
      continue; // exited meanwhile, or not ours to look at
    }
    const ns = byInode.get(ino);
    if (ns) out.get(ns)!.push(Number(entry));
  }
  return out;
}

/**
 * Deletes namespaces and their /etc/netns entries; any process still inside
 * is ended by its id first. One ip(8) for all of them; a failure is then
 * reported per namespace.
 */
export async function removeNamespaces(namespaces: readonly string[], errors: string[] = []): Promise<void> {
  if (namespaces.length === 0) return;
  for (const pids of pidsInNamespaces(namespaces).values()) {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  const batch = await tryRun('ip', ['-force', '-batch', '-'], { input: namespaces.map((ns) => `netns del ${ns}`).join('\n') });
  if (batch.exitCode !== 0) {
    // Which of them failed, and why (one that was already gone is not a failure).
    await Promise.all(
      namespaces.map(async (ns) => {
        if (!existsSync(join('/run/netns', ns))) return;
        const r = await tryRun('ip', ['netns', 'del', ns]);
        if (r.exitCode !== 0 && !/No such file/.test(r.stderr)) errors.push(`ip netns del ${ns}: ${r.stderr.trim()}`);
      }),
    );
  }
  for (const ns of namespaces) rmSync(join(ETC_NETNS, ns), { recursive: true, force: true });
}

function checkAbort(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason;
}

export class NetnsBackend implements Backend {
  readonly name = 'netns' as const;
  /** Every run has namespaces of its own: a twin of a run collides with nothing. */
  readonly sideBySide = true;

  doctor(): Promise<PrerequisiteCheck[]> {
    return netnsDoctor();
  }

  async start(plan: RunPlan, opts: StartOptions): Promise<StartedRun> {
    const resolver = resolverOf(plan.resolverConfig);
    await assertPrerequisites(resolver);
    workerPath(); // fail before creating anything if the worker is missing
    const conflict = [...internetDestinations(plan.internet), plan.internet.provider.address].find((a) => a.startsWith('100.127.'));
    if (conflict) throw new InputError({ file: plan.scenario.file }, `address ${conflict} lies in ${LINK_RANGE}, which the netns backend uses for its links`, 'renumber the scenario');
    // This machine's resolver runs the image's config here, as root: nothing in it may read this machine's files or run code.
    const effect = resolver.hostEffects(plan.resolverConfig)[0];
    if (effect) {
      const who = resolver.name;
      throw new InputError({ file: effect.file, line: effect.line, field: effect.option }, `${effect.value}: ${who} ${effect.kind} here, on this machine and not in the image (the netns backend runs the image's config on this machine's ${who}, as root)`, 'remove the option, or run the image itself with --backend docker');
    }
    const state = RunState.create('netns', plan.scenario.file);
    const r = new NetnsRun(state, !!opts.keep);
    try {
      await this.build(r, plan, opts);
      return r;
    } catch (e) {
      await r[Symbol.asyncDispose]().catch(() => undefined);
      throw e;
    }
  }

  private async build(r: NetnsRun, plan: RunPlan, opts: StartOptions): Promise<void> {
    const { signal } = opts;
    const dir = r.state.dir;
    const trace = tracer(`netns ${r.runId}`);
    // 1. Files first: a config the resolver rejects stops the run before anything exists.
    const hintsFile = r.file('root.hints', rootHints(plan.internet));
    // Keys made for this run, in the run directory: the root's is the trust anchor.
    const resolver = resolverOf(plan.resolverConfig);
    const { internet, trustAnchor } = resolver.validates(plan.resolverConfig) ? await signInternet(plan.internet, join(dir, 'dnssec')) : { internet: plan.internet, trustAnchor: undefined };
    const prepared = resolver.prepare(plan.resolverConfig, {
      rootHintsFile: hintsFile,
      workDir: dir,
      configDir: join(dir, 'host'),
      trustAnchor,
      traceUpstream: traceUpstream(plan),
      resolvConf: { text: plan.resolvConfText, source: plan.sources.resolvConf },
    });
    for (const f of prepared.files) r.file(relative(dir, f.path), f.text);
    for (const d of prepared.dirs ?? []) mkdirSync(d, { recursive: true });
    const hostConf = prepared.main;
    // A server whose packets the network delays or loses listens behind a relay, on another port of its address.
    const port = (address: string) => serverPort(internet.shaping, address);
    const providerConf = r.file('provider/unbound.conf', providerConfig(internet, join(dir, 'provider'), hintsFile, port(internet.provider.address)));
    for (const z of internet.provider.zones) r.file(`provider/${z.origin}.zone`, zoneTextChunks(z));
    for (const s of internet.servers) for (const [name, text] of nsdFiles(s, join(dir, 'nsd', s.id), port(s.nameServers[0]!.address))) r.file(`nsd/${s.id}/${name}`, text);
    const publicConfs = internet.publicResolvers.map((p) => ({
      address: p.address,
      conf: r.file(`public/${p.address}/unbound.conf`, publicResolverConfig({ listen: p.address, port: port(p.address), dir: join(dir, 'public', p.address), rootHintsFile: hintsFile })),
    }));
    const relays = [
      { ns: 'inet' as const, specs: relaySpecs(internet.shaping, internetDestinations(internet)) },
      { ns: 'vpc' as const, specs: relaySpecs(internet.shaping, [internet.provider.address]) },
    ].filter((x) => x.specs.length > 0).map((x) => ({ ...x, file: r.file(`relay/${x.ns}.json`, JSON.stringify(x.specs)) }));
    const relayMain = relays.length ? relayMainPath() : '';
    // A twin's configs are the same as its run's, which checks them at the same time.
    if (!opts.twin) await Promise.all([resolver.check(prepared), checkGenerated(providerConf), ...publicConfs.map((p) => checkGenerated(p.conf))]);
    trace('files, signing and checkconf');
    r.substitutions = [...prepared.substitutions];
    r.localResolver = `${prepared.listen.address}#${prepared.listen.port}`;
    checkAbort(signal);

    // 2. Namespaces and links.
    const t = planTopology((role) => r.state.namespace(role), plan.environments, internetDestinations(plan.internet), plan.internet.provider.address, plan.internet.addresses6);
    r.topology = t;
    const all = [t.router, t.internet, t.provider, ...t.envs.map((e) => e.ns)];
    for (const ns of all) r.state.addNamespace(ns);
    // Batched: one ip(8) process per namespace rather than one per command.
    await run('ip', ['-batch', '-'], { input: all.map((ns) => `netns add ${ns}`).join('\n') });
    trace('namespaces');
    const batches = ipBatches(t);
    await run('ip', ['-n', t.router, '-batch', '-'], { input: batches.router.join('\n') });
    trace('router links');
    const nft = r.file('router.nft', nftRuleset(t));
    await Promise.all([
      ...[...batches.peers].map(([ns, cmds]) => run('ip', ['-n', ns, '-batch', '-'], { input: cmds.join('\n') })),
      // icmp_ratelimit 0: the kernel limits ICMP errors per destination host, and a
      // fresh namespace starts with no tokens, so a rejecting router would stay
      // silent for the first packets and a rejection would look like a drop.
      run('ip', ['netns', 'exec', t.router, 'sh', '-c', `echo 1 > /proc/sys/net/ipv4/ip_forward && echo 1 > /proc/sys/net/ipv6/conf/all/forwarding && echo 0 > /proc/sys/net/ipv4/icmp_ratelimit && echo 0 > /proc/sys/net/ipv6/icmp/ratelimit && nft -f "${nft}"`]),
    ]);
    trace('peer links and nftables');
    for (const e of t.envs) {
      mkdirSync(join(ETC_NETNS, e.ns), { recursive: true });
      writeFileSync(join(ETC_NETNS, e.ns, 'resolv.conf'), plan.resolvConfText);
    }
    checkAbort(signal);
    // Each environment's probe worker starts now (after its resolv.conf, which
    // ip netns exec binds at start), its start-up overlapping the servers'.
    const prestarted = t.envs.map((e) => (opts.concurrency ? new PrestartedWorker(netnsExec(e.ns), opts.concurrency, (pid) => r.state.addPid(pid)) : undefined));
    for (const w of prestarted) if (w) r.workers.push(w);

    // 3. Servers, then the resolver under test, each checked ready by a query.
    const nsds = plan.internet.servers.map((s) => r.startProcess(`nsd ${s.id}`, t.internet, ['nsd', '-d', '-c', join(dir, 'nsd', s.id, 'nsd.conf')], `nsd/${s.id}/nsd.log`));
    // The relays hold no state worth forgetting: they outlive a restart of the resolvers.
    const relayProcs = relays.map((x) => r.startProcess(`relay in ${x.ns}`, x.ns === 'inet' ? t.internet : t.provider, [process.execPath, relayMain, x.file], `relay/${x.ns}.log`));
    const hostLog = (env: string) => `host/${resolver.kind}-${env}.log`;
    // A resolver with state on disk gets an empty directory per environment and start: nothing carries over.
    let starts = 0;
    const instanceDir = (env: string): string | undefined => {
      if (!prepared.instanceDir) return undefined;
      const d = join(prepared.instanceDir, `${env}-${starts}`);
      mkdirSync(d, { recursive: true });
      return d;
    };
    const startResolvers = () => ({
      provider: r.startProcess('provider resolver', t.provider, harnessUnbound(providerConf), 'provider/unbound.log'),
      publicResolvers: publicConfs.map((p) => r.startProcess(`public resolver ${p.address}`, t.internet, harnessUnbound(p.conf), `public/${p.address}/unbound.log`)),
      hosts: t.envs.map((e) => r.startProcess(`${resolver.name} in ${e.env.name}`, e.ns, resolver.command(hostConf, prepared.runArgs, instanceDir(e.env.name)), hostLog(e.env.name))),
    });
    // The servers we configure announce readiness in their logs; the image's
    // resolver may log nothing, so the probe worker asks it before probing.
    const providerReady = (s: ReturnType<typeof startResolvers>, sig: AbortSignal) =>
      Promise.all([s.provider, ...s.publicResolvers].map((p) => p.waitForLog(/start of service/, READY_TIMEOUT_MS, sig)));
    let resolvers = startResolvers();
    await Promise.all([
      ...nsds.map((p) => p.waitForLog(/nsd started/, READY_TIMEOUT_MS, signal)),
      ...relayProcs.map((p) => p.waitForLog(new RegExp(RELAY_READY), READY_TIMEOUT_MS, signal)),
      providerReady(resolvers, signal),
    ]);
    // A fresh start forgets every cache, including unbound's memory of unresponsive servers, which a reload keeps.
    r.restartResolvers = async (sig) => {
      await Promise.all([resolvers.provider, ...resolvers.publicResolvers, ...resolvers.hosts].map((p) => p.stop()));
      starts++;
      resolvers = startResolvers();
      await providerReady(resolvers, sig);
    };

    trace('servers ready');
    // 4. Environments ready to probe.
    const servers = probeServers(prepared.listen, plan.resolvConf.nameservers);
    r.environments = t.envs.map((e, i) => {
      const log = new LogReader(join(dir, hostLog(e.env.name)));
      return {
        name: e.env.name,
        probe: async (queries: readonly Query[], o: ProbeRunOptions): Promise<QueryObservation[]> => {
          try {
            const obs = await probeEnvironment(netnsExec(e.ns), servers, queries, {
              ...o,
              resolvConf: plan.resolvConf,
              native: stubHelpers(queries),
              readyTimeoutMs: READY_TIMEOUT_MS,
              onSpawn: (pid) => r.state.addPid(pid),
              ...(prestarted[i] ? { prestarted: prestarted[i] } : {}),
            });
            resolvers.hosts[i]!.assertRunning(); // a resolver that died mid-run is a failure of the run, not a difference
            return obs;
          } catch (err) {
            resolvers.hosts[i]!.assertRunning();
            throw err;
          }
        },
        resolverActivity: async (): Promise<readonly UpstreamExchange[]> => resolver.parseActivity?.(log.next()) ?? [],
      };
    });
  }
}

/** The resolver layer asks the local resolver and every resolv.conf nameserver directly. */
export function probeServers(listen: { address: string; port: number }, nameservers: readonly string[]): ProbeConfig['servers'] {
  const out = new Map<string, { address: string; port: number; roles: ServerRole[] }>();
  const add = (address: string, port: number, role: ServerRole) => {
    const k = `${address}#${port}`;
    if (!out.has(k)) out.set(k, { address, port, roles: [] });
    out.get(k)!.roles.push(role);
  };
  add(listen.address, listen.port, 'local-resolver');
  for (const n of nameservers) if (!n.includes(':')) add(n, 53, 'nameserver');
  return [...out.values()];
}

async function checkGenerated(conf: string): Promise<void> {
  const c = await tryRun('unbound-checkconf', [conf]);
  if (c.exitCode !== 0) throw new BackendError(`generated provider config rejected: ${(c.stderr || c.stdout).trim()}`);
}

/** The router's "unknown" set (nft -j; `name` picks it from a listing of several): one record per source link, destination, protocol and port. */
export function parseUnknownSet(json: string, t: Topology, name?: string): UnknownTraffic[] {
  type Elem = { elem: { val: { concat: [string, string, string | number, number] }; counter?: { packets: number } } };
  const doc = JSON.parse(json) as { nftables: { set?: { name?: string; table?: string; elem?: Elem[] } }[] };
  const set = doc.nftables.find((x) => x.set && (name === undefined || (x.set.name === name && x.set.table === 'dnsparity')))?.set;
  const elems = set?.elem ?? [];
  const out = elems.map(({ elem }) => {
    const [iface, address, proto, port] = elem.val.concat;
    const protocol = typeof proto === 'number' ? `protocol ${proto}` : proto;
    const withPort = protocol === 'tcp' || protocol === 'udp';
    return { source: sourceOfInterface(t, iface), address, protocol, ...(withPort ? { port } : {}), packets: elem.counter?.packets ?? 0 };
  });
  return out.sort((a, b) => a.address.localeCompare(b.address) || a.source.localeCompare(b.source) || (a.port ?? 0) - (b.port ?? 0));
}
