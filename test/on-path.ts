// Whether a program is on PATH: integration tests that need one are skipped, with the reason printed, where it is not.
import { execFileSync } from 'node:child_process';

export function onPath(bin: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
