// Reads files as an image holds them, from its layers (the engine's image
// export), not from a container: Docker puts its own empty /etc/resolv.conf
// and /etc/hosts into every container's filesystem, so only the layers tell
// what the image itself ships. Whiteouts and opaque directories are honoured,
// so a file deleted by a later layer counts as absent.
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { BackendError } from '../../errors.js';
import { dockerMessage, type Engine } from './engine.js';

/** What one layer says about a path: its content, a symbolic link, or that it deleted it. */
export type LayerEntry = { readonly kind: 'file'; readonly text: string } | { readonly kind: 'link'; readonly target: string } | { readonly kind: 'deleted' };

export interface LayerView {
  readonly entries: ReadonlyMap<string, LayerEntry>;
  /** Directories this layer made opaque: nothing below them shows from lower layers. */
  readonly opaque: ReadonlySet<string>;
}

export type ImageFile = { readonly found: true; readonly text: string } | { readonly found: false; readonly why: string };

const MAX_FILE = 1 << 20;
const norm = (p: string) => posix.normalize(p.replace(/^\.?\/+/, '')).replace(/\/$/, '');

/** The topmost layer's word on a path decides (layers listed bottom to top). */
export function resolveInLayers(layers: readonly LayerView[], path: string): ImageFile {
  const want = norm(path);
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    const e = layer.entries.get(want);
    if (e?.kind === 'file') return { found: true, text: e.text };
    if (e?.kind === 'link') return { found: false, why: `/${want} is a symbolic link to ${e.target}` };
    if (e?.kind === 'deleted') return { found: false, why: `/${want} is deleted by a layer` };
    const dirs = want.split('/').slice(0, -1).map((_, j, parts) => parts.slice(0, j + 1).join('/'));
    if (dirs.some((d) => layer.opaque.has(d))) return { found: false, why: `/${want} is hidden by a layer` };
  }
  return { found: false, why: `the image has no /${want}` };
}

export async function readLayer(stream: AsyncIterable<unknown>, wanted: ReadonlySet<string>): Promise<LayerView> {
  const entries = new Map<string, LayerEntry>();
  const opaque = new Set<string>();
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('finish', () => resolve());
    extract.on('error', reject);
  });
  extract.on('entry', (header, body, next) => {
    const name = norm(header.name);
    const base = posix.basename(name);
    const dir = posix.dirname(name);
    if (base === '.wh..wh..opq') opaque.add(dir === '.' ? '' : dir);
    else if (base.startsWith('.wh.') && wanted.has(posix.join(dir, base.slice(4)))) entries.set(posix.join(dir, base.slice(4)), { kind: 'deleted' });
    else if (wanted.has(name) && header.type === 'symlink') entries.set(name, { kind: 'link', target: header.linkname ?? '' });
    else if (wanted.has(name) && header.type === 'file' && (header.size ?? 0) <= MAX_FILE) {
      const chunks: Buffer[] = [];
      body.on('data', (c: unknown) => chunks.push(c as Buffer));
      body.on('end', () => {
        entries.set(name, { kind: 'file', text: Buffer.concat(chunks).toString('utf8') });
        next();
      });
      return;
    }
    body.on('end', () => next());
    body.resume();
  });
  // Layers may come compressed (OCI layouts); configs and manifests among
  // OCI blobs are JSON. The first block tells which.
  const it = stream[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  let ended = false;
  while (head.length < 512 && !ended) {
    const r = await it.next();
    if (r.done) ended = true;
    else head = Buffer.concat([head, r.value as Buffer]);
  }
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  const isTar = gzip || head.toString('latin1', 257, 262) === 'ustar';
  if (!isTar) {
    while (!ended) ended = !!(await it.next()).done;
    extract.destroy();
    return { entries, opaque };
  }
  const rest = Readable.from((async function* () {
    yield head;
    while (!ended) {
      const r = await it.next();
      if (r.done) ended = true;
      else yield r.value as Buffer;
    }
  })());
  (gzip ? rest.pipe(createGunzip()) : rest).pipe(extract);
  await done;
  return { entries, opaque };
}

/** Reads the given absolute paths from an image's own layers. */
export async function readImageFiles(engine: Engine, ref: string, paths: readonly string[]): Promise<Map<string, ImageFile>> {
  const wanted = new Set(paths.map(norm));
  let image: NodeJS.ReadableStream;
  try {
    image = await engine.docker.getImage(ref).get();
  } catch (e) {
    throw new BackendError(`cannot export image ${ref} to read its files: ${dockerMessage(e)}`);
  }
  const layers = new Map<string, LayerView>();
  let manifest: { Layers?: string[] }[] = [];
  const outer = tar.extract();
  outer.on('entry', (header, body, next) => {
    const name = norm(header.name);
    if (name === 'manifest.json') {
      const chunks: Buffer[] = [];
      body.on('data', (c: unknown) => chunks.push(c as Buffer));
      body.on('end', () => {
        manifest = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof manifest;
        next();
      });
      return;
    }
    // Layers are "<id>/layer.tar" (docker save) or "blobs/sha256/<digest>" (OCI); configs among blobs are not tars.
    if (header.type === 'file' && (name.endsWith('/layer.tar') || name.startsWith('blobs/'))) {
      readLayer(body as AsyncIterable<unknown>, wanted).then(
        (view) => {
          layers.set(name, view);
          next();
        },
        (e: unknown) => outer.destroy(e as Error),
      );
      return;
    }
    body.on('end', () => next());
    body.resume();
  });
  await new Promise<void>((resolve, reject) => {
    outer.on('finish', () => resolve());
    outer.on('error', reject);
    (image as Readable).on('error', reject);
    (image as Readable).pipe(outer);
  }).catch((e: unknown) => {
    throw new BackendError(`cannot read the layers of image ${ref}: ${dockerMessage(e)}`);
  });
  const order = manifest[0]?.Layers;
  if (!order) throw new BackendError(`image ${ref}: the engine's export has no manifest`);
  const views = order.map((l) => layers.get(norm(l)) ?? { entries: new Map(), opaque: new Set<string>() });
  return new Map(paths.map((p) => [p, resolveInLayers(views, p)]));
}
