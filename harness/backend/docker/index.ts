// The docker backend: the host under test is a container of the candidate
// image itself (its own resolver, its own C library and getent, its own files),
// started in environments made of internal Docker networks (topology.ts).
// One helper container (the "internet pod") holds the simulated Internet's
// addresses and runs its servers (nsd, the public resolvers' unbound) as
// processes of its own; the provider's pod runs the provider's resolver
// (unbound) the same way. Each environment's namespaces are held by a helper
// container (a "pod"), given their route and NAT rules before the host under
// test joins them; the probe worker runs in the pod's network namespace:
// dns-packet queries (resolver layer) and the image's own getent in the
// image's own filesystem (application layer). As root, the rules, checks and
// worker enter that namespace from this machine; otherwise through the engine
// (RunContainer.inNetns).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix, relative } from 'node:path';
import { entersFromHere, RunResources, type RunContainer } from './resources.js';
import { spans, type Span } from './trace.js';
import { BackendError, InputError, PrerequisiteError, tail } from '../../errors.js';
import type { Query, QueryObservation, Substitution, UpstreamExchange } from '../../model.js';
import { publicResolverConfig } from '../../network/public-resolvers.js';
import { rootHints, zoneTextChunks } from '../../network/simulated-internet.js';
import { ALL_IMAGE_PATHS, traceUpstream, type ImageFileReader, type RunPlan } from '../../plan.js';
import { PrestartedWorker, probeEnvironment, workerPath, type Launcher } from '../../probe/client.js';
import { stubHelpers } from '../../probe/stubs.js';
import { dnsCheckPath } from '../../probe/native.js';
import type { StubLibrary } from '../../resolver/search.js';
import { resolverOf, RESOLVERS } from '../../resolver/registry.js';
import type { PreparedConfig, ResolverUnderTest } from '../../resolver/types.js';
import { signInternet } from '../../network/dnssec.js';
import { RunState } from '../../run-state.js';
import { tryRun } from '../../util/exec.js';
import { harnessUnbound, nsdFiles, providerConfig } from '../netns/files.js';
import { probeServers } from '../netns/index.js';
import type { Backend, PrerequisiteCheck, ProbeRunOptions, StartOptions, StartedEnvironment, StartedRun } from '../types.js';
import { engineState, requireEngine, type Engine } from './engine.js';
import { readImageFiles, type ImageFile } from './image-files.js';
import { debianImageTag, ensureDebianImage } from './debian-images.js';
import { ensureImage, HARNESS_IMAGES, harnessImageTag, imageExists } from './images.js';
import { ContainerLog } from './container-log.js';
import { addressesInSubnet, envRuleset, internetAddressBatch, internetClientRuleset, internetPodRuleset, internetRouteBatch, planDockerTopology, setElements, WATCH, watchRuleset, type DockerTopology, type EnvSpec } from './topology.js';
import { writeText } from '../../util/write-text.js';

/** Where the harness mounts a container's generated files. */
const MOUNT = '/etc/dnsparity';
const READY_TIMEOUT_MS = 15_000;
/** How long a server must stay silent for an environment to count as cut off from it. */
const ISOLATION_CHECK_MS = 300;

export { engineState } from './engine.js';

export function missingImageMessage(ref: string): string {
  return `image ${ref} is not in the Docker engine, and dnsparity pulls nothing: build or load it first (docker build, docker load; the example candidate: bash containers/build.sh candidate ${ref} CONFIG RESOLV_CONF)`;
}

export async function dockerDoctor(): Promise<PrerequisiteCheck[]> {
  const checks: PrerequisiteCheck[] = [];
  const s = await engineState();
  checks.push(
    s.ok
      ? { what: 'Docker engine', ok: true, detail: `Docker ${s.engine.version} answers` }
      : { what: 'Docker engine', ok: false, detail: s.reason, fix: 'apt-get install docker.io, then start dockerd (systemctl start docker, or dockerd & in a container)' },
  );
  const cli = await tryRun('sh', ['-c', 'command -v docker']);
  checks.push({ what: 'docker', ok: cli.exitCode === 0, detail: cli.exitCode === 0 ? `found (runs the probe worker in each pod with docker exec${entersFromHere() ? ' when not root' : ''})` : 'not found', fix: 'apt-get install docker.io' });
  try {
    checks.push({ what: 'dns-check helper', ok: true, detail: `built (${dnsCheckPath()}): the readiness and isolation checks in each pod` });
  } catch (e) {
    if (!(e instanceof BackendError)) throw e;
    checks.push({ what: 'dns-check helper', ok: false, detail: e.message, fix: e.hint ?? '' });
  }
  for (const name of HARNESS_IMAGES) {
    try {
      const tag = await harnessImageTag(name);
      const built = s.ok && (await imageExists(s.engine, tag));
      // A harness image not built yet is no problem: a run builds it, offline, from this machine's binaries.
      checks.push({ what: `image dnsparity/${name}`, ok: true, detail: built ? `built (${tag})` : 'not built yet: the first docker run builds it from this machine\'s binaries (or bash containers/build.sh)' });
    } catch (e) {
      if (!(e instanceof PrerequisiteError)) throw e;
      checks.push({ what: `image dnsparity/${name}`, ok: false, detail: e.message, fix: e.hint ?? '' });
    }
  }
  // The default host under test of each resolver built from Debian's packages.
  const mm = await tryRun('sh', ['-c', 'PATH="$PATH:/usr/sbin:/sbin" command -v mmdebstrap']);
  for (const r of RESOLVERS) {
    const pkgs = r.dockerHost?.debianPackages;
    if (!pkgs) continue;
    const tag = debianImageTag({ name: `host-${r.kind}`, packages: pkgs });
    const built = s.ok && (await imageExists(s.engine, tag));
    checks.push(
      built || mm.exitCode === 0
        ? { what: `image dnsparity/host-${r.kind}`, ok: true, detail: built ? `built (${tag})` : `not built yet: the first docker run of a ${r.kind} scenario builds it (Debian ${pkgs.join(', ')}, by mmdebstrap)` }
        : { what: `image dnsparity/host-${r.kind}`, ok: true, optional: true, detail: `not built, and mmdebstrap is not installed: only docker runs of ${r.kind} scenarios without an image need it`, fix: 'apt-get install mmdebstrap' },
    );
  }
  return checks;
}

/** The worker and what it imports, mounted read-only at the same paths inside the helper. */
function workerMounts(): { source: string; target: string; mode: 'ro' }[] {
  const worker = workerPath();
  const packageDir = (from: string, name: string): string => {
    let dir = dirname(createRequire(from).resolve(name));
    while (!readJson(join(dir, 'package.json'))?.name?.startsWith(name)) {
      if (dirname(dir) === dir) throw new BackendError(`cannot find the package directory of ${name}`);
      dir = dirname(dir);
    }
    return dir;
  };
  const root = dirname(dirname(dirname(dirname(worker)))); // <root>/dist/harness/probe/worker.js
  const dnsPacket = packageDir(worker, 'dns-packet');
  const ipCodec = packageDir(join(dnsPacket, 'package.json'), '@leichtgewicht/ip-codec');
  const dirs = [root, dnsPacket, ipCodec].filter((d, _i, all) => !all.some((o) => o !== d && d.startsWith(`${o}/`)));
  return [...new Set(dirs)].map((d) => ({ source: d, target: d, mode: 'ro' as const }));
}

function readJson(p: string): { name?: string } | undefined {
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as { name?: string };
  } catch {
    return undefined;
  }
}

/**
 * A subnet the engine picked must hold no scenario address: it could be a container's, or this machine's own on
 * the bridge. Returns each network's gateway, by name.
 */
async function assertSubnetsClear(engine: Engine, topo: DockerTopology, plan: RunPlan): Promise<Map<string, string | undefined>> {
  const infos = await Promise.all(topo.networks.map(async (n) => ({ n, info: (await engine.docker.getNetwork(n.name).inspect()) as { IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] } } })));
  for (const { n, info } of infos) {
    for (const subnet of (info.IPAM?.Config ?? []).flatMap((c) => (c.Subnet ? [c.Subnet] : []))) {
      const held = addressesInSubnet(topo, plan.internet.provider.address, subnet);
      if (held.length) {
        throw new BackendError(
          `the engine gave network ${n.name} the subnet ${subnet}, which holds the scenario's ${held.join(', ')}`,
          'renumber the scenario\'s servers outside the engine\'s address pools (the documentation ranges 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 are outside the default ones), or change default-address-pools in the engine\'s daemon.json',
        );
      }
    }
  }
  return new Map(infos.map(({ n, info }) => [n.name, info.IPAM?.Config?.[0]?.Gateway]));
}

function checkAbort(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason;
}

class DockerRun implements StartedRun {
  readonly backend = 'docker' as const;
  environments: StartedEnvironment[] = [];
  substitutions: Substitution[] = [];
  localResolver = '';
  /** The pods whose namespaces record unknown destinations (watchRuleset). */
  watched: RunContainer[] = [];
  /** Probe workers started during set-up and not yet taken by a probe. */
  readonly workers: PrestartedWorker[] = [];
  /** Times the steps of set-up, probing and teardown (DNSPARITY_TRACE). */
  readonly span: Span;
  private disposed = false;

  constructor(
    readonly state: RunState,
    readonly resources: RunResources,
    private readonly keep: boolean,
    span: Span,
  ) {
    this.span = span;
  }

  get runId(): string {
    return this.state.runId;
  }

  /** Every destination outside the simulated network that a pod's namespace sent to, as netns's router records them. */
  async leaks(): Promise<string[]> {
    const perPod = await Promise.all(
      this.watched.map(async (p) => {
        const x = await p.inNetns(['nft', '-j', 'list', 'set', 'ip', WATCH.table, WATCH.set]);
        if (x.exitCode !== 0) throw new BackendError(`reading the unknown destinations of ${p.getName()}: exit ${x.exitCode}: ${tail(x.output, 2)}`);
        return setElements(x.stdout);
      }),
    );
    return [...new Set(perPod.flat())].sort();
  }

  file(rel: string, text: string | Iterable<string>): string {
    const p = join(this.state.dir, rel);
    writeText(p, text);
    return p;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const w of this.workers) w.dispose();
    if (this.keep) await this.saveLogs();
    try {
      await this.span('teardown', () => this.resources[Symbol.asyncDispose]());
    } finally {
      if (!this.keep) this.state.remove();
    }
  }

  private async saveLogs(): Promise<void> {
    const names = await this.resources.containerNames().catch(() => []);
    await Promise.all(names.map(async (n) => this.file(`logs/${n}.log`, `${await this.resources.logs(n, 10_000)}\n`)));
  }
}

export class DockerBackend implements Backend {
  readonly name = 'docker' as const;

  constructor(private readonly log: (line: string) => void = () => undefined) {}

  doctor(): Promise<PrerequisiteCheck[]> {
    return dockerDoctor();
  }

  async start(plan: RunPlan, opts: StartOptions): Promise<StartedRun> {
    refuseShaping(plan);
    const resolver = resolverOf(plan.resolverConfig);
    const image = plan.scenario.image;
    // The harness's default host image carries this machine's unbound; another resolver runs from the candidate image.
    if (!image && !resolver.dockerHost) {
      throw new InputError(
        { file: plan.scenario.file, line: plan.scenario.lineOf(['resolver', 'kind']), field: 'image' },
        `the docker backend has no default host image for resolver.kind ${resolver.kind}: it runs the candidate image's own ${resolver.name}`,
        'name the candidate image (image: REF), or run this scenario with --backend netns',
      );
    }
    const t0 = performance.now();
    const engine = await requireEngine();
    const mounts = workerMounts(); // fails before anything exists if the worker is missing
    dnsCheckPath(); // ... or the readiness check
    if (image && !(await imageExists(engine, image))) throw new PrerequisiteError(missingImageMessage(image));
    // Images first: a build takes a while and leaves nothing to clean up.
    const debian = resolver.dockerHost?.debianPackages;
    const hostImage = (): Promise<string> =>
      image ? Promise.resolve(image) : debian ? ensureDebianImage(engine, { name: `host-${resolver.kind}`, packages: debian }, this.log) : ensureImage(engine, 'host', this.log);
    const [host, helper] = await spans('docker', t0)('images', () => Promise.all([hostImage(), ensureImage(engine, 'helper', this.log)]));
    checkAbort(opts.signal);
    const state = RunState.create('docker', plan.scenario.file);
    const span = spans(`docker ${state.runId}`, t0);
    const r = new DockerRun(state, new RunResources(engine, state, span), !!opts.keep, span);
    try {
      await build(r, plan, { host, helper }, mounts, engine, opts, this.log);
      return r;
    } catch (e) {
      await r[Symbol.asyncDispose]().catch(() => undefined);
      throw e;
    }
  }
}

interface Images {
  readonly host: string;
  readonly helper: string;
}

async function build(r: DockerRun, plan: RunPlan, images: Images, mounts: ReturnType<typeof workerMounts>, engine: Engine, opts: StartOptions, log: (line: string) => void): Promise<void> {
  const { signal } = opts;
  const res = r.resources;
  // Keys made for this run (in the run directory, never in a container): the root's is the trust anchor.
  const resolver = resolverOf(plan.resolverConfig);
  const { internet, trustAnchor } = resolver.validates(plan.resolverConfig) ? await signInternet(plan.internet, join(r.state.dir, 'dnssec')) : { internet: plan.internet, trustAnchor: undefined };
  const topo = planDockerTopology((role) => `dnsparity-${r.runId}-${role}`, internet, plan.environments);

  // 1. Files, with the paths they have inside the containers.
  const hints = rootHints(internet);
  // Paths are the container's: host/ is mounted at MOUNT.
  const prepared = resolver.prepare(plan.resolverConfig, {
    rootHintsFile: `${MOUNT}/root.hints`,
    workDir: MOUNT,
    configDir: MOUNT,
    trustAnchor,
    traceUpstream: traceUpstream(plan),
    resolvConf: { text: plan.resolvConfText, source: plan.sources.resolvConf },
  });
  for (const f of prepared.files) r.file(join('host', relative(MOUNT, f.path)), f.text);
  // Directories it needs (cache, rundir), in the mounted host/ directory, which is the resolver's to write.
  for (const d of prepared.dirs ?? []) {
    if (d !== MOUNT && !d.startsWith(`${MOUNT}/`)) throw new BackendError(`the ${resolver.name} module asked for ${d}, outside ${MOUNT}, which the docker backend mounts`);
    mkdirSync(join(r.state.dir, 'host', relative(MOUNT, d)), { recursive: true, mode: 0o777 });
  }
  r.file('host/root.hints', hints);
  const resolvConf = r.file('resolv.conf', plan.resolvConfText);
  // The servers run in their pods, whose directory (pods/NAME/) is mounted at MOUNT: each server's files in a
  // directory of their own there. The provider answers on its own address; environments reach it at the
  // scenario's through DNAT.
  const providerDir = `${MOUNT}/provider`;
  r.file('pods/vpc/provider/unbound.conf', providerConfig({ ...internet, provider: { ...internet.provider, address: '0.0.0.0' } }, providerDir, `${providerDir}/root.hints`));
  r.file('pods/vpc/provider/root.hints', hints);
  for (const z of internet.provider.zones) r.file(`pods/vpc/provider/${z.origin}.zone`, zoneTextChunks(z));
  // nsd and the public resolvers share the internet pod's namespace: each listens on its own addresses alone.
  for (const n of topo.nsd) for (const [name, text] of nsdFiles(n.server, `${MOUNT}/${n.dir}`)) r.file(`pods/internet/${n.dir}/${name}`, text);
  for (const p of topo.publicResolvers) {
    r.file(`pods/internet/${p.dir}/unbound.conf`, publicResolverConfig({ listen: p.address, port: 53, dir: `${MOUNT}/${p.dir}`, rootHintsFile: `${MOUNT}/${p.dir}/root.hints` }));
    r.file(`pods/internet/${p.dir}/root.hints`, hints);
  }
  r.substitutions = [...prepared.substitutions];
  r.localResolver = `${prepared.listen.address}#${prepared.listen.port}`;
  const dir = (rel: string) => join(r.state.dir, rel);
  checkAbort(signal);

  // 2. Internal networks, at subnets the engine picks: no run holds one another needs.
  const span = r.span;
  await span('networks', () => Promise.all(topo.networks.map((n) => res.network(n, log))));
  checkAbort(signal);
  const gateways = await span('subnets checked', () => assertSubnetsClear(engine, topo, plan));
  const providerGateway = gateways.get(topo.providerNetwork);
  if (!providerGateway) throw new BackendError(`network ${topo.providerNetwork} has no gateway`);

  // 3. The namespaces: the simulated Internet's, the provider's, the environments'.
  // A pod's main process only holds its namespaces: `ip monitor nsid` waits on netlink for events that hardly
  // ever come, with next to no start-up work, where a node process would load a runtime while the run's other
  // containers start beside it.
  const keepalive = ['ip', 'monitor', 'nsid'];
  // Nothing is forwarded by a helper, the internet pod included: the environments differ only by their
  // attachments, routes and rules. No forwarding; and ::1 on loopback, which unbound's default interfaces include
  // (Docker disables IPv6 in containers of IPv4-only networks; netns keeps it).
  const noForwarding = { 'net.ipv4.ip_forward': '0', 'net.ipv6.conf.lo.disable_ipv6': '0' };
  const pod = (name: string, networks: readonly string[], filesDir: string, { mode = 'ro', sysctls = {} }: { mode?: 'ro' | 'rw'; sysctls?: Record<string, string> } = {}) => {
    mkdirSync(filesDir, { recursive: true });
    return span(`start ${name}`, () => res.container({
      name,
      image: images.helper,
      entrypoint: keepalive,
      networkMode: networks[0]!,
      moreNetworks: networks.slice(1),
      // SYS_PTRACE: to enter the host's filesystem through /proc/PID/root whatever user the image runs as.
      capAdd: ['NET_ADMIN', 'SYS_PTRACE'],
      sysctls: { ...noForwarding, ...sysctls },
      binds: [...mounts, { source: filesDir, target: MOUNT, mode }],
    }));
  };
  // Each step starts as soon as what it needs exists, not when a whole phase has: the engine starts containers
  // side by side. Every step ends in the one Promise.all below, so nothing is left unawaited: a failed step fails
  // the set-up, and teardown waits for the creations in flight and refuses new ones (RunResources).
  r.file('pods/internet/addresses.batch', internetAddressBatch(topo));
  const inNamespaceOf = (p: RunContainer) => `container:${p.getId()}`;
  // Writable: nsd keeps its state files beside its config.
  const internetStarted = pod(topo.internet.pod, [topo.internetNetwork], dir('pods/internet'), { mode: 'rw' });
  // The provider's pod also refuses what environments reject, at a port where nothing listens (REFUSE_PORT), as a
  // rejecting firewall would. icmp_ratelimit 0: the kernel limits ICMP errors per destination and starts with no
  // tokens, so a refusal would first look like silence.
  const providerStarted = pod(topo.provider.pod, topo.provider.networks, dir('pods/vpc'), { sysctls: { 'net.ipv4.icmp_ratelimit': '0' } });
  const envStarted = topo.envs.map((e) => pod(e.pod, e.networks, dir(`pods/${e.env.name}`)));

  // A server of a pod: a process of its own in the pod, its output in the log beside its files.
  const serve = async (p: RunContainer, label: string, argv: readonly string[], logFile: string): Promise<Served> => ({ label, logFile, ...(await p.serve(argv, logFile)) });

  // The simulated Internet: every address on its pod's loopback, then its servers in that namespace, each on its
  // own addresses; and each address's port mapped to it.
  const internetServers = internetStarted.then(async (p) => {
    r.file('pods/internet/rules.nft', internetPodRuleset(topo, p.getIpAddress(topo.internetNetwork)));
    const [served] = await Promise.all([
      span('internet addresses', () => execOk(p, ['ip', '-batch', `${MOUNT}/addresses.batch`], 'addresses of the simulated Internet in its pod', ['ip', '-batch', dir('pods/internet/addresses.batch')])).then(() =>
        span('internet servers', () =>
          Promise.all([
            ...topo.nsd.map((n) => serve(p, `nsd ${n.server.id}`, ['nsd', '-d', '-c', `${MOUNT}/${n.dir}/nsd.conf`], dir(`pods/internet/${n.dir}/nsd.log`))),
            ...topo.publicResolvers.map((x) => serve(p, `public resolver ${x.address}`, harnessUnbound(`${MOUNT}/${x.dir}/unbound.conf`), dir(`pods/internet/${x.dir}/unbound.log`))),
          ]),
        ),
      ),
      span('internet port mapping', () => execOk(p, ['nft', '-f', `${MOUNT}/rules.nft`], 'the simulated Internet\'s port mapping in its pod', ['nft', '-f', dir('pods/internet/rules.nft')])),
    ]);
    return { pod: p, served };
  });

  const providerAddress = plan.internet.provider.address;
  // Unknown destinations are recorded in every namespace that sends: the environments' and the provider's.
  const watch = watchRuleset(internet, providerAddress);
  // Each namespace's routes in one `ip -batch`, its rules in one `nft -f` (one transaction): two commands, at once.
  const configure = async (p: RunContainer, name: string, what: string, routes: string, rules: string): Promise<void> => {
    r.file(`pods/${name}/routes.batch`, routes);
    r.file(`pods/${name}/rules.nft`, rules);
    await span(`routes and rules of ${what}`, () =>
      Promise.all([
        execOk(p, ['ip', '-batch', `${MOUNT}/routes.batch`], `routes of ${what}`, ['ip', '-batch', dir(`pods/${name}/routes.batch`)]),
        execOk(p, ['nft', '-f', `${MOUNT}/rules.nft`], `netfilter rules of ${what}`, ['nft', '-f', dir(`pods/${name}/rules.nft`)]),
      ]),
    );
  };

  // The provider recurses into the simulated Internet: its addresses, via the internet pod; then its resolver.
  const providerResolver = Promise.all([providerStarted, internetStarted]).then(async ([pp, ip]) => {
    const via = ip.getIpAddress(topo.internetNetwork);
    await configure(pp, 'vpc', 'the provider', internetRouteBatch(topo, via), internetClientRuleset(topo, via) + watch);
    checkAbort(signal);
    return span('provider resolver started', () => serve(pp, 'the provider\'s resolver', harnessUnbound(`${providerDir}/unbound.conf`), dir('pods/vpc/provider/unbound.log')));
  });

  // A resolver with state on disk gets an empty directory per environment in the mounted host/ directory.
  const instanceDir = (env: string): string | undefined => {
    if (!prepared.instanceDir) return undefined;
    const d = posix.join(prepared.instanceDir, env);
    mkdirSync(join(r.state.dir, 'host', relative(MOUNT, d)), { recursive: true, mode: 0o777 });
    return d;
  };

  // Each environment: its pod's route to the provider and NAT rules, then, side by side, the check that it is cut
  // off from what the scenario cuts it off from, and the host under test (once the simulated Internet's servers
  // run), ready when it answers.
  const prestarted: (PrestartedWorker | undefined)[] = topo.envs.map(() => undefined);
  const envs = topo.envs.map((e, i) =>
    Promise.all([envStarted[i]!, providerStarted, internetStarted]).then(async ([p, pp, ip]) => {
      const via = ip.getIpAddress(topo.internetNetwork);
      // The route to the provider is asked for on the provider network, so the address the DNAT picks answers the
      // right source. With egress, the simulated Internet's addresses (public resolvers' included) via the internet
      // pod, and their DNS to their ports there; anything else, and everything without egress, keeps the default
      // route to the engine's gateway, which drops it.
      const routes = `route replace ${providerAddress}/32 via ${providerGateway}\n${e.routesInternet ? internetRouteBatch(topo, via) : ''}`;
      const rules = envRuleset(e.env, providerAddress, pp.getIpAddress(topo.providerNetwork)) + (e.routesInternet ? internetClientRuleset(topo, via) : '') + watch;
      await configure(p, e.env.name, e.env.name, routes, rules);
      checkAbort(signal);
      // The probe worker starts now, in the pod with its routes and rules: its Node start-up overlaps the host's.
      if (opts.concurrency) prestarted[i] = new PrestartedWorker(podLauncher(p), opts.concurrency, (pid) => r.state.addPid(pid));
      if (prestarted[i]) r.workers.push(prestarted[i]!);
      const [stub] = await Promise.all([
        internetServers.then(async () => {
          checkAbort(signal);
          const [entry, ...args] = resolver.command(prepared.main, prepared.runArgs, instanceDir(e.env.name));
          const host = await span(`start ${e.host}`, () =>
            res.container({
              name: e.host,
              image: images.host,
              entrypoint: [entry!],
              command: args,
              networkMode: inNamespaceOf(p),
              // Its processes are visible to the pod, whose worker runs getent in this container's filesystem.
              pidMode: `container:${p.getId()}`,
              // The resolv.conf the scenario or the image intends, over the one Docker would write.
              binds: [
                // Writable, as on netns: an auto-trust-anchor-file is the resolver's to update.
                { source: dir('host'), target: MOUNT, mode: 'rw' },
                { source: resolvConf, target: '/etc/resolv.conf', mode: 'ro' },
              ],
            }),
          );
          return { host, stub: await span(`host ready in ${e.env.name}`, () => hostReady(res, e, p, host, r.localResolver, plan, resolver, prepared, signal)) };
        }),
        span(`isolation of ${e.env.name}`, () => assertIsolated(e, p, plan, signal)),
      ]);
      return { pod: p, ...stub };
    }),
  );

  // Readiness, checked by queries: the servers, asked in their own namespace at every address they serve; the
  // provider's, in its own; each host under test, in its environment (above).
  const [envsReady, providerPod] = await Promise.all([
    Promise.all(envs),
    providerResolver.then(async (served) => {
      const pp = await providerStarted;
      await span('provider ready', () => ready(pp, ['127.0.0.1#53'], signal, [served]));
      return pp;
    }),
    internetServers.then(({ pod: p, served }) => span('internet ready', () => ready(p, topo.internet.addresses.map((a) => `${a}#53`), signal, served))),
  ]);
  checkAbort(signal);
  const envPods = envsReady.map((x) => x.pod);
  const hosts = envsReady.map((x) => x.host);
  const getents = envsReady.map((x) => x.stub);
  r.watched = [providerPod, ...envPods];

  // 6. Environments ready to probe.
  const servers = probeServers(prepared.listen, plan.resolvConf.nameservers);
  // The host's resolver logs to its container's stderr, as traced as the plan asks, as on netns.
  const logs = topo.envs.map((e) => new ContainerLog(res.engine, e.host));
  r.environments = topo.envs.map((e, i) => ({
    name: e.env.name,
    probe: async (queries: readonly Query[], o: ProbeRunOptions): Promise<QueryObservation[]> => {
      const launch = podLauncher(envPods[i]!);
      const { getent, library } = getents[i]!;
      const obs = await r.span(`probe ${e.env.name}`, () => probeEnvironment(launch, servers, queries, {
        ...o,
        resolvConf: plan.resolvConf,
        getent,
        getentLibrary: library,
        // The image's own root, which its getent runs in: the native helpers read its files there too.
        native: stubHelpers(queries, { root: getent[1]!, ownLibrary: library }),
        onSpawn: (pid) => r.state.addPid(pid),
        ...(prestarted[i] ? { prestarted: prestarted[i] } : {}),
      }));
      // A resolver that died mid-run is a failure of the run, not a difference.
      if (!(await res.running(hosts[i]!.getId()))) throw new BackendError(`the host under test in ${e.env.name} stopped during the probe: ${tail(await res.logs(e.host, 5), 2)}`);
      return obs;
    },
    resolverActivity: async (): Promise<readonly UpstreamExchange[]> => resolver.parseActivity?.(await logs[i]!.next()) ?? [],
  }));
}

/**
 * Runs the probe worker in an environment's network namespace: as root, from this machine (nsenter, as
 * RunContainer.inNetns does: no engine round trip, no docker CLI); otherwise in its pod (docker exec), where the
 * host's processes are in view.
 */
const podLauncher = (pod: RunContainer): Launcher => (argv) => {
  if (!entersFromHere()) return ['docker', 'exec', '-i', pod.getId(), ...argv];
  const [file, args] = pod.enter(argv);
  return [file, ...args];
};

/** The host's main process as the probe worker sees it: this machine's number from here, else its pod's (they share a process namespace). */
function podPid(host: RunContainer): number {
  const pid = host.pid;
  if (entersFromHere()) return pid;
  try {
    const ns = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]?.trim().split(/\s+/);
    const inner = Number(ns?.[ns.length - 1]);
    if (Number.isInteger(inner) && inner > 0) return inner;
  } catch {
    // fall through
  }
  throw new BackendError(`cannot find the process ${pid} of the host under test in /proc`, 'the docker backend needs the engine on this machine');
}

/**
 * Whether the image has musl's dynamic loader in its /lib: read through this machine's /proc when the harness
 * may (root), otherwise by the pod, which has node and no shell.
 */
async function hasMuslLoader(p: RunContainer, host: RunContainer, root: string): Promise<boolean> {
  const isLoader = (f: string) => f.startsWith('ld-musl-');
  try {
    return readdirSync(`/proc/${host.pid}/root/lib`).some(isLoader);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') return false;
  }
  const look = `try { process.exit(require('fs').readdirSync(${JSON.stringify(`${root}/lib`)}).some((f) => f.startsWith('ld-musl-')) ? 0 : 1) } catch { process.exit(1) }`;
  return p.exec([process.execPath, '-e', look]).then((x) => x.exitCode === 0, () => false);
}

/** A command in a pod's network namespace (`here`: with this machine's paths; RunContainer.inNetns), which must succeed. */
async function execOk(c: RunContainer, argv: string[], what: string, here: string[]): Promise<void> {
  const x = await c.inNetns(argv, here);
  if (x.exitCode !== 0) throw new BackendError(`${what}: ${argv.join(' ')} exited ${x.exitCode}: ${tail(x.output, 3)}`);
}

/** dns-check in a pod: every target answers (ready), or none does (silent), within ms. */
const checkArgv = (mode: 'ready' | 'silent', ms: number, targets: readonly string[]) => [dnsCheckPath(), mode, String(ms), ...targets];

/** A server run in a pod (RunContainer.serve): what it is called in errors, where its output goes, when it ended. */
export interface Served {
  readonly label: string;
  readonly logFile: string;
  readonly ended: Promise<void>;
}

function lastLines(s: Served): string {
  try {
    return tail(readFileSync(s.logFile, 'utf8'), 2) || 'no log';
  } catch {
    return 'no log';
  }
}

/** The targets answer, asked from the pod; a server that exits first fails at once, with its log. */
export async function ready(p: Pick<RunContainer, 'inNetns'>, targets: string[], signal: AbortSignal, served: readonly Served[]): Promise<void> {
  checkAbort(signal);
  const check = p.inNetns(checkArgv('ready', READY_TIMEOUT_MS, targets));
  check.catch(() => undefined); // a server's exit may settle the race first
  const first = await Promise.race([check, ...served.map((s) => s.ended.then(() => s))]);
  checkAbort(signal);
  if ('label' in first) throw new BackendError(`${first.label} exited as it started: ${lastLines(first)}`);
  if (first.exitCode !== 0) throw new BackendError(`servers not ready: ${first.output.trim()}; ${served.map((s) => `${s.label}: ${lastLines(s)}`).join('; ')}`);
}

/** How the image's own getent runs, and the C library it answers with. */
interface ImageStub {
  readonly getent: string[];
  readonly library: StubLibrary;
}

/**
 * The C library behind an image's getent: glibc's `ahosts` lists a RAW line
 * beside STREAM and DGRAM, musl's getaddrinfo gives no RAW socket type; an
 * image with musl's dynamic loader is musl-based whatever its getent prints.
 */
export function imageLibrary(getentOutput: string, hasMuslLoader: boolean): StubLibrary {
  return !hasMuslLoader && /\bRAW\b/.test(getentOutput) ? 'glibc' : 'musl';
}

/** The host under test answers on its local resolver, and its getent works (returned: how to run it); or it died, and its log says why. */
async function hostReady(res: RunResources, e: EnvSpec, p: RunContainer, host: RunContainer, local: string, plan: RunPlan, resolver: ResolverUnderTest, prepared: PreparedConfig, signal: AbortSignal): Promise<ImageStub> {
  const exited = res.engine.docker.getContainer(host.getId()).wait().then(() => 'exited' as const, () => 'exited' as const);
  const answered = p.inNetns(checkArgv('ready', READY_TIMEOUT_MS, [local])).then((x) => (x.exitCode === 0 ? ('ready' as const) : ('silent' as const)));
  // The image's own getent, in the image's own filesystem, in the environment's network namespace. Its check
  // (localhost, from the files database) and the loader's start beside the readiness check; a getent that fails
  // before the resolver answers (an image whose hosts database is DNS alone) is asked again after.
  const getent = ['chroot', `/proc/${podPid(host)}/root`, 'getent'];
  const root = getent[1]!;
  const getentCheck = () => p.inNetns([...getent, 'ahostsv4', 'localhost']).catch((err: Error) => ({ exitCode: -1, output: err.message }));
  const early = Promise.all([getentCheck(), hasMuslLoader(p, host, root)]);
  early.catch(() => undefined); // awaited below, unless the host failed first
  const outcome = await Promise.race([exited, answered]);
  checkAbort(signal);
  if (outcome !== 'ready') {
    const log = await res.logs(e.host, 30);
    const m = resolver.startFailure?.(log, prepared);
    if (m) {
      const file = m.file.startsWith(`${MOUNT}/`) ? plan.sources.resolverConfig : m.file;
      throw new InputError({ file, ...(m.line !== undefined ? { line: m.line } : {}) }, `${resolver.name} in image ${plan.scenario.image ?? 'dnsparity/host'}: ${m.message.replace(new RegExp(`^${resolver.name}: `), '')}`, `fix the image's ${resolver.name} config`);
    }
    throw new BackendError(`the host under test in ${e.env.name} ${outcome === 'exited' ? 'exited' : `did not answer on ${local}`}: ${tail(log, 3) || 'no log'}`);
  }
  // The database the probe uses: a getent without it would turn every lookup into a "failure" everywhere, and hide every difference.
  const [first, loader] = await early;
  const g = first.exitCode === 0 ? first : await getentCheck();
  if (g.exitCode !== 0) {
    throw new PrerequisiteError(`image ${plan.scenario.image ?? 'dnsparity/host'} cannot run "getent ahostsv4 localhost" (exit ${g.exitCode}: ${tail(g.output, 1)})`, 'the application layer runs the image\'s own getent, which must know the ahostsv4 and ahostsv6 databases (glibc\'s libc-bin has them)');
  }
  const library = imageLibrary(g.output, loader);
  // An image whose applications resolve with musl, tested as if with glibc, would get a verdict that is not its own.
  if (library !== 'glibc' && plan.scenario.stub.libraries === undefined) {
    throw new InputError(
      { file: plan.scenario.file, line: plan.scenario.lineOf(['stub']) ?? plan.scenario.lineOf(['image']), field: 'stub.libraries' },
      `image ${plan.scenario.image ?? 'dnsparity/host'} resolves names with musl, not glibc (its getent answers as musl's getaddrinfo does)`,
      'name the library the image uses: stub.libraries: [musl], or [glibc, musl] to compare both',
    );
  }
  return { getent, library };
}

/** An environment without egress must not hear the simulated Internet; one without the provider, not the provider. */
async function assertIsolated(e: EnvSpec, p: RunContainer, plan: RunPlan, signal: AbortSignal): Promise<void> {
  const cutOff = [
    ...(e.env.egress !== 'allow' ? [`${plan.internet.root[0]!.address}#53`] : []),
    ...(e.env.provider !== 'reachable' ? [`${plan.internet.provider.address}#53`] : []),
  ];
  if (cutOff.length === 0) return;
  checkAbort(signal);
  // Every target at once, in one process.
  const x = await p.inNetns(checkArgv('silent', ISOLATION_CHECK_MS, cutOff));
  if (x.exitCode === 3) {
    const target = x.output.trim().split(/\s+/)[0];
    throw new BackendError(`environment ${e.env.name} reaches ${target} although the scenario cuts it off: the engine does not isolate internal networks (is dockerd running with --iptables=false?)`, 'use --backend netns, or run dockerd with its default iptables rules');
  }
  if (x.exitCode !== 0) throw new BackendError(`the isolation check of environment ${e.env.name} failed (exit ${x.exitCode}): ${tail(x.output, 2)}`);
}

/**
 * Delay and loss are realised by a relay in each server's namespace on the
 * netns backend; the docker backend has none yet, and a scenario that asks for
 * them must not pass unshaped.
 */
function refuseShaping(plan: RunPlan): void {
  if (plan.scenario.network.ipv6) {
    throw new InputError(
      { file: plan.scenario.file, line: plan.scenario.lineOf(['network', 'ipv6']), field: 'network.ipv6' },
      'a dual-stack simulated Internet is realised on the netns backend only; the docker backend\'s networks are IPv4 only so far',
      'run this scenario with --backend netns',
    );
  }
  if (plan.internet.shaping.length === 0) return;
  const net = plan.scenario.network;
  const zone = net.public.zones.findIndex((z) => z.rttMs !== undefined || z.lossPercent !== undefined);
  const path =
    net.public.rttMs !== undefined ? ['network', 'public', 'rttMs']
    : net.provider.rttMs !== undefined ? ['network', 'provider', 'rttMs']
    : ['network', 'public', 'zones', zone, net.public.zones[zone]?.rttMs !== undefined ? 'rttMs' : 'lossPercent'];
  throw new InputError(
    { file: plan.scenario.file, line: plan.scenario.lineOf(path), field: path.join('.') },
    'delay and loss (rttMs, lossPercent) are realised on the netns backend only; the docker backend does not shape its networks yet',
    'run this scenario with --backend netns',
  );
}

/** Reads the files a scenario leaves to its image, once per image, for planning. */
export function imageFileReader(): ImageFileReader {
  const cache = new Map<string, Promise<Map<string, ImageFile>>>();
  return async (image, path) => {
    let files = cache.get(image);
    if (!files) {
      files = (async () => {
        const engine = await requireEngine();
        if (!(await imageExists(engine, image))) throw new PrerequisiteError(missingImageMessage(image));
        return readImageFiles(engine, image, ALL_IMAGE_PATHS);
      })();
      cache.set(image, files);
    }
    return (await files).get(path) ?? { found: false, why: `${path} was not read` };
  };
}
