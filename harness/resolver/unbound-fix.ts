// unbound's suggested fix: a forward-zone per private zone to the provider's
// resolver (a recursive resolver, so forward rather than stub: it answers
// RD queries for its private zones and recurses for the rest of a split
// horizon), appended to the main config file, with what unbound needs beside
// it: domain-insecure where the config validates (the private zone is unsigned
// under a signed public parent, see validating-stub-zone-fix), private-domain
// where it strips private addresses, and local-zone nodefault where the zone
// lies in one of unbound's built-in local zones (AS112 reverse zones, test,
// home.arpa ...), which would answer NXDOMAIN without asking anyone.
import type { ConfigFiles, FixProposal, FixSuggester, FixTarget } from './suggest-fix.js';
import { parseStatement, unquote } from './unbound-config.js';

/** unbound's default local zones that a private zone may sit in (unbound.conf(5), local-zone). */
const BUILTIN_LOCAL_ZONES = [
  'localhost', 'test', 'invalid', 'onion', 'home.arpa',
  '10.in-addr.arpa', '168.192.in-addr.arpa', '254.169.in-addr.arpa', '0.in-addr.arpa', '127.in-addr.arpa',
  ...Array.from({ length: 16 }, (_, i) => `${16 + i}.172.in-addr.arpa`),
  ...Array.from({ length: 64 }, (_, i) => `${64 + i}.100.in-addr.arpa`),
  '2.0.192.in-addr.arpa', '100.51.198.in-addr.arpa', '113.0.203.in-addr.arpa',
  'd.f.ip6.arpa', '8.e.f.ip6.arpa', '9.e.f.ip6.arpa', 'a.e.f.ip6.arpa', 'b.e.f.ip6.arpa', '8.b.d.0.1.0.0.2.ip6.arpa',
];

const atOrBelow = (name: string, zone: string) => name === zone || name.endsWith(`.${zone}`);
const bare = (v: string) => unquote(v).trim().toLowerCase().replace(/\.$/, '') || '.';

interface Seen {
  /** Zones a stub-zone or forward-zone already names, with the clause. */
  readonly routed: Map<string, string>;
  validates: boolean;
  stripsPrivate: boolean;
  readonly nodefault: Set<string>;
}

function survey(config: ConfigFiles): Seen {
  const seen: Seen = { routed: new Map(), validates: false, stripsPrivate: false, nodefault: new Set() };
  for (const f of config.files) {
    let clause = '';
    for (const line of f.text.split('\n')) {
      const st = parseStatement(line);
      if (st.kind === 'clause') clause = st.name;
      if (st.kind !== 'setting') continue;
      if ((clause === 'stub-zone' || clause === 'forward-zone') && st.key === 'name') seen.routed.set(bare(st.value), clause);
      if (clause === 'server' && /^(auto-trust-anchor-file|trust-anchor-file|trusted-keys-file|trust-anchor)$/.test(st.key)) seen.validates = true;
      if (clause === 'server' && st.key === 'private-address') seen.stripsPrivate = true;
      if (clause === 'server' && st.key === 'local-zone' && /\bnodefault\b/.test(st.value)) seen.nodefault.add(bare(st.value.split(/\s+/)[0]!));
    }
  }
  return seen;
}

export function proposeUnboundFix<C extends ConfigFiles>(config: C, target: FixTarget): FixProposal<C> {
  const seen = survey(config);
  const already = target.zones.filter((z) => seen.routed.has(z));
  const zones = target.zones.filter((z) => !seen.routed.has(z));
  if (zones.length === 0) {
    return { ok: false, why: `the config already routes ${already.map((z) => `${z} (${seen.routed.get(z)})`).join(', ')}; no forward-zone to add` };
  }
  const server: string[] = [];
  for (const z of zones) {
    if (seen.validates) server.push(`    domain-insecure: "${z}"`);
    if (seen.stripsPrivate) server.push(`    private-domain: "${z}"`);
    const local = BUILTIN_LOCAL_ZONES.find((l) => atOrBelow(z, l) && !seen.nodefault.has(l));
    if (local && !server.includes(`    local-zone: "${local}." nodefault`)) server.push(`    local-zone: "${local}." nodefault`);
  }
  const lines = [
    '',
    "# Route the private zone(s) to the provider's resolver, which alone serves",
    '# them: the same answer whether or not the Internet is reachable.',
    ...(server.length ? ['server:', ...server] : []),
    ...zones.flatMap((z) => ['forward-zone:', `    name: "${z}"`, `    forward-addr: ${target.provider}`]),
    '',
  ];
  const main = config.files.find((f) => f.path === config.main)!;
  const text = `${main.text.replace(/\n*$/, '\n')}${lines.join('\n')}`;
  const copy = { ...config, files: config.files.map((f) => (f.path === config.main ? { ...f, text } : f)) } as C;
  const extras = [seen.validates ? 'domain-insecure' : '', seen.stripsPrivate ? 'private-domain' : '', server.some((l) => l.includes('nodefault')) ? 'local-zone nodefault' : ''].filter(Boolean);
  return {
    ok: true,
    config: copy,
    zones,
    summary: `forward-zone for ${zones.join(', ')} to the provider's resolver ${target.provider}${extras.length ? `, with ${extras.join(' and ')}` : ''}${already.length ? ` (${already.join(', ')} already routed)` : ''}`,
  };
}

export const unboundFix: FixSuggester = { suggestFix: proposeUnboundFix };
