// BIND 9 (named) as the resolver under test. The image's named.conf and the
// files it includes are used as they are except for the substitutions that
// point named at the simulated Internet and let it run in the sandbox; each is
// listed in the report. The files are copied into the run directory with every
// edit made in place (a statement commented out where it stands, a path
// replaced inside its quotes, the harness's own statements added on the
// opening line of the options block), so named-checkconf names the image's
// own files and lines.
import { join, posix, relative } from 'node:path';
import { InputError, type Location } from '../errors.js';
import type { Substitution, UpstreamExchange } from '../model.js';
import type { TrustAnchor } from '../network/dnssec.js';
import { tryRun } from '../util/exec.js';
import {
  BIND_CONFIG_DIR,
  BIND_MAIN_CONFIG,
  bindImageToLocal,
  loadBindConfig,
  blocks,
  body,
  parseStatements,
  subValue,
  walkBind,
  words,
  zoneFileRefs,
  zoneName,
  type BindConfig,
  type Statement,
} from './bind-config.js';
import { parseBindLog } from './bind-log.js';
import { applyEdits, commentOut, type Edit } from './text-edit.js';
import type { ConfigMessage, PrepareContext, PreparedConfig, PreparedFile, ResolverConfig, ResolverUnderTest } from './types.js';

/** named's debug level at which it logs every packet it sends and receives upstream (resolver.c, ISC_LOG_DEBUG(11)). */
export const BIND_TRACE_DEBUG_LEVEL = 11;

/** The options the harness sets for the sandbox, in the options block, whatever the image says. */
const OPTION_SUBSTITUTIONS: Record<string, { value: (c: PrepareContext) => string; why: string }> = {
  directory: { value: (c) => `"${c.workDir}"`, why: 'run inside the run directory' },
  'pid-file': { value: () => 'none', why: 'the harness tracks the process by its id' },
  'lock-file': { value: () => 'none', why: "one named per environment: a shared lock file would stop all but the first" },
  'session-keyfile': { value: (c) => `"${join(c.workDir, 'session.key')}"`, why: 'named writes its session key inside the run directory' },
  'managed-keys-directory': { value: (c) => `"${c.workDir}"`, why: 'named keeps RFC 5011 state inside the run directory' },
  'bindkeys-file': { value: (c) => `"${join(c.configDir, 'bind.keys')}"`, why: "the built-in root key file is this machine's; the run's holds the simulated root's key" },
};
/** Options named writes to or reads from, substituted only where the image sets them (their defaults are harmless here). */
const ONLY_WHEN_SET = new Set(['managed-keys-directory']);

/** Options whose value is a file or directory on this machine that named reads or writes and the harness does not substitute. */
const HOST_FILE_OPTIONS = new Set(['key-directory', 'dump-file', 'statistics-file', 'memstatistics-file', 'recursing-file', 'secroots-file', 'dnstap-output', 'geoip-directory', 'tkey-gssapi-keytab', 'tkey-dhkey', 'random-device']);
/** Statements that load code named by the config. */
const CODE_STATEMENTS = new Set(['dlz', 'dyndb', 'plugin']);

const bare = (name: string): string => (name === '.' ? '.' : name.toLowerCase().replace(/\.$/, '') || '.');

/** How the config validates: named's default is `dnssec-validation auto` (the built-in root key). */
export type Validation = { readonly mode: 'auto' | 'yes' | 'no'; readonly stmt?: Statement; readonly file?: string };

export function bindValidation(config: Pick<BindConfig, 'files' | 'main'>): Validation {
  let out: Validation = { mode: 'auto' };
  walkBind(config, ({ stmt, file, outer }) => {
    if (outer.length === 1 && outer[0]!.name === 'options' && stmt.name === 'dnssec-validation') {
      const v = (words(stmt)[0] ?? '').toLowerCase();
      out = { mode: v === 'no' || v === 'false' || v === '0' ? 'no' : v === 'auto' ? 'auto' : 'yes', stmt, file };
    }
  });
  return out;
}

/** Whether named validates DNSSEC with this config: unless it says `dnssec-validation no`. */
export const bindValidates = (config: Pick<BindConfig, 'files' | 'main'>): boolean => bindValidation(config).mode !== 'no';

/** Where named listens: the first IPv4 address of the first listen-on (any: loopback), port 53 unless it says another. */
export function bindListen(config: Pick<BindConfig, 'files' | 'main'>): { address: string; port: number } {
  let found: { address: string; port: number } | undefined;
  walkBind(config, ({ stmt, outer }) => {
    if (found || outer.length !== 1 || outer[0]!.name !== 'options' || stmt.name !== 'listen-on') return;
    const w = words(stmt);
    const p = w.indexOf('port');
    const port = p >= 0 ? Number(w[p + 1]) || 53 : 53;
    for (const e of body(stmt)) {
      if (/^\d+\.\d+\.\d+\.\d+$/.test(e.name)) {
        found = { address: e.name === '0.0.0.0' ? '127.0.0.1' : e.name, port };
        return;
      }
      if (e.name === 'any' || e.name === 'localhost') {
        found = { address: '127.0.0.1', port };
        return;
      }
    }
  });
  return found ?? { address: '127.0.0.1', port: 53 };
}

export interface BindRoute {
  readonly zone: string;
  readonly addresses: readonly string[];
  readonly how: 'forward' | 'stub';
  readonly file?: string;
  readonly line?: number;
}

const addressesOf = (list: readonly Statement[] | undefined): string[] =>
  (list ?? []).map((e) => e.name).filter((a) => /^[0-9.]+$|^[0-9a-f:]+$/i.test(a) && /[.:]/.test(a));

/** Zones named sends to named servers: options and view forwarders (the root), forward zones, stub and static-stub zones. */
export function bindRoutes(config: Pick<BindConfig, 'files' | 'main'>): BindRoute[] {
  const out: BindRoute[] = [];
  walkBind(config, ({ stmt, file, outer }) => {
    const parent = outer[outer.length - 1];
    if (stmt.name === 'forwarders' && (parent?.name === 'options' || parent?.name === 'view')) {
      const addresses = addressesOf(body(stmt));
      if (addresses.length) out.push({ zone: '', addresses, how: 'forward', file, line: stmt.start.line });
    }
    if (stmt.name !== 'zone') return;
    const type = (words(subValue(stmt, 'type') ?? stmt)[0] ?? '').toLowerCase();
    const zone = zoneName(stmt) === '.' ? '' : zoneName(stmt);
    const list = type === 'forward' ? subValue(stmt, 'forwarders') : type === 'stub' ? (subValue(stmt, 'primaries') ?? subValue(stmt, 'masters')) : type === 'static-stub' ? subValue(stmt, 'server-addresses') : undefined;
    const addresses = addressesOf(list && body(list));
    if (addresses.length) out.push({ zone, addresses, how: type === 'forward' ? 'forward' : 'stub', file, line: stmt.start.line });
  });
  return out;
}

export interface BindHostEffect {
  readonly file: string;
  readonly line: number;
  readonly option: string;
  readonly value: string;
  readonly kind: 'reads a file' | 'runs code';
}

/** What the config would make this machine's named read, write or run: files outside /etc/bind the harness does not substitute, code it loads. */
export function bindHostEffects(config: BindConfig): BindHostEffect[] {
  const out: BindHostEffect[] = [];
  walkBind(config, ({ stmt, file, outer }) => {
    const top = outer[0]?.name;
    if (CODE_STATEMENTS.has(stmt.name) && (outer.length === 0 || top === 'view')) out.push({ file, line: stmt.start.line, option: stmt.name, value: words(stmt).join(' '), kind: 'runs code' });
    if (outer.length === 1 && (top === 'options' || top === 'view') && HOST_FILE_OPTIONS.has(stmt.name) && words(stmt)[0] && words(stmt)[0] !== 'none') {
      out.push({ file, line: stmt.start.line, option: `${top}.${stmt.name}`, value: words(stmt).join(' '), kind: 'reads a file' });
    }
    if (stmt.name === 'logging' && outer.length === 0) return false; // commented out as a whole: its files are never opened
    return undefined;
  });
  for (const z of zoneFileRefs(config)) {
    if (z.hint || z.imagePath === undefined) continue;
    if (bindImageToLocal(z.imagePath, config.root) === undefined) out.push({ file: z.file, line: z.line, option: `zone "${z.zone}".file`, value: z.imagePath, kind: 'reads a file' });
  }
  return out.sort((a, b) => (a.file === b.file ? a.line - b.line : 0));
}

/** A root trust anchor entry for named: `. static-key FLAGS PROTOCOL ALGORITHM "KEY";` per root DNSKEY. */
export function staticRootAnchors(ta: TrustAnchor): string[] {
  return ta.dnskey.map((k) => {
    const [flags, protocol, algorithm, ...key] = k.split(/\s+/).slice(4);
    return `"." static-key ${flags} ${protocol} ${algorithm} "${key.join('')}";`;
  });
}
/** The same key as an initial key, for the bindkeys file named reads under `dnssec-validation auto`. */
const initialRootAnchors = (ta: TrustAnchor): string[] => staticRootAnchors(ta).map((a) => a.replace(' static-key ', ' initial-key '));

const ANCHOR_STATEMENTS = new Set(['trust-anchors', 'managed-keys', 'trusted-keys']);

export function prepareBindConfig(config: BindConfig, ctx: PrepareContext): PreparedConfig {
  const mirrorRoot = join(ctx.configDir, 'etc/bind');
  const mirrorOf = (path: string): string => {
    const rel = relative(config.root, path);
    return rel === '' || (!rel.startsWith('..') && !posix.isAbsolute(rel)) ? join(mirrorRoot, rel) : join(ctx.configDir, 'named.conf');
  };
  const edits = new Map<string, Edit[]>(config.files.map((f) => [f.path, []]));
  const textOf = new Map(config.files.map((f) => [f.path, f.text]));
  const substitutions: Substitution[] = [];
  const edit = (file: string, e: Edit) => edits.get(file)!.push(e);
  const note = 'dnsparity substitution';
  const comment = (file: string, s: Statement) => edit(file, commentOut(textOf.get(file)!, s, note));
  const sub = (file: string, s: Statement, option: string, replacement: string, why: string, original = textOf.get(file)!.split('\n').slice(s.start.line - 1, s.end.line).join('\n').slice(s.start.col).trim()) =>
    substitutions.push({ option, original: original.split('\n')[0]!.slice(0, 200), replacement, why, line: s.start.line, file });

  const validation = bindValidation(config);
  const validates = validation.mode !== 'no';
  if (validates && !ctx.trustAnchor) {
    const at = validation.stmt ? { file: validation.file!, line: validation.stmt.start.line, field: 'dnssec-validation' } : { file: config.main, field: 'dnssec-validation' };
    throw new InputError(at, `named validates DNSSEC with this config (${validation.stmt ? `dnssec-validation ${validation.mode}` : "named's default, dnssec-validation auto"}), which needs a signed simulated Internet, and this backend does not sign one`, 'use the netns backend, or set dnssec-validation no; to test resolution without validation');
  }

  let optionsOpen: { file: string; open: { line: number; col: number } } | undefined;
  const hintZones: { file: string; stmt: Statement }[] = [];
  const views: { file: string; stmt: Statement; hasHint: boolean }[] = [];
  let rootAnchorRemoved = false;

  walkBind(config, ({ stmt, file, outer }) => {
    const top = outer[0]?.name;
    if (outer.length === 0 && stmt.name === 'options' && !optionsOpen) {
      const b = blocks(stmt)[0];
      if (b) optionsOpen = { file, open: b.open.end };
    }
    if (outer.length === 0 && stmt.name === 'view') views.push({ file, stmt, hasHint: false });
    if (outer.length === 0 && stmt.name === 'controls') {
      sub(file, stmt, 'controls', 'controls { };', 'no control channel in the sandbox');
      comment(file, stmt);
      return false;
    }
    if (outer.length === 0 && stmt.name === 'logging') {
      sub(file, stmt, 'logging', `stderr (-g on the command line); this statement commented out`, "log to stderr, kept by the harness per environment: the image's channels would open files on this machine");
      comment(file, stmt);
      return false;
    }
    if (outer.length === 1 && top === 'options') {
      if (Object.hasOwn(OPTION_SUBSTITUTIONS, stmt.name)) {
        const s = OPTION_SUBSTITUTIONS[stmt.name]!;
        sub(file, stmt, `options.${stmt.name}`, `${stmt.name} ${s.value(ctx)};`, s.why);
        comment(file, stmt);
      }
      if (stmt.name === 'dnssec-validation' && validation.mode === 'auto') {
        sub(file, stmt, 'options.dnssec-validation', 'dnssec-validation yes; with the simulated root\'s key as a static trust anchor', "auto trusts the built-in root key; the run's simulated root has its own key, made for this run");
        comment(file, stmt);
      }
    }
    // Root trust anchors the image states: replaced by the run's; other zones' stay.
    if (ANCHOR_STATEMENTS.has(stmt.name) && (outer.length === 0 || (outer.length === 1 && top === 'view'))) {
      for (const e of body(stmt)) {
        if (bare(e.name) !== '.') continue;
        if (!validates) continue;
        sub(file, e, `${stmt.name} "."`, staticRootAnchors(ctx.trustAnchor!).join(' '), "trust the simulated root's key, made for this run");
        comment(file, e);
        rootAnchorRemoved = true;
      }
      return false;
    }
    if (stmt.name === 'zone') {
      const type = (words(subValue(stmt, 'type') ?? stmt)[0] ?? '').toLowerCase();
      if (type === 'hint') {
        hintZones.push({ file, stmt });
        const v = views.find((x) => x.stmt === outer[0]);
        if (v) v.hasHint = true;
      }
      return undefined;
    }
    return undefined;
  });

  // Zone files: the hints zone's points at the simulated root; the image's under /etc/bind at their copies.
  const zoneCopies: PreparedFile[] = [];
  for (const z of zoneFileRefs(config)) {
    const arg = z.stmt.args.find((a) => a.kind === 'string' || a.kind === 'word');
    if (!arg || arg.kind === 'block') continue;
    const t = arg.token;
    if (z.hint) {
      substitutions.push({ option: `zone "${z.zone}" (type hint) file`, original: t.value, replacement: ctx.rootHintsFile, why: 'point recursion at the simulated root', line: z.line, file: z.file });
      edit(z.file, { line: t.start.line, col: t.start.col, endLine: t.end.line, endCol: t.end.col, text: `"${ctx.rootHintsFile}"` });
      continue;
    }
    const local = z.imagePath !== undefined ? bindImageToLocal(z.imagePath, config.root) : undefined;
    const zf = local !== undefined ? config.zoneFiles.find((f) => f.path === local) : undefined;
    if (!zf) continue; // outside /etc/bind: hostEffects() names it for the netns backend
    const copy = mirrorOf(zf.path);
    if (!zoneCopies.some((c) => c.path === copy)) zoneCopies.push({ path: copy, text: zf.text, original: zf.path });
    substitutions.push({ option: `zone "${z.zone}" file`, original: t.value, replacement: copy, why: `resolver.configRoot stands for the image's ${BIND_CONFIG_DIR}; named reads a copy`, line: z.line, file: z.file });
    edit(z.file, { line: t.start.line, col: t.start.col, endLine: t.end.line, endCol: t.end.col, text: `"${copy}"` });
  }

  // Includes: pointed at the copies.
  for (const f of config.files) {
    for (const d of f.includes) {
      const s = findInclude(f.text, f.path, d.line);
      const t = s?.args.find((a): a is Exclude<typeof a, { kind: 'block' }> => a.kind !== 'block');
      if (!t) continue;
      const replacement = mirrorOf(d.file);
      substitutions.push({ option: 'include', original: t.token.value, replacement, why: `resolver.configRoot stands for the image's ${BIND_CONFIG_DIR}; its files are read from copies with these substitutions`, line: d.line, file: f.path });
      edit(f.path, { line: t.token.start.line, col: t.token.start.col, endLine: t.token.end.line, endCol: t.token.end.col, text: `"${replacement}"` });
    }
  }

  // The harness's own statements: in the image's options block, on its opening line; else a block of their own.
  const optionLines = Object.entries(OPTION_SUBSTITUTIONS)
    .filter(([k]) => !ONLY_WHEN_SET.has(k) || substitutions.some((s) => s.option === `options.${k}`))
    .map(([k, s]) => `${k} ${s.value(ctx)};`);
  if (validates && validation.mode === 'auto') optionLines.push('dnssec-validation yes;');
  for (const [k, s] of Object.entries(OPTION_SUBSTITUTIONS)) {
    if (!ONLY_WHEN_SET.has(k) && !substitutions.some((x) => x.option === `options.${k}`)) substitutions.push({ option: `options.${k}`, original: null, replacement: `${k} ${s.value(ctx)};`, why: s.why });
  }
  if (validates && validation.mode === 'auto' && !validation.stmt) {
    substitutions.push({ option: 'options.dnssec-validation', original: null, replacement: "dnssec-validation yes; with the simulated root's key as a static trust anchor", why: "named's default, auto, trusts the built-in root key; the run's simulated root has its own key, made for this run" });
  }
  const tail: string[] = ['', "// dnsparity substitutions: the only edits made to the image's config, with those in place above."];
  if (optionsOpen) edit(optionsOpen.file, { line: optionsOpen.open.line, col: optionsOpen.open.col, endLine: optionsOpen.open.line, endCol: optionsOpen.open.col, text: ` ${optionLines.join(' ')} ` });
  else tail.push(`options { ${optionLines.join(' ')} };`);
  if (!substitutions.some((s) => s.option === 'controls')) substitutions.push({ option: 'controls', original: null, replacement: 'controls { };', why: "no control channel in the sandbox (named's default listens on 127.0.0.1#953 with this machine's rndc.key)" });
  tail.push('controls { };');
  if (!substitutions.some((s) => s.option === 'logging')) substitutions.push({ option: 'logging', original: null, replacement: 'stderr (-g on the command line)', why: 'log to stderr, kept by the harness per environment' });
  if (validates) {
    tail.push(`trust-anchors { ${staticRootAnchors(ctx.trustAnchor!).join(' ')} };`);
    if (!rootAnchorRemoved && validation.mode !== 'auto') substitutions.push({ option: 'trust-anchors "."', original: null, replacement: staticRootAnchors(ctx.trustAnchor!).join(' '), why: "trust the simulated root's key, made for this run" });
  }
  // No hints zone: named would use its built-in hints, the real root servers.
  const hint = `zone "." { type hint; file "${ctx.rootHintsFile}"; };`;
  if (views.length) {
    for (const v of views.filter((x) => !x.hasHint)) {
      const b = blocks(v.stmt)[0];
      if (!b) continue;
      edit(v.file, { line: b.open.end.line, col: b.open.end.col, endLine: b.open.end.line, endCol: b.open.end.col, text: ` ${hint} ` });
      substitutions.push({ option: `view "${words(v.stmt)[0] ?? ''}" zone "." (type hint)`, original: null, replacement: ctx.rootHintsFile, why: "point recursion at the simulated root (named's built-in hints are the real root servers)", line: v.stmt.start.line, file: v.file });
    }
  } else if (!hintZones.length) {
    tail.push(hint);
    substitutions.push({ option: 'zone "." (type hint)', original: null, replacement: ctx.rootHintsFile, why: "point recursion at the simulated root (named's built-in hints are the real root servers)" });
  }

  const files: PreparedFile[] = config.files.map((f) => {
    let text = applyEdits(f.text, edits.get(f.path)!);
    if (f.path === config.main) text = `${text}${text.endsWith('\n') ? '' : '\n'}${tail.join('\n')}\n`;
    return { path: mirrorOf(f.path), text, original: f.path };
  });
  files.push(...zoneCopies);
  // Never this machine's /etc/bind/bind.keys: the run's key, or nothing where named does not validate.
  files.push({ path: join(ctx.configDir, 'bind.keys'), text: ctx.trustAnchor ? `trust-anchors {\n${initialRootAnchors(ctx.trustAnchor).map((a) => `    ${a}`).join('\n')}\n};\n` : '' });
  const trace = ctx.traceUpstream !== false;
  if (trace) {
    substitutions.push({ option: 'debug level', original: null, replacement: `${BIND_TRACE_DEBUG_LEVEL} (-d ${BIND_TRACE_DEBUG_LEVEL} on the command line; the files are not edited)`, why: 'log every upstream query, so the report can say which servers named reached' });
  }
  return { main: mirrorOf(config.main), files, substitutions, listen: bindListen(config), runArgs: trace ? ['-d', String(BIND_TRACE_DEBUG_LEVEL)] : [] };
}

function findInclude(text: string, file: string, line: number): Statement | undefined {
  let found: Statement | undefined;
  const visit = (list: readonly Statement[]) => {
    for (const s of list) {
      if (s.name === 'include' && s.start.line === line) found ??= s;
      for (const b of blocks(s)) visit(b.body);
    }
  };
  visit(parseStatements(text, file));
  return found;
}

/** named-checkconf's message with the prepared copies' paths replaced by the image's files. */
export function mapBindMessage(message: string, prepared: Pick<PreparedConfig, 'files'>): string {
  const copies = prepared.files.filter((f) => f.original).sort((a, b) => b.path.length - a.path.length);
  let out = message;
  for (const f of copies) out = out.split(f.path).join(f.original!);
  return out;
}

/** named-checkconf's first error (warnings, such as the one about a static root key, are not errors). */
export function bindCheckError(output: string, prepared: Pick<PreparedConfig, 'files' | 'main'>): InputError {
  const msg = mapBindMessage(output, prepared).trim();
  const lines = msg.split('\n').filter((l) => !/static entry for the root zone WILL FAIL/.test(l));
  const original = prepared.files.find((f) => f.path === prepared.main)?.original ?? prepared.main;
  for (const l of lines) {
    const m = /^(.*?):(\d+): (.*)$/.exec(l);
    if (m) return new InputError({ file: m[1]!, line: Number(m[2]) }, `named-checkconf: ${m[3]}`, "fix the image's named.conf");
  }
  return new InputError({ file: original }, `named-checkconf rejected the config: ${lines[0] ?? msg}`, "fix the image's named.conf");
}

export async function checkBind(prepared: PreparedConfig): Promise<void> {
  const r = await tryRun('named-checkconf', [prepared.main]);
  if (r.exitCode === 0) return;
  throw bindCheckError(r.stderr || r.stdout, prepared);
}

/** named in the foreground, everything logged to stderr (-g), as root in the sandbox (no -u). */
export const bindCommand = (preparedFile: string, runArgs: readonly string[] = []): readonly string[] => ['named', '-g', '-c', preparedFile, ...runArgs];

export const parseBindActivity = (log: string): UpstreamExchange[] => parseBindLog(log);

/** "FILE:LINE: message" in named's log, for a prepared copy: the image's file and line. */
export function bindStartFailure(log: string, prepared: PreparedConfig): ConfigMessage | undefined {
  for (const m of log.matchAll(/^(?:\S+ \S+ )?(\/\S+?):(\d+): (.*)$/gm)) {
    if (/static entry for the root zone WILL FAIL/.test(m[3]!)) continue;
    const copy = prepared.files.find((f) => f.path === m[1]);
    if (copy) return { file: copy.original ?? copy.path, line: Number(m[2]), message: `named: ${m[3]}` };
  }
  return undefined;
}

/**
 * The image's own named.conf, read from its layers: one file. Its includes
 * would need the image's whole /etc/bind, which a scenario names with
 * resolver.config and resolver.configRoot instead.
 */
export function bindImageConfig(text: string, source: string, where: Location): BindConfig {
  const inc = parseStatements(text, source).find((s) => s.name === 'include');
  if (inc) {
    throw new InputError(where, `the image's own config (${source}) includes other files (line ${inc.start.line}), which are not read from images`, `copy the image's ${BIND_CONFIG_DIR} tree and name it with resolver.config and resolver.configRoot`);
  }
  return { kind: 'bind', main: BIND_MAIN_CONFIG, root: BIND_CONFIG_DIR, files: [{ path: BIND_MAIN_CONFIG, text, includes: [] }], zoneFiles: [] };
}

const asBind = (config: ResolverConfig): BindConfig => {
  if (config.kind !== 'bind') throw new Error(`the bind module was handed a ${config.kind} config`);
  return config as BindConfig;
};

export const bind: ResolverUnderTest = {
  kind: 'bind',
  name: 'named',
  binaries: [
    { name: 'named', pkg: 'bind9' },
    { name: 'named-checkconf', pkg: 'bind9-utils' },
  ],
  image: { configDir: BIND_CONFIG_DIR, mainConfig: BIND_MAIN_CONFIG },
  // The docker backend's default host: Debian with its bind9 (named runs as the image has it).
  dockerHost: { binaries: ['named'], packages: ['bind9'], debianPackages: ['bind9'] },
  load: loadBindConfig,
  fromImage: bindImageConfig,
  listen: (c) => bindListen(asBind(c)),
  validates: (c) => bindValidates(asBind(c)),
  routes: (c) => bindRoutes(asBind(c)),
  hostEffects: (c) => bindHostEffects(asBind(c)),
  prepare: (c, ctx) => prepareBindConfig(asBind(c), ctx),
  check: checkBind,
  command: bindCommand,
  parseActivity: parseBindActivity,
  startFailure: bindStartFailure,
};
