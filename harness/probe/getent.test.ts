import { describe, expect, it } from 'vitest';
import { getentDatabase, getentLookup, parseGetent } from './getent.js';

const AHOSTS = '10.20.30.40     STREAM proxysql.internal.example.io\n10.20.30.40     DGRAM  \n10.20.30.40     RAW    \n10.20.30.41     STREAM \n';

describe('getent as the application layer', () => {
  it('asks the address family of the query type', () => {
    expect(getentDatabase('A')).toBe('ahostsv4');
    expect(getentDatabase('AAAA')).toBe('ahostsv6');
  });
  it('reads the addresses once each, in getent order', () => {
    expect(parseGetent('A', { exitCode: 0, stdout: AHOSTS, stderr: '' })).toEqual({ status: 'answer', addresses: ['10.20.30.40', '10.20.30.41'] });
  });
  it('takes exit 2 as "not found", whatever the cause', () => {
    expect(parseGetent('A', { exitCode: 2, stdout: '', stderr: '' })).toEqual({ status: 'not-found', code: 'getent exit 2' });
  });
  it('drops the IPv4-mapped addresses glibc adds for ahostsv6', () => {
    expect(parseGetent('AAAA', { exitCode: 0, stdout: '::ffff:10.20.30.40 STREAM x\n', stderr: '' })).toEqual({ status: 'not-found', code: 'getent: no IPv6 address' });
    expect(parseGetent('AAAA', { exitCode: 0, stdout: '2001:db8::1 STREAM x\n::ffff:10.0.0.1 STREAM\n', stderr: '' })).toEqual({ status: 'answer', addresses: ['2001:db8::1'] });
  });
  it('reports any other exit as a failure of the tool, with its message', () => {
    expect(parseGetent('A', { exitCode: 1, stdout: '', stderr: 'Unknown database: ahostsv4\n' })).toEqual({ status: 'failure', code: 'getent exit 1: Unknown database: ahostsv4' });
  });
  it('runs the command with the database and the name, and bounds it in time', async () => {
    // sh stands in for getent: it answers only when called with the argv's own
    // arguments first (as chroot DIR getent), then the database, then the name.
    const standIn = ['sh', '-c', '[ "$#" = 3 ] && [ "$1" = --prefix ] && [ "$2" = "$DB" ] && [ "$3" = www.example.io ] && echo "$ADDR STREAM $3" || { echo "args: $*" >&2; exit 3; }', 'sh', '--prefix'];
    const v4 = await getentLookup(['env', 'DB=ahostsv4', 'ADDR=192.0.2.7', ...standIn], 'www.example.io', 'A', 2000);
    expect(v4.outcome).toEqual({ status: 'answer', addresses: ['192.0.2.7'] });
    const v6 = await getentLookup(['env', 'DB=ahostsv6', 'ADDR=2001:db8::7', ...standIn], 'www.example.io', 'AAAA', 2000);
    expect(v6.outcome).toEqual({ status: 'answer', addresses: ['2001:db8::7'] });
    // The wrong database for the type: the stand-in refuses, and its message is kept.
    const wrong = await getentLookup(['env', 'DB=ahostsv6', 'ADDR=192.0.2.7', ...standIn], 'www.example.io', 'A', 2000);
    expect(wrong.outcome).toEqual({ status: 'failure', code: 'getent exit 3: args: --prefix ahostsv4 www.example.io' });
    const slow = await getentLookup(['sh', '-c', 'sleep 5', 'sh'], 'x', 'A', 200);
    expect(slow.outcome).toEqual({ status: 'timeout' });
    expect(slow.latencyMs).toBeLessThan(2000);
    const missing = await getentLookup(['/nonexistent/getent'], 'x', 'A', 1000);
    expect(missing.outcome).toMatchObject({ status: 'failure', code: expect.stringContaining('ENOENT') });
  });
});
