// The prepared config against the real kresd: the config load check (kresd
// loading the wrapper and the image's copy, in a network namespace of its own,
// then quitting) accepts the shipped images, and an error in a file the
// config runs is reported at the image's file and line, not at the copy.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../../test/temp-dirs.js';
import { InputError } from '../errors.js';
import { kresd } from './kresd.js';
import { onPath } from '../../test/on-path.js';

const skip = !onPath('kresd') ? 'needs kresd (Debian package knot-resolver)' : process.getuid?.() !== 0 ? 'needs root: the check loads the config in a network namespace of its own' : undefined;
if (skip) console.warn(`SKIPPED kresd config checks: ${skip}`);

const TA = { ds: ['.\t3600\tIN\tDS\t12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'], dnskey: ['.\t3600\tIN\tDNSKEY\t257 3 13 AAAA'] };
const tmp = tempDirs('kresd-it');
const prepareIn = (main: string, root: string, run = tmp()) => {
  writeFileSync(join(run, 'root.hints'), '.\t3600000\tIN\tNS\ta.root-servers.test.\na.root-servers.test.\t3600000\tIN\tA\t198.51.100.1\n');
  const p = kresd.prepare(kresd.load(main, root), { rootHintsFile: join(run, 'root.hints'), workDir: run, configDir: join(run, 'host'), trustAnchor: TA });
  for (const f of p.files) {
    mkdirSync(dirname(f.path), { recursive: true });
    writeFileSync(f.path, f.text);
  }
  return p;
};

describe.skipIf(!!skip)('kresd config, checked by loading it in kresd', () => {
  it("accepts the shipped images (Debian's stock kresd.conf, and the fix) with the substitutions", async () => {
    for (const image of ['kresd-incident', 'kresd-fix']) {
      const root = resolve('fixtures/images', image);
      await expect(kresd.check(prepareIn(join(root, 'kresd.conf'), root))).resolves.toBeUndefined();
    }
  });

  it("reports an error in a file the config runs at the image's file and line", async () => {
    const root = tmp();
    writeFileSync(join(root, 'kresd.conf'), "-- main\ndofile('/etc/knot-resolver/local.lua')\n");
    writeFileSync(join(root, 'local.lua'), "net.listen('127.0.0.1', 53)\n\npolicy.add(policy.suffix(policy.STUB(), nil)\n");
    const err = await kresd.check(prepareIn(join(root, 'kresd.conf'), root)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message, (err as InputError).message).toMatch(new RegExp(`^${join(root, 'local.lua').replace(/[.]/g, '\\.')}:[34]: kresd config load: `));
    expect((err as InputError).message).not.toContain('/host/');
  });
});
