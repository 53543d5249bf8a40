// Loads RFC 1035 master files. nsd-checkzone validates them (the server that
// will serve them, with file:line errors); ldns-read-zone turns them into one
// fully qualified record per line, which is all this module has to parse.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, type Location } from '../errors.js';
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

/** Parses ldns-read-zone's canonical output: "owner TTL CLASS TYPE RDATA". */
export function parseCanonical(text: string): ZoneRecord[] {
  const out: ZoneRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith(';')) continue;
    const m = /^(\S+)\s+(\d+)\s+IN\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    out.push({ name: m[1]!.toLowerCase().replace(/\.$/, ''), ttl: Number(m[2]), type: m[3]!.toUpperCase(), data: m[4]!.trim() });
  }
  return out;
}

export function formatRecord(r: ZoneRecord): string {
  return `${fqdn(r.name)}\t${r.ttl}\tIN\t${r.type}\t${r.data}`;
}

export async function loadZone(origin: string, file: string, where: Location): Promise<LoadedZone> {
  const check = await tryRun('nsd-checkzone', [fqdn(origin), file]);
  if (check.exitCode !== 0) {
    const m = /error: ([^\n]*?):(\d+): ([^\n]+)/.exec(check.stderr);
    if (m) throw new InputError({ file: m[1]!, line: Number(m[2]) }, `zone ${origin}: ${m[3]}`, `fix the master file (named at ${InputError.format(where, '').replace(/: $/, '')})`);
    throw new InputError(where, `zone ${origin} does not load: ${(check.stderr || check.stdout).trim().split('\n').pop()}`);
  }
  const text = await readFile(file, 'utf8');
  // ldns-read-zone has no origin option: the copy it reads starts with one.
  const tmp = await mkdtemp(join(tmpdir(), 'dnsparity-zone-'));
  let canon;
  try {
    const copy = join(tmp, 'zone');
    await writeFile(copy, `$ORIGIN ${fqdn(origin)}\n${text}\n`);
    canon = await tryRun('ldns-read-zone', [copy]);
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
