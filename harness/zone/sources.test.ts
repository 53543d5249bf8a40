// Zone entries of every kind through the real tools (nsd-checkzone, ldns-read-zone).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { filesRoot } from '../scenario/confine.js';
import { inlineRecords, loadZoneEntry, type ZoneEntryContext } from './sources.js';

const has = (b: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${b}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const missing = ['nsd-checkzone', 'ldns-read-zone'].filter((b) => !has(b));
if (missing.length) console.warn(`SKIPPED zone entry tests: not on PATH: ${missing.join(', ')} (Debian packages nsd, ldnsutils)`);

const dir = mkdtempSync(join(tmpdir(), 'dnsparity-zone-entry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ctx = (over: Partial<ZoneEntryContext> = {}): ZoneEntryContext => ({
  scenarioFile: join(dir, 's.yaml'),
  path: ['network', 'provider', 'zones', 0],
  lineOf: (p) => (p.length === 6 ? 20 + Number(p[5]) : p.length === 5 ? 19 : undefined),
  root: filesRoot(dir, true),
  ...over,
});
const error = async (p: Promise<unknown>): Promise<InputError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
};

describe('inline records', () => {
  it('makes an SOA when none is given, and keeps the scenario line and field of every record', () => {
    const z = inlineRecords('internal.example.io', ['proxysql A 10.20.30.40', 'db 60 IN CNAME proxysql'], ctx());
    expect(z.text.split('\n').slice(0, 2)).toEqual(['$TTL 300', '@ IN SOA ns.internal.example.io. hostmaster.internal.example.io. 1 3600 600 86400 300']);
    expect(z.sources[3]).toEqual({ file: join(dir, 's.yaml'), line: 21, field: 'network.provider.zones[0].records[1]' });
    expect(inlineRecords('x.io', ['@ IN SOA ns h 1 2 3 4 5'], ctx()).text).not.toContain('hostmaster.x.io');
    expect(inlineRecords('x.io', ['txt TXT "no SOA here"'], ctx()).text).toContain('hostmaster.x.io');
  });

  it('refuses $INCLUDE', () => {
    expect(() => inlineRecords('x.io', ['$INCLUDE /etc/passwd'], ctx())).toThrow(/records\[0\]: \$INCLUDE is not read in inline records/);
  });
});

describe.skipIf(missing.length > 0)('loadZoneEntry (runs nsd-checkzone and ldns-read-zone)', () => {
  it('loads inline records as a master file, canonical and fully qualified', async () => {
    const z = await loadZoneEntry({ origin: 'internal.example.io', records: ['proxysql A 10.20.30.40', '*.apps 60 A 10.20.30.50'] }, ctx());
    expect(z.records.filter((r) => r.type === 'A').map((r) => `${r.name} ${r.data}`)).toEqual(['proxysql.internal.example.io 10.20.30.40', '*.apps.internal.example.io 10.20.30.50']);
  });

  it('names the scenario line and field of a bad inline record', async () => {
    const e = await error(loadZoneEntry({ origin: 'internal.example.io', records: ['proxysql A 10.20.30.40', 'db A 10.20.30.400'] }, ctx()));
    expect(e.message).toMatch(new RegExp(`^${join(dir, 's.yaml')}:21: network\\.provider\\.zones\\[0\\]\\.records\\[1\\]: zone internal\\.example\\.io: .*IPv4`));
  });

  it('loads Route 53 JSON, a wildcard among it, and names the JSON line and field of a bad record', async () => {
    const file = join(dir, 'r53.json');
    writeFileSync(file, JSON.stringify({ ResourceRecordSets: [
      { Name: 'internal.example.io.', Type: 'SOA', TTL: 900, ResourceRecords: [{ Value: 'ns-1.awsdns-00.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400' }] },
      { Name: '\\052.internal.example.io.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '10.20.30.50' }] },
    ] }, null, 2));
    const z = await loadZoneEntry({ origin: 'internal.example.io', file, format: 'route53' }, ctx());
    expect(z.records.map((r) => `${r.name} ${r.type}`)).toContain('*.internal.example.io A');
    expect(z.file).toBe(file);
    const text = JSON.stringify({ ResourceRecordSets: [
      { Name: 'internal.example.io.', Type: 'SOA', TTL: 900, ResourceRecords: [{ Value: 'ns-1.awsdns-00.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400' }] },
      { Name: 'mx.internal.example.io.', Type: 'MX', TTL: 60, ResourceRecords: [{ Value: 'ten mail.example.io.' }] },
    ] }, null, 2);
    writeFileSync(file, text);
    const e = await error(loadZoneEntry({ origin: 'internal.example.io', file, format: 'route53' }, ctx()));
    const line = text.split('\n').findIndex((l) => l.includes('"mx.internal')) ; // the set's "{" is the line before its Name
    expect(e.location).toMatchObject({ file, line, field: 'ResourceRecordSets[1].ResourceRecords[0].Value' });
  });
});
