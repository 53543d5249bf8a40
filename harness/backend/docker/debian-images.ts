// Real Debian images, built offline from Debian's packages: mmdebstrap makes
// a minimal Debian 12 root file system (--variant=minbase) with the named
// packages installed, from this machine's own apt sources, and the engine
// imports it (docker import). No registry is involved. Used as the default
// host under test of a resolver whose module names Debian packages
// (dockerHost.debianPackages), so the docker backend is tested on images
// shaped like the ones users promote, and for example candidate images. An
// image is tagged with a fingerprint of what went into it (suite, variant,
// packages, apt sources) and reused until that changes.
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BackendError, InputError, PrerequisiteError } from '../../errors.js';
import { isResolverKind, resolverFor, RESOLVER_KINDS } from '../../resolver/registry.js';
import { tryRun } from '../../util/exec.js';
import { dockerMessage, type Engine } from './engine.js';
import { buildContext, containersDir, imageExists } from './images.js';

export const DEBIAN_SUITE = 'bookworm';
export const DEBIAN_VARIANT = 'minbase';
/** This machine's apt sources, in the order apt reads them; mmdebstrap takes such a file as its mirror. */
const SOURCES = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'];

export interface DebianImageSpec {
  /** dnsparity/<name>. */
  readonly name: string;
  readonly packages: readonly string[];
}

function sourcesFile(): string | undefined {
  return SOURCES.find((f) => existsSync(f) && readFileSync(f, 'utf8').trim() !== '');
}

/** The tag the image has, from what goes into it. */
export function debianImageTag(spec: DebianImageSpec): string {
  const sources = sourcesFile();
  const h = createHash('sha256')
    .update(`${DEBIAN_SUITE}\0${DEBIAN_VARIANT}\0${[...spec.packages].sort().join(',')}\0`)
    .update(sources ? readFileSync(sources) : '');
  return `dnsparity/${spec.name}:${h.digest('hex').slice(0, 12)}`;
}

const building = new Map<string, Promise<string>>();

/** The image's tag, built now (about a minute, once) if the engine does not have it. */
export function ensureDebianImage(engine: Engine, spec: DebianImageSpec, log: (line: string) => void = () => undefined): Promise<string> {
  const tag = debianImageTag(spec);
  let p = building.get(tag);
  if (!p) {
    p = build(engine, spec, tag, log);
    building.set(tag, p);
    p.catch(() => building.delete(tag));
  }
  return p;
}

async function build(engine: Engine, spec: DebianImageSpec, tag: string, log: (line: string) => void): Promise<string> {
  if (await imageExists(engine, tag)) return tag;
  const which = await tryRun('sh', ['-c', 'PATH="$PATH:/usr/sbin:/sbin" command -v mmdebstrap']);
  if (which.exitCode !== 0) throw new PrerequisiteError(`building the ${spec.name} image (Debian ${DEBIAN_SUITE} with ${spec.packages.join(', ')}) needs mmdebstrap`, 'apt-get install mmdebstrap (scripts/install-prerequisites.sh --docker)');
  const dir = mkdtempSync(join(tmpdir(), `dnsparity-debian-${spec.name}-`));
  try {
    const tar = join(dir, 'rootfs.tar');
    log(`building image ${tag}: Debian ${DEBIAN_SUITE} (${DEBIAN_VARIANT}) with ${spec.packages.join(', ')}, by mmdebstrap from Debian's packages (once; later runs reuse it)`);
    const sources = sourcesFile();
    // Packages are installed with service starts denied, as on this machine (mmdebstrap's own policy-rc.d).
    const r = await tryRun('mmdebstrap', ['--quiet', `--variant=${DEBIAN_VARIANT}`, `--include=${spec.packages.join(',')}`, DEBIAN_SUITE, tar, ...(sources ? [sources] : [])]);
    if (r.exitCode !== 0) throw new BackendError(`mmdebstrap failed building ${tag}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join('; ')}`, "it needs Debian's package archive, as apt-get does");
    const [repo, version] = tag.split(':') as [string, string];
    try {
      const stream = await engine.docker.importImage(createReadStream(tar) as unknown as string, { repo, tag: version, changes: [`LABEL dnsparity=1 dnsparity.image=${spec.name}`] } as object);
      await new Promise<void>((res, rej) => engine.docker.modem.followProgress(stream as NodeJS.ReadableStream, (err: Error | null) => (err ? rej(err) : res())));
    } catch (e) {
      throw new BackendError(`docker import of ${tag} failed: ${dockerMessage(e)}`);
    }
    if (!(await imageExists(engine, tag))) throw new BackendError(`docker import of ${tag} left no image`);
    await engine.docker.getImage(tag).tag({ repo, tag: 'latest' }).catch(() => undefined);
    return tag;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The Debian image a resolver kind's docker host is, or why it has none. */
export function debianHostSpec(kind: string): DebianImageSpec {
  if (!isResolverKind(kind)) throw new InputError({ file: kind, field: 'KIND' }, `not a resolver kind: expected one of ${RESOLVER_KINDS.join(', ')}`);
  const pkgs = resolverFor(kind).dockerHost?.debianPackages;
  if (!pkgs) throw new InputError({ file: kind, field: 'KIND' }, `resolver.kind ${kind} has no Debian host image (its docker host is built from this machine's binaries: containers/build.sh candidate)`);
  return { name: `host-${kind}`, packages: pkgs };
}

/**
 * Builds an example candidate image of Debian's own packages: the kind's
 * Debian host image with a config tree (standing for the resolver's config
 * directory, as resolver.configRoot does) and a resolv.conf baked in.
 */
export async function buildDebianCandidate(engine: Engine, kind: string, tag: string, configDir: string, resolvConfFile: string, log: (line: string) => void = () => undefined): Promise<void> {
  const spec = debianHostSpec(kind);
  if (!existsSync(configDir) || !statSync(configDir).isDirectory()) throw new InputError({ file: configDir, field: 'CONFIG_DIR' }, 'not a directory', `give the directory that stands for the image's ${resolverFor(kind).image.configDir}`);
  if (!existsSync(resolvConfFile) || !statSync(resolvConfFile).isFile()) throw new InputError({ file: resolvConfFile, field: 'RESOLV_CONF' }, 'file not found', 'give the resolv.conf to bake into the image');
  const base = await ensureDebianImage(engine, spec, log);
  const context = mkdtempSync(join(tmpdir(), 'dnsparity-image-candidate-debian-'));
  try {
    copyFileSync(join(containersDir(), 'candidate-debian', 'Dockerfile'), join(context, 'Dockerfile'));
    cpSync(resolve(configDir), join(context, 'config'), { recursive: true, dereference: true });
    copyFileSync(resolve(resolvConfFile), join(context, 'resolv.conf'));
    log(`building candidate image ${tag} from ${base} with ${configDir} as ${resolverFor(kind).image.configDir} and ${resolvConfFile}`);
    await buildContext(engine, context, ['Dockerfile', 'config', 'resolv.conf'], tag, { BASE: base, CONFIG_DIR: resolverFor(kind).image.configDir });
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}
