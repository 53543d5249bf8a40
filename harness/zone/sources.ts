// A scenario's zone entry -> master-file text with the source of every line:
// a master file ($INCLUDEs expanded, confined to the files root), Route 53
// JSON (route53.ts), or records inline in the scenario. Whatever the source,
// the text then goes through the same validation (nsd-checkzone) and
// canonicalisation (ldns-read-zone) as a master file, in loadZoneText.
import { readFileSync } from 'node:fs';
import { InputError, type Location } from '../errors.js';
import type { FilesRoot } from '../scenario/confine.js';
import { route53ToMaster } from './route53.js';
import { expandIncludes, fqdn, loadZoneText, type ExpandedZone, type LoadedZone, type ZoneLineSource } from './zonefile.js';

export interface ZoneEntry {
  readonly origin: string;
  readonly file?: string | undefined;
  readonly format?: 'master' | 'route53' | undefined;
  readonly records?: readonly string[] | undefined;
}

export interface ZoneEntryContext {
  /** The scenario file, which names inline records. */
  readonly scenarioFile: string;
  /** The scenario field of the entry, such as ['network', 'provider', 'zones', 0]. */
  readonly path: readonly (string | number)[];
  readonly lineOf: (path: readonly (string | number)[]) => number | undefined;
  readonly root: FilesRoot;
}

const fieldName = (path: readonly (string | number)[]): string => path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.').replace(/\.\[/g, '[');

/**
 * Inline records: each entry is master-file text at the zone's origin. A
 * small zone needs no SOA: one is made when none is given (said in the
 * README). $INCLUDE is refused: an inline zone reads no other file.
 */
export function inlineRecords(origin: string, records: readonly string[], ctx: ZoneEntryContext): ExpandedZone {
  const out: string[] = [];
  const sources: ZoneLineSource[] = [];
  let hasSoa = false;
  records.forEach((rec, j) => {
    const path = [...ctx.path, 'records', j];
    const at: ZoneLineSource = { file: ctx.scenarioFile, ...(ctx.lineOf(path) !== undefined ? { line: ctx.lineOf(path)! } : {}), field: fieldName(path) };
    for (const line of rec.split('\n')) {
      if (/^\s*\$include/i.test(line)) throw new InputError(at, '$INCLUDE is not read in inline records', 'give the zone as file: instead, or write the records here');
      if (/(^|\s)SOA(\s|$)/i.test(line.replace(/"(?:[^"\\]|\\.)*"/g, '').replace(/;.*$/, ''))) hasSoa = true;
      out.push(line);
      sources.push(at);
    }
  });
  const head: string[] = ['$TTL 300'];
  if (!hasSoa) head.push(`@ IN SOA ns.${fqdn(origin)} hostmaster.${fqdn(origin)} 1 3600 600 86400 300`);
  const at: ZoneLineSource = { file: ctx.scenarioFile, ...(ctx.lineOf([...ctx.path, 'records']) !== undefined ? { line: ctx.lineOf([...ctx.path, 'records'])! } : {}), field: fieldName([...ctx.path, 'records']) };
  return { text: [...head, ...out].join('\n'), sources: [...head.map(() => at), ...sources] };
}

/** Loads a zone entry, whatever form it takes. `where` is the entry's file (or records) field. */
export async function loadZoneEntry(z: ZoneEntry, ctx: ZoneEntryContext): Promise<LoadedZone> {
  const field = z.records !== undefined ? 'records' : 'file';
  const where: Location = { file: ctx.scenarioFile, ...(ctx.lineOf([...ctx.path, field]) !== undefined ? { line: ctx.lineOf([...ctx.path, field])! } : {}), field: fieldName([...ctx.path, field]) };
  if (z.records !== undefined) return loadZoneText(z.origin, ctx.scenarioFile, inlineRecords(z.origin, z.records, ctx), where);
  const file = z.file!;
  if (z.format === 'route53') {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new InputError(where, `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    return loadZoneText(z.origin, file, route53ToMaster(text, file, z.origin), where);
  }
  return loadZoneText(z.origin, file, expandIncludes(file, z.origin, ctx.root, where), where);
}
