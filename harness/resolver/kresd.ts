// Knot Resolver 5 (kresd) as the resolver under test (resolver.kind:
// knot-resolver). Its config is a Lua program, so the harness does not edit
// it: the image's files are copied as they are (only dofile() paths point at
// the copies, on the same lines), and a wrapper of the harness's runs the
// copy between a prelude and an epilogue that make the substitutions at the
// level of the functions the config calls: the image's user(), log_target(),
// root trust anchors and root hints are set aside for the run's, the cache and
// control socket go to the instance's own run directory. Each substitution is
// listed in the report with the image's file and line where the config says
// what is replaced.
import { join, posix } from 'node:path';
import { InputError } from '../errors.js';
import type { Substitution } from '../model.js';
import type { TrustAnchor } from '../network/dnssec.js';
import { tryRun } from '../util/exec.js';
import { calls, kresdImageConfig, KRESD_IMAGE_DIR, KRESD_MAIN, loadKresdConfig, luaStrings, type KresdConfig, type KresdFile } from './kresd-config.js';
import { parseKresdLog } from './kresd-log.js';
import type { ConfigMessage, HostEffect, PrepareContext, PreparedConfig, PreparedFile, ResolverConfig, ResolverUnderTest, ZoneRoute } from './types.js';

const asKresd = (config: ResolverConfig): KresdConfig => {
  if (config.kind !== 'knot-resolver') throw new Error(`the kresd module was handed a ${config.kind} config`);
  return config as KresdConfig;
};

/** The wrapper the harness starts kresd with, and its twin for the config check (which quits once the config is loaded). */
export const WRAPPER = 'kresd.dnsparity.lua';
export const CHECK_WRAPPER = 'kresd.dnsparity-check.lua';
/** Log groups whose debug lines say which servers kresd asked and what came back (log_groups: debug for them alone). */
export const TRACE_GROUPS = ['iterat', 'resolv', 'select', 'valdtr'] as const;

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const addressOf = (s: string): string => s.replace(/^\[(.*)\]$/, '$1').split(/[@#]/)[0]!.trim();
const isAddress = (s: string): boolean => IPV4.test(addressOf(s)) || /^[0-9a-f:]+:[0-9a-f:]*$/i.test(addressOf(s));

/** Where it listens: the first plain-DNS net.listen() of an IPv4 literal, and its port; 127.0.0.1:53 without any (kresd's own default). */
export function kresdListen(config: KresdConfig): { address: string; port: number } {
  for (const f of config.files) {
    for (const c of calls(f.code, 'net.listen')) {
      if (/kind\s*=\s*['"](tls|doh2|doh_legacy|webmgmt|control|xdp)['"]/.test(c.args)) continue;
      const address = luaStrings(c.args).find((s) => IPV4.test(s));
      if (!address) continue;
      const port = /^[^,]*,\s*(\d+)/.exec(c.args.replace(/\{[^}]*\}/, '{}'))?.[1];
      return { address: address === '0.0.0.0' ? '127.0.0.1' : address, port: port ? Number(port) : 53 };
    }
  }
  return { address: '127.0.0.1', port: 53 };
}

/** kresd validates by default (it loads the root's key before any config); only a config that removes the root's anchor does not. */
export const kresdValidates = (config: KresdConfig): boolean =>
  !config.files.some((f) => calls(f.code, 'trust_anchors.remove').some((c) => luaStrings(c.args)[0] === '.'));

/** policy.STUB / FORWARD / TLS_FORWARD actions, with the zones of the policy.add() filter around them (policy.all: every name). */
export function kresdRoutes(config: KresdConfig): ZoneRoute[] {
  const out: ZoneRoute[] = [];
  for (const f of config.files) {
    const adds = calls(f.code, 'policy.add');
    for (const c of calls(f.code, /policy\.(?:STUB|FORWARD|TLS_FORWARD)/)) {
      const addresses = luaStrings(c.args).filter(isAddress).map(addressOf);
      if (!addresses.length) continue;
      const around = adds.find((a) => a.at < c.at && c.at < a.at + a.args.length + 12);
      // The filter's names: todname('x.') and todnames({ 'a.', 'b.' }) (policy.all: every name).
      const named = around && !/policy\.all\s*\(/.test(around.args) ? calls(around.args, /policy\.todnames|todnames|todname/).flatMap((t) => luaStrings(t.args)) : [];
      const zones = named.map((z) => z.toLowerCase().replace(/\.$/, '')).map((z) => (z === '' ? '' : z));
      for (const zone of zones.length ? zones : ['']) out.push({ zone, addresses, how: c.name === 'policy.STUB' ? 'stub' : 'forward', file: f.path, line: c.line });
    }
  }
  return out;
}

/** Calls that would run code of this machine or read its files, when the netns backend runs the image's Lua here, as root. */
const HOST_CALLS: readonly { pattern: RegExp; kind: HostEffect['kind'] }[] = [
  { pattern: /os\.execute|io\.popen|package\.loadlib|loadstring|string\.dump|setfenv|getfenv|debug\.\w+|require|load/, kind: 'runs code' },
  { pattern: /io\.open|io\.lines|io\.input|policy\.rpz|hints\.add_hosts|hints\.config|net\.tls|os\.remove|os\.rename/, kind: 'reads a file' },
];

export function kresdHostEffects(config: KresdConfig): HostEffect[] {
  const out: HostEffect[] = [];
  for (const f of config.files) {
    for (const { pattern, kind } of HOST_CALLS) {
      for (const c of calls(f.code, pattern)) out.push({ file: f.path, line: c.line, option: `${c.name}()`, value: `${c.name}(${c.args.trim().slice(0, 60)})`, kind });
    }
    // ffi reaches any C function of the process, whatever it is called through.
    for (const m of f.code.matchAll(/(?<![\w.])ffi\s*\.\s*\w+/g)) out.push({ file: f.path, line: f.code.slice(0, m.index).split('\n').length, option: 'ffi', value: m[0], kind: 'runs code' });
  }
  return out.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

/** What the config says that the harness replaces, with where it says it: for the report. */
function sites(config: KresdConfig): { option: string; original: string; file: string; line: number; why: string; replacement: string }[] {
  const out: ReturnType<typeof sites> = [];
  const text = (f: KresdFile, c: { name: string; args: string }) => `${c.name}(${c.args.replace(/\s+/g, ' ').trim()})`;
  for (const f of config.files) {
    const add = (name: string | RegExp, option: string, replacement: string, why: string, keep: (args: string) => boolean = () => true) => {
      for (const c of calls(f.code, name)) if (keep(c.args)) out.push({ option, original: text(f, c), file: f.path, line: c.line, why, replacement });
    };
    add('user', 'user()', '(ignored)', 'keep the privileges it has in the sandbox (the image\'s user need not exist on this machine)');
    add('log_target', 'log_target()', "log_target('stderr')", 'log to stderr, kept by the harness per environment');
    add('trust_anchors.add_file', 'trust_anchors.add_file()', '(ignored: the run\'s root key is added instead)', "trust the simulated root's key, made for this run");
    add('trust_anchors.add', 'trust_anchors.add()', '(ignored: the run\'s root key is added instead)', "trust the simulated root's key, made for this run", (a) => /^\s*['"]\s*\.\s/.test(a));
    add(/hints\.root_file|hints\.root/, 'hints.root()', '(overridden: the simulated root)', 'point recursion at the simulated root');
    add('cache.open', 'cache.open()', "the instance's run directory", 'a cache of its own per environment and start, in the run directory', (a) => /lmdb:\/\//.test(a));
    add('net.listen', 'net.listen(control)', "the instance's run directory", 'the control socket in the run directory', (a) => /kind\s*=\s*['"]control['"]/.test(a));
    for (const m of f.code.matchAll(/cache\.storage\s*=/g)) {
      out.push({ option: 'cache.storage', original: f.text.split('\n')[f.code.slice(0, m.index).split('\n').length - 1]!.trim(), file: f.path, line: f.code.slice(0, m.index).split('\n').length, why: 'a cache of its own per environment and start, in the run directory', replacement: "the instance's run directory" });
    }
  }
  return out.sort((a, b) => (a.file === b.file ? a.line - b.line : 0));
}

/** A Lua string literal. */
const lua = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function kresdTrustAnchorFile(ta: TrustAnchor): string {
  return `${ta.ds.join('\n')}\n`;
}

export function prepareKresdConfig(config: KresdConfig, ctx: PrepareContext): PreparedConfig {
  const mirror = (f: KresdFile): string => join(ctx.configDir, f.imagePath);
  const validates = kresdValidates(config);
  if (validates && !ctx.trustAnchor) {
    const main = config.files[0]!;
    throw new InputError({ file: main.path }, 'kresd validates DNSSEC by default (it loads the root\'s key before any config), which needs a signed simulated Internet, and this backend does not sign one', "use the netns backend, or add trust_anchors.remove('.') to test resolution without validation");
  }
  // The image's files, as they are, but for dofile() paths pointed at the copies (same line).
  const files: PreparedFile[] = config.files.map((f) => {
    const lines = f.text.split('\n');
    for (const inc of f.includes) {
      const copy = join(ctx.configDir, posix.normalize(inc.written));
      lines[inc.line - 1] = lines[inc.line - 1]!.split(inc.written).join(copy);
    }
    return { path: mirror(f), text: lines.join('\n'), original: f.path };
  });
  const substitutions: Substitution[] = [];
  for (const s of sites(config)) substitutions.push({ option: s.option, original: s.original, replacement: s.replacement, why: s.why, file: s.file, line: s.line });
  for (const f of config.files) {
    for (const inc of f.includes) {
      substitutions.push({ option: 'dofile()', original: inc.written, replacement: join(ctx.configDir, posix.normalize(inc.written)), why: `resolver.configRoot stands for the image's ${KRESD_IMAGE_DIR}; its files are read from copies`, file: f.path, line: inc.line });
    }
  }
  const taFile = join(ctx.configDir, 'root.ds');
  if (validates && ctx.trustAnchor) files.push({ path: taFile, text: kresdTrustAnchorFile(ctx.trustAnchor) });
  const trace = ctx.traceUpstream !== false;
  const always: Omit<Substitution, 'original'>[] = [
    { option: 'root hints', replacement: `_hint_root_file(${lua(ctx.rootHintsFile)}) after the config`, why: 'point recursion at the simulated root' },
    { option: 'trust anchor', replacement: validates ? `trust_anchors.add_file(${lua(taFile)}, true) after the config` : 'none (the config removes the root\'s)', why: "kresd loads the real root's key (/usr/share/dns/root.key) before any config: it is removed, and the simulated root's key, made for this run, trusted instead" },
    { option: 'rundir', replacement: "an empty directory of the run's per environment and start (the command line's rundir)", why: 'run inside the run directory; the cache (lmdb:// in the rundir) and the control socket are its own, so no environment or start sees another\'s cache' },
    { option: 'log_target()', replacement: "log_target('stderr')", why: 'log to stderr, kept by the harness per environment' },
    { option: 'user()', replacement: '(not called)', why: 'keep the privileges it has in the sandbox' },
    ...(trace ? [{ option: 'log_groups()', replacement: `log_groups({${TRACE_GROUPS.map(lua).join(', ')}}) after the config`, why: 'log every upstream query (debug lines of those groups alone), so the report can say which servers kresd reached' }] : []),
  ];
  substitutions.push(...always.map((s) => ({ ...s, original: null })));
  const mainCopy = files[0]!.path;
  const wrapper = (check: boolean) => [
    "-- dnsparity: runs the image's Knot Resolver config (the copy below) with the",
    '-- substitutions listed in the report, and nothing else.',
    'local dnsparity = { root_removed = false, add_file = trust_anchors.add_file }',
    "log_target('stderr')",
    'log_target = function() end',
    'user = function() end',
    "trust_anchors.remove('.') -- the real root's key, which kresd loads before any config",
    'do',
    '  local add, remove = trust_anchors.add, trust_anchors.remove',
    '  trust_anchors.add_file = function() end',
    "  trust_anchors.add = function(rr) if not tostring(rr):match('^%s*%.%s') then return add(rr) end end",
    "  trust_anchors.remove = function(zone) if zone == '.' then dnsparity.root_removed = true end return remove(zone) end",
    '  local open = cache.open',
    "  cache.open = function(size, storage) return open(size, 'lmdb://') end",
    '  local listen = net.listen',
    "  net.listen = function(addr, port, opts) if type(opts) == 'table' and opts.kind == 'control' then return end return listen(addr, port, opts) end",
    'end',
    `dofile(${lua(mainCopy)})`,
    `_hint_root_file(${lua(ctx.rootHintsFile)})`,
    ...(validates && ctx.trustAnchor ? [`if not dnsparity.root_removed then dnsparity.add_file(${lua(taFile)}, true) end`] : []),
    ...(trace ? [`log_groups({${TRACE_GROUPS.map(lua).join(', ')}})`] : []),
    ...(check ? ['quit()'] : []),
    '',
  ].join('\n');
  const main = join(ctx.configDir, WRAPPER);
  files.push({ path: main, text: wrapper(false) }, { path: join(ctx.configDir, CHECK_WRAPPER), text: wrapper(true) });
  return { main, files, substitutions, listen: kresdListen(config), runArgs: ['-n'], instanceDir: join(ctx.workDir, 'kresd') };
}

/** kresd's "error while loading config: FILE:LINE: message", with the copy's path replaced by the image's file. */
export function mapKresdMessage(log: string, prepared: PreparedConfig): ConfigMessage | undefined {
  // Lua shortens a long file name to its tail, after "...".
  const m = /error while loading config: ((?:\.\.\.)?[^:\s]+):(\d+): (.*?)(?: \(workdir '[^']*'\))?$/m.exec(log);
  if (!m) {
    const other = /error while loading config: (.*?)(?: \(workdir '[^']*'\))?$/m.exec(log);
    if (!other) return undefined;
    const main = prepared.files.find((f) => f.original && f.path !== prepared.main)?.original ?? prepared.main;
    return { file: main, message: `kresd: ${mapPaths(other[1]!, prepared)}` };
  }
  const shown = m[1]!;
  const copy = shown.startsWith('...') ? prepared.files.find((f) => f.path.endsWith(shown.slice(3))) : prepared.files.find((f) => f.path === shown);
  return { file: copy?.original ?? copy?.path ?? shown, line: Number(m[2]), message: `kresd: ${mapPaths(m[3]!, prepared)}` };
}

const mapPaths = (message: string, prepared: PreparedConfig): string => {
  let out = message;
  for (const f of [...prepared.files].filter((x) => x.original).sort((a, b) => b.path.length - a.path.length)) out = out.split(f.path).join(f.original!);
  return out;
};

export const kresd: ResolverUnderTest = {
  kind: 'knot-resolver',
  name: 'kresd',
  binaries: [
    { name: 'kresd', pkg: 'knot-resolver' },
    { name: 'unshare', pkg: 'util-linux' },
  ],
  image: { configDir: KRESD_IMAGE_DIR, mainConfig: KRESD_MAIN },
  // The docker backend's default host: Debian 12 with knot-resolver, built by mmdebstrap.
  dockerHost: { binaries: ['kresd'], packages: ['knot-resolver'], debianPackages: ['knot-resolver'] },
  load: loadKresdConfig,
  fromImage: kresdImageConfig,
  listen: (c) => kresdListen(asKresd(c)),
  validates: (c) => kresdValidates(asKresd(c)),
  routes: (c) => kresdRoutes(asKresd(c)),
  hostEffects: (c) => kresdHostEffects(asKresd(c)),
  prepare: (c, ctx) => prepareKresdConfig(asKresd(c), ctx),
  /**
   * kresd has no checker of its own: the check loads the config in kresd
   * itself, in a network namespace of its own (so its net.listen() binds
   * nothing of this machine's), and quits once it is loaded.
   */
  async check(prepared) {
    const check = join(posix.dirname(prepared.main), CHECK_WRAPPER);
    const rundir = join(posix.dirname(prepared.main), 'kresd-check');
    const r = await tryRun('unshare', ['--net', 'sh', '-c', 'ip link set lo up && mkdir -p "$2" && exec kresd -n -c "$1" "$2"', 'sh', check, rundir]);
    if (r.exitCode === 0) return;
    const log = `${r.stderr}\n${r.stdout}`;
    const m = mapKresdMessage(log, prepared);
    if (m) throw new InputError({ file: m.file, ...(m.line !== undefined ? { line: m.line } : {}) }, `kresd config load: ${m.message.replace(/^kresd: /, '')}`, "fix the image's kresd config");
    const original = prepared.files.find((f) => f.original)?.original ?? prepared.main;
    const line = log.split('\n').map((l) => l.trim()).filter((l) => l && !/warning: hard limit/.test(l)).pop() ?? `exit ${r.exitCode}`;
    throw new InputError({ file: original }, `kresd did not load the config: ${mapPaths(line, prepared)}`, "fix the image's kresd config");
  },
  command(preparedFile, runArgs = ['-n'], instanceDir) {
    return ['kresd', ...runArgs, '-c', preparedFile, ...(instanceDir ? [instanceDir] : [])];
  },
  parseActivity: parseKresdLog,
  startFailure: (log, prepared) => mapKresdMessage(log, prepared),
};
