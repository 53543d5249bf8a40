import { describe, expect, it } from 'vitest';
import { searchCandidates, type SearchConf } from './search.js';

const rc = (search: string[], ndots = 1, options: string[] = []): SearchConf => ({ search, ndots, options });

describe('searchCandidates (glibc res_nsearch order)', () => {
  it('tries a short name through the search list first, then as it is', () => {
    expect(searchCandidates('proxysql', rc(['internal.example.io']))).toEqual(['proxysql.internal.example.io', 'proxysql']);
  });

  it('tries a name with at least ndots dots as it is first, then the search list', () => {
    expect(searchCandidates('proxysql.internal.example.io', rc(['internal.example.io']))).toEqual([
      'proxysql.internal.example.io',
      'proxysql.internal.example.io.internal.example.io',
    ]);
  });

  it('walks Kubernetes-style ndots:5 with four search domains before the name itself', () => {
    const k8s = rc(['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'internal.example.io'], 5);
    expect(searchCandidates('proxysql.internal.example.io', k8s)).toEqual([
      'proxysql.internal.example.io.default.svc.cluster.local',
      'proxysql.internal.example.io.svc.cluster.local',
      'proxysql.internal.example.io.cluster.local',
      'proxysql.internal.example.io.internal.example.io',
      'proxysql.internal.example.io',
    ]);
  });

  it('asks an absolute name only as it is', () => {
    expect(searchCandidates('www.example.io.', rc(['internal.example.io']))).toEqual(['www.example.io']);
    expect(searchCandidates('www.example.io', rc(['internal.example.io']), 'glibc', true)).toEqual(['www.example.io']);
  });

  it('asks the name alone without a search list', () => {
    expect(searchCandidates('www.example.io', rc([]))).toEqual(['www.example.io']);
    expect(searchCandidates('localhostish', rc([]))).toEqual(['localhostish']);
  });

  it('takes "." in the search list as the name itself, and does not ask it twice', () => {
    expect(searchCandidates('db', rc(['corp.internal', '.']))).toEqual(['db.corp.internal', 'db']);
  });

  it('keeps a single label from going out bare with no-tld-query', () => {
    expect(searchCandidates('db', rc(['corp.internal'], 1, ['no-tld-query']))).toEqual(['db.corp.internal']);
    expect(searchCandidates('db.x', rc(['corp.internal'], 2, ['no-tld-query']))).toEqual(['db.x.corp.internal', 'db.x']);
  });

  it('ndots:0 tries even a single label as it is first', () => {
    expect(searchCandidates('db', rc(['corp.internal'], 0))).toEqual(['db', 'db.corp.internal']);
  });
});

describe('searchCandidates (musl name_from_dns_search order)', () => {
  it('does not search a name with at least ndots dots at all', () => {
    expect(searchCandidates('proxysql.internal.example.io', rc(['internal.example.io']), 'musl')).toEqual(['proxysql.internal.example.io']);
  });

  it('does not search for types other than addresses: its res_search is res_query', () => {
    expect(searchCandidates('_mysql._tcp', rc(['internal.example.io']), 'musl', false, false)).toEqual(['_mysql._tcp']);
  });

  it('searches a short name, then asks it as it is', () => {
    expect(searchCandidates('proxysql', rc(['internal.example.io']), 'musl')).toEqual(['proxysql.internal.example.io', 'proxysql']);
  });
});
