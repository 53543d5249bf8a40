import { describe, expect, it } from 'vitest';
import { parseNamesFile } from './names-file.js';

describe('names file', () => {
  it('reads "name [TYPE]" lines, comments and blank lines aside', () => {
    expect(parseNamesFile('# what the app resolves\nproxysql.internal.example.io\n\n_mysql._tcp.internal.example.io srv   # its service record\nproxysql\nwww.example.io. AAAA\nbücher.example\n', 'n.txt')).toEqual([
      { name: 'proxysql.internal.example.io', type: 'A' },
      { name: '_mysql._tcp.internal.example.io', type: 'SRV' },
      { name: 'proxysql', type: 'A' },
      { name: 'www.example.io.', type: 'AAAA' },
      { name: 'xn--bcher-kva.example', type: 'A' },
    ]);
  });

  it('names the file, line and field of a bad line', () => {
    expect(() => parseNamesFile('ok.example.io\nbad..name\n', 'n.txt')).toThrow(/^n\.txt:2: name: "bad\.\.name": expected a domain name/);
    expect(() => parseNamesFile('a.example.io AXFR\n', 'n.txt')).toThrow(/^n\.txt:1: type: unknown type "AXFR"/);
    expect(() => parseNamesFile('\n\na.example.io A extra\n', 'n.txt')).toThrow(/^n\.txt:3: type: expected "name \[TYPE\]", got 3 words/);
  });
});
