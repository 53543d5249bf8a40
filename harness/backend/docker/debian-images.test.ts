import { describe, expect, it } from 'vitest';
import { RESOLVERS } from '../../resolver/registry.js';
import { debianHostSpec, debianImageTag } from './debian-images.js';

describe('Debian images of the docker backend', () => {
  it('are tagged by what goes into them, whatever order the packages are named in', () => {
    const a = debianImageTag({ name: 'host-dnsmasq', packages: ['dnsmasq-base'] });
    expect(a).toMatch(/^dnsparity\/host-dnsmasq:[0-9a-f]{12}$/);
    expect(debianImageTag({ name: 'host-dnsmasq', packages: ['dnsmasq-base'] })).toBe(a);
    expect(debianImageTag({ name: 'host-dnsmasq', packages: ['dnsmasq-base', 'ldnsutils'] })).not.toBe(a);
    expect(debianImageTag({ name: 'x', packages: ['b', 'a'] }).split(':')[1]).toBe(debianImageTag({ name: 'x', packages: ['a', 'b'] }).split(':')[1]);
  });

  it("are the host of each resolver kind that names Debian packages, and of no other", () => {
    for (const r of RESOLVERS) {
      if (r.dockerHost?.debianPackages) expect(debianHostSpec(r.kind)).toEqual({ name: `host-${r.kind}`, packages: r.dockerHost.debianPackages });
      else expect(() => debianHostSpec(r.kind)).toThrow(/has no Debian host image/);
    }
    expect(() => debianHostSpec('named')).toThrow(/not a resolver kind/);
  });
});
