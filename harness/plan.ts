// Scenario -> plan: the zones loaded, the simulated Internet laid out, the
// queries listed. A plan is plain data; nothing is started to make it, so it
// can be printed, tested and validated before a backend touches the machine.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { InputError } from './errors.js';
import { ADDRESS_TYPES, queryKey, type Query, type QueryType } from './model.js';
import { checkPublicResolvers } from './network/public-resolvers.js';
import { planSimulatedInternet, type SimulatedInternet } from './network/simulated-internet.js';
import { parseResolvConf, type ResolvConf } from './resolver/resolvconf.js';
import { IMAGE_CONFIG_DIR, isInclude, loadUnboundConfig, parseStatement, type UnboundConfig } from './resolver/unbound-config.js';
import type { EnvironmentData } from './scenario/schema.js';
import type { Scenario } from './scenario/load.js';
import { loadZone, type LoadedZone } from './zone/zonefile.js';

export interface RunPlan {
  readonly scenario: Scenario;
  readonly internet: SimulatedInternet;
  readonly resolvConf: ResolvConf;
  readonly resolvConfText: string;
  /** The image's config: the main file and every file it includes. */
  readonly resolverConfig: UnboundConfig;
  /** Where each came from: the scenario's file, or "IMAGE:/path" for the image's own. */
  readonly sources: { readonly resolverConfig: string; readonly resolvConf: string };
  readonly environments: readonly EnvironmentData[];
  readonly reference: string;
  readonly queries: readonly Query[];
}

/** Types worth asking for an owner name, in the order a person would. */
const OWNER_TYPES: readonly QueryType[] = ['A', 'AAAA', 'MX', 'TXT', 'SRV', 'CAA', 'PTR'];

export function ownerQueries(zone: LoadedZone, source: Query['source']): Query[] {
  const byName = new Map<string, Set<string>>();
  // Names below a delegation point are glue, not data of this zone.
  const cuts = zone.records.filter((r) => r.type === 'NS' && r.name !== zone.origin).map((r) => r.name);
  for (const r of zone.records) {
    if (r.name.startsWith('*') || cuts.some((c) => r.name.endsWith(`.${c}`))) continue;
    if (!byName.has(r.name)) byName.set(r.name, new Set());
    byName.get(r.name)!.add(r.type);
  }
  const out: Query[] = [];
  for (const [name, types] of byName) {
    if (cuts.includes(name)) continue;
    const wanted = OWNER_TYPES.filter((t) => types.has(t));
    // A CNAME or an apex is looked up as an address, as an application would.
    if (wanted.length === 0) wanted.push('A');
    for (const type of wanted) out.push({ name, type, source });
  }
  return out;
}

export function listQueries(scenario: Scenario, privateZones: readonly LoadedZone[], publicZones: readonly LoadedZone[]): Query[] {
  const queries = new Map<string, Query>();
  // A name listed explicitly and also owned by a zone keeps its zone as its source.
  const add = (q: Query) => {
    const had = queries.get(queryKey(q));
    if (!had) queries.set(queryKey(q), q);
    else if (had.source === 'explicit' && q.source !== 'explicit') queries.set(queryKey(q), { ...had, source: q.source });
  };
  for (const n of scenario.queries.names) {
    if (typeof n === 'string') add({ name: n, type: 'A', source: 'explicit' });
    else add({ name: n.name, type: n.type, source: 'explicit' });
  }
  for (const a of scenario.expect.answers) add({ name: a.name, type: a.type, source: 'explicit' });
  if (scenario.queries.privateZones) for (const z of privateZones) ownerQueries(z, 'private-zone').forEach(add);
  if (scenario.queries.publicZones) for (const z of publicZones) ownerQueries(z, 'public-zone').forEach(add);
  return [...queries.values()];
}

/** A file as the scenario's image holds it (see backend/docker/image-files.ts). */
export type ImageFileReader = (image: string, path: string) => Promise<{ readonly found: true; readonly text: string } | { readonly found: false; readonly why: string }>;

export interface PlanOptions {
  /** Reads the files a scenario leaves to its image; without it, such a scenario cannot be planned. */
  readonly imageFile?: ImageFileReader;
}

/** Where an image keeps the files the scenario may leave to it. */
export const IMAGE_PATHS = { resolverConfig: '/etc/unbound/unbound.conf', resolvConf: '/etc/resolv.conf' } as const;

export async function planScenario(scenario: Scenario, opts: PlanOptions = {}): Promise<RunPlan> {
  const at = (path: (string | number)[]) => ({ file: scenario.file, line: scenario.lineOf(path), field: path.join('.') });
  const load = (where: 'provider' | 'public') =>
    Promise.all(scenario.network[where].zones.map((z, i) => loadZone(z.origin, z.file, at(['network', where, 'zones', i, 'file']))));
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
  const hostFile = async (which: keyof typeof IMAGE_PATHS, field: string[]): Promise<{ text: string; source: string }> => {
    const own = scenario.paths[which];
    if (own !== undefined) return { text: readFileSync(own, 'utf8'), source: own };
    const image = scenario.image!; // the loader lets a file be absent only when there is an image
    const where = { file: scenario.file, line: scenario.lineOf(['image']), field: field.join('.') };
    if (!opts.imageFile) throw new InputError(where, `the file is left to image ${image}, whose files only a Docker engine can read`, `start a Docker engine, or set ${field.join('.')}`);
    const f = await opts.imageFile(image, IMAGE_PATHS[which]);
    if (!f.found) throw new InputError(where, `image ${image} has no file of its own to use: ${f.why}`, `set ${field.join('.')} in the scenario`);
    return { text: f.text, source: `${image}:${IMAGE_PATHS[which]}` };
  };
  const [resolverConfig, resolvConf] = await Promise.all([hostFile('resolverConfig', ['resolver', 'config']), hostFile('resolvConf', ['stub', 'resolvConf'])]);
  return {
    scenario,
    internet,
    resolvConf: parseResolvConf(resolvConf.text, resolvConf.source),
    resolvConfText: resolvConf.text,
    resolverConfig: scenario.paths.resolverConfig !== undefined
      ? loadUnboundConfig(scenario.paths.resolverConfig, scenario.paths.configRoot ?? dirname(scenario.paths.resolverConfig))
      : imageConfig(resolverConfig.text, resolverConfig.source, { file: scenario.file, line: scenario.lineOf(['image']), field: 'resolver.config' }),
    sources: { resolverConfig: resolverConfig.source, resolvConf: resolvConf.source },
    environments: scenario.environments,
    reference: scenario.environments.find((e) => e.reference)!.name,
    queries: listQueries(scenario, privateZones, publicZones),
  };
}

export const hasApplicationLayer = (q: Pick<Query, 'type'>): boolean => ADDRESS_TYPES.has(q.type);

/**
 * The image's own unbound.conf, read from its layers: one file. Its includes
 * would need the image's whole /etc/unbound, which a scenario names with
 * resolver.config and resolver.configRoot instead.
 */
function imageConfig(text: string, source: string, where: { file: string; line: number | undefined; field: string }): UnboundConfig {
  const line = text.split('\n').findIndex((l) => {
    const st = parseStatement(l);
    return st.kind === 'setting' && isInclude(st.key);
  });
  if (line >= 0) {
    throw new InputError(where, `the image's own config (${source}) includes other files (line ${line + 1}), which are not read from images`, `copy the image's ${IMAGE_CONFIG_DIR} tree and name it with resolver.config and resolver.configRoot`);
  }
  const path = `${IMAGE_CONFIG_DIR}/unbound.conf`;
  return { main: path, root: IMAGE_CONFIG_DIR, files: [{ path, text, includes: [] }] };
}

/** Above this many queries the resolver's upstream queries are not logged (see PrepareContext.traceUpstream). */
export const TRACE_MAX_QUERIES = 200;
export const traceUpstream = (plan: Pick<RunPlan, 'queries'>): boolean => plan.queries.length <= TRACE_MAX_QUERIES;
