import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { autoConfirm, defaultDockerJobs, defaultJobs, MAX_DEFAULT_JOBS, runPool, SCENARIO_MEMORY_BYTES } from './jobs.js';

const never = new AbortController().signal;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('defaultJobs', () => {
  it('takes a few per core, bounded by free memory, never below one', () => {
    expect(defaultJobs({ cores: 2, freeBytes: 64 * SCENARIO_MEMORY_BYTES })).toBe(6);
    expect(defaultJobs({ cores: 2, freeBytes: 2.5 * SCENARIO_MEMORY_BYTES })).toBe(2);
    expect(defaultJobs({ cores: 2, freeBytes: 0 })).toBe(1);
    expect(defaultJobs({ cores: 64, freeBytes: 1024 * SCENARIO_MEMORY_BYTES })).toBe(MAX_DEFAULT_JOBS);
  });
  it('runs docker scenarios one per core, within the default --jobs, never below one', () => {
    expect(defaultDockerJobs({ cores: 2, freeBytes: 64 * SCENARIO_MEMORY_BYTES })).toBe(2);
    expect(defaultDockerJobs({ cores: 8, freeBytes: 64 * SCENARIO_MEMORY_BYTES })).toBe(8);
    expect(defaultDockerJobs({ cores: 8, freeBytes: 3 * SCENARIO_MEMORY_BYTES })).toBe(3);
    expect(defaultDockerJobs({ cores: 0, freeBytes: 0 })).toBe(1);
  });
});

describe('runPool', () => {
  it('hands results on in the items order whatever finishes first, never more than jobs at a time', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 5 }), async (delays, jobs) => {
        let inFlight = 0;
        let peak = 0;
        const seen: number[] = [];
        const settled = await runPool(
          delays,
          async (d, i) => {
            inFlight++;
            peak = Math.max(peak, inFlight);
            await sleep(d);
            inFlight--;
            return i * 10;
          },
          { jobs, signal: never, onResult: (r, i) => seen.push(i, r) },
        );
        expect(seen).toEqual(delays.flatMap((_, i) => [i, i * 10]));
        expect(settled.map((s) => s?.ok && s.value)).toEqual(delays.map((_, i) => i * 10));
        expect(peak).toBeLessThanOrEqual(jobs);
      }),
      { numRuns: 40 },
    );
  });

  it('settles an error per item and goes on with the others', async () => {
    const seen: number[] = [];
    const settled = await runPool(
      [1, 2, 3],
      async (x) => {
        if (x === 2) throw new Error('two');
        await sleep(5 - x);
        return x;
      },
      { jobs: 3, signal: never, onResult: (r) => seen.push(r) },
    );
    expect(seen).toEqual([1, 3]);
    expect(settled[1]).toMatchObject({ ok: false });
    expect((settled[1] as { error: Error }).error.message).toBe('two');
  });

  it('starts nothing once aborted, and waits for what is running', async () => {
    const c = new AbortController();
    const ended: number[] = [];
    const settled = await runPool(
      [0, 1, 2, 3, 4],
      async (x) => {
        if (x === 1) c.abort();
        await sleep(10);
        ended.push(x);
        return x;
      },
      { jobs: 2, signal: c.signal },
    );
    expect(ended.sort()).toEqual([0, 1]);
    expect(settled.slice(2)).toEqual([undefined, undefined, undefined]);
  });

  it('runs items of one lane one at a time, beside the others', async () => {
    const log: string[] = [];
    await runPool(
      ['d1', 'n1', 'd2', 'n2'],
      async (x) => {
        log.push(`+${x}`);
        await sleep(x.startsWith('d') ? 20 : 5);
        log.push(`-${x}`);
        return x;
      },
      { jobs: 4, signal: never, lane: (x) => (x.startsWith('d') ? { name: 'docker', jobs: 1 } : undefined) },
    );
    expect(log.indexOf('+d2')).toBeGreaterThan(log.indexOf('-d1'));
    expect(log.indexOf('+n2')).toBeLessThan(log.indexOf('-d1'));
  });

  it('runs up to a lane\'s jobs of its items at a time, and the next as soon as one ends', async () => {
    const log: string[] = [];
    let inFlight = 0;
    let most = 0;
    await runPool(
      ['d1', 'd2', 'd3', 'd4', 'd5'],
      async (x) => {
        most = Math.max(most, ++inFlight);
        log.push(`+${x}`);
        await sleep(10);
        log.push(`-${x}`);
        inFlight--;
        return x;
      },
      { jobs: 8, signal: never, lane: () => ({ name: 'docker', jobs: 2 }) },
    );
    expect(most).toBe(2);
    expect(log.slice(0, 2)).toEqual(['+d1', '+d2']);
    expect(log.indexOf('+d3')).toBeGreaterThan(Math.min(log.indexOf('-d1'), log.indexOf('-d2')));
  });
});

describe('autoConfirm', () => {
  it('takes a twin while every scenario in flight and its twin have a core, and asks again otherwise', () => {
    expect(autoConfirm(1, 2)).toBe('twin');
    expect(autoConfirm(2, 2)).toBe('again');
    expect(autoConfirm(3, 8)).toBe('twin');
    expect(autoConfirm(6, 8)).toBe('again');
    expect(autoConfirm(1, 1)).toBe('again');
  });
});
