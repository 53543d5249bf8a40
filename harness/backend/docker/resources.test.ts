// A run's networks and containers on one engine: every network at a subnet the
// engine picks, what a killed run left removed when the engine's pools are used
// up, and no image pulled. The engine is a stand-in (the real one is in the
// integration tests); the state is a run id alone.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BackendError } from '../../errors.js';
import type { RunState } from '../../run-state.js';
import type { Engine } from './engine.js';
import { POOLS_USED_UP, RunResources } from './resources.js';

describe('networks of a run', () => {
  const poolsUsedUp = Object.assign(new Error('(HTTP code 400) unexpected - could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network'), { statusCode: 400 });
  /** An engine whose pools are used up until what a given run holds is removed; it records what it is asked. */
  const engineWith = (nets: { Id: string; Name: string; Labels: Record<string, string> }[], freedBy?: string) => {
    const asked: string[] = [];
    let networks = [...nets];
    const engine = {
      docker: {
        createNetwork: async (o: { Name: string; Internal: boolean; IPAM?: unknown }) => {
          asked.push(`create ${o.Name} internal=${o.Internal} ipam=${o.IPAM === undefined ? 'engine' : 'fixed'}`);
          if (freedBy === undefined || networks.some((n) => n.Labels['dnsparity.run'] === freedBy)) throw poolsUsedUp;
          return { id: `id-${o.Name}` };
        },
        listNetworks: async (o: { filters: string }) => {
          const label = (JSON.parse(o.filters) as { label: string[] }).label[0]!;
          const [k, v] = label.split('=') as [string, string];
          return networks.filter((n) => n.Labels[k] === v);
        },
        listContainers: async () => [],
        getNetwork: (id: string) => ({
          remove: async () => {
            asked.push(`remove ${id}`);
            networks = networks.filter((n) => n.Id !== id);
          },
        }),
      },
    } as unknown as Engine;
    return { engine, asked };
  };
  const dead = spawnSync('true').pid!; // a process that has exited: a killed run's owner
  const labels = (run: string, pid: number) => ({ dnsparity: '1', 'dnsparity.run': run, 'dnsparity.pid': String(pid) });
  const state = (runId: string) => ({ runId, addNetwork: () => undefined }) as unknown as RunState;

  it('asks the engine for an internal network at a subnet of its choosing', async () => {
    const { engine, asked } = engineWith([], 'nobody');
    await new RunResources(engine, state('a1a1a1')).network({ name: 'dnsparity-a1a1a1-internet' }, () => undefined);
    expect(asked).toEqual(['create dnsparity-a1a1a1-internet internal=true ipam=engine']);
  });

  it('removes what a killed run left when the engine has no address pool left, says so, and asks again', async () => {
    const { engine, asked } = engineWith([{ Id: 'n1', Name: 'dnsparity-dead01-internet', Labels: labels('dead01', dead) }, { Id: 'n2', Name: 'dnsparity-live01-internet', Labels: labels('live01', process.pid) }], 'dead01');
    const lines: string[] = [];
    await new RunResources(engine, state('b2b2b2')).network({ name: 'dnsparity-b2b2b2-internet' }, (l) => lines.push(l));
    // The live run's network is never touched.
    expect(asked).toEqual(['create dnsparity-b2b2b2-internet internal=true ipam=engine', 'remove n1', 'create dnsparity-b2b2b2-internet internal=true ipam=engine']);
    expect(lines).toEqual([`removed what run dead01 (pid ${dead}, no longer running) left on this Docker engine: the engine had no address pool left`]);
  });

  it('fails with advice, touching nothing, when the pools are used up and no killed run holds a network', async () => {
    const { engine, asked } = engineWith([{ Id: 'n2', Name: 'dnsparity-live01-internet', Labels: labels('live01', process.pid) }]);
    const e = await new RunResources(engine, state('c3c3c3')).network({ name: 'dnsparity-c3c3c3-internet' }, () => undefined).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BackendError);
    expect((e as BackendError).message).toContain('cannot create internal network dnsparity-c3c3c3-internet: (HTTP code 400) unexpected - could not find an available, non-overlapping IPv4 address pool');
    expect((e as BackendError).hint).toMatch(/default-address-pools/);
    expect(asked).toEqual(['create dnsparity-c3c3c3-internet internal=true ipam=engine']);
  });

  it('recognises what the engine says when its pools are used up, and nothing else', () => {
    expect(POOLS_USED_UP.test(poolsUsedUp.message)).toBe(true);
    expect(POOLS_USED_UP.test('network with name dnsparity-x-internet already exists')).toBe(false);
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

  it('refuses a creation asked for once teardown has begun: it could be created after teardown has looked', async () => {
    const asked: string[] = [];
    const engine = {
      docker: {
        getImage: (ref: string) => ({
          inspect: async () => {
            asked.push(`image ${ref}`);
            return {};
          },
        }),
        createContainer: async () => {
          asked.push('create');
          throw new Error('a container was created');
        },
        listContainers: async () => (asked.push('list containers'), []),
        listNetworks: async () => (asked.push('list networks'), []),
      },
    } as unknown as Engine;
    const r = new RunResources(engine, { runId: 'a1b2c3', addContainer: () => undefined } as unknown as RunState);
    await r[Symbol.asyncDispose]();
    await expect(r.container({ name: 'dnsparity-a1b2c3-nsd-root', image: 'dnsparity/nsd:0123456789ab', networkMode: 'none' })).rejects.toThrow('the run is being torn down');
    await expect(r.network({ name: 'dnsparity-a1b2c3-internet' }, () => undefined)).rejects.toThrow('the run is being torn down');
    expect(asked).toEqual(['list containers', 'list networks']);
  });
});
