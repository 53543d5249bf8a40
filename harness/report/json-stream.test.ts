import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sampleResult } from '../../test/sample-result.js';
import { writeJson } from './json-stream.js';

const streamed = (v: unknown) => {
  const parts: string[] = [];
  writeJson(v, (s) => parts.push(s));
  return { text: parts.join(''), parts };
};

describe('writeJson', () => {
  it('writes exactly what JSON.stringify(value, null, 2) gives, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (v) => {
        expect(streamed(v).text).toBe(JSON.stringify(v, null, 2));
      }),
      { numRuns: 300 },
    );
  });

  it('leaves out what JSON.stringify leaves out, and calls toJSON', () => {
    const v = { a: undefined, b: () => 1, c: [undefined, () => 2, 3], d: new Date(0), e: { toJSON: () => ({ x: 1 }) }, f: {}, g: [] };
    expect(streamed(v).text).toBe(JSON.stringify(v, null, 2));
  });

  it('writes a report in pieces, none of them the whole text', () => {
    const big = { scenarios: Array.from({ length: 40 }, () => sampleResult()) };
    const { text, parts } = streamed(big);
    expect(text).toBe(JSON.stringify(big, null, 2));
    expect(parts.length).toBeGreaterThan(1);
    expect(Math.max(...parts.map((p) => p.length))).toBeLessThan(text.length / 2);
  });
});
