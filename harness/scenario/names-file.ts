// A names file: the names an application really resolves, one "name [TYPE]"
// a line, "#" starting a comment. Read for queries.file in a scenario and for
// "dnsparity run --names FILE"; each line is checked as queries.names checks
// a name, and an error names the file, the line and the field.
import { readFileSync } from 'node:fs';
import { InputError, type Location } from '../errors.js';
import { QUERY_TYPES, type QueryType } from '../model.js';
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
