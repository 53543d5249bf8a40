// Shards: a deterministic split of the scenarios across CI workers. Sorted by
// the scenario file's path relative to the working directory, then dealt out
// round-robin, so every shard of N is disjoint from the others, together they
// are complete, and their sizes differ by one at most.
import { relative, sep } from 'node:path';
import { InputError } from './errors.js';

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) {
    throw new InputError({ file: 'command line', field: '--shard' }, `expected I/N with 1 <= I <= N, such as 2/4; got "${text}"`);
  }
  return { index, count };
}

/** The stable key a scenario file is sorted by: its path relative to the working directory, with forward slashes. */
export const shardKey = (file: string, cwd = process.cwd()): string => relative(cwd, file).split(sep).join('/');

export function selectShard<T>(items: readonly T[], file: (t: T) => string, shard: Shard | undefined): T[] {
  if (!shard) return [...items];
  return [...items]
    .map((t) => ({ t, k: shardKey(file(t)) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    .filter((_, i) => i % shard.count === shard.index - 1)
    .map((x) => x.t);
}
