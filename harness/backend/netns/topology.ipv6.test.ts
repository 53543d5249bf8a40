// The netns topology on a dual-stack simulated Internet: IPv6 links and
// routes, the egress6 policy, and the IPv6 leak watch.
import { describe, expect, it } from 'vitest';
import type { EnvironmentData } from '../../scenario/schema.js';
import { ipBatches, nftRuleset, planTopology } from './topology.js';

const env = (name: string, egress: EnvironmentData['egress'], egress6?: EnvironmentData['egress']): EnvironmentData => ({ name, egress, provider: 'reachable', reference: false, ...(egress6 ? { egress6 } : {}) });
const nsName = (role: string) => `dnsparity-7f3a9c-${role}`;
const V4 = ['198.51.100.1', '198.51.100.53'];
const V6 = ['2001:db8::198:51:100:1', '2001:db8::198:51:100:53'];
const ENVS = [env('production', 'allow'), env('staging', 'drop', 'allow'), env('preprod', 'drop'), env('v6-rejected', 'allow', 'reject')];
const rulesFor = (rules: string, routerIf: string) => rules.split('\n').map((l) => l.trim()).filter((l) => l.startsWith(`iifname "${routerIf}"`));

describe('netns topology with IPv6', () => {
  const t = planTopology(nsName, ENVS, V4, '169.254.169.253', V6);

  it('gives every link an IPv6 /64 and every server its IPv6 address, routed through the router', () => {
    const b = ipBatches(t);
    expect(b.router).toEqual(expect.arrayContaining(['addr add fd7f:0:0:0::1/64 dev i0 nodad', 'addr add fe80::1/64 dev i0 nodad', 'link set i0 addrgenmode none']));
    expect(b.router).toContain('route add 2001:db8::198:51:100:53/128 via fd7f:0:0:0::2');
    expect(b.peers.get(t.internet)).toEqual(expect.arrayContaining(['addr add 2001:db8::198:51:100:53/128 dev lo nodad', 'route add default via fd7f:0:0:0::1']));
    expect(b.peers.get(t.envs[0]!.ns)).toEqual(expect.arrayContaining(['addr add fd7f:0:0:2::2/64 dev up0 nodad', 'route add default via fd7f:0:0:2::1']));
  });

  it('applies egress6 to IPv6, defaulting to egress', () => {
    const rules = nftRuleset(t);
    expect(rulesFor(rules, 'e0')).toEqual([]);
    // staging: IPv4 dropped, IPv6 forgotten.
    expect(rulesFor(rules, 'e1')).toEqual(['iifname "e1" ip daddr != 169.254.169.253 counter drop']);
    expect(rulesFor(rules, 'e2')).toEqual(['iifname "e2" ip daddr != 169.254.169.253 counter drop', 'iifname "e2" meta nfproto ipv6 counter drop']);
    expect(rulesFor(rules, 'e3')).toEqual(['iifname "e3" meta nfproto ipv6 meta l4proto tcp counter reject with tcp reset', 'iifname "e3" meta nfproto ipv6 counter reject']);
    expect(rules).toContain('ip6 daddr != { 2001:db8::198:51:100:1, 2001:db8::198:51:100:53, fd7f::/48, fe80::/10, ff00::/8 } meta l4proto { tcp, udp } update @unknown6 { iifname . ip6 daddr . meta l4proto . th dport } counter');
  });

  it('has no IPv6 at all on an IPv4-only Internet', () => {
    const v4 = planTopology(nsName, ENVS, V4, '169.254.169.253');
    expect(ipBatches(v4).router.some((l) => l.includes('fd7f'))).toBe(false);
    expect(nftRuleset(v4)).not.toContain('nfproto ipv6');
  });
});
