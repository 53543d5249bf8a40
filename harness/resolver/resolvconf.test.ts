import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { parseResolvConf } from './resolvconf.js';

const FILE = '/images/app/etc/resolv.conf';

function inputError(text: string): InputError {
  try {
    parseResolvConf(text, FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected parseResolvConf to throw');
}

describe('parseResolvConf', () => {
  it('reads the image resolv.conf with glibc defaults where options are absent', () => {
    const rc = parseResolvConf('# local unbound first\nnameserver 127.0.0.1\nnameserver 169.254.169.253\n', FILE);
    expect(rc).toEqual({ nameservers: ['127.0.0.1', '169.254.169.253'], timeoutS: 5, attempts: 2, search: [], ndots: 1, options: [] });
  });

  it('keeps only the first three nameservers, as glibc does (MAXNS)', () => {
    const rc = parseResolvConf(['nameserver 10.0.0.1', 'nameserver 10.0.0.2', 'nameserver 2001:db8::53', 'nameserver 10.0.0.4'].join('\n'), FILE);
    expect(rc.nameservers).toEqual(['10.0.0.1', '10.0.0.2', '2001:db8::53']);
  });

  it('reads options, search and comments of both kinds', () => {
    const rc = parseResolvConf('nameserver 127.0.0.1 ; trailing\n; a comment\noptions timeout:2 attempts:1 rotate\nsearch Example.IO. svc.local\n', FILE);
    expect(rc.timeoutS).toBe(2);
    expect(rc.attempts).toBe(1);
    expect(rc.options).toEqual(['timeout:2', 'attempts:1', 'rotate']);
    expect(rc.search).toEqual(['example.io', 'svc.local']);
  });

  it.each([
    ['timeout:60 attempts:9', 30, 5],
    ['timeout:30 attempts:5', 30, 5],
    // glibc reads these with atoi, so 0 is 0, not "unset": res_send then waits its minimum of 1 s.
    // (attempts:0 would make glibc send nothing; the harness models at least one try.)
    ['timeout:0 attempts:0', 1, 1],
    ['timeout:-3 attempts:-1', 1, 1],
  ])('clamps "options %s" to glibc limits', (opts, timeoutS, attempts) => {
    const rc = parseResolvConf(`nameserver 127.0.0.1\noptions ${opts}\n`, FILE);
    expect([rc.timeoutS, rc.attempts]).toEqual([timeoutS, attempts]);
  });

  it('lets a later options line override an earlier one', () => {
    const rc = parseResolvConf('nameserver 127.0.0.1\noptions timeout:1\noptions timeout:3\n', FILE);
    expect(rc.timeoutS).toBe(3);
  });

  it('fails without a nameserver line, naming the file', () => {
    const err = inputError('# nothing\nsearch example.io\n');
    expect(err.location).toEqual({ file: FILE, field: 'nameserver' });
    expect(err.message).toBe(`${FILE}: nameserver: no nameserver line`);
    expect(err.hint).toBeDefined();
  });

  it('fails on a bad address, naming the file and line', () => {
    const err = inputError('nameserver 127.0.0.1\n\nnameserver vpc-resolver.internal\n');
    expect(err.location).toEqual({ file: FILE, line: 3, field: 'nameserver' });
    expect(err.message).toBe(`${FILE}:3: nameserver: expected an IP address, got "vpc-resolver.internal"`);
  });

  it('fails on a nameserver line without an address', () => {
    expect(inputError('nameserver\n').message).toBe(`${FILE}:1: nameserver: expected an IP address, got ""`);
  });
});
