import { describe, expect, it } from 'vitest';
import { hostEffects } from './unbound-host.js';
import type { UnboundConfig } from './unbound-config.js';

const config = (text: string, more: string[] = []): UnboundConfig => ({
  kind: 'unbound',
  main: '/img/unbound.conf',
  root: '/img',
  files: [{ path: '/img/unbound.conf', text, includes: [] }, ...more.map((t, i) => ({ path: `/img/inc${i}.conf`, text: t, includes: [] }))],
});

describe('hostEffects', () => {
  it('finds zone files, scripts, keys and code modules, in every file, with the line', () => {
    const effects = hostEffects(config('server:\n    module-config: "python validator iterator"\n    python-script: "/etc/unbound/x.py"\n', ['auth-zone:\n    name: corp.example\n    zonefile: "/etc/shadow"\n']));
    expect(effects).toEqual([
      { file: '/img/unbound.conf', line: 2, option: 'module-config', value: 'python validator iterator', kind: 'runs code' },
      { file: '/img/unbound.conf', line: 3, option: 'python-script', value: '/etc/unbound/x.py', kind: 'reads a file' },
      { file: '/img/inc0.conf', line: 3, option: 'auth-zone.zonefile', value: '/etc/shadow', kind: 'reads a file' },
    ]);
  });

  it('leaves alone what the harness substitutes or what reads nothing of the machine', () => {
    const text = 'server:\n    module-config: "validator iterator"\n    auto-trust-anchor-file: "/var/lib/unbound/root.key"\n    tls-cert-bundle: /etc/ssl/certs/ca-certificates.crt\n    # python-script: x.py\nauth-zone:\n    name: "."\n    url: "http://example/root.zone"\n';
    expect(hostEffects(config(text))).toEqual([]);
  });
});
