// The hermetic Internet a run resolves against: a root, TLD servers and one
// authoritative server per public zone, with delegations and glue generated
// from the scenario's public zones, plus the provider's resolver and its
// private zones. Pure: it turns loaded zones into zone texts and addresses,
// and says which zones are signed; network/dnssec.ts does the signing.
import { InputError } from '../errors.js';
import { formatRecord, fqdn, isAtOrBelow, type LoadedZone, type ZoneRecord } from '../zone/zonefile.js';

export interface ServedZone {
  readonly origin: string;
  readonly records: readonly ZoneRecord[];
  /** Where the records came from: a scenario file, or generated here. */
  readonly source: string;
  /** Signed with the run's keys (network/dnssec.ts), with a DS in its parent. */
  readonly signed: boolean;
  /** The served zone that delegates to this one; absent for the root and the provider's zones. */
  readonly parent?: string;
}

/** A public zone as the scenario gives it: loaded, signed unless the scenario says not, and perhaps slow or lossy. */
export type PublicZone = LoadedZone & { readonly signed?: boolean; readonly rttMs?: number; readonly lossPercent?: number };

/** A recursive resolver of the simulated Internet (8.8.8.8 and the like): it recurses from the simulated root and knows no private zone. */
export interface PublicResolver {
  readonly address: string;
}

/**
 * What the network does to every exchange with one server address: a round
 * trip added (half on the way there, half on the way back) and a share of the
 * packets lost, each way. Only addresses with either are listed.
 */
export interface Shaping {
  readonly address: string;
  readonly rttMs: number;
  readonly lossPercent: number;
}

export interface NameServer {
  readonly name: string;
  readonly address: string;
  /** On a dual-stack simulated Internet (network.ipv6): its IPv6 address, from 2001:db8::/32. */
  readonly address6?: string;
}

/** A server's IPv6 address, readable as its IPv4 one: 198.51.100.53 -> 2001:db8::198:51:100:53. */
export const ipv6Of = (v4: string): string => `2001:db8::${v4.split('.').join(':')}`;

/** One authoritative server process: the zones it serves and the addresses it listens on. */
export interface AuthServer {
  readonly id: string;
  readonly nameServers: readonly NameServer[];
  readonly zones: readonly ServedZone[];
}

export interface SimulatedInternet {
  readonly root: readonly NameServer[];
  readonly servers: readonly AuthServer[];
  /** Every address that lives on the simulated Internet. */
  readonly addresses: readonly string[];
  readonly provider: {
    readonly address: string;
    readonly zones: readonly ServedZone[];
  };
  readonly publicResolvers: readonly PublicResolver[];
  readonly shaping: readonly Shaping[];
  /** Every IPv6 address of the simulated Internet's servers; empty unless network.ipv6. */
  readonly addresses6: readonly string[];
}

/** What the scenario says of the network beyond its zones. */
export interface NetworkOptions {
  readonly publicResolvers?: readonly PublicResolver[];
  /** A round trip added to every exchange with the simulated Internet's servers (zones may override it). */
  readonly publicRttMs?: number;
  /** A round trip added to every exchange with the provider's resolver. */
  readonly providerRttMs?: number;
  /** Dual stack: every name server also gets an IPv6 address, with AAAA glue and root hints. */
  readonly ipv6?: boolean;
}

const TTL = 3600;
const ROOT_NS = 'a.root-servers.test';
const ROOT_ADDRESS = '198.51.100.1';

/** Addresses for generated servers, from 198.51.100.0/24 (RFC 5737), skipping any the scenario uses. */
class AddressPool {
  private next = 2;
  constructor(private readonly taken: Set<string>) {}
  take(): string {
    while (this.next < 255) {
      const a = `198.51.100.${this.next++}`;
      if (!this.taken.has(a)) {
        this.taken.add(a);
        return a;
      }
    }
    throw new InputError(undefined, 'more than 250 simulated name servers', 'split the public zones across scenarios');
  }
}

const soa = (origin: string): ZoneRecord => ({
  name: origin,
  ttl: TTL,
  type: 'SOA',
  data: `${fqdn(origin === '' ? ROOT_NS : `ns.${origin}`)} hostmaster.${fqdn(origin === '' ? 'root-servers.test' : origin)} 1 1800 900 604800 300`,
});

export function rootHints(internet: Pick<SimulatedInternet, 'root'>): string {
  const lines = ['; root hints of the simulated Internet, written by dnsparity'];
  for (const ns of internet.root) {
    lines.push(`.\t3600000\tIN\tNS\t${fqdn(ns.name)}`, `${fqdn(ns.name)}\t3600000\tIN\tA\t${ns.address}`);
    if (ns.address6) lines.push(`${fqdn(ns.name)}\t3600000\tIN\tAAAA\t${ns.address6}`);
  }
  return `${lines.join('\n')}\n`;
}

export function zoneText(zone: ServedZone): string {
  return [...zoneTextChunks(zone)].join('');
}

/**
 * The same text in pieces of a few hundred records each, for writing a zone
 * file: a zone of 100k names is then never held as one string, nor as a
 * string per record, at once.
 */
export function* zoneTextChunks(zone: ServedZone, recordsPerChunk = 512): Generator<string> {
  yield `; zone ${fqdn(zone.origin)} from ${zone.source}\n`;
  if (zone.records.length === 0) yield '\n';
  for (let i = 0; i < zone.records.length; i += recordsPerChunk) {
    let chunk = '';
    const end = Math.min(zone.records.length, i + recordsPerChunk);
    for (let k = i; k < end; k++) chunk += `${formatRecord(zone.records[k]!)}\n`;
    yield chunk;
  }
}

/**
 * The name servers a public zone is served from: its own apex NS set when every
 * target lies inside the zone and has an address there (the scenario's own
 * numbering), otherwise a generated in-zone server whose NS set replaces the apex's.
 */
function nameServersOf(zone: LoadedZone, pool: () => string): { nameServers: NameServer[]; records: ZoneRecord[] } {
  const apexNs = zone.records.filter((r) => r.name === zone.origin && r.type === 'NS').map((r) => r.data.toLowerCase().replace(/\.$/, ''));
  const own = apexNs.map((name) => ({
    name,
    address: zone.records.find((r) => r.name === name && r.type === 'A')?.data,
  }));
  if (own.length > 0 && own.every((n) => n.address !== undefined && isAtOrBelow(n.name, zone.origin))) {
    return { nameServers: own as NameServer[], records: [...zone.records] };
  }
  const owners = new Set(zone.records.map((r) => r.name));
  let i = 1;
  while (owners.has(`ns${i}.${zone.origin}`)) i++;
  const ns = { name: `ns${i}.${zone.origin}`, address: pool() };
  const records = zone.records.filter((r) => !(r.name === zone.origin && r.type === 'NS'));
  records.push({ name: zone.origin, ttl: TTL, type: 'NS', data: fqdn(ns.name) }, { name: ns.name, ttl: TTL, type: 'A', data: ns.address });
  return { nameServers: [ns], records };
}

export function planSimulatedInternet(publicZones: readonly PublicZone[], provider: { address: string; zones: readonly LoadedZone[] }, opts: NetworkOptions = {}): SimulatedInternet {
  const publicResolvers = opts.publicResolvers ?? [];
  // Addresses the scenario itself names for servers are kept; generated ones avoid them.
  const taken = new Set<string>([ROOT_ADDRESS, provider.address, ...publicResolvers.map((r) => r.address)]);
  for (const z of publicZones) {
    for (const r of z.records) if (r.name === z.origin && r.type === 'NS') {
      const target = r.data.toLowerCase().replace(/\.$/, '');
      const a = z.records.find((x) => x.name === target && x.type === 'A');
      if (a) taken.add(a.data);
    }
  }
  const pool = new AddressPool(taken);
  const take = () => pool.take();

  // The root and the generated TLDs are signed, as the real ones are; public zones unless the scenario says not.
  interface Building { origin: string; source: string; records: ZoneRecord[]; nameServers: NameServer[]; signed: boolean; parent?: string; rttMs?: number; lossPercent?: number }
  const building = new Map<string, Building>();
  building.set('', {
    origin: '',
    source: 'generated root',
    signed: true,
    records: [soa(''), { name: '', ttl: TTL, type: 'NS', data: fqdn(ROOT_NS) }, { name: ROOT_NS, ttl: TTL, type: 'A', data: ROOT_ADDRESS }],
    nameServers: [{ name: ROOT_NS, address: ROOT_ADDRESS }],
  });
  for (const z of publicZones) {
    const { nameServers, records } = nameServersOf(z, take);
    building.set(z.origin, { origin: z.origin, source: z.file, records, nameServers, signed: z.signed ?? true, ...(z.rttMs === undefined ? {} : { rttMs: z.rttMs }), ...(z.lossPercent === undefined ? {} : { lossPercent: z.lossPercent }) });
  }
  // A TLD server for every top-level domain the public zones sit under.
  for (const z of publicZones) {
    const tld = z.origin.split('.').pop()!;
    if (building.has(tld)) continue;
    const ns = { name: `ns.nic.${tld}`, address: take() };
    building.set(tld, {
      origin: tld,
      source: `generated TLD ${tld}`,
      signed: true,
      records: [soa(tld), { name: tld, ttl: TTL, type: 'NS', data: fqdn(ns.name) }, { name: ns.name, ttl: TTL, type: 'A', data: ns.address }],
      nameServers: [ns],
    });
  }
  // Dual stack: each name server also at its IPv6 address, with an AAAA record where its A record is.
  if (opts.ipv6) {
    for (const b of building.values()) {
      b.nameServers = b.nameServers.map((ns) => ({ ...ns, address6: ipv6Of(ns.address) }));
      for (const ns of b.nameServers) {
        if (b.records.some((r) => r.name === ns.name && r.type === 'A') && !b.records.some((r) => r.name === ns.name && r.type === 'AAAA')) {
          b.records.push({ name: ns.name, ttl: TTL, type: 'AAAA', data: ns.address6! });
        }
      }
    }
  }
  // Delegations with glue, from each zone's closest served ancestor.
  const origins = [...building.keys()];
  for (const child of building.values()) {
    if (child.origin === '') continue;
    const parent = origins
      .filter((o) => o !== child.origin && isAtOrBelow(child.origin, o))
      .sort((a, b) => b.length - a.length)[0]!;
    const p = building.get(parent)!;
    child.parent = parent;
    for (const ns of child.nameServers) {
      p.records.push({ name: child.origin, ttl: TTL, type: 'NS', data: fqdn(ns.name) });
      if (isAtOrBelow(ns.name, child.origin)) p.records.push({ name: ns.name, ttl: TTL, type: 'A', data: ns.address });
      if (ns.address6 && isAtOrBelow(ns.name, child.origin)) p.records.push({ name: ns.name, ttl: TTL, type: 'AAAA', data: ns.address6 });
    }
  }
  // One server per zone; two zones claiming one address is a conflict.
  const byAddress = new Map<string, string>();
  const servers: AuthServer[] = [];
  for (const b of building.values()) {
    for (const ns of b.nameServers) {
      const other = byAddress.get(ns.address);
      if (other !== undefined && other !== b.origin) {
        throw new InputError({ file: b.source }, `name server address ${ns.address} is used by zone ${fqdn(other)} and zone ${fqdn(b.origin)}`, 'give each public zone its own name server addresses');
      }
      byAddress.set(ns.address, b.origin);
    }
    const uniq = [...new Map(b.nameServers.map((n) => [n.address, n])).values()];
    servers.push({
      id: b.origin === '' ? 'root' : b.origin.replace(/\./g, '-'),
      nameServers: uniq,
      zones: [{ origin: b.origin, source: b.source, records: b.records, signed: b.signed, ...(b.parent === undefined ? {} : { parent: b.parent }) }],
    });
  }
  if (byAddress.has(provider.address)) {
    throw new InputError(undefined, `the provider's resolver address ${provider.address} is also a public name server's address`, 'choose another provider address');
  }
  // Delay and loss per address: a zone's own figures, else the Internet's; the provider's own.
  const shaping: Shaping[] = [];
  const shape = (address: string, rttMs: number, lossPercent: number) => {
    if (rttMs > 0 || lossPercent > 0) shaping.push({ address, rttMs, lossPercent });
  };
  for (const b of building.values()) for (const ns of b.nameServers) shape(ns.address, b.rttMs ?? opts.publicRttMs ?? 0, b.lossPercent ?? 0);
  for (const r of publicResolvers) shape(r.address, opts.publicRttMs ?? 0, 0);
  shape(provider.address, opts.providerRttMs ?? 0, 0);
  return {
    root: building.get('')!.nameServers,
    servers,
    addresses: [...byAddress.keys()],
    provider: {
      address: provider.address,
      // The provider's resolver serves its private zones unsigned, as a VPC resolver does.
      zones: provider.zones.map((z) => ({ origin: z.origin, source: z.file, records: z.records, signed: false })),
    },
    publicResolvers,
    shaping: [...new Map(shaping.map((x) => [x.address, x])).values()],
    addresses6: [...new Set(servers.flatMap((s) => s.nameServers.flatMap((n) => (n.address6 ? [n.address6] : []))))],
  };
}

/** A server of the simulated network, as reports name it. zone "" is the root. */
export interface KnownServer {
  readonly zone: string;
  readonly name: string;
  readonly address: string;
}

/** Every server a resolver under test may legitimately reach, for explanations and leak checks. */
export interface NetworkMap {
  readonly servers: readonly KnownServer[];
  readonly provider: string;
  /** Addresses of the simulated Internet's recursive resolvers (absent in reports written before they existed). */
  readonly publicResolvers?: readonly string[];
  /** Delay and loss by address, where the scenario sets any. */
  readonly shaping?: readonly Shaping[];
}

export function networkMap(internet: SimulatedInternet): NetworkMap {
  return {
    servers: internet.servers.flatMap((s) =>
      s.nameServers.flatMap((n) => [
        { zone: s.zones[0]!.origin, name: n.name, address: n.address },
        ...(n.address6 ? [{ zone: s.zones[0]!.origin, name: n.name, address: n.address6 }] : []),
      ]),
    ),
    provider: internet.provider.address,
    ...(internet.publicResolvers.length ? { publicResolvers: internet.publicResolvers.map((r) => r.address) } : {}),
    ...(internet.shaping.length ? { shaping: internet.shaping } : {}),
  };
}

/** Every address a packet from an environment may be sent to on the simulated Internet: its servers and its public resolvers. */
export const internetDestinations = (internet: Pick<SimulatedInternet, 'addresses' | 'publicResolvers'>): string[] => [...internet.addresses, ...internet.publicResolvers.map((r) => r.address)];
