import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseShard, selectShard } from './shard.js';

describe('shards', () => {
  it('parses I/N and refuses anything else with the flag named', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/2', '3/2', '1/0', '1', 'a/b', '1/2/3', '-1/2']) expect(() => parseShard(bad)).toThrow(/--shard: expected I\/N/);
  });

  it('deals the scenarios out disjoint, complete, balanced, and in an order that ignores the input order', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[a-z0-9-]{1,12}$/), { maxLength: 40 }), fc.integer({ min: 1, max: 8 }), (names, count) => {
        const files = names.map((n) => `${process.cwd()}/scenarios/${n}.yaml`);
        const shards = Array.from({ length: count }, (_, i) => selectShard(files, (f) => f, { index: i + 1, count }));
        const all = shards.flat();
        expect(new Set(all).size).toBe(all.length);
        expect([...all].sort()).toEqual([...files].sort());
        const sizes = shards.map((s) => s.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        const shuffled = [...files].reverse();
        expect(Array.from({ length: count }, (_, i) => selectShard(shuffled, (f) => f, { index: i + 1, count }))).toEqual(shards);
      }),
    );
  });

  it('takes everything without a shard', () => {
    expect(selectShard(['b', 'a'], (f) => f, undefined)).toEqual(['b', 'a']);
  });
});
