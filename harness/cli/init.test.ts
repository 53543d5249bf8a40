import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { kindOfConfig } from './init.js';

describe('init: the resolver kind from a config', () => {
  it('tells the resolvers apart by what their configs say', () => {
    expect(kindOfConfig('# a cache\nserver:\n    interface: 127.0.0.1\n')).toBe('unbound');
    expect(kindOfConfig('forward-zone:\n  name: "."\n  forward-addr: 8.8.8.8\n')).toBe('unbound');
    expect(kindOfConfig('no-resolv\nserver=169.254.169.253\ncache-size=1000\n')).toBe('dnsmasq');
    expect(kindOfConfig('options {\n  directory "/var/cache/bind";\n};\n')).toBe('bind');
    expect(kindOfConfig("net.listen('127.0.0.1', 53)\nmodules.load('hints')\n")).toBe('knot-resolver');
    expect(kindOfConfig('local-address=127.0.0.1\nforward-zones=internal.example.io=169.254.169.253\n')).toBe('pdns-recursor');
    expect(kindOfConfig('# server: only in a comment\nhello\n')).toBeUndefined();
  });

  it("knows the shipped images' own main configs, Debian's stock named.conf of includes only among them", () => {
    const main: Record<string, string> = {
      'fixtures/images/incident/unbound.conf': 'unbound',
      'fixtures/images/dnsmasq-incident/dnsmasq.conf': 'dnsmasq',
      'fixtures/images/kresd-incident/kresd.conf': 'knot-resolver',
      'fixtures/images/bind-incident/named.conf': 'bind',
      'fixtures/images/pdns-incident/recursor.conf': 'pdns-recursor',
    };
    for (const [file, kind] of Object.entries(main)) expect(kindOfConfig(readFileSync(file, 'utf8')), file).toBe(kind);
  });
});
