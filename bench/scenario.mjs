// Generated scenarios for benchmarks: a public zone of N names and two
// environments that both reach the simulated Internet, so time measures the
// harness and the resolvers, not the stub's timeouts.
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);

export function scaleScenario(n) {
  const dir = mkdtempSync(join(tmpdir(), `dnsparity-bench-${n}-`));
  mkdirSync(join(dir, 'zones'));
  const lines = ['$TTL 3600', '@ IN SOA ns1 hostmaster 1 3600 600 86400 300', '@ IN NS ns1', 'ns1 IN A 198.51.100.53'];
  for (let i = 0; i < n; i++) lines.push(`h${i} IN A 203.0.113.${(i % 250) + 1}`);
  writeFileSync(join(dir, 'zones/bench.example.zone'), `${lines.join('\n')}\n`);
  cpSync(join(root, 'fixtures/zones/internal.example.io.zone'), join(dir, 'zones/internal.example.io.zone'));
  cpSync(join(root, 'fixtures/images/stub-zone-fix/unbound.conf'), join(dir, 'unbound.conf'));
  writeFileSync(join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\noptions timeout:2 attempts:1\n');
  const file = join(dir, 'scale.yaml');
  writeFileSync(
    file,
    `name: scale-${n}
resolver:
  config: unbound.conf
stub:
  resolvConf: resolv.conf
network:
  provider:
    zones:
      - { origin: internal.example.io, file: zones/internal.example.io.zone }
  public:
    zones:
      - { origin: bench.example, file: zones/bench.example.zone }
environments:
  - { name: production, egress: allow, reference: true }
  - { name: replica, egress: allow }
queries:
  publicZones: true
`,
  );
  return { dir, file };
}
