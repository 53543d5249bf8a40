import { describe, expect, it } from 'vitest';
import { obs, response, sampleGathered } from '../test/sample-result.js';
import { assess } from './assess.js';
import type { Backend, StartedRun, StartOptions } from './backend/types.js';
import type { RunPlan } from './plan.js';
import { confirmsByTwin, fromTwin, mergeTraffic, startTwins, TWIN_MAX_QUERIES } from './run.js';

describe('confirmation by a twin', () => {
  it('takes the twin\'s observations of the differing queries only, fresh, naming the twin run', () => {
    const g = sampleGathered();
    const twin = { production: g.observations.production!, staging: g.observations.staging! };
    const r = fromTwin({ runId: 'abc123' }, g, twin)!;
    const differing = [...new Set(assess(g).findings.filter((f) => f.status === 'unexpected').map((f) => g.queries.indexOf(f.query)))].sort();
    expect(differing.length).toBeGreaterThan(0);
    expect(r).toMatchObject({ fresh: true, twinRunId: 'abc123', queries: differing });
    expect(r.observations.staging).toEqual(differing.map((i) => g.observations.staging![i]));
  });

  it('counts a difference only where both twins show it: one the twin does not reproduce is unstable', () => {
    const g = sampleGathered();
    // The twin's staging answered the public name as fast as production did.
    const staging = [...g.observations.staging!];
    const www = g.queries.findIndex((q) => q.name === 'www.example.io');
    staging[www] = obs({ status: 'answer', addresses: ['203.0.113.80'] }, 35, response('NOERROR', '203.0.113.80'), 30);
    const recheck = fromTwin({ runId: 'abc123' }, g, { production: g.observations.production!, staging });
    const r = assess({ ...g, ...(recheck ? { recheck } : {}) });
    const byName = (n: string) => r.findings.find((f) => f.query.name === n)!;
    expect(byName('proxysql.internal.example.io')).toMatchObject({ status: 'unexpected', recheck: { class: 'resolves-only-in-one' } });
    expect(byName('www.example.io')).toMatchObject({ status: 'unstable', recheck: { class: null } });
  });

  it('needs nothing confirmed where nothing differs', () => {
    const g = sampleGathered();
    const same = { production: g.observations.production!, staging: g.observations.production! };
    expect(fromTwin({ runId: 'abc123' }, { ...g, observations: same }, same)).toBeUndefined();
  });

  it('is used where the backend runs two runs of a plan at once, up to a bounded query count', () => {
    const queries = (n: number) => ({ queries: Array.from({ length: n }, () => g0.queries[0]!) });
    const g0 = sampleGathered();
    expect(confirmsByTwin(queries(8), { sideBySide: true })).toBe(true);
    expect(confirmsByTwin(queries(8), {})).toBe(false);
    expect(confirmsByTwin(queries(TWIN_MAX_QUERIES + 1), { sideBySide: true })).toBe(false);
  });

  it('merges both twins\' records of unknown destinations, summing packets per source, address, protocol and port', () => {
    const a = [
      { source: 'staging', address: '192.0.2.99', protocol: 'udp', port: 53, packets: 2 },
      { source: '(provider)', address: '10.0.0.2', protocol: 'udp', port: 53, packets: 1 },
    ];
    const b = [
      { source: 'staging', address: '192.0.2.99', protocol: 'udp', port: 53, packets: 3 },
      { source: 'staging', address: '192.0.2.99', protocol: 'tcp', port: 53, packets: 1 },
    ];
    expect(mergeTraffic(a, b)).toEqual([
      { source: '(provider)', address: '10.0.0.2', protocol: 'udp', port: 53, packets: 1 },
      { source: 'staging', address: '192.0.2.99', protocol: 'udp', port: 53, packets: 5 },
      { source: 'staging', address: '192.0.2.99', protocol: 'tcp', port: 53, packets: 1 },
    ]);
  });

  describe('starting a run and its twin', () => {
    const plan = {} as RunPlan;
    const started = (runId: string, disposed: string[]): StartedRun => ({ runId, backend: 'netns', environments: [], substitutions: [], localResolver: '', [Symbol.asyncDispose]: async () => void disposed.push(runId) }) as unknown as StartedRun;
    const backend = (start: (o: StartOptions) => Promise<StartedRun>): Backend => ({ name: 'netns', sideBySide: true, start: (_p: RunPlan, o: StartOptions) => start(o), doctor: async () => [] }) as unknown as Backend;
    const signal = new AbortController().signal;

    it('tells the twin that its run checks the configs', async () => {
      const seen: StartOptions[] = [];
      const disposed: string[] = [];
      const [a, b] = await startTwins(backend(async (o) => (seen.push(o), started(o.twin ? 'twin' : 'run', disposed))), plan, { signal, keep: true });
      expect([a.runId, b.runId]).toEqual(['run', 'twin']);
      expect(seen.map((o) => [!!o.twin, o.keep])).toEqual([[false, true], [true, false]]);
    });

    it('ends the twin\'s set-up when its run fails, and reports the run\'s own failure', async () => {
      const disposed: string[] = [];
      const start = (o: StartOptions) =>
        o.twin
          ? new Promise<StartedRun>((_r, reject) => o.signal.addEventListener('abort', () => reject(o.signal.reason), { once: true }))
          : new Promise<StartedRun>((_r, reject) => setTimeout(() => reject(new Error('unbound.conf:3: config rejected')), 10));
      await expect(startTwins(backend(start), plan, { signal, keep: false })).rejects.toThrow('unbound.conf:3: config rejected');
    });

    it('tears down the one that started when the other failed', async () => {
      const disposed: string[] = [];
      const start = async (o: StartOptions) => {
        if (o.twin) throw new Error('twin: no namespace');
        return started('run', disposed);
      };
      await expect(startTwins(backend(start), plan, { signal, keep: false })).rejects.toThrow('twin: no namespace');
      expect(disposed).toEqual(['run']);
    });
  });
});
