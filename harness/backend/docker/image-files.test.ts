import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { readLayer, resolveInLayers, type LayerView } from './image-files.js';

const layer = (entries: [string, LayerView['entries'] extends ReadonlyMap<string, infer E> ? E : never][], opaque: string[] = []): LayerView => ({ entries: new Map(entries), opaque: new Set(opaque) });

describe('files as an image holds them', () => {
  const base = layer([['etc/resolv.conf', { kind: 'file', text: 'nameserver 10.0.0.2\n' }]]);
  it('takes the topmost layer that says anything about the file', () => {
    const top = layer([['etc/resolv.conf', { kind: 'file', text: 'nameserver 127.0.0.1\n' }]]);
    expect(resolveInLayers([base, top], '/etc/resolv.conf')).toEqual({ found: true, text: 'nameserver 127.0.0.1\n' });
    expect(resolveInLayers([base, layer([])], '/etc/resolv.conf')).toEqual({ found: true, text: 'nameserver 10.0.0.2\n' });
  });
  it('honours whiteouts and opaque directories', () => {
    expect(resolveInLayers([base, layer([['etc/resolv.conf', { kind: 'deleted' }]])], '/etc/resolv.conf')).toMatchObject({ found: false, why: expect.stringContaining('deleted') });
    expect(resolveInLayers([base, layer([], ['etc'])], '/etc/resolv.conf')).toMatchObject({ found: false, why: expect.stringContaining('hidden') });
  });
  it('says so when the file is a link or absent', () => {
    expect(resolveInLayers([layer([['etc/resolv.conf', { kind: 'link', target: '../run/systemd/resolve/stub-resolv.conf' }]])], '/etc/resolv.conf')).toMatchObject({ found: false, why: expect.stringContaining('symbolic link') });
    expect(resolveInLayers([], '/etc/unbound/unbound.conf')).toEqual({ found: false, why: 'the image has no /etc/unbound/unbound.conf' });
  });
  it('reads a layer tar: wanted files, whiteouts, opaque markers; nothing else', async () => {
    const pack = tar.pack();
    pack.entry({ name: 'etc/resolv.conf' }, 'nameserver 127.0.0.1\n');
    pack.entry({ name: 'etc/unbound/.wh.unbound.conf' }, '');
    pack.entry({ name: 'var/lib/.wh..wh..opq' }, '');
    pack.entry({ name: 'etc/passwd' }, 'root:x:0:0::/root:/bin/sh\n');
    pack.finalize();
    const view = await readLayer(Readable.from(pack), new Set(['etc/resolv.conf', 'etc/unbound/unbound.conf']));
    expect([...view.entries]).toEqual([
      ['etc/resolv.conf', { kind: 'file', text: 'nameserver 127.0.0.1\n' }],
      ['etc/unbound/unbound.conf', { kind: 'deleted' }],
    ]);
    expect([...view.opaque]).toEqual(['var/lib']);
  });
  it('skips a blob that is not a tar (an image config among OCI blobs)', async () => {
    const view = await readLayer(Readable.from([Buffer.from('{"architecture":"amd64"}')]), new Set(['etc/resolv.conf']));
    expect(view.entries.size).toBe(0);
  });
});
