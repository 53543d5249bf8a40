// The prepared configs against the resolvers' own checkers: Debian's stock
// trees (fixtures/images/bind-incident, pdns-incident) pass with the
// substitutions, and an error in an included file is reported at the image's
// file and line, not at the copy in the run directory.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../../test/temp-dirs.js';
import { InputError } from '../errors.js';
import { checkBind, prepareBindConfig } from './bind.js';
import { loadBindConfig } from './bind-config.js';
import { checkPdns, preparePdnsConfig } from './pdns.js';
import { loadPdnsConfig } from './pdns-config.js';
import type { PreparedConfig } from './types.js';
import { onPath } from '../../test/on-path.js';

const skipBind = onPath('named-checkconf') ? undefined : 'needs named-checkconf (Debian package bind9-utils)';
const skipPdns = onPath('pdns_recursor') ? undefined : 'needs pdns_recursor (Debian package pdns-recursor)';
if (skipBind) console.warn(`SKIPPED named.conf checks: ${skipBind}`);
if (skipPdns) console.warn(`SKIPPED recursor.conf checks: ${skipPdns}`);

// A real key, so named-checkconf's base64 and key checks apply.
const TA = {
  ds: ['.\t3600\tIN\tDS\t16015 13 2 3c12be4e5396f6f7449dd0e83bf9334827dde12c2e03ecc0bbaa822a78921d33'],
  dnskey: ['.\t3600\tIN\tDNSKEY\t257 3 13 0zEawGnVi6GyO9Qdr3Xk7XxvtajGRV5CAboxM8EfD2voDWkiGigVVF+zJ3GlClSWFZfhdVxyaFJLR8Sdh1ONxg=='],
};
const tmp = tempDirs('bind-pdns-it');
function writePrepared(p: PreparedConfig, run: string): void {
  for (const f of p.files) {
    mkdirSync(dirname(f.path), { recursive: true });
    writeFileSync(f.path, f.text);
  }
  writeFileSync(join(run, 'root.hints'), '.\t3600000\tIN\tNS\ta.root-servers.test.\na.root-servers.test.\t3600000\tIN\tA\t198.51.100.1\n');
}
const ctx = (run: string) => ({ rootHintsFile: join(run, 'root.hints'), workDir: run, configDir: join(run, 'host'), trustAnchor: TA });

describe.skipIf(!!skipBind)('named.conf, checked by named-checkconf', () => {
  for (const image of ['bind-incident', 'bind-forward-zone-fix']) {
    it(`accepts fixtures/images/${image} with the substitutions`, async () => {
      const root = resolve('fixtures/images', image);
      const run = tmp();
      const p = prepareBindConfig(loadBindConfig(join(root, 'named.conf'), root), ctx(run));
      writePrepared(p, run);
      await expect(checkBind(p)).resolves.toBeUndefined();
    });
  }

  it("names the image's included file and line when named-checkconf rejects it", async () => {
    const image = tmp();
    const run = tmp();
    writeFileSync(join(image, 'named.conf'), 'include "/etc/bind/named.conf.options";\n');
    writeFileSync(join(image, 'named.conf.options'), 'options {\n\tdirectory "/var/cache/bind";\n\tmax-cache-size lots;\n};\n');
    const p = prepareBindConfig(loadBindConfig(join(image, 'named.conf'), image), ctx(run));
    writePrepared(p, run);
    const err = await checkBind(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toMatch(new RegExp(`^${join(image, 'named.conf.options')}:3: named-checkconf: .*lots`));
  });
});

describe.skipIf(!!skipPdns)('recursor.conf, checked by pdns_recursor --config=check', () => {
  for (const image of ['pdns-incident', 'pdns-forward-zone-fix']) {
    it(`accepts fixtures/images/${image} with the substitutions`, async () => {
      const root = resolve('fixtures/images', image);
      const run = tmp();
      const p = preparePdnsConfig(loadPdnsConfig(join(root, 'recursor.conf'), root), ctx(run));
      writePrepared(p, run);
      for (const d of p.dirs ?? []) mkdirSync(d, { recursive: true });
      await expect(checkPdns(p)).resolves.toBeUndefined();
    });
  }

  it("names the image's include-dir file and line of a setting pdns does not know", async () => {
    const image = tmp();
    const run = tmp();
    mkdirSync(join(image, 'recursor.d'));
    writeFileSync(join(image, 'recursor.conf'), 'include-dir=/etc/powerdns/recursor.d\nquiet=yes\n');
    writeFileSync(join(image, 'recursor.d/tuning.conf'), '# tuning\nmax-cache-entrys=1000\n');
    const p = preparePdnsConfig(loadPdnsConfig(join(image, 'recursor.conf'), image), ctx(run));
    writePrepared(p, run);
    for (const d of p.dirs ?? []) mkdirSync(d, { recursive: true });
    const err = await checkPdns(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toBe(`${join(image, 'recursor.d/tuning.conf')}:2: max-cache-entrys: pdns_recursor --config=check: Trying to set unknown setting 'max-cache-entrys'`);
  });
});

// The BIND fixture is Debian's /etc/bind as the package ships it: the same bytes
// as the conffiles dpkg recorded (bind.keys and the generated rndc.key left
// out: the harness replaces the one, named never reads the other here).
// pdns-recursor's recursor.conf is no conffile (its maintainer scripts write it), so dpkg has no sum to compare.
const conffiles = (pkg: string) => {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Conffiles}', pkg], { encoding: 'utf8' });
  } catch {
    return '';
  }
};
for (const [pkg, prefix, fixture] of [
  ['bind9', '/etc/bind/', 'bind-incident'],
] as const) {
  const listed = conffiles(pkg).trim().split('\n').map((l) => l.trim().split(/\s+/)).filter(([p]) => p?.startsWith(prefix) && !/(rndc|bind)\.keys?$/.test(p));
  describe.skipIf(listed.length === 0)(`fixtures/images/${fixture}`, () => {
    it(`holds the ${pkg} package's ${prefix} conffiles unmodified`, () => {
      for (const [path, md5] of listed) {
        const f = resolve('fixtures/images', fixture, path!.slice(prefix.length));
        expect(createHash('md5').update(readFileSync(f)).digest('hex'), f).toBe(md5);
      }
    });
  });
}
