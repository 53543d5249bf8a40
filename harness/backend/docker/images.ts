// The images the docker backend runs, built offline: each Dockerfile under
// containers/ is FROM scratch (or FROM the host image) and copies a rootfs/
// assembled here from this machine's own binaries and the shared libraries
// ldd names for them. No registry is involved. An image is tagged with a
// fingerprint of what went into it, so a run builds it once and reuses it
// until a binary or a Dockerfile changes.
import { createHash } from 'node:crypto';
import { accessSync, chmodSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackendError, InputError, PrerequisiteError } from '../../errors.js';
import { tryRun } from '../../util/exec.js';
import { dockerMessage, type Engine } from './engine.js';
import { nativeHelperPath } from '../../probe/native.js';

export type HarnessImage = 'host' | 'helper';
export const HARNESS_IMAGES: readonly HarnessImage[] = ['host', 'helper'];

/** containers/ of this package, also when running from the TypeScript sources. */
export function containersDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'containers', 'host', 'Dockerfile'))) return join(dir, 'containers');
    dir = dirname(dir);
  }
  throw new BackendError('containers/ (the Dockerfiles of the docker backend) not found beside the harness', 'reinstall dnsparity');
}

const PASSWD = 'root:x:0:0:root:/root:/sbin/nologin\nunbound:x:104:107::/var/lib/unbound:/sbin/nologin\nnsd:x:102:105::/var/lib/nsd:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n';
const GROUP = 'root:x:0:\nunbound:x:107:\nnsd:x:105:\nnogroup:x:65534:\n';
const BASE_FILES: Readonly<Record<string, string>> = {
  '/etc/passwd': PASSWD,
  '/etc/group': GROUP,
  // The stub resolver's own rules: files, then DNS through /etc/resolv.conf.
  '/etc/nsswitch.conf': 'hosts: files dns\nnetworks: files\n',
  '/etc/hosts': '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n',
};
const EMPTY_DIRS = ['/tmp', '/run', '/var/lib/unbound', '/etc/unbound'];

interface RootfsSpec {
  /** Commands found on PATH (or absolute paths), copied to the same place. */
  readonly binaries: readonly string[];
  /** Debian packages that provide them, for the error when one is missing. */
  readonly packages: readonly string[];
}

const SPECS: Readonly<Record<HarnessImage, RootfsSpec>> = {
  host: { binaries: ['unbound', 'unbound-checkconf', 'getent'], packages: ['unbound', 'libc-bin'] },
  // Also the simulated Internet's servers (nsd, the public resolvers' unbound) and the provider's resolver, run in
  // their pods: a process started in a running container costs the engine a tenth of a container.
  helper: { binaries: [process.execPath, 'ip', 'nft', 'chroot', 'nsd', 'unbound'], packages: ['nodejs', 'iproute2', 'nftables', 'coreutils', 'nsd', 'unbound'] },
};

interface RootfsFile {
  /** Absolute path inside the image. */
  readonly dest: string;
  readonly source: string;
}

/** A command as `command -v` finds it on PATH, then /usr/sbin and /sbin; looked up here, without a shell per command. */
export function locate(bin: string, path = `${process.env.PATH ?? ''}:/usr/sbin:/sbin`): string | undefined {
  if (bin.startsWith('/')) return existsSync(bin) ? bin : undefined;
  for (const dir of path.split(':')) {
    if (!dir.startsWith('/')) continue;
    const p = join(dir, bin);
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The shared libraries a binary loads, and the dynamic loader, as ldd names them. */
export function parseLdd(output: string): string[] {
  const out: string[] = [];
  for (const line of output.split('\n')) {
    const arrow = /=>\s+(\/\S+)/.exec(line);
    const bare = /^\s*(\/\S+)\s+\(0x/.exec(line);
    const p = arrow?.[1] ?? bare?.[1];
    if (p) out.push(p);
  }
  return out;
}

function rootfsFiles(name: HarnessImage): Promise<RootfsFile[]> {
  return specFiles(name, SPECS[name]);
}

async function specFiles(name: string, spec: RootfsSpec): Promise<RootfsFile[]> {
  const files = new Map<string, string>();
  const missing: string[] = [];
  // Every binary's ldd at once; the files in the binaries' order, as one after another would give them.
  const found = await Promise.all(
    spec.binaries.map(async (bin) => {
      const path = locate(bin);
      if (!path) return { bin };
      const ldd = await tryRun('ldd', [path]);
      if (ldd.exitCode !== 0) throw new BackendError(`ldd ${path} failed: ${ldd.stderr.trim()}`);
      return { bin, path, libs: parseLdd(ldd.stdout) };
    }),
  );
  for (const f of found) {
    if (!f.path) {
      missing.push(f.bin);
      continue;
    }
    files.set(f.path, realpathSync(f.path));
    for (const lib of f.libs) files.set(lib, realpathSync(lib));
  }
  if (missing.length) {
    throw new PrerequisiteError(`building the ${name} image needs ${missing.join(', ')} on this machine`, `apt-get install ${spec.packages.join(' ')} (scripts/install-prerequisites.sh)`);
  }
  return [...files].map(([dest, source]) => ({ dest, source })).sort((a, b) => a.dest.localeCompare(b.dest));
}

/** What decides an image's content: its Dockerfile and each copied file's identity. */
function fingerprint(dockerfile: string, files: readonly RootfsFile[]): string {
  const h = createHash('sha256').update(dockerfile).update(JSON.stringify(BASE_FILES)).update(EMPTY_DIRS.join());
  for (const f of files) {
    const s = statSync(f.source);
    h.update(`${f.dest}\0${f.source}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return h.digest('hex').slice(0, 12);
}

function writeRootfs(root: string, files: readonly RootfsFile[]): void {
  for (const d of EMPTY_DIRS) mkdirSync(join(root, d), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
  for (const [path, text] of Object.entries(BASE_FILES)) writeFileSync(join(root, path), text);
  for (const f of files) {
    mkdirSync(join(root, dirname(f.dest)), { recursive: true });
    copyFileSync(f.source, join(root, f.dest));
  }
}

export async function imageExists(engine: Engine, ref: string): Promise<boolean> {
  try {
    await engine.docker.getImage(ref).inspect();
    return true;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return false;
    throw new BackendError(`cannot inspect image ${ref}: ${dockerMessage(e)}`);
  }
}

/** Builds a context directory into an image, failing with the builder's own error line. */
export async function buildContext(engine: Engine, context: string, entries: string[], tag: string, buildargs: Record<string, string> = {}): Promise<void> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await engine.docker.buildImage({ context, src: entries }, { t: tag, buildargs, labels: { dnsparity: '1' }, rm: true, forcerm: true });
  } catch (e) {
    throw new BackendError(`docker build of ${tag} failed: ${dockerMessage(e)}`);
  }
  const events = await new Promise<{ error?: string; stream?: string }[]>((res, rej) => {
    engine.docker.modem.followProgress(stream, (err: Error | null, out: { error?: string; stream?: string }[]) => (err ? rej(err) : res(out)));
  }).catch((e: unknown) => [{ error: dockerMessage(e) }]);
  const failed = events.find((e) => e.error);
  if (failed) throw new BackendError(`docker build of ${tag} failed: ${failed.error!.trim()}`, 'README.md, "The docker backend", says what the images need');
}

const building = new Map<HarnessImage, Promise<string>>();

/**
 * The harness image's tag, built now if the engine does not have it. Also
 * tagged :latest, which the example candidate's Dockerfile builds on.
 */
export function ensureImage(engine: Engine, name: HarnessImage, log: (line: string) => void = () => undefined): Promise<string> {
  let p = building.get(name);
  if (!p) {
    p = ensure(engine, name, log);
    building.set(name, p);
    p.catch(() => building.delete(name));
  }
  return p;
}

/** The tag the harness image has when built from this machine's binaries as they are now. */
export async function harnessImageTag(name: HarnessImage): Promise<string> {
  const dockerfile = readFileSync(join(containersDir(), name, 'Dockerfile'), 'utf8');
  return `dnsparity/${name}:${fingerprint(dockerfile, await rootfsFiles(name))}`;
}

async function ensure(engine: Engine, name: HarnessImage, log: (line: string) => void): Promise<string> {
  const dockerfile = readFileSync(join(containersDir(), name, 'Dockerfile'), 'utf8');
  const files = await rootfsFiles(name);
  const tag = `dnsparity/${name}:${fingerprint(dockerfile, files)}`;
  if (!(await imageExists(engine, tag))) {
    log(`building image ${tag} from this machine's binaries (once; later runs reuse it)`);
    const context = mkdtempSync(join(tmpdir(), `dnsparity-image-${name}-`));
    try {
      writeFileSync(join(context, 'Dockerfile'), dockerfile);
      writeRootfs(join(context, 'rootfs'), files);
      await buildContext(engine, context, ['Dockerfile', 'rootfs'], tag);
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
  }
  await engine.docker.getImage(tag).tag({ repo: `dnsparity/${name}`, tag: 'latest' }).catch(() => undefined);
  return tag;
}

/** Builds the example candidate image: the host image with this config and resolv.conf baked in. */
export async function buildCandidate(engine: Engine, tag: string, configFile: string, resolvConfFile: string, log: (line: string) => void = () => undefined): Promise<void> {
  for (const [field, f] of [['CONFIG', configFile], ['RESOLV_CONF', resolvConfFile]] as const) {
    if (!existsSync(f) || !statSync(f).isFile()) throw new InputError({ file: f, field }, 'file not found', 'give the unbound.conf and resolv.conf to bake into the image');
  }
  const base = await ensureImage(engine, 'host', log);
  const context = mkdtempSync(join(tmpdir(), 'dnsparity-image-candidate-'));
  try {
    writeFileSync(join(context, 'Dockerfile'), readFileSync(join(containersDir(), 'candidate', 'Dockerfile')));
    copyFileSync(resolve(configFile), join(context, 'unbound.conf'));
    copyFileSync(resolve(resolvConfFile), join(context, 'resolv.conf'));
    log(`building candidate image ${tag} from ${base} with ${configFile} and ${resolvConfFile}`);
    await buildContext(engine, context, ['Dockerfile', 'unbound.conf', 'resolv.conf'], tag, { BASE: base });
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** The musl candidate's own files: unbound as in the host image, without glibc's getent. */
const MUSL_CANDIDATE: RootfsSpec = { binaries: ['unbound', 'unbound-checkconf'], packages: ['unbound'] };

/**
 * Builds the example musl candidate image, FROM scratch: unbound from this
 * machine (as the host image has it), the static musl stub-lookup helper as
 * the image's getent (so the docker backend's application layer, which runs
 * the image's getent, is musl's getaddrinfo with musl's stub resolver), and
 * this config and resolv.conf baked in.
 */
export async function buildMuslCandidate(engine: Engine, tag: string, configFile: string, resolvConfFile: string, log: (line: string) => void = () => undefined): Promise<void> {
  for (const [field, f] of [['CONFIG', configFile], ['RESOLV_CONF', resolvConfFile]] as const) {
    if (!existsSync(f) || !statSync(f).isFile()) throw new InputError({ file: f, field }, 'file not found', 'give the unbound.conf and resolv.conf to bake into the image');
  }
  const getent = nativeHelperPath('musl');
  const files = [...(await specFiles('candidate-musl', MUSL_CANDIDATE)), { dest: '/usr/bin/getent', source: getent }];
  const context = mkdtempSync(join(tmpdir(), 'dnsparity-image-candidate-musl-'));
  try {
    writeFileSync(join(context, 'Dockerfile'), readFileSync(join(containersDir(), 'candidate-musl', 'Dockerfile')));
    const root = join(context, 'rootfs');
    writeRootfs(root, files);
    copyFileSync(resolve(configFile), join(root, 'etc/unbound/unbound.conf'));
    copyFileSync(resolve(resolvConfFile), join(root, 'etc/resolv.conf'));
    log(`building musl candidate image ${tag} with ${configFile} and ${resolvConfFile} (getent: ${getent})`);
    await buildContext(engine, context, ['Dockerfile', 'rootfs'], tag);
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}
