// The prepared config against the real unbound-checkconf: Debian's stock tree
// passes with the substitutions, and an error in an included file is reported
// at the image's file and line, not at the copy in the run directory.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../../test/temp-dirs.js';
import { InputError } from '../errors.js';
import { unbound } from './unbound.js';
import { loadUnboundConfig } from './unbound-config.js';
import { onPath } from '../../test/on-path.js';

const skip = onPath('unbound-checkconf') ? undefined : 'needs unbound-checkconf (Debian package unbound)';
if (skip) console.warn(`SKIPPED unbound config checks: ${skip}`);

const DEBIAN = resolve('fixtures/images/debian-default/etc/unbound');
const TA = { ds: ['.\t3600\tIN\tDS\t12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'], dnskey: ['.\t3600\tIN\tDNSKEY\t257 3 13 AAAA'] };
const tmp = tempDirs('unbound-it');

function writePrepared(files: readonly { path: string; text: string }[]): void {
  for (const f of files) {
    mkdirSync(dirname(f.path), { recursive: true });
    writeFileSync(f.path, f.text);
  }
}

describe.skipIf(!!skip)('unbound config, checked by unbound-checkconf', () => {
  it("accepts Debian's stock tree with the substitutions", async () => {
    const run = tmp();
    const prepared = unbound.prepare(loadUnboundConfig(join(DEBIAN, 'unbound.conf'), DEBIAN), { rootHintsFile: join(run, 'root.hints'), workDir: run, configDir: join(run, 'host'), trustAnchor: TA });
    writeFileSync(join(run, 'root.hints'), '.\t3600000\tIN\tNS\ta.root-servers.test.\na.root-servers.test.\t3600000\tIN\tA\t198.51.100.1\n');
    writePrepared(prepared.files);
    await expect(unbound.check(prepared)).resolves.toBeUndefined();
    expect(prepared.substitutions.filter((s) => s.line !== undefined).map((s) => s.option)).toEqual(['include-toplevel', 'remote-control.control-enable', 'auto-trust-anchor-file']);
  });

  it("names the image's included file and line when unbound-checkconf rejects it", async () => {
    const image = tmp();
    const run = tmp();
    mkdirSync(join(image, 'conf.d'));
    writeFileSync(join(image, 'unbound.conf'), 'server:\n    verbosity: 1\ninclude: "/etc/unbound/conf.d/*.conf"\n');
    writeFileSync(join(image, 'conf.d/threads.conf'), '    # threads\n    num-threads: lots\n');
    const prepared = unbound.prepare(loadUnboundConfig(join(image, 'unbound.conf'), image), { rootHintsFile: join(run, 'root.hints'), workDir: run, configDir: join(run, 'host') });
    writePrepared(prepared.files);
    const err = await unbound.check(prepared).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toBe(`${join(image, 'conf.d/threads.conf')}:2: unbound-checkconf: error: number expected`);
  });
});

// The fixture is Debian's tree as the package ships it: the same bytes as the
// conffiles dpkg recorded for the unbound installed here.
const conffiles = (() => {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Conffiles}', 'unbound'], { encoding: 'utf8' });
  } catch {
    return '';
  }
})();
const skipDpkg = conffiles.includes('/etc/unbound/unbound.conf ') ? undefined : "needs Debian's unbound package installed (dpkg-query)";
if (skipDpkg) console.warn(`SKIPPED Debian fixture check: ${skipDpkg}`);

describe.skipIf(!!skipDpkg)('fixtures/images/debian-default', () => {
  it("holds the unbound package's /etc/unbound conffiles unmodified", () => {
    const listed = conffiles.trim().split('\n').map((l) => l.trim().split(/\s+/)).filter(([p]) => p!.startsWith('/etc/unbound/'));
    expect(listed.length).toBeGreaterThan(0);
    for (const [path, md5] of listed) {
      const fixture = join(DEBIAN, path!.slice('/etc/unbound/'.length));
      expect(createHash('md5').update(readFileSync(fixture)).digest('hex'), fixture).toBe(md5);
    }
  });
});
