// The run's record on disk: a log appended line by line, read back whole,
// also when its writer died in the middle of a line.
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../test/temp-dirs.js';
import { readRun, readRuns, RunState } from './run-state.js';

const tempDir = tempDirs('run-state');
let root = '';
const before = process.env.DNSPARITY_STATE_DIR;
beforeAll(() => {
  root = tempDir();
  process.env.DNSPARITY_STATE_DIR = root;
});
afterAll(() => {
  if (before === undefined) delete process.env.DNSPARITY_STATE_DIR;
  else process.env.DNSPARITY_STATE_DIR = before;
});

describe('RunState', () => {
  it('writes down what the run makes, one line each, and reads it back', () => {
    const s = RunState.create('netns', 'incident.yaml');
    s.addNamespace(s.namespace('router'));
    s.addPid(4242);
    s.addContainer('c0ffee');
    s.addNetwork('beef');
    s.addPid(4343);
    expect(readRun(s.runId)).toMatchObject({ runId: s.runId, pid: process.pid, backend: 'netns', scenario: 'incident.yaml', namespaces: [`dnsparity-${s.runId}-router`], pids: [4242, 4343], containers: ['c0ffee'], networks: ['beef'] });
    expect(readFileSync(join(s.dir, 'state.jsonl'), 'utf8').trimEnd().split('\n')).toHaveLength(6);
    expect(readRuns().map((r) => r.runId)).toContain(s.runId);
    s.remove();
    expect(readRun(s.runId)).toBeUndefined();
  });

  it('drops a last line cut short, and has no record while its first line is not whole', () => {
    const s = RunState.create('netns', 'x.yaml');
    s.addPid(1001);
    appendFileSync(join(s.dir, 'state.jsonl'), '{"pid":10'); // its writer died here
    expect(readRun(s.runId)?.pids).toEqual([1001]);
    const young = join(root, 'abcdef');
    mkdirSync(young);
    writeFileSync(join(young, 'state.jsonl'), '{"runId":"abc');
    expect(readRun('abcdef')).toBeUndefined();
    expect(readRuns().map((r) => r.runId)).not.toContain('abcdef'); // being created, for all anyone knows
  });

  it('names the file and line of a line that is not a record', () => {
    const dir = join(root, '0a0b0c');
    mkdirSync(dir);
    writeFileSync(join(dir, 'state.jsonl'), '{"runId":"0a0b0c","pid":1}\n{"pid":2}\n[3]\n{"pid":4}\n');
    expect(() => readRun('0a0b0c')).toThrow(/0a0b0c\/state\.jsonl:3: not a JSON object/);
  });

  it('reads the record of a run left by a version that wrote state.json', () => {
    const dir = join(root, 'f0f0f0');
    mkdirSync(dir);
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ runId: 'f0f0f0', pid: 7, startedAt: '', backend: 'docker', scenario: 's', namespaces: [], pids: [8], containers: ['c'], networks: [] }));
    expect(readRun('f0f0f0')).toMatchObject({ pid: 7, pids: [8], containers: ['c'] });
  });
});
