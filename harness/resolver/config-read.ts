// How every resolver module reads the files of an image's config: confined to
// the scenario's files root (symlinks resolved, so a link under the config
// root cannot reach elsewhere on the machine), an unreadable or cyclic include
// an input error that names the file and line that referred to it.
import { readFileSync, realpathSync } from 'node:fs';
import { InputError, type Location } from '../errors.js';
import { isWithin, outside, type FilesRoot } from '../scenario/confine.js';

export interface ConfigReadContext {
  /** resolver.configRoot: where the image's config directory is on this machine. */
  readonly root: string;
  /** The image's config directory that root stands for (/etc/unbound, /etc/bind, ...). */
  readonly imageDir: string;
  /** The scenario's files root, when reads are confined to it. */
  readonly confineTo?: FilesRoot | undefined;
}

/** The text of one config file; refused outside the files root, an input error when unreadable. */
export function readConfigFile(path: string, ctx: ConfigReadContext, from?: Location): string {
  if (ctx.confineTo !== undefined) {
    let real = path;
    try {
      real = realpathSync(path);
    } catch {
      // Missing: reported as unreadable below.
    }
    if (!isWithin(real, ctx.confineTo.dir)) throw outside(path, real, ctx.confineTo, from ?? { file: path });
  }
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(from ?? { file: path }, `cannot read config file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, `paths under ${ctx.imageDir} resolve against resolver.configRoot (${ctx.root})`);
  }
}

/** Refuses a file that is already being read further up the include chain. */
export function refuseCycle(path: string, stack: readonly string[], from: Location | undefined, how: string): void {
  if (stack.includes(path)) throw new InputError(from, `include cycle: ${[...stack.slice(stack.indexOf(path)), path].join(' -> ')}`, `remove the ${how} that leads back to a file already being read`);
}
