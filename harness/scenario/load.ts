// Reads a scenario file: YAML -> schema -> cross-checks, with every error
// naming the file, the line and the field. Paths in a scenario are relative
// to the file; the loaded scenario carries them resolved.
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { InputError } from '../errors.js';
import { resolverFor } from '../resolver/registry.js';
import { confine, filesRoot, isWithin, type FilesRoot } from './confine.js';
import { readNamesFile } from './names-file.js';
import { scenarioSchema, type ScenarioData } from './schema.js';

export interface Scenario extends ScenarioData {
  /** Absolute path of the YAML file. */
  readonly file: string;
  readonly name: string;
  /** Absolute paths of the files the scenario names; absent ones are the image's own. */
  readonly paths: {
    readonly resolverConfig?: string;
    /** The directory standing for the image's config directory (/etc/unbound for unbound; include paths resolve against it). */
    readonly configRoot?: string;
    readonly resolvConf?: string;
  };
  /** The tree every file the scenario makes the harness read lies in (see confine.ts). */
  readonly filesRoot: FilesRoot;
  /** Line of a field, for errors found after loading (zones, configs). */
  lineOf(path: readonly (string | number)[]): number | undefined;
}

type Path = readonly (string | number)[];

export interface LoadOptions {
  /** A tree the scenario's files root must lie in (the CLI's --files-root), symlinks resolved. */
  readonly filesLimit?: string;
}

export function loadScenario(file: string, opts: LoadOptions = {}): Scenario {
  const abs = resolve(file);
  let text: string;
  try {
    if (statSync(abs).isDirectory()) throw new InputError({ file }, 'is a directory, expected a scenario file');
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError({ file }, `cannot read scenario: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'check the path');
  }
  return parseScenario(text, abs, opts);
}

export function parseScenario(text: string, file: string, opts: LoadOptions = {}): Scenario {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const rel = file;
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0]?.line ?? lines.linePos(first.pos[0]).line;
    throw new InputError({ file: rel, line }, `invalid YAML: ${first.message.split('\n')[0]}`, 'fix the YAML syntax');
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // Aliases that point nowhere, or that expand without bound.
    throw new InputError({ file: rel }, `invalid YAML: ${(e as Error).message}`, 'fix the YAML anchors and aliases');
  }
  if (raw === null || raw === undefined) {
    throw new InputError({ file: rel }, 'the scenario is empty', 'see scenarios/incident-2024-11-05.yaml for an example');
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InputError({ file: rel, line: 1 }, 'expected a mapping of scenario fields (name, resolver, stub, network, environments, queries, expect)');
  }
  const lineOf = (path: Path): number | undefined => lineOfPath(doc, lines, path);
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) throw issueToError(parsed.error.issues[0]!, rel, lineOf);
  const data = parsed.data;
  const dir = dirname(file);
  const at = (path: Path, message: string, hint?: string): InputError =>
    new InputError({ file: rel, line: lineOf(path), field: fieldName(path) }, message, hint);

  const locate = (path: Path) => ({ file: rel, line: lineOf(path), field: fieldName(path) });
  if (data.files !== undefined && !isDirectory(resolve(dir, data.files.root))) {
    throw at(['files', 'root'], `not a directory: ${data.files.root} (resolved to ${resolve(dir, data.files.root)})`, 'name the tree the scenario reads its files from, relative to the scenario file');
  }
  const root = filesRoot(data.files !== undefined ? resolve(dir, data.files.root) : dir, data.files !== undefined);
  if (opts.filesLimit !== undefined) {
    const limit = resolve(opts.filesLimit);
    if (!isDirectory(limit)) throw new InputError({ file: 'command line', field: '--files-root' }, `not a directory: ${opts.filesLimit}`, 'name the tree scenarios may read files from, such as the repository');
    const real = filesRoot(limit, true).dir;
    if (!isWithin(root.dir, real)) {
      throw data.files !== undefined
        ? at(['files', 'root'], `${data.files.root} (resolves to ${root.dir}) lies outside --files-root ${real}`, 'a scenario may read only files under the tree the command line allows')
        : new InputError({ file: rel }, `the scenario's directory ${root.dir} lies outside --files-root ${real}`, 'a scenario may read only files under the tree the command line allows');
    }
  }
  // The real path, checked against the root: what is read is what was checked.
  const mustRead = (path: Path, p: string): string => {
    const full = resolve(dir, p);
    const real = confine(full, root, locate(path), p);
    try {
      accessSync(real, constants.R_OK);
      if (!statSync(real).isFile()) throw new Error('not a file');
    } catch {
      throw at(path, `file not found or not readable: ${p} (resolved to ${full})`, 'paths are relative to the scenario file');
    }
    return real;
  };

  // Cross-field checks the schema cannot express.
  const names = new Map<string, number>();
  data.environments.forEach((env, i) => {
    if (names.has(env.name)) throw at(['environments', i, 'name'], `environment "${env.name}" is defined twice (first at index ${names.get(env.name)})`, 'give each environment its own name');
    names.set(env.name, i);
  });
  const refs = data.environments.filter((e) => e.reference);
  if (refs.length === 0) throw at(['environments'], 'no environment is marked "reference: true"', 'mark the production-like environment as the reference');
  if (refs.length > 1) throw at(['environments'], `${refs.length} environments are marked as reference: ${refs.map((e) => e.name).join(', ')}`, 'mark exactly one');
  data.expect.differences.forEach((d, i) => {
    if (d.environment && !names.has(d.environment)) throw at(['expect', 'differences', i, 'environment'], `unknown environment "${d.environment}"`, `expected one of ${[...names.keys()].join(', ')}`);
  });
  data.expect.answers.forEach((a, i) => {
    if (a.environment && !names.has(a.environment)) throw at(['expect', 'answers', i, 'environment'], `unknown environment "${a.environment}"`, `expected one of ${[...names.keys()].join(', ')}`);
  });
  const zoneLists = [
    ['provider', data.network.provider.zones],
    ['public', data.network.public.zones],
  ] as const;
  for (const [where, zones] of zoneLists) {
    // One origin may be both the provider's and the Internet's (a split horizon:
    // each serves its own view); twice in one list is a mistake.
    const origins = new Map<string, number>();
    zones.forEach((z, i) => {
      const path = ['network', where, 'zones', i, 'origin'];
      if (origins.has(z.origin)) throw at(path, `zone ${z.origin} is listed twice under network.${where}.zones (first at index ${origins.get(z.origin)})`, `list it once; the same origin under network.provider.zones and network.public.zones is a split horizon`);
      origins.set(z.origin, i);
      const zp = ['network', where, 'zones', i];
      if (z.file !== undefined && z.records !== undefined) throw at([...zp, 'records'], 'a zone takes file or records, not both', 'keep file: (a master file, or Route 53 JSON with format: route53) or records: (master-file lines inline)');
      if (z.file === undefined && z.records === undefined) throw at([...zp, 'file'], 'required field is missing', 'give file: (a master file, or Route 53 JSON with format: route53) or records: (master-file lines inline)');
      if (z.format !== undefined && z.file === undefined) throw at([...zp, 'format'], 'format applies to file:, and this zone has records:', 'remove format, or give the zone as file:');
      if (z.file !== undefined) z.file = mustRead([...zp, 'file'], z.file);
    });
  }
  // A names file's queries join the listed ones, each checked as they are.
  if (data.queries.file !== undefined) {
    const namesFile = mustRead(['queries', 'file'], data.queries.file);
    data.queries.names.push(...readNamesFile(namesFile, locate(['queries', 'file'])));
  }
  if (data.queries.names.length === 0 && !data.queries.privateZones && !data.queries.publicZones) {
    throw at(['queries'], 'no queries: list names, or set privateZones or publicZones to true');
  }
  // Without an image, the scenario must give the files; with one, they override the image's own.
  const hostFile = (path: Path, p: string | undefined): string | undefined => {
    if (p !== undefined) return mustRead(path, p);
    if (data.image === undefined) throw at(path, 'required field is missing', 'or name an image, whose own file is used then');
    return undefined;
  };
  const resolverConfig = hostFile(['resolver', 'config'], data.resolver.config);
  const resolvConf = hostFile(['stub', 'resolvConf'], data.stub.resolvConf);
  let configRoot = data.resolver.configRoot !== undefined ? resolve(dir, data.resolver.configRoot) : resolverConfig !== undefined ? dirname(resolverConfig) : undefined;
  if (data.resolver.configRoot !== undefined && !isDirectory(configRoot!)) {
    throw at(['resolver', 'configRoot'], `not a directory: ${data.resolver.configRoot} (resolved to ${configRoot})`, `name the directory that stands for the image's ${resolverFor(data.resolver.kind).image.configDir}, relative to the scenario file`);
  }
  if (data.resolver.configRoot !== undefined) configRoot = confine(configRoot!, root, locate(['resolver', 'configRoot']), data.resolver.configRoot);
  return {
    ...data,
    file,
    name: data.name ?? basename(file).replace(/\.ya?ml$/, ''),
    filesRoot: root,
    paths: { ...(resolverConfig ? { resolverConfig } : {}), ...(configRoot ? { configRoot } : {}), ...(resolvConf ? { resolvConf } : {}) },
    lineOf,
  };
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function fieldName(path: Path): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.').replace(/\.\[/g, '[');
}

function lineOfPath(doc: Document, lines: LineCounter, path: Path): number | undefined {
  // The deepest node that exists along the path: a missing field is reported
  // at the mapping that should have held it.
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
    // For a key with a null value, point at the key.
    if (n > 0) {
      const parent = n === 1 ? doc.contents : doc.getIn(path.slice(0, n - 1), true);
      if (isNode(parent) && 'items' in parent) {
        const items = (parent as unknown as { items: { key?: { value?: unknown; range?: [number, number, number] } }[] }).items;
        const pair = items.find((p) => p.key?.value === path[n - 1]);
        if (pair?.key?.range) return lines.linePos(pair.key.range[0]).line;
      }
    }
  }
  return undefined;
}

function issueToError(issue: z.core.$ZodIssue, file: string, lineOf: (p: Path) => number | undefined): InputError {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'invalid_union') {
    // When the input has the shape of exactly one alternative ({ name, type }
    // rather than a string), that alternative's issue names the real field.
    const fits = issue.errors.filter((b) => !b.some((x) => x.code === 'invalid_type' && x.path.length === 0));
    const inner = fits.length === 1 ? fits[0]![0] : undefined;
    if (inner) return issueToError({ ...inner, path: [...path, ...inner.path] } as z.core.$ZodIssue, file, lineOf);
  }
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const full = [...path, key];
    return new InputError({ file, line: lineOf(full), field: fieldName(full) }, 'unknown field', `remove it or check its spelling; see README "Scenario format"`);
  }
  let message = issue.message;
  if (issue.code === 'invalid_type' && /received undefined/.test(message)) message = 'required field is missing';
  else if (issue.code === 'invalid_type') message = `expected ${issue.expected}`;
  return new InputError({ file, line: lineOf(path), field: fieldName(path) || '(top level)' }, message);
}
