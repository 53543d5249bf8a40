// The docker backend's readiness of the servers its pods run: the check's
// verdict, or, when a server exits first, that server's own log at once.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../../../test/temp-dirs.js';
import type { ExecResult } from './resources.js';
import { ready, type Served } from './index.js';

const tempDir = tempDirs('ready');
const never = new Promise<never>(() => undefined);
const pod = (result: Promise<ExecResult>) => ({ inNetns: (argv: readonly string[]) => (calls.push([...argv]), result) });
const calls: string[][] = [];

function served(label: string, log: string | undefined, ended: Promise<void>): Served {
  const logFile = join(tempDir(), `${label.replace(/\W/g, '-')}.log`);
  if (log !== undefined) writeFileSync(logFile, log);
  return { label, logFile, ended };
}

describe('ready', () => {
  it('asks every target at once, in one check', async () => {
    calls.length = 0;
    await ready(pod(Promise.resolve({ exitCode: 0, output: '', stdout: '' })), ['198.51.100.1#53', '8.8.8.8#53'], new AbortController().signal, [served('nsd root', '', never)]);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.slice(1)).toEqual(['ready', '15000', '198.51.100.1#53', '8.8.8.8#53']);
  });

  it('fails with what did not answer and every server\'s last lines', async () => {
    const check = Promise.resolve({ exitCode: 1, output: '198.51.100.1#53 did not answer within 15000 ms\n', stdout: '' });
    await expect(ready(pod(check), ['198.51.100.1#53'], new AbortController().signal, [served('nsd root', 'a\nnsd started\n', never), served('public resolver 8.8.8.8', undefined, never)])).rejects.toThrow(
      'servers not ready: 198.51.100.1#53 did not answer within 15000 ms; nsd root: a\nnsd started; public resolver 8.8.8.8: no log',
    );
  });

  it('fails at once, with its log, when a server exits before the check ends', async () => {
    const died = served('nsd io', 'error: cannot open zone file io.zone\n', Promise.resolve());
    await expect(ready(pod(never), ['198.51.100.2#53'], new AbortController().signal, [served('nsd root', '', never), died])).rejects.toThrow('nsd io exited as it started: error: cannot open zone file io.zone');
  });
});
