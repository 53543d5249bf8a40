// Signing with the real ldns tools: every signed zone verifies, every DS in a
// parent matches its child's key (computed here independently), unsigned zones
// stay unsigned, and the trust anchor is the root's key, new for every run.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../../test/temp-dirs.js';
import { zoneText, planSimulatedInternet } from './simulated-internet.js';
import { signInternet } from './dnssec.js';
import type { LoadedZone } from '../zone/zonefile.js';

const TOOLS = ['ldns-keygen', 'ldns-signzone', 'ldns-verify-zone'];
const missing = TOOLS.filter((t) => {
  try {
    execFileSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
});
const skip = missing.length ? `needs ${missing.join(', ')} (Debian package ldnsutils)` : undefined;
if (skip) console.warn(`SKIPPED dnssec signing tests: ${skip}`);

const zone = (origin: string, extra: LoadedZone['records'] = []): LoadedZone => ({
  origin,
  file: `${origin}.zone`,
  records: [
    { name: origin, ttl: 300, type: 'SOA', data: `ns1.${origin}. hostmaster.${origin}. 1 3600 600 86400 300` },
    { name: origin, ttl: 300, type: 'NS', data: `ns1.${origin}.` },
    { name: `www.${origin}`, ttl: 300, type: 'A', data: '203.0.113.80' },
    ...extra,
  ],
});

/** RFC 4034 section 5.1.4: SHA-256 over the owner's wire form and the DNSKEY RDATA. */
function dsDigest(owner: string, dnskey: string): string {
  const [flags, protocol, algorithm, ...key] = dnskey.split(/\s+/);
  const name = Buffer.concat([...(owner === '' ? [] : owner.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]))), Buffer.from([0])]);
  const rdata = Buffer.concat([Buffer.from([Number(flags) >> 8, Number(flags) & 255, Number(protocol), Number(algorithm)]), Buffer.from(key.join(''), 'base64')]);
  return createHash('sha256').update(Buffer.concat([name, rdata])).digest('hex');
}

const workDir = tempDirs('dnssec');

describe.skipIf(!!skip)('signInternet', () => {
  const plan = planSimulatedInternet([zone('example.io'), { ...zone('example.net'), signed: false }], { address: '169.254.169.253', zones: [] });

  it('signs root, TLDs and public zones quickly, each verifying on its own', async () => {
    const started = performance.now();
    const { internet } = await signInternet(plan, workDir());
    expect(performance.now() - started).toBeLessThan(2000);
    const dir = workDir();
    for (const z of internet.servers.flatMap((s) => s.zones).filter((z) => z.signed)) {
      const file = join(dir, `${z.origin || 'root'}.zone`);
      writeFileSync(file, zoneText(z));
      expect(() => execFileSync('ldns-verify-zone', [file], { stdio: 'pipe' }), `zone ${z.origin || '.'}`).not.toThrow();
      expect(z.records.some((r) => r.type === 'RRSIG')).toBe(true);
    }
  });

  it('puts in each parent the DS of its signed children and none for unsigned ones', async () => {
    const { internet, trustAnchor } = await signInternet(plan, workDir());
    const zones = new Map(internet.servers.flatMap((s) => s.zones).map((z) => [z.origin, z]));
    const keyOf = (origin: string) => zones.get(origin)!.records.find((r) => r.name === origin && r.type === 'DNSKEY')!.data;
    const dsIn = (parent: string, child: string) => zones.get(parent)!.records.filter((r) => r.name === child && r.type === 'DS').map((r) => r.data.split(' ')[3]);
    expect(dsIn('', 'io')).toEqual([dsDigest('io', keyOf('io'))]);
    expect(dsIn('io', 'example.io')).toEqual([dsDigest('example.io', keyOf('example.io'))]);
    // example.net is delegated by net., where a DS for it would go: the cut is there, the DS is not.
    expect(zones.get('net')!.records.some((r) => r.name === 'example.net' && r.type === 'NS')).toBe(true);
    expect(dsIn('net', 'example.net')).toEqual([]);
    expect(dsIn('', 'net')).toEqual([dsDigest('net', keyOf('net'))]);
    expect(zones.get('example.net')!.records.some((r) => ['RRSIG', 'DNSKEY', 'NSEC'].includes(r.type))).toBe(false);
    // The delegation to the unsigned zone is proven insecure: an NSEC at the cut without DS.
    const nsec = zones.get('net')!.records.find((r) => r.name === 'example.net' && r.type === 'NSEC')!;
    expect(nsec.data).toMatch(/ NS /);
    expect(nsec.data).not.toMatch(/ DS /);
    // The trust anchor is the root's key.
    expect(trustAnchor.ds).toHaveLength(1);
    expect(trustAnchor.ds[0]!.split(/\s+/).slice(0, 4)).toEqual(['.', '3600', 'IN', 'DS']);
    expect(trustAnchor.ds[0]!.split(/\s+/)[7]).toBe(dsDigest('', keyOf('')));
  });

  it('puts the DS of example.net in net. once example.net is signed: the check above can see one', async () => {
    const both = planSimulatedInternet([zone('example.io'), zone('example.net')], { address: '169.254.169.253', zones: [] });
    const { internet } = await signInternet(both, workDir());
    const zones = new Map(internet.servers.flatMap((s) => s.zones).map((z) => [z.origin, z]));
    const key = zones.get('example.net')!.records.find((r) => r.name === 'example.net' && r.type === 'DNSKEY')!.data;
    const ds = zones.get('net')!.records.filter((r) => r.name === 'example.net' && r.type === 'DS').map((r) => r.data.split(' ')[3]);
    expect(ds).toEqual([dsDigest('example.net', key)]);
  });

  it('makes new keys for every run', async () => {
    const [a, b] = await Promise.all([signInternet(plan, workDir()), signInternet(plan, workDir())]);
    expect(a.trustAnchor.dnskey[0]).not.toBe(b.trustAnchor.dnskey[0]);
  });

  it('keeps a key for an unsigned root, so a validating resolver finds the chain broken', async () => {
    const unsigned = { ...plan, servers: plan.servers.map((s) => ({ ...s, zones: s.zones.map((z) => ({ ...z, signed: false })) })) };
    const { internet, trustAnchor } = await signInternet(unsigned, workDir());
    expect(trustAnchor.ds).toHaveLength(1);
    expect(internet.servers.flatMap((s) => s.zones).flatMap((z) => z.records).some((r) => ['RRSIG', 'DNSKEY', 'DS'].includes(r.type))).toBe(false);
  });
});
