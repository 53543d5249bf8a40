// The two commands of the README as a normal user: demo.sh and test.sh run
// themselves again through sudo (keeping PATH, so the same node runs), and
// where sudo is not installed they say how to run them as root. A stand-in
// sudo records how it was called; nothing is installed or run as root here.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';

const asRoot = process.getuid?.() === 0;
if (!asRoot) console.warn('SKIPPED script tests: needs root, to run the scripts as another user');
const dir = mkdtempSync(join(tmpdir(), 'dnsparity-scripts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A bin directory with only what the scripts need before they re-run: no sudo unless one is given. */
function bin(withSudo: boolean): string {
  const b = mkdtempSync(join(dir, 'bin-'));
  for (const tool of ['bash', 'id', 'basename', 'dirname', 'stat', 'env', 'cat']) symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(b, tool));
  symlinkSync(process.execPath, join(b, 'node'));
  if (withSudo) writeFileSync(join(b, 'sudo'), `#!${join(b, 'bash')}\necho "sudo $*"\n`, { mode: 0o755 });
  chmodSync(b, 0o755);
  return b;
}

describe.skipIf(!asRoot)('demo.sh and test.sh as a normal user', () => {
  const checkout = join(dir, 'checkout');
  mkdirSync(checkout);
  cpSync('scripts', join(checkout, 'scripts'), { recursive: true });
  chmodSync(dir, 0o755);
  const user = process.env.DNSPARITY_TEST_USER ?? 'nobody';
  const run = (script: string, path: string) => execa(join(path, 'bash'), [join(checkout, 'scripts', script), '--filter', 'incident'], { reject: false, env: { PATH: path }, extendEnv: false, uid: Number(execFileSync('id', ['-u', user], { encoding: 'utf8' })), stdin: 'ignore' });

  for (const script of ['demo.sh', 'test.sh']) {
    it(`${script} without sudo says how to run it as root`, async () => {
      const r = await run(script, bin(false));
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain(`${script} needs root (network namespaces, packages) and sudo is not installed: run it as root, for example: su -c 'bash ${join(checkout, 'scripts', script)}'`);
    });

    it(`${script} with sudo runs itself again through it, with the same PATH and arguments`, async () => {
      const path = bin(true);
      const r = await run(script, path);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toContain(`${script} needs root (network namespaces, packages): running it again with sudo`);
      expect(r.stdout.trim()).toBe(`sudo env PATH=${path} bash ${join(checkout, 'scripts', script)} --filter incident`);
    });
  }
});
