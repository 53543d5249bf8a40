// What a docker run creates on the engine, and how it goes away. Every
// network and container carries the labels dnsparity=1, dnsparity.run=<run
// id> and dnsparity.pid=<owner pid>, and is recorded in the run's state file
// as soon as it exists, so teardown removes exactly the run's own things and
// "dnsparity cleanup" can remove what a killed run left without touching
// anything else. Every network is created internal, at a subnet the engine
// picks; there is no other kind.
import { createWriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import type Dockerode from 'dockerode';
import { tryRun } from '../../util/exec.js';
import { BackendError } from '../../errors.js';
import { processAlive, type RunState } from '../../run-state.js';
import { dockerMessage, type Engine } from './engine.js';
import { imageExists } from './images.js';
import type { Span } from './trace.js';

export const LABEL = 'dnsparity';
export const LABEL_RUN = 'dnsparity.run';
export const LABEL_PID = 'dnsparity.pid';

/** How long teardown waits for creations still in flight on the engine before removing what exists. */
const PENDING_WAIT_MS = 60_000;

export const runLabels = (runId: string): Record<string, string> => ({ [LABEL]: '1', [LABEL_RUN]: runId, [LABEL_PID]: String(process.pid) });

export interface ContainerOptions {
  readonly name: string;
  readonly image: string;
  readonly entrypoint?: readonly string[];
  readonly command?: readonly string[];
  /** A network's name, or "container:<id>" to join another container's namespace. */
  readonly networkMode: string;
  /** "container:<id>" to join another container's process namespace. */
  readonly pidMode?: string;
  /** Further networks, connected before the container starts. */
  readonly moreNetworks?: readonly string[];
  readonly binds?: readonly { source: string; target: string; mode: 'ro' | 'rw' }[];
  readonly sysctls?: Readonly<Record<string, string>>;
  readonly capAdd?: readonly string[];
}

/** What the engine's inspection of a started container says that a run needs: its addresses, and its main process. */
interface Inspected {
  readonly Name: string;
  readonly State: { readonly Pid: number };
  readonly NetworkSettings: { readonly Networks?: Record<string, { readonly IPAddress?: string }> };
}

/**
 * Whether the run's commands enter a container's network namespace from this
 * machine (as root: nsenter, with this machine's files and binaries) rather
 * than through the engine (docker exec, with the container's), which is the
 * only way for a user in the docker group, and which DNSPARITY_DOCKER_ENTER=exec
 * chooses for root too.
 */
export const entersFromHere = (): boolean => process.getuid?.() === 0 && process.env.DNSPARITY_DOCKER_ENTER !== 'exec';

/** The outcome of a command run in a container. */
export interface ExecResult {
  readonly exitCode: number;
  /** stdout and stderr, interleaved as written. */
  readonly output: string;
  readonly stdout: string;
}

/**
 * A started container of a run, as the engine described it once it had started:
 * its addresses and its main process's pid come from that one inspection.
 */
export class RunContainer {
  constructor(
    private readonly docker: Dockerode,
    private readonly info: Inspected,
    private readonly id: string,
  ) {}

  getId(): string {
    return this.id;
  }

  getName(): string {
    return this.info.Name.replace(/^\//, '');
  }

  /** Its main process, as this machine's /proc numbers it. */
  get pid(): number {
    return this.info.State.Pid;
  }

  getIpAddress(network: string): string {
    const ip = this.info.NetworkSettings.Networks?.[network]?.IPAddress;
    if (!ip) throw new BackendError(`container ${this.getName()} has no address on network ${network}`);
    return ip;
  }

  /** Runs a command in the container: three round trips to the engine (create, start and read, exit code). */
  async exec(argv: readonly string[]): Promise<ExecResult> {
    const x = await this.docker.getContainer(this.id).exec({ Cmd: [...argv], AttachStdout: true, AttachStderr: true });
    const stream = await x.start({ stdin: true, Detach: false, Tty: false });
    const all: Buffer[] = [];
    const out: Buffer[] = [];
    const sink = (keep: Buffer[][]) => new Writable({ write: (d: Buffer, _e, done) => (keep.forEach((k) => k.push(d)), done()) });
    this.docker.modem.demuxStream(stream, sink([all, out]), sink([all]));
    await new Promise<void>((resolve, reject) => {
      stream.on('end', () => resolve());
      stream.on('error', reject);
    });
    stream.destroy();
    const exitCode = (await x.inspect()).ExitCode ?? -1;
    return { exitCode, output: Buffer.concat(all).toString('utf8'), stdout: Buffer.concat(out).toString('utf8') };
  }

  /**
   * Runs a command in the container's network namespace. As root, from this
   * machine (nsenter into the namespace, with this machine's binaries, which
   * the helper image copies, and `here`: the argv with this machine's paths
   * where the container's differ): no round trip to the engine, which, busy
   * starting a run's containers, took 0.2-0.6 s an exec. Otherwise in the
   * container (exec).
   */
  async inNetns(argv: readonly string[], here: readonly string[] = argv): Promise<ExecResult> {
    if (!entersFromHere()) return this.exec(argv);
    const r = await tryRun(...this.enter(here));
    return { exitCode: r.exitCode, output: r.stdout + r.stderr, stdout: r.stdout };
  }

  /** argv that runs argv on this machine in the container's network namespace (as root). */
  enter(argv: readonly string[]): [string, string[]] {
    return ['nsenter', [`--net=/proc/${this.pid}/ns/net`, '--', ...argv]];
  }

  /**
   * Starts a server in the container, as a process of its own beside the
   * container's main one: its output (stdout and stderr) is appended to
   * logFile on this machine as it comes, and `ended` settles when it exits or
   * the container goes away. It lives as long as the container at most.
   */
  async serve(argv: readonly string[], logFile: string): Promise<{ readonly ended: Promise<void> }> {
    const x = await this.docker.getContainer(this.id).exec({ Cmd: [...argv], AttachStdout: true, AttachStderr: true });
    const stream = await x.start({ stdin: true, Detach: false, Tty: false });
    const log = createWriteStream(logFile, { flags: 'a' });
    log.on('error', () => undefined); // a log that cannot be written loses the log, not the server
    this.docker.modem.demuxStream(stream, log, log);
    const ended = new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    });
    void ended.then(() => log.end());
    return { ended };
  }
}

/** The engine-side resources of one run; disposing it removes every one of them. */
export class RunResources implements AsyncDisposable {
  /** Creations in flight: teardown waits for them, so nothing is created after it has looked. */
  private readonly pending = new Set<Promise<unknown>>();
  /** Set when teardown begins: a creation asked for after it is refused, as it could be created after teardown has looked. */
  private closing = false;

  constructor(
    readonly engine: Engine,
    readonly state: RunState,
    private readonly span: Span = (_what, step) => step(),
  ) {}

  /**
   * Creates an internal network at a subnet the engine picks. Runs on one
   * engine so never wait for each other; only the engine's address pools are
   * shared. When they are used up and a run whose process is gone (killed,
   * or on a machine that stopped) still holds networks, that run's things go,
   * by its label, and the creation is asked again; nothing of a live run, nor
   * anything that is not dnsparity's, is ever touched.
   */
  network(spec: { readonly name: string }, log: (line: string) => void): Promise<void> {
    return this.track(() => this.createNetwork(spec.name, log));
  }

  private async createNetwork(name: string, log: (line: string) => void): Promise<void> {
    const create = async () => {
      const n = await this.engine.docker.createNetwork({ Name: name, Driver: 'bridge', Internal: true, CheckDuplicate: true, Labels: runLabels(this.state.runId) });
      this.state.addNetwork(n.id);
    };
    try {
      return await create();
    } catch (e) {
      const msg = dockerMessage(e);
      const what = `cannot create internal network ${name}: ${msg}`;
      if (!POOLS_USED_UP.test(msg)) throw new BackendError(what);
      const dead = await this.deadRuns();
      if (dead.length === 0) throw new BackendError(what, 'the engine\'s address pools are used up by other networks: remove networks that are not needed (dnsparity cleanup removes what killed runs left), or widen default-address-pools in the engine\'s daemon.json');
      for (const d of dead) {
        const errors = await removeRun(this.engine, d.runId);
        if (errors.length) throw new BackendError(what, `run ${d.runId}, whose process (pid ${d.ownerPid}) is gone, holds networks that could not be removed (${errors.join('; ')}): run "dnsparity cleanup"`);
        log(`removed what run ${d.runId} (pid ${d.ownerPid}, no longer running) left on this Docker engine: the engine had no address pool left`);
      }
    }
    try {
      await create();
    } catch (e) {
      throw new BackendError(`cannot create internal network ${name}: ${dockerMessage(e)}`, 'the engine\'s address pools are used up by other networks, even with what killed runs left removed: widen default-address-pools in the engine\'s daemon.json');
    }
  }

  /** The runs other than this one that hold dnsparity networks, and whose owner process is gone. */
  private async deadRuns(): Promise<{ runId: string; ownerPid: number }[]> {
    const nets = await this.engine.docker.listNetworks({ filters: JSON.stringify({ label: [`${LABEL}=1`] }) }).catch(() => []);
    const runs = new Map<string, number>();
    for (const n of nets) {
      const runId = n.Labels?.[LABEL_RUN] ?? '';
      const ownerPid = Number(n.Labels?.[LABEL_PID] ?? 0);
      if (runId && runId !== this.state.runId && !processAlive(ownerPid)) runs.set(runId, ownerPid);
    }
    return [...runs].map(([runId, ownerPid]) => ({ runId, ownerPid }));
  }

  /** Images this run has seen in the engine: each is asked about once. */
  private readonly images = new Map<string, Promise<boolean>>();

  /**
   * Creates and starts a container, straight through the engine's API: create
   * (recorded in the run's state the moment it exists), its further networks,
   * start, and one inspection for its addresses and pid. Nothing waits for
   * ports: readiness is the backend's to check, by query.
   */
  container(opts: ContainerOptions): Promise<RunContainer> {
    return this.track(async () => {
      // dnsparity pulls nothing, ever: an image the engine does not have is an error.
      let known = this.images.get(opts.image);
      if (!known) this.images.set(opts.image, (known = imageExists(this.engine, opts.image)));
      if (!(await known)) throw new BackendError(`cannot start container ${opts.name}: image ${opts.image} is not in the Docker engine, and dnsparity pulls nothing`);
      try {
        const c = await this.engine.docker.createContainer({
          name: opts.name,
          Image: opts.image,
          Labels: runLabels(this.state.runId),
          ...(opts.entrypoint ? { Entrypoint: [...opts.entrypoint] } : {}),
          ...(opts.command ? { Cmd: [...opts.command] } : {}),
          HostConfig: {
            NetworkMode: opts.networkMode,
            ...(opts.pidMode ? { PidMode: opts.pidMode } : {}),
            ...(opts.binds?.length ? { Binds: opts.binds.map((b) => `${b.source}:${b.target}:${b.mode}`) } : {}),
            ...(opts.capAdd?.length ? { CapAdd: [...opts.capAdd] } : {}),
            ...(opts.sysctls ? { Sysctls: { ...opts.sysctls } } : {}),
          },
        });
        this.state.addContainer(c.id);
        for (const net of opts.moreNetworks ?? []) await this.engine.docker.getNetwork(net).connect({ Container: c.id });
        await c.start();
        return new RunContainer(this.engine.docker, (await c.inspect()) as unknown as Inspected, c.id);
      } catch (e) {
        throw new BackendError(`cannot start container ${opts.name} (${opts.image}): ${dockerMessage(e)}`);
      }
    });
  }

  private track<T>(create: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new BackendError('not created: the run is being torn down'));
    const p = create();
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p)).catch(() => undefined);
    return p;
  }

  /** Whether a container of this run is still running. */
  async running(id: string): Promise<boolean> {
    try {
      return (await this.engine.docker.getContainer(id).inspect()).State.Running;
    } catch {
      return false;
    }
  }

  async containerNames(): Promise<string[]> {
    const filters = JSON.stringify({ label: [`${LABEL_RUN}=${this.state.runId}`] });
    return (await this.engine.docker.listContainers({ all: true, filters })).map((c) => (c.Names[0] ?? c.Id).replace(/^\//, ''));
  }

  /** Container logs, for errors and for --keep. */
  async logs(name: string, lines = 20): Promise<string> {
    try {
      const buf = (await this.engine.docker.getContainer(name).logs({ stdout: true, stderr: true, tail: lines })) as unknown as Buffer;
      return demux(buf).trim();
    } catch {
      return '';
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    // Creations in flight finish first (nothing is created after teardown has looked); one the engine
    // never answers does not hold teardown up for ever.
    this.closing = true;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise((r) => (timer = setTimeout(r, PENDING_WAIT_MS)));
    await Promise.race([Promise.allSettled([...this.pending]), bound]);
    clearTimeout(timer);
    const errors = await removeRun(this.engine, this.state.runId, this.span);
    if (errors.length) throw new BackendError(`teardown of run ${this.state.runId} was incomplete: ${errors.join('; ')}`, 'run "dnsparity cleanup"');
  }

}

/** Docker's log stream interleaves stdout and stderr in 8-byte-headed frames. */
export function demux(buf: Buffer): string {
  if (buf.length < 8 || buf[0]! > 2 || buf[1] !== 0) return buf.toString('utf8');
  const out: Buffer[] = [];
  for (let i = 0; i + 8 <= buf.length; ) {
    const len = buf.readUInt32BE(i + 4);
    out.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return Buffer.concat(out).toString('utf8');
}

const ENDPOINT_TRIES = 6;

/** What the engine says when no address pool is left for a network without a fixed subnet. */
export const POOLS_USED_UP = /non-overlapping IPv4 address pool|no available network|address pools? (have been|are) (fully )?(subnetted|exhausted)/i;

/** Removes a run's containers, then its networks, by label; returns what failed. */
export async function removeRun(engine: Engine, runId: string, span: Span = (_what, step) => step()): Promise<string[]> {
  const filters = JSON.stringify({ label: [`${LABEL_RUN}=${runId}`] });
  const errors: string[] = [];
  const containers = await engine.docker.listContainers({ all: true, filters }).catch((e: unknown) => {
    errors.push(`listing containers: ${dockerMessage(e)}`);
    return [];
  });
  await span(`${containers.length} containers removed`, () => Promise.all(
    containers.map((c) =>
      engine.docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch((e: unknown) => {
          if ((e as { statusCode?: number }).statusCode !== 404) errors.push(`container ${c.Names[0] ?? c.Id}: ${dockerMessage(e)}`);
        }),
    ),
  ));
  const networks = await engine.docker.listNetworks({ filters }).catch((e: unknown) => {
    errors.push(`listing networks: ${dockerMessage(e)}`);
    return [];
  });
  await span(`${networks.length} networks removed`, () => Promise.all(
    networks.map(async (n) => {
      // The engine releases a removed container's endpoints a moment after the removal returns:
      // "has active endpoints" right after it is asked again, a few times, before it counts as a failure.
      for (let attempt = 1; ; attempt++) {
        try {
          await engine.docker.getNetwork(n.Id).remove();
          return;
        } catch (e) {
          if ((e as { statusCode?: number }).statusCode === 404) return;
          const msg = dockerMessage(e);
          if (!/active endpoints/i.test(msg) || attempt >= ENDPOINT_TRIES) {
            errors.push(`network ${n.Name}: ${msg}`);
            return;
          }
          const info = (await engine.docker.getNetwork(n.Id).inspect().catch(() => undefined)) as { Containers?: Record<string, { Name?: string }> } | undefined;
          for (const [id, ep] of Object.entries(info?.Containers ?? {})) {
            await engine.docker.getNetwork(n.Id).disconnect({ Container: ep.Name ?? id, Force: true }).catch(() => undefined);
          }
          await new Promise((r) => setTimeout(r, 250 * attempt));
        }
      }
    }),
  ));
  return errors;
}

export interface LabelledThing {
  readonly kind: 'container' | 'network';
  readonly id: string;
  readonly name: string;
  readonly runId: string;
  readonly ownerPid: number;
  readonly internal?: boolean;
}

/** Everything on the engine labelled dnsparity: what cleanup and tests look at. */
export async function listLabelled(engine: Engine): Promise<LabelledThing[]> {
  const filters = JSON.stringify({ label: [`${LABEL}=1`] });
  const [containers, networks] = await Promise.all([engine.docker.listContainers({ all: true, filters }), engine.docker.listNetworks({ filters })]);
  return [
    ...containers.map((c) => ({ kind: 'container' as const, id: c.Id, name: (c.Names[0] ?? c.Id).replace(/^\//, ''), runId: c.Labels[LABEL_RUN] ?? '', ownerPid: Number(c.Labels[LABEL_PID] ?? 0) })),
    ...networks.map((n) => ({ kind: 'network' as const, id: n.Id, name: n.Name, runId: n.Labels?.[LABEL_RUN] ?? '', ownerPid: Number(n.Labels?.[LABEL_PID] ?? 0), internal: n.Internal })),
  ];
}
