// Finds scenario files: a file as given, or every *.yaml in a directory.
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.js';

export function discoverScenarios(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new InputError({ file: p }, 'no such scenario file or directory', 'give a scenario file or a directory of them, such as scenarios/');
    }
    if (st.isDirectory()) {
      const files = readdirSync(p).filter((f) => /\.ya?ml$/.test(f)).sort();
      if (files.length === 0) throw new InputError({ file: p }, 'no *.yaml scenario in this directory');
      out.push(...files.map((f) => resolve(join(p, f))));
    } else out.push(resolve(p));
  }
  return [...new Set(out)];
}
