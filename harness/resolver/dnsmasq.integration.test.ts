// The prepared config against the real `dnsmasq --test`: the shipped images
// pass with the substitutions (a repeated option would not), and an error in
// an included file is reported at the image's file and line, not at the copy.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../../test/temp-dirs.js';
import { InputError } from '../errors.js';
import { dnsmasq } from './dnsmasq.js';
import { onPath } from '../../test/on-path.js';

const skip = onPath('dnsmasq') ? undefined : 'needs dnsmasq (Debian package dnsmasq-base)';
if (skip) console.warn(`SKIPPED dnsmasq config checks: ${skip}`);

const TA = { ds: ['.\t3600\tIN\tDS\t12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF'], dnskey: ['.\t3600\tIN\tDNSKEY\t257 3 13 AAAA'] };
const RESOLV = { text: 'nameserver 127.0.0.1\nnameserver 169.254.169.253\n', source: 'fixtures/stub/resolv.conf' };
const tmp = tempDirs('dnsmasq-it');
const prepareIn = (main: string, root: string, run = tmp()) => {
  const p = dnsmasq.prepare(dnsmasq.load(main, root), { rootHintsFile: join(run, 'root.hints'), workDir: run, configDir: join(run, 'host'), trustAnchor: TA, resolvConf: RESOLV });
  for (const f of p.files) {
    mkdirSync(dirname(f.path), { recursive: true });
    writeFileSync(f.path, f.text);
  }
  return p;
};

describe.skipIf(!!skip)('dnsmasq config, checked by dnsmasq --test', () => {
  it('accepts the shipped images with the substitutions', async () => {
    for (const image of ['dnsmasq-incident', 'dnsmasq-fix']) {
      const root = resolve('fixtures/images', image);
      await expect(dnsmasq.check(prepareIn(join(root, 'dnsmasq.conf'), root))).resolves.toBeUndefined();
    }
  });

  it("accepts a validating config with Debian's trust-anchor file, given the simulated root's anchor", async () => {
    const root = tmp();
    writeFileSync(join(root, 'dnsmasq.conf'), 'dnssec\nconf-file=/usr/share/dnsmasq-base/trust-anchors.conf\nserver=8.8.8.8\nuser=dnsmasq\nlog-facility=/var/log/dnsmasq.log\n');
    await expect(dnsmasq.check(prepareIn(join(root, 'dnsmasq.conf'), root))).resolves.toBeUndefined();
  });

  it("reports an error in an included file at the image's file and line", async () => {
    const root = tmp();
    mkdirSync(join(root, 'dnsmasq.d'));
    writeFileSync(join(root, 'dnsmasq.conf'), '# main\nconf-dir=/etc/dnsmasq.d,*.conf\n');
    writeFileSync(join(root, 'dnsmasq.d/bad.conf'), 'server=8.8.8.8\n\nno-such-option=1\n');
    const err = await dnsmasq.check(prepareIn(join(root, 'dnsmasq.conf'), root)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toBe(`${join(root, 'dnsmasq.d/bad.conf')}:3: dnsmasq --test: bad option`);
  });
});
