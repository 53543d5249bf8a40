import { describe, expect, it } from 'vitest';
import type { LoadedZone } from '../zone/zonefile.js';
import { planSimulatedInternet } from './simulated-internet.js';

const zone = (origin: string, extra: LoadedZone['records'] = []): LoadedZone => ({
  origin,
  file: `${origin}.zone`,
  records: [
    { name: origin, ttl: 300, type: 'SOA', data: `ns1.${origin}. hostmaster.${origin}. 1 3600 600 86400 300` },
    { name: origin, ttl: 300, type: 'NS', data: `ns1.${origin}.` },
    ...extra,
  ],
});

describe('planSimulatedInternet: which zones are signed', () => {
  const internet = planSimulatedInternet(
    [zone('example.io'), { ...zone('legacy.io'), signed: false }, zone('shop.example.io')],
    { address: '169.254.169.253', zones: [zone('internal.example.io')] },
  );
  const served = new Map(internet.servers.flatMap((s) => s.zones).map((z) => [z.origin, z]));

  it('signs the root, generated TLDs and public zones unless the scenario says not', () => {
    expect([...served.values()].map((z) => [z.origin, z.signed])).toEqual([
      ['', true],
      ['example.io', true],
      ['legacy.io', false],
      ['shop.example.io', true],
      ['io', true],
    ]);
  });

  it('names the parent that delegates to each zone, where its DS goes', () => {
    expect(Object.fromEntries([...served.values()].map((z) => [z.origin, z.parent]))).toEqual({
      '': undefined,
      io: '',
      'example.io': 'io',
      'legacy.io': 'io',
      'shop.example.io': 'example.io',
    });
  });

  it("serves the provider's private zones unsigned", () => {
    expect(internet.provider.zones.map((z) => [z.origin, z.signed, z.parent])).toEqual([['internal.example.io', false, undefined]]);
  });
});
