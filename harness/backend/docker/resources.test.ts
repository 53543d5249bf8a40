// How runs of one process share the simulated Internet's fixed subnets on one
// engine: all of a run's subnets at once, given back when its teardown is over.
// The engine is a stand-in that holds nothing (the real one is in the
// integration tests); the state is a run id alone.
import { describe, expect, it } from 'vitest';
import type { RunState } from '../../run-state.js';
import type { Engine } from './engine.js';
import { RunResources } from './resources.js';

const emptyEngine = { docker: { listContainers: async () => [], listNetworks: async () => [] } } as unknown as Engine;
const run = (runId: string) => new RunResources(emptyEngine, { runId } as unknown as RunState);
const settled = async (p: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return done;
};

describe('fixed subnets shared by the runs of one process', () => {
  it('makes a run that needs any subnet another run holds wait for that run\'s teardown, and tells why', async () => {
    const signal = new AbortController().signal;
    const lines: string[] = [];
    const a = run('aaaaaa');
    await a.holdSubnets(['198.51.100.0/24', '203.0.113.0/24'], signal, () => undefined);
    const b = run('bbbbbb');
    const waiting = b.holdSubnets(['203.0.113.0/24'], signal, (l) => lines.push(l));
    const free = run('cccccc').holdSubnets(['192.0.2.0/24'], signal, () => undefined);
    expect(await settled(free)).toBe(true); // a subnet nobody holds: no wait
    expect(await settled(waiting)).toBe(false);
    expect(lines).toEqual(['waiting for run aaaaaa of this process, which holds 203.0.113.0/24']);
    await a[Symbol.asyncDispose]();
    expect(await settled(waiting)).toBe(true);
    await b[Symbol.asyncDispose]();
  });

  it('takes every subnet of a run together: two runs wanting the same two in opposite orders both finish', async () => {
    const signal = new AbortController().signal;
    const [x, y] = [run('dddddd'), run('eeeeee')];
    const first = x.holdSubnets(['10.1.0.0/24', '10.2.0.0/24'], signal, () => undefined);
    const second = y.holdSubnets(['10.2.0.0/24', '10.1.0.0/24'], signal, () => undefined);
    await first;
    expect(await settled(second)).toBe(false);
    await x[Symbol.asyncDispose]();
    await second;
    await y[Symbol.asyncDispose]();
  });

  it('gives up waiting when the run is aborted, and holds nothing afterwards', async () => {
    const holder = run('ffffff');
    await holder.holdSubnets(['10.3.0.0/24'], new AbortController().signal, () => undefined);
    const ac = new AbortController();
    const waiting = run('abcdef').holdSubnets(['10.3.0.0/24'], ac.signal, () => undefined);
    ac.abort(new Error('interrupted'));
    await expect(waiting).rejects.toThrow('interrupted');
    await holder[Symbol.asyncDispose]();
    // Nothing of the aborted run stayed behind: the subnet is free.
    expect(await settled(run('fedcba').holdSubnets(['10.3.0.0/24'], new AbortController().signal, () => undefined))).toBe(true);
  });
});

describe('containers of a run', () => {
  it('refuses an image the engine does not have, before anything could pull it', async () => {
    const asked: string[] = [];
    const engine = {
      docker: {
        getImage: (ref: string) => ({
          inspect: async () => {
            asked.push(ref);
            throw Object.assign(new Error('no such image'), { statusCode: 404 });
          },
        }),
        createContainer: async () => {
          throw new Error('a container was created');
        },
      },
    } as unknown as Engine;
    const r = new RunResources(engine, { runId: 'a1b2c3', addContainer: () => undefined } as unknown as RunState);
    await expect(r.container({ name: 'dnsparity-a1b2c3-nsd-root', image: 'dnsparity/nsd:0123456789ab', networkMode: 'none' })).rejects.toThrow(
      'cannot start container dnsparity-a1b2c3-nsd-root: image dnsparity/nsd:0123456789ab is not in the Docker engine, and dnsparity pulls nothing',
    );
    expect(asked).toEqual(['dnsparity/nsd:0123456789ab']);
  });
});
