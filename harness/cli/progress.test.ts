import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Progress } from './progress.js';

const stream = (isTTY: boolean) => {
  const written: string[] = [];
  return { written, s: { isTTY, columns: 80, write: (t: string) => (written.push(t), true) } as unknown as NodeJS.WritableStream & { isTTY?: boolean } };
};

describe('progress line', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('draws on a TTY once a phase lasts a moment, then clears itself', () => {
    const { written, s } = stream(true);
    const p = new Progress(s);
    p.set('incident-2024-11-05: probing 3 environments', true);
    vi.advanceTimersByTime(200);
    expect(written).toEqual([]); // a quick phase leaves no trace
    vi.advanceTimersByTime(1000);
    expect(written.at(-1)).toMatch(/^\r\x1b\[K. incident-2024-11-05: probing 3 environments… 1\.\d s$/);
    p.stop();
    expect(written.at(-1)).toBe('\r\x1b[K');
  });

  it('writes nothing at all where the output is not a terminal', () => {
    const { written, s } = stream(false);
    const p = new Progress(s);
    p.set('incident-2024-11-05: probing 3 environments', true);
    vi.advanceTimersByTime(5000);
    p.clear();
    p.stop();
    expect(written).toEqual([]);
  });
});
