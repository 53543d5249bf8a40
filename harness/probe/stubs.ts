// Which native stub helpers (probe/native.ts) a probe needs, and how a
// backend runs them: as they are inside a namespace (netns), or chrooted into
// the image's own file system (docker), so they read the image's resolv.conf.
import { ADDRESS_TYPES, type Query, type StubLibrary } from '../model.js';
import { nativeHelperPath } from './native.js';
import type { ProbeConfig } from './protocol.js';

export function stubHelpers(queries: readonly Query[], opts: { readonly root?: string; readonly ownLibrary?: StubLibrary } = {}): ProbeConfig['native'] {
  // Address lookups of the image's own library go through its own getent; every other lookup through a helper.
  const needs = (lib: StubLibrary) => queries.some((q) => (q.library ?? 'glibc') === lib && (!ADDRESS_TYPES.has(q.type) || (opts.ownLibrary ?? 'glibc') !== lib));
  const glibc = needs('glibc');
  const musl = needs('musl');
  const root = opts.root ? ['--root', opts.root] : [];
  return {
    // Chrooted into an image, only a static helper runs: the image's own shared libraries are not this machine's.
    ...(glibc ? { glibc: [nativeHelperPath('glibc', { static: !!opts.root }), ...root] } : {}),
    ...(musl ? { musl: [nativeHelperPath('musl'), ...root] } : {}),
  };
}
