// Temporary directories a test file makes, all removed when its tests are
// over (after the describes' own afterAll checks, which may still read them).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** A maker of fresh directories named dnsparity-NAME-*, each removed after the calling file's tests. */
export function tempDirs(name: string): () => string {
  const made: string[] = [];
  afterAll(() => {
    for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), `dnsparity-${name}-`));
    made.push(d);
    return d;
  };
}
