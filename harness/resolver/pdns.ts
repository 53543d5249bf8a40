// PowerDNS Recursor 4.8 (pdns_recursor) as the resolver under test. The
// image's recursor.conf and include-dir files are used as they are except for
// the substitutions that point pdns at the simulated Internet and let it run
// in the sandbox; each is listed in the report. Replaced settings are
// commented out in the copies, where they stand, and the harness's values are
// given on the command line, which pdns takes over any file: so later files of
// the include-dir cannot undo them, and line numbers stay the image's.
import { join, posix } from 'node:path';
import { InputError, type Location } from '../errors.js';
import type { Substitution, UpstreamExchange } from '../model.js';
import type { TrustAnchor } from '../network/dnssec.js';
import { tryRun } from '../util/exec.js';
import { allSettings, effective, loadPdnsConfig, parsePdnsSettings, PDNS_CONFIG_DIR, PDNS_MAIN_CONFIG, pdnsImageToLocal, type PdnsConfig } from './pdns-config.js';
import { parsePdnsTrace } from './pdns-log.js';
import type { ConfigMessage, PrepareContext, PreparedConfig, PreparedFile, ResolverConfig, ResolverUnderTest } from './types.js';

/**
 * pdns's default dont-query: it refuses to ask servers in these ranges. The
 * simulated Internet lives in the documentation ranges (192.0.2.0/24,
 * 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32), where no real server is,
 * so those are taken out of whatever list the image uses.
 */
export const PDNS_DEFAULT_DONT_QUERY = '127.0.0.0/8, 10.0.0.0/8, 100.64.0.0/10, 169.254.0.0/16, 192.168.0.0/16, 172.16.0.0/12, ::1/128, fc00::/7, fe80::/10, 0.0.0.0/8, 192.0.0.0/24, 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 240.0.0.0/4, ::/96, ::ffff:0:0/96, 100::/64, 2001:db8::/32';
const SIMULATED_RANGES = new Set(['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32']);

/** The Lua config Debian ships: only the root key of the dns-root-data package. */
const STOCK_LUA = /^dofile\(\s*["']\/usr\/share\/pdns-recursor\/lua-config\/rootkeys\.lua["']\s*\)$/;
const luaStatements = (text: string): string[] =>
  text
    .replace(/--\[\[[\s\S]*?\]\]/g, '')
    .split('\n')
    .map((l) => l.replace(/--.*$/, '').trim())
    .filter((l) => l !== '');
/** Trust-anchor declarations with literal arguments: data, not code. */
const ANCHOR_CALL = /^(addTA|addNTA|clearTA|clearNTA)\(\s*(["'][^"'\\]*["']\s*(,\s*["'][^"'\\]*["']\s*)?)?\)\s*;?$/;
/**
 * Whether a Lua config file does nothing but load Debian's root key and
 * declare trust anchors (addTA, addNTA, clearTA, clearNTA with literal
 * arguments): such a file is data, which the netns backend may use.
 */
export const isStockLua = (text: string): boolean => luaStatements(text).every((l) => STOCK_LUA.test(l) || ANCHOR_CALL.test(l));

/** Whether pdns validates with this config: its default, dnssec=process, validates for clients that ask (DO or AD). */
export function pdnsValidates(config: Pick<PdnsConfig, 'files'>): boolean {
  const mode = (effective(config, 'dnssec')?.value ?? 'process').toLowerCase();
  return mode !== 'off' && mode !== 'process-no-validate';
}

/** Where pdns listens: its first IPv4 local-address (0.0.0.0: loopback), at local-port or the address's own port. */
export function pdnsListen(config: Pick<PdnsConfig, 'files'>): { address: string; port: number } {
  const port = Number(effective(config, 'local-port')?.value) || 53;
  for (const a of (effective(config, 'local-address')?.value ?? '127.0.0.1').split(/[\s,]+/).filter(Boolean)) {
    const m = /^(\d+\.\d+\.\d+\.\d+)(?::(\d+))?$/.exec(a);
    if (m) return { address: m[1] === '0.0.0.0' ? '127.0.0.1' : m[1]!, port: m[2] ? Number(m[2]) : port };
  }
  return { address: '127.0.0.1', port };
}

export interface PdnsRoute {
  readonly zone: string;
  readonly addresses: readonly string[];
  readonly how: 'forward' | 'stub';
  readonly file?: string;
  readonly line?: number;
}

/**
 * forward-zones (to authoritative servers, without recursion desired: a stub)
 * and forward-zones-recurse (to recursive resolvers): "zone=addr;addr, zone2=addr".
 * A forward-zones-file's lines ("+zone=addr" recurses) are read when it lies in the config root.
 */
export function pdnsRoutes(config: Pick<PdnsConfig, 'files' | 'extraFiles' | 'root'>): PdnsRoute[] {
  const out: PdnsRoute[] = [];
  const entries = (value: string, how: 'forward' | 'stub', at: { file: string; line: number }) => {
    for (const e of value.split(',').map((x) => x.trim()).filter(Boolean)) {
      const [zone, addrs = ''] = e.split('=');
      const z = (zone ?? '').trim().replace(/^\+/, '').toLowerCase().replace(/\.$/, '');
      const addresses = addrs.split(';').map((a) => a.trim().replace(/^\[(.*)\](:\d+)?$/, '$1').replace(/^(\d+\.\d+\.\d+\.\d+):\d+$/, '$1')).filter(Boolean);
      if (addresses.length) out.push({ zone: z, addresses, how: (zone ?? '').trim().startsWith('+') ? 'forward' : how, ...at });
    }
  };
  for (const key of ['forward-zones', 'forward-zones-recurse'] as const) {
    const e = effective(config, key);
    if (e) for (const s of e.from) entries(s.value, key === 'forward-zones' ? 'stub' : 'forward', { file: s.file, line: s.line });
  }
  const ff = effective(config, 'forward-zones-file');
  if (ff && ff.value !== '') {
    const local = pdnsImageToLocal(posix.resolve(PDNS_CONFIG_DIR, ff.value), config.root);
    const f = config.extraFiles.find((x) => x.path === local);
    f?.text.split('\n').forEach((l, i) => {
      const t = l.replace(/#.*$/, '').trim();
      if (t) entries(t, 'stub', { file: f.path, line: i + 1 });
    });
  }
  return out;
}

export interface PdnsHostEffect {
  readonly file: string;
  readonly line: number;
  readonly option: string;
  readonly value: string;
  readonly kind: 'reads a file' | 'runs code';
}

/** What the config would make this machine's pdns_recursor read or run. */
export function pdnsHostEffects(config: PdnsConfig): PdnsHostEffect[] {
  const out: PdnsHostEffect[] = [];
  for (const s of allSettings(config)) {
    if (s.value === '' || s.value === 'no' || s.value === 'off') continue;
    const at = { file: s.file, line: s.line, option: s.key, value: s.value };
    if (s.key === 'lua-dns-script') out.push({ ...at, kind: 'runs code' });
    if (s.key === 'lua-config-file') {
      const local = pdnsImageToLocal(posix.resolve(PDNS_CONFIG_DIR, s.value), config.root);
      const f = config.extraFiles.find((x) => x.path === local);
      if (!f || !isStockLua(f.text)) out.push({ ...at, kind: 'runs code' });
    }
    if (s.key === 'forward-zones-file' || s.key === 'allow-from-file' || s.key === 'allow-notify-from-file' || s.key === 'allow-notify-for-file') {
      if (pdnsImageToLocal(posix.resolve(PDNS_CONFIG_DIR, s.value), config.root) === undefined) out.push({ ...at, kind: 'reads a file' });
    }
    if (s.key === 'auth-zones' || (s.key === 'export-etc-hosts' && /^(yes|on|true|1)$/i.test(s.value))) out.push({ ...at, kind: 'reads a file' });
  }
  return out;
}

/** A root trust anchor for pdns's Lua config: its DS records, the built-in ones cleared first. */
export function pdnsAnchorLua(ta: TrustAnchor): string {
  return ['-- dnsparity: the simulated root\'s key, made for this run, instead of the built-in root anchor.', 'clearTA(".")', ...ta.ds.map((d) => `addTA(".", "${d.split(/\s+/).slice(4).join(' ')}")`), ''].join('\n');
}

/** Settings replaced by the harness's value on the command line; the image's lines are commented out. */
const COMMAND_LINE: Record<string, { value: (c: PrepareContext) => string; why: string }> = {
  'hint-file': { value: (c) => c.rootHintsFile, why: 'point recursion at the simulated root (pdns\'s built-in hints are the real root servers)' },
  // Each instance (environment, start) gets its own directory below this one (instanceDir, command): instances that
  // shared one would bind one control socket path, and the second to bind it refuses to start.
  'socket-dir': { value: (c) => join(c.workDir, 'pdns'), why: 'control socket and pid file inside the run directory, in a directory of each environment\'s own below this one' },
  daemon: { value: () => 'no', why: 'run in the foreground, so the harness tracks the process by its id' },
  'write-pid': { value: () => 'no', why: 'the harness tracks the process by its id' },
  'disable-syslog': { value: () => 'yes', why: 'log to stderr, kept by the harness per environment' },
  setuid: { value: () => '', why: 'keep the privileges needed inside the namespace' },
  setgid: { value: () => '', why: 'keep the privileges needed inside the namespace' },
  chroot: { value: () => '', why: 'run without a chroot in the sandbox' },
  'public-suffix-list-file': { value: () => '', why: "the named file is this machine's: pdns uses its built-in list" },
};

export function preparePdnsConfig(config: PdnsConfig, ctx: PrepareContext): PreparedConfig {
  const copyDir = join(ctx.configDir, 'etc/powerdns');
  const incDir = join(copyDir, 'recursor.d');
  const copyOf = (path: string): string => {
    if (path === config.main) return join(copyDir, 'recursor.conf');
    if (config.includeDir && posix.dirname(path) === config.includeDir.local) return join(incDir, posix.basename(path));
    return join(copyDir, posix.relative(config.root, path));
  };
  const lines = new Map(config.files.map((f) => [f.path, f.text.split('\n')]));
  const substitutions: Substitution[] = [];
  const args = new Map<string, string>();
  const comment = (s: { file: string; line: number; endLine: number }) => {
    const ls = lines.get(s.file)!;
    for (let l = s.line; l <= s.endLine; l++) ls[l - 1] = `# dnsparity substitution (on the command line): ${ls[l - 1]}`;
  };
  const validates = pdnsValidates(config);
  if (validates && !ctx.trustAnchor) {
    const d = effective(config, 'dnssec')?.from.at(-1);
    throw new InputError(d ? { file: d.file, line: d.line, field: 'dnssec' } : { file: config.main, field: 'dnssec' }, `pdns_recursor validates DNSSEC with this config (${d ? `dnssec=${effective(config, 'dnssec')!.value}` : "its default, dnssec=process, for clients that ask"}), which needs a signed simulated Internet, and this backend does not sign one`, 'use the netns backend, or set dnssec=off to test resolution without validation');
  }

  for (const s of allSettings(config)) {
    const c = Object.hasOwn(COMMAND_LINE, s.key) ? COMMAND_LINE[s.key] : undefined;
    if (c) {
      substitutions.push({ option: s.key, original: s.value, replacement: `--${s.key}=${c.value(ctx)}`, why: c.why, line: s.line, file: s.file });
      comment(s);
    }
  }
  for (const [k, c] of Object.entries(COMMAND_LINE)) {
    args.set(k, c.value(ctx));
    if (!substitutions.some((s) => s.option === k) && ['hint-file', 'socket-dir', 'daemon', 'write-pid', 'disable-syslog'].includes(k)) {
      substitutions.push({ option: k, original: null, replacement: `--${k}=${c.value(ctx)}`, why: c.why });
    }
  }
  // dont-query: the image's list (or pdns's default) without the simulated Internet's ranges.
  const dq = effective(config, 'dont-query');
  const dqList = (dq?.value ?? PDNS_DEFAULT_DONT_QUERY).split(/[\s,]+/).filter(Boolean);
  const kept = dqList.filter((n) => !SIMULATED_RANGES.has(n));
  if (kept.length !== dqList.length) {
    const last = dq?.from.at(-1);
    for (const s of dq?.from ?? []) comment({ ...s });
    substitutions.push({ option: 'dont-query', original: dq?.value ?? null, replacement: `--dont-query=${kept.join(',')}`, why: 'the simulated Internet lives in the documentation ranges, which pdns refuses to query; the real Internet has no server there', ...(last ? { line: last.line, file: last.file } : {}) });
    args.set('dont-query', kept.join(','));
  }
  // include-dir and the files settings name: their copies.
  const files: PreparedFile[] = [];
  if (config.includeDir) {
    const s = allSettings(config).find((x) => x.key === 'include-dir' && x.file === config.main && x.line === config.includeDir!.line)!;
    comment(s);
    substitutions.push({ option: 'include-dir', original: s.value, replacement: `--include-dir=${incDir}`, why: `resolver.configRoot stands for the image's ${PDNS_CONFIG_DIR}; its files are read from copies with these substitutions`, line: s.line, file: s.file });
    args.set('include-dir', incDir);
  }
  for (const f of config.extraFiles) {
    const key = (['lua-config-file', 'forward-zones-file', 'allow-from-file', 'allow-notify-from-file', 'allow-notify-for-file', 'lua-dns-script', 'etc-hosts-file'] as const).find((k) => {
      const e = effective(config, k);
      return e && e.value !== '' && pdnsImageToLocal(posix.resolve(PDNS_CONFIG_DIR, e.value), config.root) === f.path;
    });
    if (!key) continue;
    const copy = copyOf(f.path);
    files.push({ path: copy, text: f.text, original: f.path });
    if (key === 'lua-config-file') continue; // handled with the trust anchor below
    const e = effective(config, key)!;
    for (const s of e.from) comment(s);
    substitutions.push({ option: key, original: e.value, replacement: `--${key}=${copy}`, why: `resolver.configRoot stands for the image's ${PDNS_CONFIG_DIR}; pdns reads a copy`, line: e.from.at(-1)!.line, file: e.from.at(-1)!.file });
    args.set(key, copy);
  }
  // The root trust anchor: a Lua config of the harness's, which runs the image's own first (its other anchors stay).
  const lua = effective(config, 'lua-config-file');
  const imageLua = lua && lua.value !== '' ? config.extraFiles.find((f) => f.path === pdnsImageToLocal(posix.resolve(PDNS_CONFIG_DIR, lua.value), config.root)) : undefined;
  if (validates) {
    const own = join(ctx.configDir, 'dnsparity-anchors.lua');
    const body = [imageLua && luaStatements(imageLua.text).some((l) => !STOCK_LUA.test(l)) ? `dofile("${copyOf(imageLua.path)}")` : '', pdnsAnchorLua(ctx.trustAnchor!)].filter(Boolean).join('\n');
    files.push({ path: own, text: body });
    for (const s of lua?.from ?? []) comment(s);
    const last = lua?.from.at(-1);
    substitutions.push({
      option: 'lua-config-file',
      original: lua?.value ?? null,
      replacement: `--lua-config-file=${own}`,
      why: imageLua && luaStatements(imageLua.text).some((l) => !STOCK_LUA.test(l)) ? "trust the simulated root's key, made for this run: a Lua file that runs the image's and then replaces the root anchor" : "trust the simulated root's key, made for this run, instead of the built-in root anchor",
      ...(last ? { line: last.line, file: last.file } : {}),
    });
    args.set('lua-config-file', own);
  } else if (imageLua) {
    for (const s of lua!.from) comment(s);
    substitutions.push({ option: 'lua-config-file', original: lua!.value, replacement: `--lua-config-file=${copyOf(imageLua.path)}`, why: `resolver.configRoot stands for the image's ${PDNS_CONFIG_DIR}; pdns reads a copy`, line: lua!.from.at(-1)!.line, file: lua!.from.at(-1)!.file });
    args.set('lua-config-file', copyOf(imageLua.path));
  }
  if (ctx.traceUpstream !== false) {
    const t = effective(config, 'trace');
    for (const s of t?.from ?? []) comment(s);
    substitutions.push({ option: 'trace', original: t?.value ?? null, replacement: '--trace=yes', why: 'log every upstream query, so the report can say which servers pdns reached' });
    args.set('trace', 'yes');
    // The trace names a client query by its task number, which each worker thread counts on its own.
    const th = effective(config, 'threads');
    for (const s of th?.from ?? []) comment(s);
    substitutions.push({ option: 'threads', original: th?.value ?? null, replacement: '--threads=1', why: "one worker thread while tracing: the trace names each client query by a task number each thread counts on its own, so two threads' queries would be told apart by nothing" });
    args.set('threads', '1');
  }
  files.unshift(...config.files.map((f) => ({ path: copyOf(f.path), text: lines.get(f.path)!.join('\n'), original: f.path })));
  const runArgs = [`--config-dir=${copyDir}`, ...[...args].map(([k, v]) => `--${k}=${v}`)];
  // An include-dir with no .conf file still has to exist for pdns to start.
  return { main: join(copyDir, 'recursor.conf'), files, substitutions, listen: pdnsListen(config), runArgs, dirs: config.includeDir ? [incDir] : [], instanceDir: args.get('socket-dir')! };
}

/** pdns's complaint about a setting, mapped to the image's file and line where the setting is written. */
export function pdnsCheckError(output: string, prepared: Pick<PreparedConfig, 'files' | 'main'>): InputError {
  const original = prepared.files.find((f) => f.path === prepared.main)?.original ?? prepared.main;
  const reason = /reason="([^"]*)"/.exec(output)?.[1] ?? /error="([^"]*)"/.exec(output)?.[1] ?? output.trim().split('\n').pop() ?? 'rejected';
  const setting = /setting '([^']+)'/.exec(reason)?.[1];
  if (setting) {
    for (const f of prepared.files) {
      if (!f.original || !/\.conf$/.test(f.path)) continue;
      const i = f.text.split('\n').findIndex((l) => new RegExp(`^\\s*(--)?${setting.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\+?=`).test(l));
      if (i >= 0) return new InputError({ file: f.original, line: i + 1, field: setting }, `pdns_recursor --config=check: ${reason}`, "fix the image's recursor.conf");
    }
  }
  return new InputError({ file: original }, `pdns_recursor --config=check rejected the config: ${reason}`, "fix the image's recursor.conf");
}

/** pdns_recursor's own check: it parses every file (--config=check) and exits non-zero naming what it could not take. */
export async function checkPdns(prepared: PreparedConfig): Promise<void> {
  const r = await tryRun('pdns_recursor', [...(prepared.runArgs ?? []).filter((a) => !a.startsWith('--trace')), '--config=check']);
  if (r.exitCode === 0) return;
  throw pdnsCheckError(`${r.stdout}\n${r.stderr}`, prepared);
}

/** pdns_recursor in the foreground, its settings for the sandbox on the command line (runArgs from prepare); its control socket in instanceDir. */
export const pdnsCommand = (_preparedFile: string, runArgs: readonly string[] = [], instanceDir?: string): readonly string[] => [
  'pdns_recursor',
  ...runArgs.map((a) => (instanceDir && a.startsWith('--socket-dir=') ? `--socket-dir=${instanceDir}` : a)),
];

export const parsePdnsActivity = (log: string): UpstreamExchange[] => parsePdnsTrace(log);

/** pdns's complaint at start (docker: the image's own binary), at the image's file and line of the setting. */
export function pdnsStartFailure(log: string, prepared: PreparedConfig): ConfigMessage | undefined {
  if (!/Unable to parse configuration file|Fatal|Exiting because/.test(log)) return undefined;
  const e = pdnsCheckError(log, prepared);
  const loc = e.location;
  const message = /reason="([^"]*)"/.exec(log)?.[1] ?? /^Fatal: (.*)$/m.exec(log)?.[1] ?? log.trim().split('\n').pop()!;
  return { file: loc?.file ?? prepared.main, ...(loc?.line !== undefined ? { line: loc.line } : {}), message: `pdns_recursor: ${message}` };
}

/** The image's own recursor.conf, read from its layers: one file (an include-dir needs the image's /etc/powerdns tree). */
export function pdnsImageConfig(text: string, source: string, where: Location): PdnsConfig {
  const inc = parsePdnsSettings(text, source).find((s) => s.key === 'include-dir' && s.value !== '');
  if (inc) {
    throw new InputError(where, `the image's own config (${source}) includes the directory ${inc.value} (line ${inc.line}), which is not read from images`, `copy the image's ${PDNS_CONFIG_DIR} tree and name it with resolver.config and resolver.configRoot`);
  }
  return { kind: 'pdns-recursor', main: PDNS_MAIN_CONFIG, root: PDNS_CONFIG_DIR, files: [{ path: PDNS_MAIN_CONFIG, text }], extraFiles: [] };
}

const asPdns = (config: ResolverConfig): PdnsConfig => {
  if (config.kind !== 'pdns-recursor') throw new Error(`the pdns-recursor module was handed a ${config.kind} config`);
  return config as PdnsConfig;
};

export const pdnsRecursor: ResolverUnderTest = {
  kind: 'pdns-recursor',
  name: 'pdns_recursor',
  binaries: [{ name: 'pdns_recursor', pkg: 'pdns-recursor' }],
  image: { configDir: PDNS_CONFIG_DIR, mainConfig: PDNS_MAIN_CONFIG },
  // The docker backend's default host: Debian with its pdns-recursor.
  dockerHost: { binaries: ['pdns_recursor'], packages: ['pdns-recursor'], debianPackages: ['pdns-recursor'] },
  load: loadPdnsConfig,
  fromImage: pdnsImageConfig,
  listen: (c) => pdnsListen(asPdns(c)),
  validates: (c) => pdnsValidates(asPdns(c)),
  routes: (c) => pdnsRoutes(asPdns(c)),
  hostEffects: (c) => pdnsHostEffects(asPdns(c)),
  prepare: (c, ctx) => preparePdnsConfig(asPdns(c), ctx),
  check: checkPdns,
  command: pdnsCommand,
  parseActivity: parsePdnsActivity,
  startFailure: pdnsStartFailure,
};
