import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { route53Name, route53ToMaster } from './route53.js';

const set = (o: object) => JSON.stringify({ ResourceRecordSets: [{ Name: 'internal.example.io.', Type: 'SOA', TTL: 900, ResourceRecords: [{ Value: 'ns-1.awsdns-00.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400' }] }, o] }, null, 2);
const fails = (text: string): InputError => {
  try {
    route53ToMaster(text, '/z/r53.json', 'internal.example.io');
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
};

describe('Route 53 names', () => {
  it('decodes octal escapes and writes master-file decimal ones', () => {
    expect(route53Name('\\052.apps.internal.example.io.')).toBe('*.apps.internal.example.io.');
    // \100 is octal for "@" (64): a master file needs \064 for it.
    expect(route53Name('a\\100b.example.io.')).toBe('a\\064b.example.io.');
    expect(route53Name('WWW.Example.IO')).toBe('www.example.io.');
    // A "*" inside a label is not a wildcard: escaped.
    expect(route53Name('a\\052.example.io.')).toBe('a\\042.example.io.');
  });
});

describe('route53ToMaster', () => {
  it('turns record sets into master-file lines, each with the JSON line and field it came from', () => {
    const text = set({ Name: '\\052.apps.internal.example.io.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '10.20.30.50' }, { Value: '10.20.30.51' }] });
    const z = route53ToMaster(text, '/z/r53.json', 'internal.example.io');
    const lines = z.text.split('\n');
    expect(lines[1]).toBe('*.apps.internal.example.io. 60 IN A 10.20.30.50');
    expect(z.sources[2]).toEqual({ file: '/z/r53.json', line: text.split('\n').findIndex((l) => l.includes('052')) , field: 'ResourceRecordSets[1].ResourceRecords[1].Value' });
  });

  it('accepts the bare list as well as the CLI output object', () => {
    const z = route53ToMaster(JSON.stringify([{ Name: 'internal.example.io.', Type: 'A', TTL: 5, ResourceRecords: [{ Value: '10.0.0.1' }] }]), 'f.json', 'internal.example.io');
    expect(z.text).toBe('internal.example.io. 5 IN A 10.0.0.1');
    expect(z.sources[0]!.field).toBe('[0].ResourceRecords[0].Value');
  });

  it('serves an alias to a record set of the zone with that set’s records, following alias chains', () => {
    const text = JSON.stringify({ ResourceRecordSets: [
      { Name: 'proxysql.internal.example.io.', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '10.20.30.40' }] },
      { Name: 'db.internal.example.io.', Type: 'A', AliasTarget: { HostedZoneId: 'Z1', DNSName: 'proxysql.internal.example.io.', EvaluateTargetHealth: false } },
      { Name: 'db2.internal.example.io.', Type: 'A', AliasTarget: { HostedZoneId: 'Z1', DNSName: 'db.internal.example.io', EvaluateTargetHealth: false } },
    ] });
    expect(route53ToMaster(text, 'f.json', 'internal.example.io').text.split('\n')).toEqual([
      'proxysql.internal.example.io. 300 IN A 10.20.30.40',
      'db.internal.example.io. 300 IN A 10.20.30.40',
      'db2.internal.example.io. 300 IN A 10.20.30.40',
    ]);
  });

  it('refuses an alias to a resource outside the zone, naming the record set and the field', () => {
    const e = fails(set({ Name: 'lb.internal.example.io.', Type: 'A', AliasTarget: { HostedZoneId: 'Z2', DNSName: 'dualstack.my-lb-123.eu-west-1.elb.amazonaws.com.', EvaluateTargetHealth: true } }));
    expect(e.message).toMatch(/^\/z\/r53\.json:\d+: ResourceRecordSets\[1\]\.AliasTarget\.DNSName: alias record lb\.internal\.example\.io\. A points at dualstack\.my-lb-123\.eu-west-1\.elb\.amazonaws\.com\., outside this zone/);
    expect(e.hint).toContain('replace the alias by the records it resolves to');
  });

  it('refuses an alias to a name of the zone without such a record set, and alias cycles', () => {
    expect(fails(set({ Name: 'db.internal.example.io.', Type: 'AAAA', AliasTarget: { DNSName: 'internal.example.io.' } })).message).toContain('has no AAAA record set in this zone');
    const cycle = JSON.stringify([
      { Name: 'a.internal.example.io.', Type: 'A', AliasTarget: { DNSName: 'b.internal.example.io.' } },
      { Name: 'b.internal.example.io.', Type: 'A', AliasTarget: { DNSName: 'a.internal.example.io.' } },
    ]);
    expect(fails(cycle).message).toContain('cycle');
  });

  it('names the line and field of a malformed record set', () => {
    const text = set({ Name: 'x.internal.example.io.', Type: 'A', ResourceRecords: [{ Value: '10.0.0.1' }] });
    const e = fails(text);
    expect(e.location).toEqual({ file: '/z/r53.json', line: text.split('\n').findIndex((l) => l.includes('"x.internal')), field: 'ResourceRecordSets[1].TTL' });
    expect(fails(set({ Name: 'x.internal.example.io.', Type: 'A', TTL: 1, ResourceRecords: [{ Val: '1' }] })).location?.field).toBe('ResourceRecordSets[1].ResourceRecords[0].Value');
    expect(fails(set({ Name: 'www.example.io.', Type: 'A', TTL: 1, ResourceRecords: [{ Value: '1.2.3.4' }] })).message).toContain('outside zone internal.example.io');
    expect(fails('{"ResourceRecordSets": [').message).toMatch(/^\/z\/r53\.json:\d+: invalid JSON/);
    expect(fails('{"Records": []}').location?.field).toBe('ResourceRecordSets');
  });
});
