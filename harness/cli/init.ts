// dnsparity init: a commented scenario that runs as it is, from an image (its
// resolver config and resolv.conf read from its layers, as the docker backend
// reads them) or from the two files, and the zones as the team has them.
// The resolver kind is picked from what is found; environments are the usual
// three (production allow, staging drop, preprod reject); the queries are
// every owner name of the zones. The scenario is planned before it is written,
// so what init writes loads and runs; comments say what to check.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, relative, resolve, sep } from 'node:path';
import { isIPv4 } from 'node:net';
import { EXIT, InputError } from '../errors.js';
import { planScenario, type ImageFileReader } from '../plan.js';
import { parseResolvConf } from '../resolver/resolvconf.js';
import { parseScenario } from '../scenario/load.js';
import { domainName, scenarioSchema } from '../scenario/schema.js';

export interface InitFlags {
  readonly image?: string;
  readonly config?: string;
  readonly resolvConf?: string;
  readonly provider?: string;
  readonly private?: readonly string[];
  readonly public?: readonly string[];
  readonly out?: string;
}

/** Reads files from an image's layers: any absolute paths, for the kind detection. */
export type ImageFilesReader = (image: string, paths: readonly string[]) => Promise<ReadonlyMap<string, { found: true; text: string } | { found: false; why: string }>>;

/** Where each resolver kind keeps its config in an image, in the order they are looked for. */
export const RESOLVER_CONFIG_PATHS: readonly { readonly kind: string; readonly path: string }[] = [
  { kind: 'unbound', path: '/etc/unbound/unbound.conf' },
  { kind: 'dnsmasq', path: '/etc/dnsmasq.conf' },
  { kind: 'knot-resolver', path: '/etc/knot-resolver/kresd.conf' },
  { kind: 'bind', path: '/etc/bind/named.conf' },
  { kind: 'pdns-recursor', path: '/etc/powerdns/recursor.conf' },
];
const RESOLV_CONF = '/etc/resolv.conf';

/** A config file's resolver kind, from what it says (for --config, whatever its name). */
export function kindOfConfig(text: string): string | undefined {
  // '#' comments (unbound, dnsmasq, recursor.conf), '//' and '--' (named.conf, kresd's Lua).
  const lines = text.split('\n').map((l) => l.replace(/(#|\/\/|^\s*--).*$/, '').trim()).filter(Boolean);
  if (lines.some((l) => /^(server|forward-zone|stub-zone|remote-control|auth-zone)\s*:/.test(l))) return 'unbound';
  if (lines.some((l) => /^options\s*\{/.test(l) || /^zone\s+"/.test(l) || /^include\s+"[^"]+";/.test(l))) return 'bind';
  if (lines.some((l) => /^(net\.listen|modules\.load|policy\.add|cache\.size)\b/.test(l))) return 'knot-resolver';
  if (lines.some((l) => /^(forward-zones|local-address|allow-from|recursor)\s*=/.test(l))) return 'pdns-recursor';
  if (lines.some((l) => /^(server|no-resolv|listen-address|cache-size|domain-needed|bogus-priv)(=|$)/.test(l))) return 'dnsmasq';
  return undefined;
}

/** Kinds the scenario format accepts today (others are being added behind the same field). */
function supportedKind(kind: string): boolean {
  return scenarioSchema.shape.resolver.shape.kind.safeParse(kind).success;
}

const cli = (field: string) => ({ file: 'command line', field });

interface ZoneArg {
  readonly origin: string;
  readonly file: string;
  readonly route53: boolean;
}

function zoneArgs(values: readonly string[] | undefined, flag: string): ZoneArg[] {
  return (values ?? []).map((v) => {
    const eq = v.indexOf('=');
    if (eq <= 0 || eq === v.length - 1) throw new InputError(cli(flag), `expected ZONE=FILE, got ${JSON.stringify(v)}`, `such as ${flag} internal.example.io=zones/internal.example.io.zone (a master file, or Route 53 JSON ending in .json)`);
    const origin = domainName.safeParse(v.slice(0, eq));
    if (!origin.success) throw new InputError(cli(flag), `${JSON.stringify(v.slice(0, eq))}: ${origin.error.issues[0]!.message}`, 'name the zone apex before "="');
    const file = resolve(v.slice(eq + 1));
    if (!existsSync(file)) throw new InputError(cli(flag), `file not found: ${v.slice(eq + 1)} (resolved to ${file})`, 'give the zone file after "="');
    return { origin: origin.data, file, route53: extname(file).toLowerCase() === '.json' };
  });
}

/** The deepest directory every path lies in. */
function commonDir(paths: readonly string[]): string {
  const parts = paths.map((p) => p.split(sep));
  const first = parts[0]!;
  let n = 0;
  while (n < first.length && parts.every((p) => p[n] === first[n])) n++;
  return first.slice(0, n).join(sep) || sep;
}

/** A YAML scalar: plain where that is safe, double-quoted (JSON) otherwise. */
const q = (s: string): string => (/^[A-Za-z0-9_./-][A-Za-z0-9_./:@-]*$/.test(s) && !/^(true|false|null|yes|no|on|off|~)$/i.test(s) ? s : JSON.stringify(s));

export interface InitContext {
  /** Reads an image's files (docker backend); needed for --image. */
  readonly imageFiles?: () => Promise<ImageFilesReader>;
  readonly imageFile?: ImageFileReader;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** The scenario text init writes, planned (zones loaded, resolv.conf checked) before it is returned. */
export async function initScenario(flags: InitFlags, ctx: InitContext): Promise<{ text: string; file: string }> {
  if (flags.image !== undefined && (flags.config !== undefined || flags.resolvConf !== undefined)) {
    throw new InputError(cli('--image'), 'give --image, or --config with --resolv-conf, not both', 'from an image its own files are read; from files, name both');
  }
  if (flags.image === undefined && (flags.config === undefined || flags.resolvConf === undefined)) {
    throw new InputError(cli(flags.config === undefined ? '--config' : '--resolv-conf'), 'required: --image REF, or --config FILE with --resolv-conf FILE', "the image's resolver config and its /etc/resolv.conf");
  }
  if (flags.provider !== undefined && !isIPv4(flags.provider)) throw new InputError(cli('--provider'), `expected an IPv4 address, got ${JSON.stringify(flags.provider)}`, "the provider's resolver, such as 169.254.169.253");
  const privateZones = zoneArgs(flags.private, '--private');
  const publicZones = zoneArgs(flags.public, '--public');
  const out = flags.out !== undefined ? resolve(flags.out) : resolve('dnsparity-scenario.yaml');
  if (flags.out !== undefined && existsSync(out)) throw new InputError(cli('--out'), `${flags.out} exists already`, 'remove it, or give another --out');
  const dir = dirname(out);
  const rel = (p: string) => {
    const r = relative(dir, p);
    return r === '' ? '.' : r;
  };

  // The resolver and the stub's config: the image's own, or the files given.
  let kind: string | undefined;
  let configText: string;
  let configSource: string;
  let resolvText: string;
  let resolvSource: string;
  if (flags.image !== undefined) {
    const read = await ctx.imageFiles!();
    const found = await read(flags.image, [...RESOLVER_CONFIG_PATHS.map((k) => k.path), RESOLV_CONF]);
    const hit = RESOLVER_CONFIG_PATHS.find((k) => found.get(k.path)?.found);
    if (!hit) throw new InputError(cli('--image'), `image ${flags.image} has none of ${RESOLVER_CONFIG_PATHS.map((k) => k.path).join(', ')} in its layers`, 'give the config with --config FILE --resolv-conf FILE instead');
    kind = hit.kind;
    configText = (found.get(hit.path) as { text: string }).text;
    configSource = `${flags.image}:${hit.path}`;
    const rc = found.get(RESOLV_CONF)!;
    if (!rc.found) throw new InputError(cli('--image'), `image ${flags.image} has no resolv.conf of its own: ${rc.why}`, 'give it with --config FILE --resolv-conf FILE instead');
    resolvText = rc.text;
    resolvSource = `${flags.image}:${RESOLV_CONF}`;
  } else {
    const read = (p: string, flag: string) => {
      try {
        return readFileSync(resolve(p), 'utf8');
      } catch (e) {
        throw new InputError(cli(flag), `cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'give a readable file');
      }
    };
    configText = read(flags.config!, '--config');
    configSource = resolve(flags.config!);
    resolvText = read(flags.resolvConf!, '--resolv-conf');
    resolvSource = resolve(flags.resolvConf!);
    kind = kindOfConfig(configText);
    if (!kind) throw new InputError({ file: flags.config! }, 'cannot tell which resolver this config is for', `give the config of a resolver dnsparity runs (${RESOLVER_CONFIG_PATHS.filter((k) => supportedKind(k.kind)).map((k) => k.kind).join(', ')})`);
  }
  if (!supportedKind(kind)) {
    throw new InputError(flags.image !== undefined ? cli('--image') : { file: flags.config! }, `found a ${kind} config (${configSource}); this dnsparity runs ${RESOLVER_CONFIG_PATHS.filter((k) => supportedKind(k.kind)).map((k) => k.kind).join(', ')} only`, 'a newer dnsparity may run it; see README "Scenario format", resolver.kind');
  }
  const rc = parseResolvConf(resolvText, resolvSource);
  const remote = rc.nameservers.filter((a) => isIPv4(a) && !a.startsWith('127.'));
  const provider = flags.provider ?? remote[0] ?? '169.254.169.253';
  const publicResolvers = remote.filter((a) => a !== provider);
  const includes = configText.split('\n').some((l) => /^\s*include(-toplevel)?\s*:/.test(l));

  const files = [...privateZones, ...publicZones].map((z) => z.file);
  if (flags.image === undefined) files.push(resolve(flags.config!), resolve(flags.resolvConf!));
  const root = commonDir([dir, ...files]);
  const name = (flags.image ?? basename(dirname(resolve(flags.config!)))).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'my-image';

  const L: string[] = [];
  L.push(
    `# A dnsparity scenario written by "dnsparity init" from ${flags.image !== undefined ? `image ${flags.image}` : `${flags.config} and ${flags.resolvConf}`}.`,
    flags.out !== undefined ? `# It runs as it is: dnsparity run ${flags.out}` : `# Paths are relative to ${dir}: save this file there (or use --out FILE), then dnsparity run FILE`,
    '# Lines marked "check:" are guesses init made; read them before you trust the verdict.',
    `name: ${q(name)}`,
    'description: |',
    '  Does this image resolve its private names the same with and without outbound',
    "  DNS? Expected: PASS once the private zones are routed to the provider's resolver.",
  );
  if (flags.image !== undefined) {
    L.push(
      `image: ${q(flags.image)}`,
      '# The docker backend runs the image itself; on netns its files run on this machine\'s resolver.',
    );
  }
  L.push('files:', `  root: ${q(rel(root))}   # every file below is read from this tree only`);
  L.push('resolver:', `  kind: ${kind}   # found ${configSource}`);
  if (flags.image === undefined) {
    L.push(`  config: ${q(rel(resolve(flags.config!)))}`);
    if (includes) L.push('  # check: the config includes other files; they are read under its directory, which stands for /etc/unbound (resolver.configRoot)');
  } else {
    L.push(`  # the image's own ${configSource.slice(flags.image.length + 1)}, read from its layers`);
    if (includes) L.push("  # check: the image's config includes other files, which are not read from images: copy its /etc/unbound and name it with config: and configRoot:");
  }
  if (flags.image === undefined) L.push('stub:', `  resolvConf: ${q(rel(resolve(flags.resolvConf!)))}`);
  else L.push("# stub.resolvConf is left out: the image's own /etc/resolv.conf is used, read from its layers");
  L.push(`${flags.image === undefined ? '  ' : ''}# resolv.conf asks ${rc.nameservers.join(', then ')} (timeout ${rc.timeoutS} s, attempts ${rc.attempts})`);
  L.push('network:', '  provider:', `    address: ${provider}${flags.provider !== undefined ? '' : remote[0] !== undefined ? "   # check: the first nameserver of resolv.conf that is not local, taken as the provider's resolver" : "   # check: resolv.conf names no resolver but a local one; this is the usual VPC resolver's address"}`);
  const zoneLines = (zs: readonly ZoneArg[], indent: string) => {
    for (const z of zs) L.push(`${indent}- origin: ${z.origin}`, `${indent}  file: ${q(rel(z.file))}`, ...(z.route53 ? [`${indent}  format: route53   # the JSON of aws route53 list-resource-record-sets`] : []));
  };
  if (privateZones.length) {
    L.push('    zones:   # private zones: served by the provider\'s resolver only');
    zoneLines(privateZones, '      ');
  } else {
    L.push('    zones: []   # check: no --private zone given; add the zones only the provider\'s resolver serves');
  }
  L.push('  public:');
  if (publicZones.length) {
    L.push('    zones:   # zones of the simulated Internet (signed, as the real one is)');
    zoneLines(publicZones, '      ');
  } else {
    L.push("    zones: []   # check: the public parent of a private zone decides what production sees; add it with --public ZONE=FILE");
  }
  if (publicResolvers.length) {
    L.push('  publicResolvers:   # resolv.conf names them; they recurse in the simulated Internet');
    for (const a of publicResolvers) L.push(`    - { address: ${a} }`);
  }
  L.push(
    'environments:',
    '  - name: production',
    '    description: outbound DNS to the Internet allowed',
    '    egress: allow',
    '    reference: true',
    '  - name: staging',
    '    description: outbound traffic to the Internet silently dropped',
    '    egress: drop',
    '  - name: preprod',
    '    description: outbound traffic to the Internet rejected by the firewall',
    '    egress: reject',
    '# check: environments differ only in egress; the provider\'s resolver is reachable in each.',
    'queries:',
    '  privateZones: true   # every owner name of the private zones',
    '  publicZones: true    # every owner name of the public zones',
    '  # check: add the names your application really resolves: names: [...] or file: names.txt ("name [TYPE]" a line)',
  );
  if (publicZones.length) {
    L.push(
      'expect:',
      '  differences:',
      '    - source: public-zone',
      '      class: slow-only-in-one',
      '      reason: >-',
      '        without outbound DNS the local resolver cannot reach the Internet, so',
      "        public names resolve through the provider's resolver after the stub's timeout",
      '      # check: remove this if public names must not wait for the fallback where egress is blocked',
    );
  }
  const text = `${L.join('\n')}\n`;
  // Planned before it is written: zones loaded and checked, resolv.conf against the network.
  const scenario = parseScenario(text, out);
  await planScenario(scenario, ctx.imageFile ? { imageFile: ctx.imageFile } : {});
  return { text, file: out };
}

/** The image reader of the docker backend, loaded only when --image is given (it loads the engine client). */
export async function engineImageFiles(): Promise<ImageFilesReader> {
  const [{ requireEngine }, { imageExists }, { readImageFiles }, { missingImageMessage }, { PrerequisiteError }] = await Promise.all([
    import('../backend/docker/engine.js'),
    import('../backend/docker/images.js'),
    import('../backend/docker/image-files.js'),
    import('../backend/docker/index.js'),
    import('../errors.js'),
  ]);
  return async (image, paths) => {
    const engine = await requireEngine();
    if (!(await imageExists(engine, image))) throw new PrerequisiteError(missingImageMessage(image));
    return readImageFiles(engine, image, paths);
  };
}

export async function initCommand(flags: InitFlags, ctx: InitContext): Promise<number> {
  const { text, file } = await initScenario(flags, ctx);
  if (flags.out === undefined) {
    ctx.stdout.write(text);
    return EXIT.parity;
  }
  writeFileSync(file, text, { flag: 'wx' });
  ctx.stderr.write(`wrote ${flags.out}; run it with: dnsparity run ${flags.out}${flags.image === undefined ? '' : ' (docker when an engine answers, else netns)'}\n`);
  return EXIT.parity;
}
