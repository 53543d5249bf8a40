// Property: whatever the scenario file holds, loading it gives a scenario or
// an InputError naming the file, never another exception.
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { parseScenario } from './load.js';

let file = '';
let root = '';
let valid: Record<string, unknown> = {};

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'dnsparity-fuzz-'));
  cpSync('fixtures', join(root, 'fixtures'), { recursive: true });
  cpSync('scenarios', join(root, 'scenarios'), { recursive: true });
  file = join(root, 'scenarios', 'fuzz.yaml');
  valid = parse(readFileSync('scenarios/incident-2024-11-05.yaml', 'utf8')) as Record<string, unknown>;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function loadsOrInputError(text: string): void {
  try {
    parseScenario(text, file);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    expect(e.message).toContain(file);
  }
}

/** A path into the valid scenario, and a value to put there. */
const paths = (o: unknown, prefix: (string | number)[] = []): (string | number)[][] => {
  if (o === null || typeof o !== 'object') return [prefix];
  const entries = Array.isArray(o) ? o.map((v, i) => [i, v] as const) : Object.entries(o);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
};

function setIn(o: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = (Array.isArray(o) ? [...o] : { ...(o as object) }) as Record<string | number, unknown>;
  const [k, ...rest] = path;
  copy[k!] = setIn(copy[k!], rest, value);
  if (value === undefined && rest.length === 0) delete copy[k!];
  return copy;
}

describe('scenario loading never crashes', () => {
  it('on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), loadsOrInputError), { numRuns: 300 });
  }, 60_000);

  it('on arbitrary YAML documents', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => loadsOrInputError(stringify(v))), { numRuns: 300 });
    // Like the one below: seconds on a busy two-core machine, not a test of speed.
  }, 60_000);

  it('on a valid scenario with one field replaced, added or removed', () => {
    const all = paths(valid);
    fc.assert(
      fc.property(
        fc.constantFrom(...all),
        fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined), fc.string(), fc.integer()),
        (path, value) => loadsOrInputError(stringify(setIn(valid, path, value) ?? null)),
      ),
      { numRuns: 400 },
    );
    // 400 loads, each reading files: seconds on a busy two-core machine, not a test of speed.
  }, 60_000);
});
