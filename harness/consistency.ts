// Checks that a scenario's parts agree before anything starts, on every
// backend: the resolv.conf names only resolvers the scenario's network has
// (else a run reports as a "difference" what is the scenario's own mistake),
// the local resolver among them, and no address the scenario gives a server
// is one no packet can reach (loopback, unspecified, multicast, broadcast,
// the backends' own link range).
import { readFileSync } from 'node:fs';
import { LINK_RANGE } from './backend/netns/topology.js';
import { InputError, type Location } from './errors.js';
import type { SimulatedInternet } from './network/simulated-internet.js';
import type { StubTarget } from './plan.js';
import type { ZoneRoute } from './resolver/types.js';

const toInt = (a: string): number => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const inCidr = (a: string, cidr: string): boolean => {
  const [base, bits] = cidr.split('/');
  const mask = Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0;
  return ((toInt(a) & mask) >>> 0) === ((toInt(base!) & mask) >>> 0);
};

/** Ranges no server of the scenario can live in, with the reason. */
const UNUSABLE: readonly (readonly [string, string])[] = [
  ['0.0.0.0/8', 'an unspecified address (0.0.0.0/8)'],
  ['127.0.0.0/8', 'a loopback address: inside each environment it is the host under test itself'],
  ['224.0.0.0/4', 'a multicast address (224.0.0.0/4)'],
  ['255.255.255.255/32', 'the broadcast address'],
  ['240.0.0.0/4', 'a reserved address (240.0.0.0/4)'],
  [LINK_RANGE, `in ${LINK_RANGE}, which the backends use for their own links`],
];

/** Why no server can be reached at this IPv4 address, or undefined when one can. */
export function unusableAddress(address: string): string | undefined {
  if (address.includes(':')) return undefined;
  return UNUSABLE.find(([cidr]) => inCidr(address, cidr))?.[1];
}

export interface ConsistencyInput {
  readonly internet: SimulatedInternet;
  /** The provider's address and where the scenario sets it. */
  readonly provider: { readonly address: string; readonly at: Location };
  readonly resolvConf: { readonly text: string; readonly source: string; readonly at: Location };
  /** Every resolver a nameserver line may name (plan.ts stubTargets), the local resolver first. */
  readonly targets: readonly StubTarget[];
  /** Where the resolver's config sends zones by name (its module's routes()). */
  readonly routes?: readonly ZoneRoute[];
}

/** The 1-based lines of the nameserver lines glibc uses (the first three), as parseResolvConf reads them. */
export function nameserverLines(text: string): { address: string; line: number }[] {
  const out: { address: string; line: number }[] = [];
  text.split('\n').forEach((raw, i) => {
    const [key, addr] = raw.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (key === 'nameserver' && addr !== undefined && out.length < 3) out.push({ address: addr, line: i + 1 });
  });
  return out;
}

const describeTarget = (t: StubTarget) => `${t.what} (${t.address}, ${t.field})`;
const where = (at: Location) => InputError.format(at, '').replace(/: $/, '');

export function checkConsistency(input: ConsistencyInput): void {
  const { provider, internet, resolvConf, targets } = input;
  const providerWhy = unusableAddress(provider.address);
  if (providerWhy) {
    throw new InputError(provider.at, `${provider.address} cannot be the provider's resolver: it is ${providerWhy}`, 'renumber it: an address no environment holds itself, such as the default 169.254.169.253');
  }
  for (const server of internet.servers) {
    for (const ns of server.nameServers) {
      const why = unusableAddress(ns.address);
      if (!why) continue;
      const source = server.zones.find((z) => !z.source.startsWith('generated'))?.source ?? server.zones[0]?.source ?? 'the simulated Internet';
      throw new InputError({ file: source, ...lineOf(source, ns.address), field: `${ns.name} A` }, `name server address ${ns.address} cannot be reached: it is ${why}`, 'give the zone\'s name servers addresses of the documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24)');
    }
  }
  // The backends' own links answer nothing, and are the harness's, not the simulated Internet's.
  for (const r of input.routes ?? []) {
    const a = r.addresses.find((x) => !x.includes(':') && inCidr(x, LINK_RANGE));
    if (a === undefined) continue;
    throw new InputError(
      { file: r.file ?? resolvConf.source, ...(r.line !== undefined ? { line: r.line } : {}), field: r.how === 'forward' ? 'forward' : 'stub' },
      `the resolver's config sends ${r.zone === '' ? 'every name' : `${r.zone}.`} to ${a}, which lies in ${LINK_RANGE}, which the backends use for their own links`,
      'renumber the server in the scenario and the config (the documentation ranges 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 are free)',
    );
  }
  const lines = nameserverLines(resolvConf.text);
  const local = targets.find((t) => t.role === 'local-resolver')!;
  const allowed = targets.map(describeTarget).join(', ');
  for (const { address, line } of lines) {
    if (targets.some((t) => t.address === address)) continue;
    throw new InputError(
      { file: resolvConf.source, line, field: 'nameserver' },
      `nameserver ${address} is not a resolver the scenario has: expected ${allowed}`,
      address.includes(':')
        ? `the simulated network has IPv4 resolvers only; remove the line (resolv.conf named at ${where(resolvConf.at)})`
        : `the stub would ask a server the simulated network does not have; remove the line, or set network.provider.address to ${address} if it is the provider's resolver (resolv.conf named at ${where(resolvConf.at)})`,
    );
  }
  if (!lines.some((l) => l.address === local.address)) {
    throw new InputError(
      { file: resolvConf.source, field: 'nameserver' },
      `no nameserver line names the local resolver (${local.address}, ${local.field}): the stub would never ask the resolver under test`,
      `add "nameserver ${local.address}" (first, as an image with a local cache lists it), or make the resolver listen where resolv.conf points (resolv.conf named at ${where(resolvConf.at)})`,
    );
  }
}

/** The first line of a file that mentions the address, for an error that points at it. */
function lineOf(file: string, address: string): { line?: number } {
  try {
    const i = readFileSync(file, 'utf8').split('\n').findIndex((l) => new RegExp(`(^|\\s)${address.replace(/\./g, '\\.')}(\\s|$)`).test(l.replace(/;.*$/, '')));
    return i >= 0 ? { line: i + 1 } : {};
  } catch {
    return {};
  }
}
