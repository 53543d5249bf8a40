// The image's Knot Resolver (kresd 5) configuration: a Lua program,
// /etc/knot-resolver/kresd.conf, and the files it runs with dofile() under
// /etc/knot-resolver (which resolver.configRoot stands for). The harness does
// not run Lua to read it: it scans the text with comments and strings told
// apart, for the calls it needs to know of (where it listens, what it sends
// where, what it would read or run on this machine, what the harness
// replaces). Lua built at run time escapes such a scan; see hostEffects.

import { join, posix } from 'node:path';
import { InputError, type Location } from '../errors.js';
import { readConfigFile, refuseCycle } from './config-read.js';
import { outside, type FilesRoot } from '../scenario/confine.js';
import type { ConfigText, ResolverConfig } from './types.js';

export const KRESD_IMAGE_DIR = '/etc/knot-resolver';
export const KRESD_MAIN = '/etc/knot-resolver/kresd.conf';

export interface KresdFile extends ConfigText {
  /** Its path in the image. */
  readonly imagePath: string;
  /** The text with comments blanked out (same length, same lines): what the scanners read. */
  readonly code: string;
  /** dofile()/loadfile() calls with a literal path under /etc/knot-resolver: line, the path as written, the local file. */
  readonly includes: readonly { readonly line: number; readonly written: string; readonly file: string }[];
}

export interface KresdConfig extends ResolverConfig {
  readonly kind: 'knot-resolver';
  readonly files: readonly KresdFile[];
}

/**
 * Lua text with every comment replaced by spaces (newlines kept), strings
 * kept: `--` to the end of the line, `--[[ ... ]]` and `--[==[ ... ]==]`
 * blocks; quotes and long brackets are strings.
 */
export function blankLuaComments(text: string): string {
  let out = '';
  let i = 0;
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  const longClose = (at: number): { level: number; start: number } | undefined => {
    const m = /^\[(=*)\[/.exec(text.slice(at, at + 64));
    return m ? { level: m[1]!.length, start: at + m[0].length } : undefined;
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '-' && text[i + 1] === '-') {
      const long = longClose(i + 2);
      if (long) {
        const end = text.indexOf(`]${'='.repeat(long.level)}]`, long.start);
        const stop = end < 0 ? text.length : end + long.level + 2;
        out += blank(text.slice(i, stop));
        i = stop;
        continue;
      }
      const nl = text.indexOf('\n', i);
      const stop = nl < 0 ? text.length : nl;
      out += blank(text.slice(i, stop));
      i = stop;
      continue;
    }
    if (ch === '"' || ch === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== ch && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (ch === '[') {
      const long = longClose(i);
      if (long) {
        const end = text.indexOf(`]${'='.repeat(long.level)}]`, long.start);
        const stop = end < 0 ? text.length : end + long.level + 2;
        out += text.slice(i, stop);
        i = stop;
        continue;
      }
    }
    out += ch;
    i++;
  }
  return out;
}

/** 1-based line of an offset. */
export const lineAt = (text: string, offset: number): number => text.slice(0, offset).split('\n').length;

/** Lua string literals in a piece of code, unescaped as far as configs need ('\\' and quotes). */
export function luaStrings(code: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'|\[(=*)\[([\s\S]*?)\]\3\]/g;
  for (const m of code.matchAll(re)) out.push((m[1] ?? m[2] ?? m[4] ?? '').replace(/\\(.)/g, '$1'));
  return out;
}

/** The text of a call's parenthesised arguments, from the "(" at `open`: balanced, strings skipped. */
export function callArgs(code: string, open: number): string {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    const ch = code[i]!;
    if (ch === '"' || ch === "'") {
      let j = i + 1;
      while (j < code.length && code[j] !== ch && code[j] !== '\n') j += code[j] === '\\' ? 2 : 1;
      i = j;
      continue;
    }
    if (ch === '(' || ch === '{') depth++;
    if (ch === ')' || ch === '}') {
      depth--;
      if (depth === 0) return code.slice(open + 1, i);
    }
  }
  return code.slice(open + 1);
}

/** Each call of `name(...)` in the code (name may contain dots): its offset, line and argument text. */
export function calls(code: string, name: string | RegExp): { at: number; line: number; args: string; name: string }[] {
  const pattern = typeof name === 'string' ? name.replace(/\./g, '\\.') : name.source;
  const re = new RegExp(`(?<![\\w.:])(${pattern})\\s*\\(`, 'g');
  const out: { at: number; line: number; args: string; name: string }[] = [];
  for (const m of code.matchAll(re)) {
    const open = m.index! + m[0].length - 1;
    out.push({ at: m.index!, line: lineAt(code, m.index!), args: callArgs(code, open), name: m[1]! });
  }
  return out;
}

export function kresdImageToLocal(imagePath: string, root: string): string | undefined {
  const p = posix.normalize(imagePath);
  if (p === KRESD_IMAGE_DIR) return root;
  if (!p.startsWith(`${KRESD_IMAGE_DIR}/`)) return undefined;
  return join(root, p.slice(KRESD_IMAGE_DIR.length + 1));
}

/**
 * Reads the main file and every file it runs with dofile('/etc/knot-resolver/...')
 * (a literal path: kresd runs the config with its run directory as working
 * directory, so a relative path is refused as ambiguous). A dofile of a path
 * outside /etc/knot-resolver, a missing file or a cycle is an input error
 * naming the file and line. With `confineTo`, every file read must lie in that tree.
 */
export function loadKresdConfig(main: string, root: string, confineTo?: FilesRoot): KresdConfig {
  const files = new Map<string, KresdFile>();
  const order: string[] = [];
  const visit = (path: string, imagePath: string, stack: readonly string[], from?: Location): void => {
    refuseCycle(path, stack, from, 'dofile()');
    const text = readConfigFile(path, { root, imageDir: KRESD_IMAGE_DIR, confineTo }, from);
    if (files.has(path)) return;
    const code = blankLuaComments(text);
    const includes: { line: number; written: string; file: string }[] = [];
    const file: KresdFile = { path, imagePath, text, code, includes };
    files.set(path, file);
    order.push(path);
    for (const c of calls(code, /dofile|loadfile/)) {
      const at = { file: path, line: c.line, field: c.name };
      const [written] = luaStrings(c.args);
      if (written === undefined || !/^\s*(["']|\[=*\[)/.test(c.args)) {
        throw new InputError(at, `${c.name}() of a path the harness cannot read from the text`, `run the file by its literal ${KRESD_IMAGE_DIR} path, such as ${c.name}('${KRESD_IMAGE_DIR}/local.lua')`);
      }
      if (!written.startsWith('/')) {
        throw new InputError(at, `${c.name}('${written}'): a relative path resolves against kresd's run directory, not the image's config`, `name the file by its ${KRESD_IMAGE_DIR} path`);
      }
      const local = kresdImageToLocal(written, root);
      if (local === undefined) {
        throw new InputError(at, `${written} lies outside ${KRESD_IMAGE_DIR}, which resolver.configRoot (${root}) stands for`, `place the file under the config root and name it by its ${KRESD_IMAGE_DIR} path`);
      }
      includes.push({ line: c.line, written, file: local });
      visit(local, posix.normalize(written), [...stack, path], at);
    }
  };
  visit(main, KRESD_MAIN, []);
  return { kind: 'knot-resolver', main, root, files: order.map((p) => files.get(p)!) };
}

/** The image's own kresd.conf, read from its layers: one file; one that runs others is refused (they would need the image's whole /etc/knot-resolver). */
export function kresdImageConfig(text: string, source: string, where: Location): KresdConfig {
  const code = blankLuaComments(text);
  const inc = calls(code, /dofile|loadfile/)[0];
  if (inc) {
    throw new InputError(where, `the image's own config (${source}) runs other files (${inc.name}, line ${inc.line}), which are not read from images`, `copy the image's ${KRESD_IMAGE_DIR} tree and name it with resolver.config and resolver.configRoot`);
  }
  return { kind: 'knot-resolver', main: KRESD_MAIN, root: KRESD_IMAGE_DIR, files: [{ path: KRESD_MAIN, imagePath: KRESD_MAIN, text, code, includes: [] }] };
}
