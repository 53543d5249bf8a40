// Example candidate images that are real Debian systems: a minimal bookworm
// root file system with the resolver installed from Debian's packages
// (mmdebstrap --variant=minbase, from this machine's apt sources; no
// registry), imported into the engine. Shaped like the images users promote,
// with their own named or pdns_recursor, C library and getent, so the docker
// backend is tested on such images and not only on FROM-scratch copies.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackendError, PrerequisiteError } from '../../errors.js';
import { tryRun } from '../../util/exec.js';
import { dockerMessage, type Engine } from './engine.js';

/** The Debian suite the example images are made of (this machine's, Debian 12). */
export const DEBIAN_SUITE = 'bookworm';

/**
 * Builds `tag` from a minimal Debian root file system with `packages`
 * installed; their services are never started (mmdebstrap denies starts in
 * the chroot it installs into).
 */
export async function buildDebianImage(engine: Engine, tag: string, packages: readonly string[], log: (line: string) => void = () => undefined): Promise<void> {
  const which = await tryRun('sh', ['-c', 'command -v mmdebstrap']);
  if (which.exitCode !== 0) throw new PrerequisiteError('mmdebstrap not found: it builds the example Debian candidate images', 'apt-get install mmdebstrap');
  const dir = mkdtempSync(join(tmpdir(), 'dnsparity-debian-image-'));
  try {
    const tar = join(dir, 'rootfs.tar');
    log(`building ${tag}: mmdebstrap --variant=minbase --include=${packages.join(',')} ${DEBIAN_SUITE}`);
    const r = await tryRun('mmdebstrap', ['--quiet', '--variant=minbase', `--include=${packages.join(',')}`, DEBIAN_SUITE, tar]);
    if (r.exitCode !== 0) throw new BackendError(`mmdebstrap failed for ${tag}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ')}`, "it installs from this machine's apt sources: check that apt-get update works");
    const [repo, version = 'latest'] = splitTag(tag);
    let stream: NodeJS.ReadableStream;
    try {
      stream = (await (engine.docker.importImage as (file: string, opts: object) => Promise<NodeJS.ReadableStream>).call(engine.docker, tar, { repo, tag: version, changes: ['LABEL dnsparity=1'] }));
    } catch (e) {
      throw new BackendError(`docker import of ${tag} failed: ${dockerMessage(e)}`);
    }
    const events = await new Promise<{ error?: string }[]>((res, rej) => {
      engine.docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) => (err ? rej(err) : res(out)));
    }).catch((e: unknown) => [{ error: dockerMessage(e) }]);
    const failed = events.find((e) => e.error);
    if (failed) throw new BackendError(`docker import of ${tag} failed: ${failed.error!.trim()}`);
    log(`built ${tag}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** "repo:tag" (the repository may hold a registry port), or the repository alone. */
export function splitTag(tag: string): [string, string | undefined] {
  const slash = tag.lastIndexOf('/');
  const colon = tag.lastIndexOf(':');
  return colon > slash ? [tag.slice(0, colon), tag.slice(colon + 1)] : [tag, undefined];
}
