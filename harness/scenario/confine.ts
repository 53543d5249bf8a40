// Confinement: every file a scenario makes the harness read lies under one
// directory tree, the scenario's files root. A gate runs scenarios from merge
// requests, as root: a scenario must not be able to make it read (and echo in
// an error) a file elsewhere on the machine. Paths are compared after every
// symlink is resolved, so a link inside the tree cannot point out of it.
import { realpathSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { InputError, type Location } from '../errors.js';

export interface FilesRoot {
  /** The tree, symlinks resolved. */
  readonly dir: string;
  /** Whether the scenario declared it (files.root) or it is the default, the scenario's own directory. */
  readonly declared: boolean;
}

/** Whether a resolved path lies in (or is) a resolved directory. */
export const isWithin = (path: string, dir: string): boolean => {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

export function filesRoot(dir: string, declared: boolean): FilesRoot {
  let real = dir;
  try {
    real = realpathSync(dir);
  } catch {
    // A directory that does not exist holds no file: every reference fails as not found.
  }
  return { dir: real, declared };
}

/**
 * The real path of a file the scenario names, or an input error at `where`
 * when it does not exist or lies outside the root. The message names the
 * reference and the paths, never anything read from the file.
 */
export function confine(path: string, root: FilesRoot, where: Location, written: string = path): string {
  let real: string;
  try {
    real = realpathSync(path);
  } catch (e) {
    throw new InputError(where, `file not found or not readable: ${written} (resolved to ${path}): ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'paths are relative to the file that names them');
  }
  if (!isWithin(real, root.dir)) throw outside(written, real, root, where);
  return real;
}

export function outside(written: string, real: string, root: FilesRoot, where: Location): InputError {
  const via = written === real ? '' : ` (resolves to ${real})`;
  return new InputError(
    where,
    `${written}${via} lies outside the scenario's files root ${root.dir}; the harness reads no file outside it`,
    root.declared
      ? 'move the file under files.root, or widen files.root in the scenario'
      : "a scenario reads files under its own directory only: declare a wider tree with 'files: { root: DIR }' (relative to the scenario), see README \"Scenario format\"",
  );
}
