// Scenario -> plan: the zones loaded, the simulated Internet laid out, the
// queries listed. A plan is plain data; nothing is started to make it, so it
// can be printed, tested and validated before a backend touches the machine.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { checkConsistency } from './consistency.js';
import { InputError } from './errors.js';
import { ADDRESS_TYPES, type Query, type QueryType } from './model.js';
import { checkPublicResolvers } from './network/public-resolvers.js';
import { planSimulatedInternet, type SimulatedInternet } from './network/simulated-internet.js';
import { parseResolvConf, type ResolvConf } from './resolver/resolvconf.js';
import { resolverFor, RESOLVERS } from './resolver/registry.js';
import type { ResolverConfig, ZoneRoute } from './resolver/types.js';
import type { EnvironmentData } from './scenario/schema.js';
import type { Scenario } from './scenario/load.js';
import { loadZoneEntry } from './zone/sources.js';
import type { LoadedZone } from './zone/zonefile.js';
import { tracesUpstream } from './upstream-trace.js';

export interface RunPlan {
  readonly scenario: Scenario;
  readonly internet: SimulatedInternet;
  readonly resolvConf: ResolvConf;
  readonly resolvConfText: string;
  /** The image's resolver config, as its resolver module read it (kind: resolver.kind): the main file and every file it includes. */
  readonly resolverConfig: ResolverConfig;
  /** Zones the config sends to named servers, as its resolver module reads them (forwards, stubs). */
  readonly resolverRoutes: readonly ZoneRoute[];
  /** Where each came from: the scenario's file, or "IMAGE:/path" for the image's own. */
  readonly sources: { readonly resolverConfig: string; readonly resolvConf: string };
  readonly environments: readonly EnvironmentData[];
  readonly reference: string;
  readonly queries: readonly Query[];
}

/** Types worth asking for an owner name, in the order a person would. */
const OWNER_TYPES: readonly QueryType[] = ['A', 'AAAA', 'MX', 'TXT', 'SRV', 'CAA', 'PTR'];

/** Each owner type's bit, for a name's set of types held as one number. */
const OWNER_BITS: ReadonlyMap<string, number> = new Map(OWNER_TYPES.map((t, k) => [t, 1 << k]));

export function ownerQueries(zone: LoadedZone, source: Query['source']): Query[] {
  // Names below a delegation point are glue, not data of this zone.
  const cuts = zone.records.filter((r) => r.type === 'NS' && r.name !== zone.origin).map((r) => r.name);
  const below = cuts.map((c) => `.${c}`);
  // Per owner, in the order of its first record, the owner types it has as bits: at 100k names a set per name is garbage the plan does not need.
  const byName = new Map<string, number>();
  for (const r of zone.records) {
    if (r.name.startsWith('*') || below.some((c) => r.name.endsWith(c))) continue;
    byName.set(r.name, (byName.get(r.name) ?? 0) | (OWNER_BITS.get(r.type) ?? 0));
  }
  const out: Query[] = [];
  for (const [name, types] of byName) {
    if (cuts.includes(name)) continue;
    // A CNAME or an apex is looked up as an address, as an application would.
    if (types === 0) out.push({ name, type: 'A', source });
    else for (let k = 0; k < OWNER_TYPES.length; k++) if (types & (1 << k)) out.push({ name, type: OWNER_TYPES[k]!, source });
  }
  return out;
}

export function listQueries(scenario: Scenario, privateZones: readonly LoadedZone[], publicZones: readonly LoadedZone[]): Query[] {
  // In the order first listed, one per name and type; found again by name (no key string per query).
  const base: Query[] = [];
  const byName = new Map<string, number | number[]>();
  const indexOf = (q: Query): number => {
    const had = byName.get(q.name);
    if (had === undefined) return -1;
    if (typeof had === 'number') return base[had]!.type === q.type ? had : -1;
    return had.find((k) => base[k]!.type === q.type) ?? -1;
  };
  // A name listed explicitly and also owned by a zone keeps its zone as its source.
  const add = (q: Query) => {
    const k = indexOf(q);
    if (k >= 0) {
      const had = base[k]!;
      if (had.source === 'explicit' && q.source !== 'explicit') base[k] = { ...had, source: q.source };
      return;
    }
    const i = base.push(q) - 1;
    const others = byName.get(q.name);
    byName.set(q.name, others === undefined ? i : typeof others === 'number' ? [others, i] : [...others, i]);
  };
  for (const n of scenario.queries.names) {
    if (typeof n === 'string') add(explicit(n, 'A'));
    else add(explicit(n.name, n.type));
  }
  for (const a of scenario.expect.answers) add(explicit(a.name, a.type));
  if (scenario.queries.privateZones) for (const z of privateZones) ownerQueries(z, 'private-zone').forEach(add);
  if (scenario.queries.publicZones) for (const z of publicZones) ownerQueries(z, 'public-zone').forEach(add);
  // One library: the queries as they are. Several: each query once per library, each named by it.
  const libraries = scenario.stub.libraries ?? ['glibc'];
  if (libraries.length === 1 && libraries[0] === 'glibc') return base;
  return base.flatMap((q) => libraries.map((library) => ({ ...q, library })));
}

/** A name as the scenario writes it: a trailing dot makes it absolute. */
function explicit(written: string, type: QueryType): Query {
  const absolute = written.endsWith('.');
  return { name: absolute ? written.slice(0, -1) : written, type, source: 'explicit', ...(absolute ? { absolute: true as const } : {}) };
}

/**
 * The default latency threshold: half the stub's timeout. A fallback costs
 * whole timeouts, so no number of them sits on it; and a lookup without one
 * that is that much slower than the reference is slow in its own right.
 */
export function defaultLatencyThresholdMs(rc: Pick<ResolvConf, 'timeoutS'>): number {
  return (rc.timeoutS * 1000) / 2;
}

/** A file as the scenario's image holds it (see backend/docker/image-files.ts). */
export type ImageFileReader = (image: string, path: string) => Promise<{ readonly found: true; readonly text: string } | { readonly found: false; readonly why: string }>;

export interface PlanOptions {
  /** Reads the files a scenario leaves to its image; without it, such a scenario cannot be planned. */
  readonly imageFile?: ImageFileReader;
}

/** Where an image keeps the files the scenario may leave to it, for a resolver kind. */
export function imagePaths(kind: string): { readonly resolverConfig: string; readonly resolvConf: string } {
  return { resolverConfig: resolverFor(kind).image.mainConfig, resolvConf: '/etc/resolv.conf' };
}

/** Where an image keeps the files the scenario may leave to it, for unbound (see imagePaths). */
export const IMAGE_PATHS = { resolverConfig: '/etc/unbound/unbound.conf', resolvConf: '/etc/resolv.conf' } as const;

/** Every file an image may be asked for, whatever its resolver: read from its layers in one pass. */
export const ALL_IMAGE_PATHS: readonly string[] = [...new Set([...RESOLVERS.map((r) => r.image.mainConfig), '/etc/resolv.conf'])];

/** A resolver a resolv.conf nameserver line may name, and the scenario field that puts it there. */
export interface StubTarget {
  readonly address: string;
  readonly role: 'local-resolver' | 'provider' | 'public-resolver';
  /** For messages: "the local resolver". */
  readonly what: string;
  /** The scenario field (or config) that sets the address. */
  readonly field: string;
}

/**
 * Every resolver the stub may be pointed at: the local resolver where its
 * config makes it listen, the provider's resolver, and the public resolvers
 * the scenario declares. The one list the resolv.conf check (consistency.ts) reads.
 */
export function stubTargets(scenario: Scenario, local: { readonly address: string }): StubTarget[] {
  return [
    { address: local.address, role: 'local-resolver', what: 'the local resolver', field: 'where resolver.config makes it listen' },
    { address: scenario.network.provider.address, role: 'provider', what: "the provider's resolver", field: 'network.provider.address' },
    ...scenario.network.publicResolvers.map((r, i) => ({ address: r.address, role: 'public-resolver' as const, what: `the public resolver ${r.address}`, field: `network.publicResolvers[${i}].address` })),
  ];
}

export async function planScenario(scenario: Scenario, opts: PlanOptions = {}): Promise<RunPlan> {
  const at = (path: (string | number)[]) => ({ file: scenario.file, line: scenario.lineOf(path), field: path.join('.') });
  const load = (where: 'provider' | 'public') =>
    Promise.all(scenario.network[where].zones.map((z, i) => loadZoneEntry(z, { scenarioFile: scenario.file, path: ['network', where, 'zones', i], lineOf: scenario.lineOf, root: scenario.filesRoot })));
  const [privateZones, publicZones] = await Promise.all([load('provider'), load('public')]);
  const signed = publicZones.map((z, i) => {
    const { signed, rttMs, lossPercent } = scenario.network.public.zones[i]!;
    return { ...z, signed, ...(rttMs === undefined ? {} : { rttMs }), ...(lossPercent === undefined ? {} : { lossPercent }) };
  });
  const net = scenario.network;
  const internet = planSimulatedInternet(signed, { address: net.provider.address, zones: privateZones }, {
    publicResolvers: net.publicResolvers,
    ...(net.public.rttMs === undefined ? {} : { publicRttMs: net.public.rttMs }),
    ...(net.provider.rttMs === undefined ? {} : { providerRttMs: net.provider.rttMs }),
    ipv6: net.ipv6,
  });
  const v4only = scenario.environments.findIndex((e) => e.egress6 !== undefined);
  if (!net.ipv6 && v4only >= 0) {
    throw new InputError(at(['environments', v4only, 'egress6']), 'egress6 needs a dual-stack simulated Internet', 'set network.ipv6: true, or remove egress6');
  }
  checkPublicResolvers(internet, (i) => at(['network', 'publicResolvers', i, 'address']));
  const resolver = resolverFor(scenario.resolver.kind);
  const paths = imagePaths(resolver.kind);
  const hostFile = async (which: keyof typeof paths, field: string[]): Promise<{ text: string; source: string }> => {
    const own = scenario.paths[which];
    if (own !== undefined) return { text: readFileSync(own, 'utf8'), source: own };
    const image = scenario.image!; // the loader lets a file be absent only when there is an image
    const where = { file: scenario.file, line: scenario.lineOf(['image']), field: field.join('.') };
    if (!opts.imageFile) throw new InputError(where, `the file is left to image ${image}, whose files only a Docker engine can read`, `start a Docker engine, or set ${field.join('.')}`);
    const f = await opts.imageFile(image, paths[which]);
    if (!f.found) throw new InputError(where, `image ${image} has no file of its own to use: ${f.why}`, `set ${field.join('.')} in the scenario`);
    return { text: f.text, source: `${image}:${paths[which]}` };
  };
  const [resolverConfig, resolvConf] = await Promise.all([hostFile('resolverConfig', ['resolver', 'config']), hostFile('resolvConf', ['stub', 'resolvConf'])]);
  const parsedResolvConf = parseResolvConf(resolvConf.text, resolvConf.source);
  const config = scenario.paths.resolverConfig !== undefined
    ? resolver.load(scenario.paths.resolverConfig, scenario.paths.configRoot ?? dirname(scenario.paths.resolverConfig), scenario.filesRoot)
    : resolver.fromImage(resolverConfig.text, resolverConfig.source, { file: scenario.file, line: scenario.lineOf(['image']), field: 'resolver.config' });
  const routes = resolver.routes(config, resolvConf);
  checkConsistency({
    internet,
    provider: { address: scenario.network.provider.address, at: at(['network', 'provider', 'address']) },
    resolvConf: { text: resolvConf.text, source: resolvConf.source, at: scenario.paths.resolvConf !== undefined ? at(['stub', 'resolvConf']) : at(['image']) },
    targets: stubTargets(scenario, resolver.listen(config)),
    routes,
  });
  return {
    scenario,
    internet,
    resolvConf: parsedResolvConf,
    resolvConfText: resolvConf.text,
    resolverConfig: config,
    resolverRoutes: routes,
    sources: { resolverConfig: resolverConfig.source, resolvConf: resolvConf.source },
    environments: scenario.environments,
    reference: scenario.environments.find((e) => e.reference)!.name,
    queries: listQueries(scenario, privateZones, publicZones),
  };
}

/** Above TRACE_MAX_QUERIES queries the resolver's upstream queries are not logged (see PrepareContext.traceUpstream). */
export { TRACE_MAX_QUERIES } from './upstream-trace.js';
export const traceUpstream = (plan: Pick<RunPlan, 'queries'>): boolean => tracesUpstream(plan.queries.length);
