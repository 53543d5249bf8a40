import { describe, expect, it } from 'vitest';
import { obs, response, sampleGathered, sampleResult } from '../test/sample-result.js';
import { assess, reassess } from './assess.js';

describe('assess', () => {
  it('finds the incident: resolves only in staging, explained by both paths as one root cause', () => {
    const r = sampleResult();
    const f = r.findings.find((x) => x.query.name === 'proxysql.internal.example.io')!;
    expect(f).toMatchObject({ environment: 'staging', status: 'unexpected', difference: { class: 'resolves-only-in-one', layer: 'application' } });
    expect(f.explanation).toBe(
      'In production, unbound asked the root (198.51.100.1), the io. servers (198.51.100.2) and the example.io. servers (198.51.100.53), which answered NXDOMAIN; ' +
        '127.0.0.1 answered NXDOMAIN, which is final: the stub does not try 169.254.169.253. ' +
        'In staging, unbound could not prime the root: its queries to the root (198.51.100.1) got no answer (egress to the Internet is dropped in staging); ' +
        '127.0.0.1 gave no answer within 2 s, so the stub moved on; 169.254.169.253 answered NOERROR 10.20.30.40.',
    );
    expect(r.verdict).toBe('fail');
    expect(r.expectations.find((e) => e.environment === 'production')).toMatchObject({ met: false, observed: 'not found (ENOTFOUND)' });
  });

  it('confirms a difference that asking again reproduces, and calls one that does not unstable', () => {
    const g = sampleGathered();
    const again = {
      queries: [0, 1],
      observations: {
        production: [g.observations.production![0]!, g.observations.production![1]!],
        // The private name differs again; the public one is now as fast as in production.
        staging: [g.observations.staging![0]!, obs({ status: 'answer', addresses: ['203.0.113.80'] }, 35, response('NOERROR', '203.0.113.80'), 30)],
      },
    };
    const r = assess({ ...g, recheck: { ...again, fresh: true } });
    const byName = (n: string) => r.findings.find((f) => f.query.name === n)!;
    expect(byName('proxysql.internal.example.io')).toMatchObject({ status: 'unexpected', recheck: { class: 'resolves-only-in-one' } });
    expect(byName('www.example.io')).toMatchObject({ status: 'unstable', difference: { class: 'slow-only-in-one' }, recheck: { class: null, detail: 'no difference when asked again' } });
  });

  it('does not ask again, nor mark, a declared difference', () => {
    const r = sampleResult({ expect: { differences: [{ source: 'public-zone', class: 'slow-only-in-one', reason: 'no egress' }], answers: [] } });
    expect(r.findings.find((f) => f.query.name === 'www.example.io')).toMatchObject({ status: 'expected', reason: 'no egress' });
    expect(r.findings.find((f) => f.query.name === 'www.example.io')!.recheck).toBeUndefined();
  });

  it('fails the verdict for a leak even when every environment agrees', () => {
    const g = sampleGathered();
    const same = { production: g.observations.production!, staging: g.observations.production! };
    const r = assess({ ...g, observations: same, expect: { differences: [], answers: [] }, upstream: { production: [], staging: [{ about: 'db.corp.example A', qname: 'db.corp.example', qtype: 'A', zone: 'corp.example', server: '192.0.2.99', outcome: { status: 'no-answer' } }] } });
    expect(r.findings).toEqual([]);
    expect(r.leaks).toEqual([{ environment: 'staging', server: '192.0.2.99', zone: 'corp.example', qnames: ['db.corp.example'], count: 1 }]);
    expect(r.verdict).toBe('fail');
  });

  it('turns what only the network saw into leaks per source and port, leaving out what a log already named', () => {
    const g = sampleGathered();
    const r = assess({
      ...g,
      upstream: { production: [], staging: [{ about: 'db.corp.example A', qname: 'db.corp.example', qtype: 'A', zone: 'corp.example', server: '192.0.2.99', outcome: { status: 'no-answer' } }] },
      unknownDestinations: ['10.0.0.2', '192.0.2.99'],
      unknownTraffic: [
        { source: 'staging', address: '10.0.0.2', protocol: 'udp', port: 53, packets: 2 },
        { source: 'staging', address: '192.0.2.99', protocol: 'udp', port: 53, packets: 1 },
        { source: '(provider)', address: '192.0.2.99', protocol: 'udp', port: 53, packets: 3 },
      ],
    });
    expect(r.leaks.filter((l) => l.seenBy === 'network')).toEqual([
      { environment: 'staging', server: '10.0.0.2', zone: '', qnames: [], count: 2, seenBy: 'network', protocol: 'udp', port: 53 },
      { environment: '(provider)', server: '192.0.2.99', zone: '', qnames: [], count: 3, seenBy: 'network', protocol: 'udp', port: 53 },
    ]);
    expect(r.verdict).toBe('fail');
  });

  it('reads an older report with addresses only, without inventing a count', () => {
    const r = assess({ ...sampleGathered(), unknownDestinations: ['10.0.0.2'] });
    expect(r.leaks).toContainEqual({ environment: '(network)', server: '10.0.0.2', zone: '', qnames: [], count: 0, seenBy: 'network' });
  });

  it('compares a stored result again with another latency threshold', () => {
    const r = sampleResult();
    expect(r.findings.map((f) => f.difference.class)).toContain('slow-only-in-one');
    const lenient = reassess(r, { latencyThresholdMs: 10_000 });
    expect(lenient.latencyThresholdMs).toBe(10_000);
    expect(lenient.findings.map((f) => f.query.name)).toEqual(['proxysql.internal.example.io']);
    expect(reassess(r)).toEqual(r);
  });
});
