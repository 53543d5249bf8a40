// Loads RFC 1035 master files. nsd-checkzone validates them (the server that
// will serve them, with file:line errors); ldns-read-zone turns them into one
// fully qualified record per line, which is all this module has to parse.
// $INCLUDE is expanded here, not by those tools: each included file must lie
// in the scenario's files root (symlinks resolved), and the tools only ever
// see a copy with nothing left to include, so they open no other file.
import { readFileSync, realpathSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { InputError, type Location } from '../errors.js';
import { filesRoot, isWithin, outside, type FilesRoot } from '../scenario/confine.js';
import { tryRun } from '../util/exec.js';

export interface ZoneRecord {
  /** Lower case, fully qualified, without the trailing dot ("" for the root). */
  readonly name: string;
  readonly ttl: number;
  readonly type: string;
  readonly data: string;
}

export interface LoadedZone {
  readonly origin: string;
  readonly file: string;
  readonly records: readonly ZoneRecord[];
}

export const fqdn = (name: string): string => (name === '' ? '.' : `${name}.`);
export const isAtOrBelow = (name: string, origin: string): boolean =>
  origin === '' || name === origin || name.endsWith(`.${origin}`);

const CANONICAL_LINE = /^(\S+)\s+(\d+)\s+IN\s+(\S+)\s*(.*)$/;

/**
 * Parses ldns-read-zone's canonical output: "owner TTL CLASS TYPE RDATA".
 * Line by line without splitting the text first, and each type's name made
 * once: at 100k records the array of lines and a string per type were most
 * of what planning allocated.
 */
export function parseCanonical(text: string): ZoneRecord[] {
  const out: ZoneRecord[] = [];
  const types = new Map<string, string>();
  for (let at = 0; at < text.length; ) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const line = text.slice(at, end);
    at = end + 1;
    if (!line || line.startsWith(';')) continue;
    const m = CANONICAL_LINE.exec(line);
    if (!m) continue;
    const owner = m[1]!.toLowerCase();
    let type = types.get(m[3]!);
    if (type === undefined) types.set(m[3]!, (type = m[3]!.toUpperCase()));
    out.push({ name: owner.endsWith('.') ? owner.slice(0, -1) : owner, ttl: Number(m[2]), type, data: m[4]!.trim() });
  }
  return out;
}

export function formatRecord(r: ZoneRecord): string {
  return `${fqdn(r.name)}\t${r.ttl}\tIN\t${r.type}\t${r.data}`;
}

/** A master file with its $INCLUDEs expanded, and where each line came from. */
export interface ExpandedZone {
  readonly text: string;
  /** Per line of `text` (0-based): the file and 1-based line it stands for. */
  readonly sources: readonly ZoneLineSource[];
}

/** Where a line of a zone's text came from: a file and line, and for converted zones the field (JSON path, scenario field). */
export interface ZoneLineSource {
  readonly file: string;
  readonly line?: number;
  readonly field?: string;
}

// Any line that starts with $INCLUDE, whatever follows: wider than nsd reads it, so nothing slips past.
const INCLUDE = /^\s*\$include/i;
const ORIGIN = /^\$origin\s+(\S+)/i;
/** Nesting beyond this is a mistake, not a zone. */
const MAX_INCLUDE_DEPTH = 16;

/** "$INCLUDE <file> [<origin>] [; comment]": the file may be quoted. */
function includeArgs(line: string): { file: string; origin?: string } | undefined {
  const rest = line.replace(INCLUDE, '');
  const tokens: string[] = [];
  // Tokens are quoted strings or runs of non-space; ";" outside quotes starts a comment.
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;"]+)|(;.*)|(\S))/gy;
  for (let m = re.exec(rest); m !== null && m[0] !== ''; m = re.exec(rest)) {
    if (m[3] !== undefined) break;
    if (m[4] !== undefined) return undefined; // an unbalanced quote
    tokens.push(m[1] ?? m[2]!);
  }
  if (tokens.length === 0 || tokens.length > 2) return undefined;
  return tokens[1] !== undefined ? { file: tokens[0]!, origin: tokens[1] } : { file: tokens[0]! };
}

const absoluteName = (name: string, current: string): string =>
  name.endsWith('.') ? name : current === '.' ? `${name}.` : `${name}.${current}`;

/**
 * Reads a master file and every file its $INCLUDEs name, relative paths
 * against the including file's directory. Each must resolve (symlinks
 * followed) inside `root`; one that does not is refused at the line that
 * names it, before anything reads it.
 */
export function expandIncludes(file: string, origin: string, root: FilesRoot, where: Location): ExpandedZone {
  const out: string[] = [];
  const sources: { file: string; line: number }[] = [];
  const visit = (path: string, current: string, stack: readonly string[], from: Location): void => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new InputError(from, `cannot read zone file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const at = { file: path, line: i + 1 };
      const o = ORIGIN.exec(line);
      if (o) current = absoluteName(o[1]!, current);
      if (!INCLUDE.test(line)) {
        out.push(line);
        sources.push(at);
        continue;
      }
      const here = { ...at, field: '$INCLUDE' };
      const args = includeArgs(line);
      if (!args) throw new InputError(here, 'expected "$INCLUDE <file> [<origin>]"', 'name one file, quoted if it has spaces, and optionally an origin');
      const target = isAbsolute(args.file) ? args.file : resolve(dirname(path), args.file);
      let real: string;
      try {
        real = realpathSync(target);
      } catch (e) {
        throw new InputError(here, `cannot open include file ${args.file} (resolved to ${target}): ${(e as NodeJS.ErrnoException).code ?? String(e)}`, "relative $INCLUDE paths resolve against the including file's directory");
      }
      if (!isWithin(real, root.dir)) throw outside(args.file, real, root, here);
      if (stack.includes(real)) throw new InputError(here, `$INCLUDE cycle: ${args.file} is already being read`, 'remove the $INCLUDE that leads back');
      if (stack.length >= MAX_INCLUDE_DEPTH) throw new InputError(here, `$INCLUDE nested more than ${MAX_INCLUDE_DEPTH} deep`);
      // RFC 1035 5.1: the included file starts at the given origin (else the
      // current one), and the origin reverts when it ends.
      const inner = args.origin !== undefined ? absoluteName(args.origin, current) : current;
      out.push(`$ORIGIN ${inner}`);
      sources.push(at);
      visit(target, inner, [...stack, real], here);
      out.push(`$ORIGIN ${current}`);
      sources.push(at);
    }
  };
  let realTop = file;
  try {
    realTop = realpathSync(file);
  } catch {
    // Reported as unreadable by visit.
  }
  if (!isWithin(realTop, root.dir)) throw outside(file, realTop, root, where);
  visit(file, fqdn(origin), [realTop], where);
  return { text: out.join('\n'), sources };
}

/**
 * Loads a zone. `root` bounds the files it may read; by default the zone
 * file's own directory.
 */
export async function loadZone(origin: string, file: string, where: Location, root?: FilesRoot): Promise<LoadedZone> {
  return loadZoneText(origin, file, expandIncludes(file, origin, root ?? filesRoot(dirname(file), false), where), where);
}

/**
 * Validates and canonicalises a zone's master-file text, whatever it was made
 * from (a master file, Route 53 JSON, inline records): nsd-checkzone, then
 * ldns-read-zone. `file` is what the zone is named after in reports; errors
 * name the source of the offending line.
 */
export async function loadZoneText(origin: string, file: string, expanded: ExpandedZone, where: Location): Promise<LoadedZone> {
  // Both tools read a copy with the origin first (ldns-read-zone has no
  // origin option) in an empty directory; errors are mapped back to the
  // file and line they stand for.
  const tmp = await mkdtemp(join(tmpdir(), 'dnsparity-zone-'));
  let check;
  let canon;
  try {
    const copy = join(tmp, 'zone');
    await writeFile(copy, `$ORIGIN ${fqdn(origin)}\n${expanded.text}\n`);
    const sourceOf = (copyLine: number): ZoneLineSource => expanded.sources[copyLine - 2] ?? { file };
    check = await tryRun('nsd-checkzone', [fqdn(origin), copy], { cwd: tmp });
    if (check.exitCode !== 0) {
      const m = /error: ([^\n]*?):(\d+): ([^\n]+)/.exec(check.stderr);
      if (m) {
        const src = sourceOf(Number(m[2]));
        const loc = { file: src.file, ...(src.line !== undefined ? { line: src.line } : {}), ...(src.field !== undefined ? { field: src.field } : {}) };
        const what = src.field !== undefined && src.file === where.file ? 'the record' : src.field !== undefined ? 'the record set' : 'the master file';
        throw new InputError(loc, `zone ${origin}: ${m[3]!.replaceAll(copy, src.file)}`, `fix ${what}${src.file === where.file ? '' : ` (named at ${InputError.format(where, '').replace(/: $/, '')})`}`);
      }
      throw new InputError(where, `zone ${origin} does not load: ${(check.stderr || check.stdout).trim().split('\n').pop()}`);
    }
    canon = await tryRun('ldns-read-zone', [copy], { cwd: tmp });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  if (canon.exitCode !== 0) throw new InputError({ file }, `zone ${origin}: ${canon.stderr.trim()}`);
  const records = parseCanonical(canon.stdout);
  if (!records.some((r) => r.name === origin && r.type === 'SOA')) {
    throw new InputError({ file }, `zone ${origin} has no SOA record at its apex`, 'add "@ IN SOA ..." as the first record');
  }
  const outside = records.find((r) => !isAtOrBelow(r.name, origin));
  if (outside) throw new InputError({ file }, `record ${outside.name} ${outside.type} is outside zone ${origin}`);
  return { origin, file, records };
}
