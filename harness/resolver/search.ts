// The names a stub resolver tries for one lookup, in its order: the name as
// given, and the name with each search domain appended, as resolv.conf's
// `search`/`domain` and `options ndots:` make glibc's res_nsearch and musl's
// name_from_dns_search walk them. Every layer asks the same candidates, so a
// short name is judged as the application that asks it sees it.
import type { ResolvConf } from './resolvconf.js';

/** The C libraries whose stub resolver the application layer can run. */
export const STUB_LIBRARIES = ['glibc', 'musl'] as const;
export type StubLibrary = (typeof STUB_LIBRARIES)[number];

export type SearchConf = Pick<ResolvConf, 'search' | 'ndots' | 'options'>;

const dotsIn = (name: string): number => name.split('.').length - 1;

/**
 * glibc (resolv/res_query.c, __res_context_search): a name with at least
 * ndots dots is tried as it is first; then, unless it ended in a dot, each
 * search domain; then the name as it is, if not tried yet (and unless
 * `no-tld-query` stops a single label from going out bare). A "." in the
 * search list stands for the name as it is.
 *
 * musl (src/network/lookup_name.c): a name with at least ndots dots, or an
 * absolute one, is tried only as it is; otherwise each search domain, then
 * the name as it is. Only getaddrinfo searches: musl's res_search is its
 * res_query, so other types ask the name as it is (addressLookup false).
 */
export function searchCandidates(name: string, rc: SearchConf, library: StubLibrary = 'glibc', absolute = false, addressLookup = true): string[] {
  const bare = name.replace(/\.$/, '');
  if (absolute || name.endsWith('.')) return [bare];
  if (library === 'musl' && !addressLookup) return [bare];
  const dots = dotsIn(bare);
  const domains = rc.search.map((d) => d.replace(/^\.+|\.+$/g, ''));
  const withDomain = (d: string) => (d === '' ? bare : `${bare}.${d}`);
  if (library === 'musl') {
    if (dots >= rc.ndots) return [bare];
    return unique([...domains.map(withDomain), bare]);
  }
  const out: string[] = [];
  let triedAsIs = false;
  if (dots >= rc.ndots) {
    out.push(bare);
    triedAsIs = true;
  }
  const rootOnList = domains.includes('');
  for (const d of domains) out.push(withDomain(d));
  const noTld = rc.options.includes('no-tld-query');
  if (!triedAsIs && !rootOnList && (dots > 0 || domains.length === 0 || !noTld)) out.push(bare);
  return unique(out);
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}
