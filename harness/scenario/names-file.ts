// A names file: the names an application really resolves, one "name [TYPE]"
// a line, "#" starting a comment. Read for queries.file in a scenario and for
// "dnsparity run --names FILE"; each line is checked as queries.names checks
// a name, and an error names the file, the line and the field.
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError, type Location } from '../errors.js';
import { QUERY_TYPES, type QueryType } from '../model.js';
import { filesRoot, isWithin } from './confine.js';
import { queryName } from './schema.js';

export interface NamedQuery {
  readonly name: string;
  readonly type: QueryType;
}

const TYPES: ReadonlySet<string> = new Set(QUERY_TYPES);

export function parseNamesFile(text: string, file: string): NamedQuery[] {
  const out: NamedQuery[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const at = (field: string): Location => ({ file, line: i + 1, field });
    const tokens = line.split(/\s+/);
    if (tokens.length > 2) throw new InputError(at('type'), `expected "name [TYPE]", got ${tokens.length} words`, 'one name a line, optionally followed by its type, such as "_mysql._tcp.internal.example.io SRV"; "#" starts a comment');
    const name = queryName.safeParse(tokens[0]);
    if (!name.success) throw new InputError(at('name'), `${JSON.stringify(tokens[0])}: ${name.error.issues[0]!.message}`, 'one name a line, optionally followed by its type');
    const type = (tokens[1] ?? 'A').toUpperCase();
    if (!TYPES.has(type)) throw new InputError(at('type'), `unknown type ${JSON.stringify(tokens[1])}`, `expected one of ${QUERY_TYPES.join(', ')}`);
    out.push({ name: name.data, type: type as QueryType });
  });
  return out;
}

/** Reads a names file already confined by the caller; `where` is the field or flag that names it. */
export function readNamesFile(path: string, where: Location): NamedQuery[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(where, `cannot read names file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'give a readable file of "name [TYPE]" lines');
  }
  const names = parseNamesFile(text, path);
  if (names.length === 0) throw new InputError({ file: path }, 'the names file lists no name', 'one "name [TYPE]" a line; "#" starts a comment');
  return names;
}

/**
 * The names file of `dnsparity run --names FILE`: read from the command line,
 * so it is bounded by --files-root when one is given, as every scenario is.
 */
export function namesFromFlag(path: string, filesLimit: string | undefined): NamedQuery[] {
  const where: Location = { file: 'command line', field: '--names' };
  let real: string;
  try {
    real = realpathSync(resolve(path));
    if (!statSync(real).isFile()) throw new Error('not a file');
  } catch {
    throw new InputError(where, `file not found or not readable: ${path}`, 'give a file of "name [TYPE]" lines');
  }
  if (filesLimit !== undefined && !isWithin(real, filesRoot(resolve(filesLimit), true).dir)) {
    throw new InputError(where, `${path} (resolves to ${real}) lies outside --files-root ${filesLimit}`, 'a run may read only files under the tree the command line allows');
  }
  return readNamesFile(real, where);
}

/** A scenario with more names to ask (the names file of the command line). */
export function withNames<S extends { readonly queries: { readonly names: readonly (string | { name: string; type: QueryType })[] } }>(s: S, names: readonly NamedQuery[]): S {
  return { ...s, queries: { ...s.queries, names: [...s.queries.names, ...names] } };
}
