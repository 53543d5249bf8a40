import { describe, expect, it } from 'vitest';
import { proposeUnboundFix } from './unbound-fix.js';

const config = (text: string, more: { path: string; text: string }[] = []) => ({ main: '/etc/unbound/unbound.conf', root: '/etc/unbound', files: [{ path: '/etc/unbound/unbound.conf', text, includes: [] }, ...more.map((m) => ({ ...m, includes: [] }))] });
const target = { zones: ['internal.example.io'], provider: '169.254.169.253' };

describe("unbound's suggested fix", () => {
  it('appends a forward-zone to the provider for each zone, to a copy of the main file', () => {
    const c = config('server:\n    interface: 127.0.0.1\n');
    const p = proposeUnboundFix(c, { zones: ['internal.example.io', 'corp.internal'], provider: '169.254.169.253' });
    if (!p.ok) throw new Error(p.why);
    expect(p.config.files[0]!.text).toBe('server:\n    interface: 127.0.0.1\n\n# Route the private zone(s) to the provider\'s resolver, which alone serves\n# them: the same answer whether or not the Internet is reachable.\nforward-zone:\n    name: "internal.example.io"\n    forward-addr: 169.254.169.253\nforward-zone:\n    name: "corp.internal"\n    forward-addr: 169.254.169.253\n');
    expect(c.files[0]!.text).toBe('server:\n    interface: 127.0.0.1\n');
    expect(p.zones).toEqual(['internal.example.io', 'corp.internal']);
  });

  it('adds domain-insecure where the config validates, in whichever file says so, and private-domain where it strips private addresses', () => {
    const p = proposeUnboundFix(config('server:\n    private-address: 10.0.0.0/8\ninclude: "/etc/unbound/unbound.conf.d/*.conf"\n', [{ path: '/etc/unbound/unbound.conf.d/root-auto-trust-anchor-file.conf', text: 'server:\n    auto-trust-anchor-file: "/var/lib/unbound/root.key"\n' }]), target);
    if (!p.ok) throw new Error(p.why);
    expect(p.config.files[0]!.text).toContain('server:\n    domain-insecure: "internal.example.io"\n    private-domain: "internal.example.io"\nforward-zone:');
    expect(p.summary).toBe("forward-zone for internal.example.io to the provider's resolver 169.254.169.253, with domain-insecure and private-domain");
  });

  it("lets a zone inside one of unbound's built-in local zones be asked (local-zone nodefault)", () => {
    const p = proposeUnboundFix(config('server:\n'), { zones: ['30.20.10.in-addr.arpa', 'lab.home.arpa'], provider: '169.254.169.253' });
    if (!p.ok) throw new Error(p.why);
    expect(p.config.files[0]!.text).toContain('    local-zone: "10.in-addr.arpa." nodefault\n    local-zone: "home.arpa." nodefault\n');
  });

  it('proposes nothing for a zone the config already routes', () => {
    const p = proposeUnboundFix(config('server:\nstub-zone:\n    name: "internal.example.io."\n    stub-addr: 192.0.2.1\n'), target);
    expect(p).toEqual({ ok: false, why: 'the config already routes internal.example.io (stub-zone); no forward-zone to add' });
  });
});
