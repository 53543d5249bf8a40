// The image's unbound configuration as unbound reads it: the main file plus
// every file its include: and include-toplevel: directives name, globs
// expanded in unbound's (sorted) order. The image's /etc/unbound is a local
// directory the scenario names (resolver.configRoot), so an absolute include
// such as "/etc/unbound/unbound.conf.d/*.conf" maps into it. Loaded while
// planning, so a missing include is bad input reported before anything starts.

import { isAbsolute, join, posix, relative } from 'node:path';
import { globSync } from 'tinyglobby';
import { InputError } from '../errors.js';
import { readConfigFile, refuseCycle } from './config-read.js';
import { outside, type FilesRoot } from '../scenario/confine.js';
import type { ConfigText, ResolverConfig } from './types.js';

/** What the config root stands for in the image: unbound's own config directory. */
export const IMAGE_CONFIG_DIR = '/etc/unbound';

/** One line of an unbound config, read as this harness reads it: one statement per line. */
export type Statement =
  | { readonly kind: 'clause'; readonly name: string }
  /** value: comment removed, quotes kept. */
  | { readonly kind: 'setting'; readonly key: string; readonly value: string }
  | { readonly kind: 'none' };

const CLAUSE = /^\s*([a-z0-9-]+):\s*(#.*)?$/i;
const SETTING = /^\s*([a-z0-9-]+):\s*(.*?)\s*$/i;

function stripComment(value: string): string {
  let quote = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if ((ch === '"' || ch === "'") && (quote === '' || quote === ch)) quote = quote ? '' : ch;
    if (ch === '#' && !quote) return value.slice(0, i).trim();
  }
  return value.trim();
}

export function parseStatement(line: string): Statement {
  if (/^\s*(#|$)/.test(line)) return { kind: 'none' };
  const c = CLAUSE.exec(line);
  if (c) return { kind: 'clause', name: c[1]!.toLowerCase() };
  const s = SETTING.exec(line);
  if (s) return { kind: 'setting', key: s[1]!.toLowerCase(), value: stripComment(s[2]!) };
  return { kind: 'none' };
}

export const unquote = (value: string): string => value.replace(/^(["'])(.*)\1$/, '$2');

export const isInclude = (key: string): key is 'include' | 'include-toplevel' => key === 'include' || key === 'include-toplevel';

export interface IncludeDirective {
  /** 1-based line of the directive. */
  readonly line: number;
  readonly toplevel: boolean;
  /** The path as the image names it (absolute, directory applied), glob characters kept. */
  readonly imagePattern: string;
  /** Local files it stands for, in the order unbound reads them. */
  readonly files: readonly string[];
}

export interface ConfigFile extends ConfigText {
  /** Local path of the file. */
  readonly path: string;
  readonly text: string;
  readonly includes: readonly IncludeDirective[];
}

export interface UnboundConfig extends ResolverConfig {
  readonly kind: 'unbound';
  /** Local path of the main file. */
  readonly main: string;
  /** The local directory standing for the image's /etc/unbound. */
  readonly root: string;
  /** Every file unbound reads, the main file first. */
  readonly files: readonly ConfigFile[];
}

const GLOB_CHARS = /[*?[{]/;

/** The local path for a path inside the image's /etc/unbound. */
export function imageToLocal(imagePath: string, root: string): string | undefined {
  if (imagePath === IMAGE_CONFIG_DIR) return root;
  if (!imagePath.startsWith(`${IMAGE_CONFIG_DIR}/`)) return undefined;
  return join(root, imagePath.slice(IMAGE_CONFIG_DIR.length + 1));
}

/**
 * Reads the main file and everything it includes. Relative include paths
 * resolve as unbound resolves them: against the last `directory:` before them
 * (unbound changes there at once), else against /etc/unbound, unbound's default.
 * With `confineTo`, every file read (symlinks resolved) must lie in that tree:
 * a link under the config root cannot point elsewhere on the machine.
 */
export function loadUnboundConfig(main: string, root: string, confineTo?: FilesRoot): UnboundConfig {
  const files = new Map<string, ConfigFile>();
  let directory = IMAGE_CONFIG_DIR;

  const visit = (path: string, stack: readonly string[], from?: { file: string; line: number; field: string }): void => {
    refuseCycle(path, stack, from, 'include');
    const text = readConfigFile(path, { root, imageDir: IMAGE_CONFIG_DIR, confineTo }, from);
    const includes: IncludeDirective[] = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const st = parseStatement(lines[i]!);
      if (st.kind !== 'setting') continue;
      if (st.key === 'directory' && unquote(st.value) !== '') directory = posix.resolve(directory, unquote(st.value));
      if (!isInclude(st.key)) continue;
      const at = { file: path, line: i + 1, field: st.key };
      const written = unquote(st.value);
      const imagePattern = posix.resolve(directory, written);
      const local = imageToLocal(imagePattern, root);
      if (local === undefined) {
        throw new InputError(at, `${written} lies outside ${IMAGE_CONFIG_DIR}, which resolver.configRoot (${root}) stands for`, `place the file under the config root and include it by its ${IMAGE_CONFIG_DIR} path`);
      }
      let targets: string[];
      if (GLOB_CHARS.test(written)) {
        // As unbound: a pattern that matches nothing includes nothing.
        const pattern = relative(root, local);
        targets = globSync(pattern, { cwd: root, absolute: true, onlyFiles: true, expandDirectories: false }).sort();
      } else {
        targets = [local];
      }
      includes.push({ line: i + 1, toplevel: st.key === 'include-toplevel', imagePattern, files: targets });
      for (const t of targets) visit(t, [...stack, path], at);
    }
    if (!files.has(path)) files.set(path, { path, text, includes });
  };

  visit(main, []);
  const all = [...files.values()];
  return { kind: 'unbound', main, root, files: [all.find((f) => f.path === main)!, ...all.filter((f) => f.path !== main)] };
}

/** Whether a local path lies inside the config root. */
export const inRoot = (path: string, root: string): boolean => {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
};

/**
 * Whether the config names a trust anchor, i.e. validates DNSSEC. Only then
 * does a run sign its simulated Internet: signing a 100k-name zone is most of
 * a large run's set-up time and memory, and a non-validating resolver answers
 * the same from signed and unsigned zones.
 */
export function namesTrustAnchor(config: UnboundConfig): boolean {
  return config.files.some((f) =>
    f.text.split('\n').some((line) => {
      const st = parseStatement(line);
      return st.kind === 'setting' && /^(auto-trust-anchor-file|trust-anchor-file|trusted-keys-file|trust-anchor)$/.test(st.key);
    }),
  );
}
