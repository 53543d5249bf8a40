import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it, onTestFinished } from 'vitest';
import { LogReader } from './log-reader.js';

it('returns the whole lines written since the last read, keeping a partial line for later', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dnsparity-log-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'unbound.log');
  writeFileSync(file, 'one\ntwo\nthr');
  const r = new LogReader(file);
  expect(r.next()).toBe('one\ntwo\n');
  expect(r.next()).toBe('');
  appendFileSync(file, 'ee\nfour\n');
  expect(r.next()).toBe('three\nfour\n');
});
