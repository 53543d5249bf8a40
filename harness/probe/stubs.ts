// Which native stub helpers (probe/native.ts) a probe needs, and how a
// backend runs them: as they are inside a namespace (netns), or chrooted into
// the image's own file system (docker), so they read the image's resolv.conf.
import { ADDRESS_TYPES, type Query } from '../model.js';
import { nativeHelperPath } from './native.js';
import type { ProbeConfig } from './protocol.js';

export function stubHelpers(queries: readonly Query[], opts: { readonly root?: string } = {}): ProbeConfig['native'] {
  const glibc = queries.some((q) => (q.library ?? 'glibc') === 'glibc' && !ADDRESS_TYPES.has(q.type));
  const musl = queries.some((q) => q.library === 'musl');
  const root = opts.root ? ['--root', opts.root] : [];
  return {
    // Chrooted into an image, only a static helper runs: the image's own shared libraries are not this machine's.
    ...(glibc ? { glibc: [nativeHelperPath('glibc', { static: !!opts.root }), ...root] } : {}),
    ...(musl ? { musl: [nativeHelperPath('musl'), ...root] } : {}),
  };
}
