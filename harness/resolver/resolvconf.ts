// The stub resolver's configuration, as glibc reads it from resolv.conf.
import { isIP } from 'node:net';
import { InputError } from '../errors.js';

export interface ResolvConf {
  readonly nameservers: readonly string[];
  /** Seconds per try, glibc's "options timeout:" (default 5, max 30). */
  readonly timeoutS: number;
  /** Tries per nameserver, glibc's "options attempts:" (default 2, max 5). */
  readonly attempts: number;
  /** The search list (`search`, or `domain`: the last such line wins), without trailing dots. */
  readonly search: readonly string[];
  /** glibc's "options ndots:" (default 1, max 15): names with fewer dots go through the search list first. */
  readonly ndots: number;
  readonly options: readonly string[];
}

/** What every later stage needs of resolv.conf (report.json carries it). */
export type StubConf = Pick<ResolvConf, 'nameservers' | 'timeoutS' | 'attempts' | 'search' | 'ndots' | 'options'>;

export function parseResolvConf(text: string, file: string): ResolvConf {
  const nameservers: string[] = [];
  let timeoutS = 5;
  let attempts = 2;
  let ndots = 1;
  let search: string[] = [];
  const options: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) return;
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver') {
      const addr = rest[0] ?? '';
      if (!isIP(addr)) throw new InputError({ file, line: i + 1, field: 'nameserver' }, `expected an IP address, got "${addr}"`);
      if (nameservers.length < 3) nameservers.push(addr); // glibc uses the first three (MAXNS)
    } else if (key === 'search' || key === 'domain') {
      search = rest.map((s) => s.replace(/\.$/, '').toLowerCase());
    } else if (key === 'options') {
      for (const o of rest) {
        options.push(o);
        const [k, v] = o.split(':');
        // glibc reads these with atoi: "timeout:0" is 0 (res_send then waits 1 s), not the default.
        const n = Number.parseInt(v ?? '', 10) || 0;
        if (k === 'timeout' && v) timeoutS = Math.min(30, Math.max(1, n));
        if (k === 'attempts' && v) attempts = Math.min(5, Math.max(1, n));
        if (k === 'ndots' && v) ndots = Math.min(15, Math.max(0, n));
      }
    }
  });
  if (nameservers.length === 0) throw new InputError({ file, field: 'nameserver' }, 'no nameserver line', 'list the local resolver and the provider resolver, as the image does');
  return { nameservers, timeoutS, attempts, search, ndots, options };
}
