// The image's BIND 9 configuration as named reads it: named.conf and every
// file its include statements name, and the zone files under /etc/bind its
// zone statements load. The image's /etc/bind is a local directory the
// scenario names (resolver.configRoot). Read while planning, so a missing
// include is bad input reported before anything starts.
//
// named.conf is a tree of statements: words and quoted strings, blocks in
// braces, each statement ended by a semicolon; comments in C, C++ and shell
// style. This reader keeps every token's position, so substitutions can edit
// the image's text in place and named-checkconf's line numbers stay the
// image's. It is lenient where named is strict (a missing semicolon): the
// checker names those errors, with named's own words.

import { posix } from 'node:path';
import { InputError, type Location } from '../errors.js';
import { readConfigFile, refuseCycle } from './config-read.js';
import { outside, type FilesRoot } from '../scenario/confine.js';

/** What the config root stands for in the image: named's own config directory (Debian's). */
export const BIND_CONFIG_DIR = '/etc/bind';
export const BIND_MAIN_CONFIG = '/etc/bind/named.conf';
/** named's working directory when the config names none (Debian's build: its localstatedir is /). */
export const BIND_DEFAULT_DIRECTORY = '/';

export interface Pos {
  /** 1-based line. */
  readonly line: number;
  /** 0-based column of the first character. */
  readonly col: number;
}

export interface Token {
  readonly kind: 'word' | 'string' | 'open' | 'close' | 'semi';
  /** The text, without quotes for a string. */
  readonly value: string;
  readonly start: Pos;
  /** Just past the last character. */
  readonly end: Pos;
}

export type Arg = { readonly kind: 'word' | 'string'; readonly token: Token } | { readonly kind: 'block'; readonly body: readonly Statement[]; readonly open: Token; readonly close: Token | undefined };

export interface Statement {
  /** The first word, lower-cased ("options", "zone", "forwarders", or an address in a list). */
  readonly name: string;
  readonly args: readonly Arg[];
  readonly start: Pos;
  /** Just past its semicolon (or its last token, when named would complain of a missing one). */
  readonly end: Pos;
}

/** Words and strings of a statement after its name, in order (blocks left out). */
export const words = (s: Statement): string[] => s.args.flatMap((a) => (a.kind === 'block' ? [] : [a.token.value]));
/** The statement's blocks, in order. */
export const blocks = (s: Statement): (Arg & { kind: 'block' })[] => s.args.filter((a): a is Arg & { kind: 'block' } => a.kind === 'block');
/** The body of its first block, or none. */
export const body = (s: Statement): readonly Statement[] => blocks(s)[0]?.body ?? [];

export function tokenize(text: string, file: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  let col = 0;
  let i = 0;
  const advance = (n: number) => {
    for (let k = 0; k < n; k++, i++) {
      if (text[i] === '\n') {
        line++;
        col = 0;
      } else col++;
    }
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '\n' || ch === ' ' || ch === '\t' || ch === '\r') {
      advance(1);
      continue;
    }
    if (ch === '#' || (ch === '/' && text[i + 1] === '/')) {
      const nl = text.indexOf('\n', i);
      advance((nl < 0 ? text.length : nl) - i);
      continue;
    }
    if (ch === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      if (close < 0) throw new InputError({ file, line }, 'a /* comment is never closed', 'close it with */');
      advance(close + 2 - i);
      continue;
    }
    const start = { line, col };
    if (ch === '{' || ch === '}' || ch === ';') {
      advance(1);
      out.push({ kind: ch === '{' ? 'open' : ch === '}' ? 'close' : 'semi', value: ch, start, end: { line, col } });
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      let value = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        value += text[j];
        j++;
      }
      if (j >= text.length) throw new InputError({ file, line }, 'a quoted string is never closed', 'close it with "');
      advance(j + 1 - i);
      out.push({ kind: 'string', value, start, end: { line, col } });
      continue;
    }
    let j = i;
    while (j < text.length && !/[\s{};"#]/.test(text[j]!) && !(text[j] === '/' && (text[j + 1] === '/' || text[j + 1] === '*'))) j++;
    const value = text.slice(i, j);
    advance(j - i);
    out.push({ kind: 'word', value, start, end: { line, col } });
  }
  return out;
}

/** The statements of one file (includes are not followed here). */
export function parseStatements(text: string, file: string): Statement[] {
  const tokens = tokenize(text, file);
  let i = 0;
  const parseBody = (depth: number): Statement[] => {
    const out: Statement[] = [];
    while (i < tokens.length) {
      const t = tokens[i]!;
      if (t.kind === 'close') {
        if (depth === 0) throw new InputError({ file, line: t.start.line }, 'a } closes no block', 'remove it, or open the block it closes');
        return out;
      }
      if (t.kind === 'semi') {
        i++;
        continue;
      }
      out.push(parseStatement(depth));
    }
    if (depth > 0) throw new InputError({ file, line: tokens[tokens.length - 1]?.end.line }, 'a { block is never closed', 'close it with };');
    return out;
  };
  const parseStatement = (depth: number): Statement => {
    const first = tokens[i]!;
    const args: Arg[] = [];
    let name = '';
    let end = first.end;
    if (first.kind === 'word' || first.kind === 'string') {
      name = first.value.toLowerCase();
      i++;
    }
    while (i < tokens.length) {
      const t = tokens[i]!;
      if (t.kind === 'semi') {
        end = t.end;
        i++;
        break;
      }
      if (t.kind === 'close') break;
      if (t.kind === 'open') {
        i++;
        const inner = parseBody(depth + 1);
        const close = tokens[i];
        if (close?.kind === 'close') i++;
        args.push({ kind: 'block', body: inner, open: t, close });
        end = close?.end ?? end;
        continue;
      }
      args.push({ kind: t.kind, token: t } as Arg);
      end = t.end;
      i++;
    }
    return { name, args, start: first.start, end };
  };
  return parseBody(0);
}

export interface IncludeDirective {
  /** 1-based line of the include statement. */
  readonly line: number;
  /** The path as the image names it. */
  readonly imagePath: string;
  /** The local file it stands for. */
  readonly file: string;
}

export interface BindConfigFile {
  /** Local path of the file (or, for an image's own file, its path in the image). */
  readonly path: string;
  readonly text: string;
  readonly includes: readonly IncludeDirective[];
}

/** A zone file named by a zone statement, read from the config root. */
export interface BindZoneFile {
  readonly imagePath: string;
  readonly path: string;
  readonly text: string;
}

export interface BindConfig {
  readonly kind: 'bind';
  readonly main: string;
  /** The local directory standing for the image's /etc/bind. */
  readonly root: string;
  /** Every file named reads as config, the main file first. */
  readonly files: readonly BindConfigFile[];
  /** Zone files under /etc/bind that zone statements load (copied for the run). */
  readonly zoneFiles: readonly BindZoneFile[];
}

/** The local path for a path inside the image's /etc/bind. */
export function bindImageToLocal(imagePath: string, root: string): string | undefined {
  const p = posix.normalize(imagePath);
  if (p === BIND_CONFIG_DIR) return root;
  if (!p.startsWith(`${BIND_CONFIG_DIR}/`)) return undefined;
  return posix.join(root, p.slice(BIND_CONFIG_DIR.length + 1));
}

/** A statement as visited: where it is, and the names of the statements around it. */
export interface Visit {
  readonly stmt: Statement;
  readonly file: string;
  /** Enclosing statements, outermost first (options, view, zone, ...). */
  readonly outer: readonly Statement[];
}

/**
 * Every statement in named's reading order, includes followed where they
 * stand (named reads an included file in place of the statement). The
 * visitor returns false to skip a statement's blocks.
 */
export function walkBind(config: Pick<BindConfig, 'files' | 'main'>, visit: (v: Visit) => boolean | void): void {
  const byPath = new Map(config.files.map((f) => [f.path, { file: f, stmts: parseStatements(f.text, f.path) }]));
  const walkList = (path: string, stmts: readonly Statement[], outer: readonly Statement[], depth: number): void => {
    const f = byPath.get(path)!;
    for (const s of stmts) {
      if (s.name === 'include') {
        const d = f.file.includes.find((x) => x.line === s.start.line);
        const target = d && byPath.get(d.file);
        if (target && depth < 32) walkList(d.file, target.stmts, outer, depth + 1);
        continue;
      }
      if (visit({ stmt: s, file: path, outer }) === false) continue;
      for (const b of blocks(s)) walkList(path, b.body, [...outer, s], depth);
    }
  };
  const main = byPath.get(config.main);
  if (main) walkList(config.main, main.stmts, [], 0);
}

/** The zone statement's class-less name ("." for the root), lower-case, no trailing dot. */
export const zoneName = (s: Statement): string => {
  const n = (words(s)[0] ?? '').toLowerCase();
  return n === '.' || n === '' ? '.' : n.replace(/\.$/, '');
};

/** The value of a one-word sub-statement of a block (`type forward;` gives "forward"). */
export function subValue(s: Statement, name: string): Statement | undefined {
  return body(s).find((x) => x.name === name);
}

/**
 * Reads the main file, everything it includes, and the zone files under
 * /etc/bind. Relative include paths resolve against /etc/bind (named reads
 * them against its working directory at start, which an image's init sets to
 * its config directory or leaves at /; Debian's files use absolute paths).
 */
export function loadBindConfig(main: string, root: string, confineTo?: FilesRoot): BindConfig {
  const files = new Map<string, BindConfigFile>();
  const read = (path: string, from?: Location): string => readConfigFile(path, { root, imageDir: BIND_CONFIG_DIR, confineTo }, from);
  const visit = (path: string, stack: readonly string[], from?: { file: string; line: number; field: string }): void => {
    refuseCycle(path, stack, from, 'include');
    const text = read(path, from);
    const stmts = parseStatements(text, path);
    const includes: IncludeDirective[] = [];
    const collect = (list: readonly Statement[]): void => {
      for (const s of list) {
        if (s.name === 'include') {
          const at = { file: path, line: s.start.line, field: 'include' };
          const written = words(s)[0];
          if (written === undefined) throw new InputError(at, 'include names no file', 'include "/etc/bind/FILE";');
          const imagePath = posix.resolve(BIND_CONFIG_DIR, written);
          const local = bindImageToLocal(imagePath, root);
          if (local === undefined) {
            throw new InputError(at, `${written} lies outside ${BIND_CONFIG_DIR}, which resolver.configRoot (${root}) stands for`, `place the file under the config root and include it by its ${BIND_CONFIG_DIR} path`);
          }
          includes.push({ line: s.start.line, imagePath, file: local });
          visit(local, [...stack, path], at);
          continue;
        }
        for (const b of blocks(s)) collect(b.body);
      }
    };
    collect(stmts);
    if (!files.has(path)) files.set(path, { path, text, includes });
  };
  visit(main, []);
  const all = [...files.values()];
  const ordered = [all.find((f) => f.path === main)!, ...all.filter((f) => f.path !== main)];
  const config = { kind: 'bind' as const, main, root, files: ordered, zoneFiles: [] as BindZoneFile[] };
  // Zone files under /etc/bind are the image's files too: read them now, so the run copies them.
  const seen = new Set<string>();
  for (const z of zoneFileRefs(config)) {
    const local = z.imagePath !== undefined ? bindImageToLocal(z.imagePath, root) : undefined;
    if (local === undefined || seen.has(local) || z.hint) continue;
    seen.add(local);
    config.zoneFiles.push({ imagePath: z.imagePath!, path: local, text: read(local, { file: z.file, line: z.line, field: 'file' }) });
  }
  return config;
}

/** The image's working directory for named: the last `directory` in options, else named's default. */
export function bindDirectory(config: Pick<BindConfig, 'files' | 'main'>): string {
  let dir = BIND_DEFAULT_DIRECTORY;
  walkBind(config, ({ stmt, outer }) => {
    if (outer.length === 1 && outer[0]!.name === 'options' && stmt.name === 'directory' && words(stmt)[0]) dir = posix.resolve('/', words(stmt)[0]!);
    return outer.length < 1 || outer[0]!.name === 'options' ? undefined : false;
  });
  return dir;
}

export interface ZoneFileRef {
  readonly zone: string;
  readonly type: string;
  /** The `file` statement inside the zone. */
  readonly stmt: Statement;
  readonly file: string;
  readonly line: number;
  /** The path in the image (relative paths against the image's directory); undefined when the statement names none. */
  readonly imagePath: string | undefined;
  /** Whether the zone is the root hints zone. */
  readonly hint: boolean;
}

/** Every zone statement's `file`, with its path in the image. */
export function zoneFileRefs(config: Pick<BindConfig, 'files' | 'main'>): ZoneFileRef[] {
  const directory = bindDirectory(config);
  const out: ZoneFileRef[] = [];
  walkBind(config, ({ stmt, file, outer }) => {
    const zone = outer[outer.length - 1];
    if (zone?.name === 'zone' && stmt.name === 'file') {
      const type = (words(subValue(zone, 'type') ?? { name: '', args: [], start: stmt.start, end: stmt.end })[0] ?? '').toLowerCase();
      const written = words(stmt)[0];
      out.push({ zone: zoneName(zone), type, stmt, file, line: stmt.start.line, imagePath: written === undefined ? undefined : posix.resolve(directory, written), hint: type === 'hint' });
    }
  });
  return out;
}
