// DNSSEC for the simulated Internet: a key per signed zone, made for this run
// only, the zones the plan marks as signed signed with it (ldns-signzone), a DS
// for each signed zone in its parent, and the root's DS and DNSKEY as the trust
// anchor a validating resolver is given instead of the real root's.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BackendError } from '../errors.js';
import { run } from '../util/exec.js';
import { formatRecord, fqdn, parseCanonical, type ZoneRecord } from '../zone/zonefile.js';
import type { AuthServer, ServedZone, SimulatedInternet } from './simulated-internet.js';

/** The simulated root's keys, in presentation form ("." IN DS ...), as a resolver's trust anchor. */
export interface TrustAnchor {
  readonly ds: readonly string[];
  readonly dnskey: readonly string[];
}

export interface SignedInternet {
  /** The plan's Internet with every signed zone's records replaced by its signed form. */
  readonly internet: SimulatedInternet;
  readonly trustAnchor: TrustAnchor;
}

/** ECDSA P-256: keys in milliseconds, small answers, and what most of the real Internet uses. */
const ALGORITHM = 'ECDSAP256SHA256';
const DS_TTL = 3600;
/** Records a zone file may bring from an earlier signing; the run's own replace them. */
const DNSSEC_TYPES = new Set(['RRSIG', 'NSEC', 'NSEC3', 'NSEC3PARAM', 'DNSKEY']);
const CLOCK_SKEW_S = 3600;
const VALIDITY_S = 30 * 24 * 3600;

interface ZoneKey {
  /** Path of the key without extension, as ldns-signzone takes it. */
  readonly base: string;
  readonly ds: ZoneRecord;
  readonly dnskey: ZoneRecord;
}

const dirName = (origin: string): string => (origin === '' ? 'root' : origin.replace(/\./g, '-'));

/** A .ds or .key file from ldns-keygen: one record without a TTL, a comment after the key. */
function keyRecord(text: string, type: 'DS' | 'DNSKEY', file: string): ZoneRecord {
  const m = new RegExp(`^(\\S+)\\s+IN\\s+${type}\\s+([^;\\n]*?)\\s*(;.*)?$`, 'm').exec(text);
  if (!m) throw new BackendError(`ldns-keygen wrote no ${type} record to ${file}`);
  return { name: m[1]!.toLowerCase().replace(/\.$/, ''), ttl: DS_TTL, type, data: m[2]! };
}

async function makeKey(origin: string, dir: string): Promise<ZoneKey> {
  await mkdir(dir, { recursive: true });
  // -k: a key-signing key (flags 257) that signs everything, so one key per zone is enough.
  const r = await run('ldns-keygen', ['-a', ALGORITHM, '-k', fqdn(origin)], { cwd: dir });
  const base = join(dir, r.stdout.trim());
  const [ds, key] = await Promise.all([readFile(`${base}.ds`, 'utf8'), readFile(`${base}.key`, 'utf8')]);
  return { base, ds: keyRecord(ds, 'DS', `${base}.ds`), dnskey: keyRecord(key, 'DNSKEY', `${base}.key`) };
}

async function signZone(zone: ServedZone, records: readonly ZoneRecord[], key: ZoneKey, dir: string, now: number): Promise<ZoneRecord[]> {
  const unsigned = join(dir, 'unsigned.zone');
  const signed = join(dir, 'signed.zone');
  // The SOA first: ldns-signzone takes the zone's class and origin from it.
  const ordered = [...records.filter((r) => r.type === 'SOA'), ...records.filter((r) => r.type !== 'SOA')];
  await writeFile(unsigned, `${ordered.map(formatRecord).join('\n')}\n`);
  await run('ldns-signzone', ['-i', String(now - CLOCK_SKEW_S), '-e', String(now + VALIDITY_S), '-o', fqdn(zone.origin), '-f', signed, unsigned, key.base]);
  // DNSKEY lines carry a ";{id = ...}" comment; the record ends before it.
  return parseCanonical(await readFile(signed, 'utf8')).map((r) => (r.type === 'DNSKEY' ? { ...r, data: r.data.replace(/\s*;.*$/, '') } : r));
}

/**
 * Signs the plan's simulated Internet in `workDir` (the run directory's): every
 * zone marked signed gets a fresh key and its signatures, every parent the DS
 * of its signed children. The root always gets a key, which is the trust
 * anchor, even when the root is left unsigned: a validating resolver then
 * finds the chain broken, as it would against an unsigned Internet.
 */
export async function signInternet(internet: SimulatedInternet, workDir: string): Promise<SignedInternet> {
  const now = Math.floor(Date.now() / 1000);
  const zones = internet.servers.flatMap((s) => s.zones);
  const keyed = zones.filter((z) => z.signed || z.origin === '');
  const keys = new Map(await Promise.all(keyed.map(async (z) => [z.origin, await makeKey(z.origin, join(workDir, dirName(z.origin)))] as const)));
  const rootKey = keys.get('');
  if (!rootKey) throw new BackendError('the simulated Internet has no root zone to anchor its signatures');

  // Every DS is known once the keys exist, so the zones are signed all at once.
  const signedZones = new Map(
    await Promise.all(
      zones.map(async (z) => {
        const children = zones.filter((c) => c.parent === z.origin && c.signed);
        const childOrigins = new Set(children.map((c) => c.origin));
        const records = [
          ...z.records.filter((r) => !DNSSEC_TYPES.has(r.type) && !(r.type === 'DS' && childOrigins.has(r.name))),
          ...children.map((c) => keys.get(c.origin)!.ds),
        ];
        const key = keys.get(z.origin);
        if (!z.signed || !key) return [z.origin, { ...z, records }] as const;
        return [z.origin, { ...z, records: await signZone(z, records, key, join(workDir, dirName(z.origin)), now) }] as const;
      }),
    ),
  );
  const servers: AuthServer[] = internet.servers.map((s) => ({ ...s, zones: s.zones.map((z) => signedZones.get(z.origin)!) }));
  return {
    internet: { ...internet, servers },
    trustAnchor: { ds: [formatRecord(rootKey.ds)], dnskey: [formatRecord(rootKey.dnskey)] },
  };
}
