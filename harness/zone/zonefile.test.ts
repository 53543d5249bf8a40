import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { filesRoot } from '../scenario/confine.js';
import { expandIncludes, formatRecord, fqdn, isAtOrBelow, loadZone, parseCanonical, type ZoneRecord } from './zonefile.js';

describe('parseCanonical', () => {
  it('reads ldns-read-zone lines into lower-case owners without the trailing dot', () => {
    const text = [
      'example.io.\t300\tIN\tSOA\tns1.example.io. hostmaster.example.io. 2024110501 3600 600 86400 300',
      'example.io.\t300\tIN\tNS\tns1.example.io.',
      'WWW.Example.io.\t60\tIN\tA\t203.0.113.80',
      'example.io.\t300\tIN\tmx\t10 Mail.Example.IO.',
      'txt.example.io.\t300\tIN\tTXT\t"Hello World" "second string"',
      '',
    ].join('\n');
    expect(parseCanonical(text)).toEqual([
      { name: 'example.io', ttl: 300, type: 'SOA', data: 'ns1.example.io. hostmaster.example.io. 2024110501 3600 600 86400 300' },
      { name: 'example.io', ttl: 300, type: 'NS', data: 'ns1.example.io.' },
      { name: 'www.example.io', ttl: 60, type: 'A', data: '203.0.113.80' },
      // RDATA is left as written: normalisation happens when comparing.
      { name: 'example.io', ttl: 300, type: 'MX', data: '10 Mail.Example.IO.' },
      { name: 'txt.example.io', ttl: 300, type: 'TXT', data: '"Hello World" "second string"' },
    ]);
  });

  it('skips comments, blank lines and lines that are not records', () => {
    const text = '; generated\n\n$ORIGIN example.io.\nwww.example.io. 300 IN A 192.0.2.1\nnot a record\n';
    expect(parseCanonical(text)).toEqual([{ name: 'www.example.io', ttl: 300, type: 'A', data: '192.0.2.1' }]);
  });

  it('reads the root owner "." as the empty name', () => {
    expect(parseCanonical('.\t3600\tIN\tNS\ta.root-servers.test.')).toEqual([{ name: '', ttl: 3600, type: 'NS', data: 'a.root-servers.test.' }]);
  });
});

describe('formatRecord', () => {
  it('writes one tab-separated, fully qualified line that parseCanonical reads back', () => {
    const records: ZoneRecord[] = [
      { name: '', ttl: 3600, type: 'NS', data: 'a.root-servers.test.' },
      { name: 'example.io', ttl: 300, type: 'SOA', data: 'ns1.example.io. hostmaster.example.io. 1 3600 600 86400 300' },
      { name: 'www.example.io', ttl: 300, type: 'AAAA', data: '2001:db8::80' },
      { name: 'txt.example.io', ttl: 300, type: 'TXT', data: '"Hello World"' },
    ];
    expect(formatRecord(records[2]!)).toBe('www.example.io.\t300\tIN\tAAAA\t2001:db8::80');
    expect(formatRecord(records[0]!)).toBe('.\t3600\tIN\tNS\ta.root-servers.test.');
    expect(parseCanonical(records.map(formatRecord).join('\n'))).toEqual(records);
  });
});

describe('fqdn and isAtOrBelow', () => {
  it('handle the root and label boundaries', () => {
    expect(fqdn('')).toBe('.');
    expect(fqdn('example.io')).toBe('example.io.');
    expect(isAtOrBelow('www.example.io', 'example.io')).toBe(true);
    expect(isAtOrBelow('example.io', 'example.io')).toBe(true);
    expect(isAtOrBelow('anything', '')).toBe(true);
    expect(isAtOrBelow('badexample.io', 'example.io')).toBe(false);
  });
});

const onPath = (bin: string): boolean =>
  (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, bin), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
const missing = ['nsd-checkzone', 'ldns-read-zone'].filter((b) => !onPath(b));
if (missing.length > 0) {
  console.warn(`SKIPPED loadZone tests: not on PATH: ${missing.join(', ')} (Debian packages nsd, ldnsutils)`);
}

describe('loadZone (runs nsd-checkzone and ldns-read-zone)', () => {
  let dir: string;
  const WHERE = { file: '/scenarios/s.yaml', line: 12, field: 'network.public.zones.0.file' };
  const write = (name: string, lines: string[]): string => {
    const file = join(dir, name);
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dnsparity-zone-test-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(missing.length > 0)('loads a good zone with fully qualified, lower-case owners', async () => {
    const file = write('example.io.zone', [
      '$TTL 300',
      '@       IN SOA  ns1 hostmaster 2024110501 3600 600 86400 300',
      '@       IN NS   ns1',
      'ns1     IN A    198.51.100.53',
      'WWW     IN A    203.0.113.80',
      'Mail    IN MX   10 mx.example.io.',
    ]);
    const zone = await loadZone('example.io', file, WHERE);
    expect(zone.origin).toBe('example.io');
    expect(zone.file).toBe(file);
    expect(zone.records.map((x) => `${x.name} ${x.ttl} ${x.type} ${x.data}`)).toEqual([
      'example.io 300 SOA ns1.example.io. hostmaster.example.io. 2024110501 3600 600 86400 300',
      'example.io 300 NS ns1.example.io.',
      'ns1.example.io 300 A 198.51.100.53',
      'www.example.io 300 A 203.0.113.80',
      'mail.example.io 300 MX 10 mx.example.io.',
    ]);
  });

  it.skipIf(missing.length > 0)('names the file and line of a bad IPv4 address', async () => {
    const file = write('bad-a.zone', [
      '$TTL 300',
      '@    IN SOA ns1 hostmaster 1 3600 600 86400 300',
      'ns1  IN A   198.51.100.300',
      '@    IN NS  ns1',
    ]);
    const err = await loadZone('example.io', file, WHERE).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    const e = err as InputError;
    expect(e.location).toEqual({ file, line: 3 });
    expect(e.message).toContain(`${file}:3: zone example.io:`);
    expect(e.message).toContain('198.51.100.300');
    // The hint points back at the scenario that named the file.
    expect(e.hint).toContain('/scenarios/s.yaml:12');
  });

  it.skipIf(missing.length > 0)('rejects a zone without an SOA record', async () => {
    const file = write('no-soa.zone', ['$TTL 300', '@    IN NS  ns1', 'ns1  IN A   198.51.100.53']);
    const err = await loadZone('example.io', file, WHERE).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toContain(file);
    expect((err as InputError).message).toMatch(/no SOA/);
  });

  it.skipIf(missing.length > 0)('rejects a record outside the zone', async () => {
    const file = write('outside.zone', [
      '$TTL 300',
      '@    IN SOA ns1 hostmaster 1 3600 600 86400 300',
      '@    IN NS  ns1',
      'ns1  IN A   198.51.100.53',
      'www.other.net.  IN A  192.0.2.1',
    ]);
    const err = await loadZone('example.io', file, WHERE).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).location).toEqual({ file, line: 5 });
  });
});

describe('$INCLUDE: expanded here, confined to the files root', () => {
  let dir: string;
  let outsideDir: string;
  const WHERE = { file: '/scenarios/s.yaml', line: 12, field: 'network.public.zones[0].file' };
  const SECRET = 'secret-token-that-must-not-be-echoed';
  const head = ['$TTL 300', '@    IN SOA ns1 hostmaster 1 3600 600 86400 300', '@    IN NS  ns1'];
  const fail = (p: Promise<unknown>) => p.then(() => { throw new Error('expected an InputError'); }, (e: unknown) => e as InputError);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dnsparity-include-test-'));
    outsideDir = mkdtempSync(join(tmpdir(), 'dnsparity-include-outside-'));
    mkdirSync(join(dir, 'parts'));
    writeFileSync(join(dir, 'parts/hosts.zone'), 'ns1  IN A 198.51.100.53\nwww  IN A 203.0.113.80\n');
    writeFileSync(join(dir, 'parts/sub.zone'), 'db   IN A 10.0.0.5\n');
    writeFileSync(join(outsideDir, 'secret'), `${SECRET} IN A 192.0.2.1\n`);
    symlinkSync(join(outsideDir, 'secret'), join(dir, 'parts/link.zone'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outsideDir, { recursive: true, force: true });
  });

  it('expands includes relative to the including file, with an origin, and maps lines back', () => {
    const file = join(dir, 'main.zone');
    writeFileSync(file, [...head, '$INCLUDE parts/hosts.zone ; the hosts', '$INCLUDE "parts/sub.zone" internal', 'mail IN A 203.0.113.25', ''].join('\n'));
    const e = expandIncludes(file, 'example.io', filesRoot(dir, false), WHERE);
    const lines = e.text.split('\n');
    expect(lines).toContain('$ORIGIN internal.example.io.');
    // The origin reverts after the include (RFC 1035 5.1).
    expect(lines.slice(lines.indexOf('db   IN A 10.0.0.5')).find((l) => l.startsWith('$ORIGIN'))).toBe('$ORIGIN example.io.');
    expect(e.sources[lines.indexOf('www  IN A 203.0.113.80')]).toEqual({ file: join(dir, 'parts/hosts.zone'), line: 2 });
    expect(e.sources[lines.indexOf('mail IN A 203.0.113.25')]).toEqual({ file, line: 6 });
    expect(lines.some((l) => /\$include/i.test(l))).toBe(false);
  });

  it.skipIf(missing.length > 0)('loads a zone whose records come from includes', async () => {
    const file = join(dir, 'main.zone');
    writeFileSync(file, [...head, '$INCLUDE parts/hosts.zone', '$include parts/sub.zone internal', ''].join('\n'));
    const z = await loadZone('example.io', file, WHERE, filesRoot(dir, false));
    expect(z.records.map((r) => r.name)).toEqual(expect.arrayContaining(['www.example.io', 'db.internal.example.io']));
  });

  it.skipIf(missing.length > 0)('maps a checker error in an included file to that file and line', async () => {
    writeFileSync(join(dir, 'parts/bad.zone'), 'ok  IN A 192.0.2.1\nbad IN A 192.0.2.300\n');
    const file = join(dir, 'bad-main.zone');
    writeFileSync(file, [...head, 'ns1 IN A 198.51.100.53', '$INCLUDE parts/bad.zone', ''].join('\n'));
    const e = await fail(loadZone('example.io', file, WHERE, filesRoot(dir, false)));
    expect(e.location).toEqual({ file: join(dir, 'parts/bad.zone'), line: 2 });
  });

  it('refuses an absolute include outside the root, naming the line, without reading it', () => {
    const file = join(dir, 'abs.zone');
    writeFileSync(file, [...head, `$INCLUDE ${join(outsideDir, 'secret')}`, ''].join('\n'));
    let e: InputError | undefined;
    try {
      expandIncludes(file, 'example.io', filesRoot(dir, false), WHERE);
    } catch (x) {
      e = x as InputError;
    }
    expect(e).toBeInstanceOf(InputError);
    expect(e!.location).toEqual({ file, line: 4, field: '$INCLUDE' });
    expect(e!.message).toMatch(/lies outside the scenario's files root/);
    expect(e!.message + String(e!.hint)).not.toContain(SECRET);
  });

  it('refuses a relative include that climbs out, and a symlink that points out', () => {
    for (const [name, target] of [['dots.zone', `../${basename(outsideDir)}/secret`], ['link.zone', 'parts/link.zone']] as const) {
      const file = join(dir, name);
      writeFileSync(file, [...head, `$INCLUDE ${target}`, ''].join('\n'));
      expect(() => expandIncludes(file, 'example.io', filesRoot(dir, false), WHERE)).toThrow(/lies outside the scenario's files root/);
    }
  });

  it('refuses a zone file that is itself a symlink out of the root, a cycle, and a malformed directive', () => {
    expect(() => expandIncludes(join(dir, 'parts/link.zone'), 'example.io', filesRoot(dir, false), WHERE)).toThrow(/outside/);
    const loop = join(dir, 'loop.zone');
    writeFileSync(loop, [...head, '$INCLUDE loop.zone', ''].join('\n'));
    expect(() => expandIncludes(loop, 'example.io', filesRoot(dir, false), WHERE)).toThrow(/cycle/);
    const bad = join(dir, 'malformed.zone');
    writeFileSync(bad, [...head, '$INCLUDE "unterminated', ''].join('\n'));
    expect(() => expandIncludes(bad, 'example.io', filesRoot(dir, false), WHERE)).toThrow(/expected "\$INCLUDE <file> \[<origin>\]"/);
    // Read wider than nsd reads it: whatever follows "$INCLUDE" is taken as the file.
    const glued = join(dir, 'glued.zone');
    writeFileSync(glued, [...head, `  $include${join(outsideDir, 'secret')}`, ''].join('\n'));
    expect(() => expandIncludes(glued, 'example.io', filesRoot(dir, false), WHERE)).toThrow(/outside/);
  });
});
