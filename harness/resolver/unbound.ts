// unbound as the resolver under test. The image's config (its main file and
// every file it includes) is used as it is except for the substitutions that
// point it at the simulated Internet and let it run in the sandbox; each is
// listed in the report. The files are copied into the run directory with
// replaced lines commented out in place and include paths pointed at the
// copies, so line numbers still match the image's files and unbound's own
// include rules (globs, include-toplevel) apply unchanged.
import { join, relative } from 'node:path';
import { InputError, type Location } from '../errors.js';
import type { Substitution } from '../model.js';
import type { TrustAnchor } from '../network/dnssec.js';
import { tryRun } from '../util/exec.js';
import type { ConfigMessage, PrepareContext, PreparedConfig, PreparedFile, ResolverConfig, ResolverUnderTest, ZoneRoute } from './types.js';
import { IMAGE_CONFIG_DIR, inRoot, isInclude, loadUnboundConfig, namesTrustAnchor, parseStatement, unquote, type UnboundConfig } from './unbound-config.js';
import { hostEffects } from './unbound-host.js';
import { parseUnboundLog, TRACE_VERBOSITY } from './unbound-log.js';

interface Replacement {
  value: (c: PrepareContext) => string;
  why: string;
}

const SERVER_SUBSTITUTIONS: Record<string, Replacement> = {
  'root-hints': { value: (c) => `"${c.rootHintsFile}"`, why: 'point recursion at the simulated root' },
  directory: { value: (c) => `"${c.workDir}"`, why: 'run inside the run directory' },
  chroot: { value: () => '""', why: 'run without a chroot in the sandbox' },
  username: { value: () => '""', why: 'keep the privileges needed inside the namespace' },
  pidfile: { value: () => '""', why: 'the harness tracks the process by its id' },
  logfile: { value: () => '""', why: 'log to stderr, kept by the harness per environment' },
  'use-syslog': { value: () => 'no', why: 'log to stderr, kept by the harness per environment' },
};

const CONTROL_ENABLE: Replacement = { value: () => 'no', why: 'no control channel in the sandbox' };

/**
 * Trust anchors for the root, each replaced in the form the image uses, by a
 * file (or inline record) holding the simulated root's key for this run.
 */
const TRUST_ANCHOR_FILES: Record<string, { file: string; text: (ta: TrustAnchor) => string; why: string }> = {
  'auto-trust-anchor-file': {
    file: 'root.key',
    text: (ta) => `${ta.ds.join('\n')}\n`,
    why: "trust the simulated root's key, made for this run, in a file unbound can write its RFC 5011 state to (starts fresh)",
  },
  'trust-anchor-file': { file: 'root.ds', text: (ta) => `${ta.ds.join('\n')}\n`, why: "trust the simulated root's key, made for this run" },
  'trusted-keys-file': {
    file: 'root.trusted-keys',
    // BIND's trusted-keys syntax: owner, flags, protocol, algorithm, key.
    text: (ta) => `trusted-keys {\n${ta.dnskey.map((k) => {
      const [flags, protocol, algorithm, ...key] = k.split(/\s+/).slice(4);
      return `    "." ${flags} ${protocol} ${algorithm} "${key.join('')}";`;
    }).join('\n')}\n};\n`,
    why: "trust the simulated root's key, made for this run",
  },
};
const INLINE_ANCHOR_WHY = "trust the simulated root's key, made for this run";

/** The owner of an inline `trust-anchor: "<owner> ..."`, as a domain name. */
const anchorOwner = (value: string): string => unquote(value).trim().split(/\s+/)[0]!.toLowerCase().replace(/(.)\.$/, '$1');

function listenAddress(values: string[], port: number): { address: string; port: number } {
  for (const v of values) {
    const [addr, p] = unquote(v).split('@');
    if (!addr || addr.includes(':')) continue;
    return { address: addr === '0.0.0.0' ? '127.0.0.1' : addr, port: p ? Number(p) : port };
  }
  return { address: '127.0.0.1', port };
}

/**
 * Where the config makes unbound listen (its first IPv4 interface:, 127.0.0.1
 * by default), read in unbound's order as prepare() reads it, without
 * preparing anything: the plan checks resolv.conf against it.
 */
export function listenOf(config: UnboundConfig): { address: string; port: number } {
  const interfaces: string[] = [];
  let port = 53;
  walkSettings(config, (clause, key, value) => {
    if (clause === 'server' && key === 'interface') interfaces.push(value);
    if (clause === 'server' && key === 'port') port = Number(unquote(value)) || 53;
  });
  return listenAddress(interfaces, port);
}

/**
 * Every setting in unbound's reading order (an include is read where it
 * stands, in the clause it leaves open, or at top level for
 * include-toplevel:), with the clause it belongs to; includes themselves are
 * followed, not visited.
 */
function walkSettings(
  config: UnboundConfig,
  visit: (clause: string, key: string, value: string, at: { file: string; line: number }) => void,
  onClause: (clause: string, at: { file: string; line: number }) => void = () => undefined,
): void {
  const byPath = new Map(config.files.map((f) => [f.path, f]));
  let clause = '';
  const walk = (path: string, depth: number): void => {
    const file = byPath.get(path);
    if (!file || depth > 32) return;
    const includes = new Map(file.includes.map((d) => [d.line, d]));
    file.text.split('\n').forEach((text, i) => {
      const st = parseStatement(text);
      if (st.kind === 'clause') {
        clause = st.name;
        onClause(clause, { file: path, line: i + 1 });
      }
      if (st.kind !== 'setting') return;
      const d = isInclude(st.key) ? includes.get(i + 1) : undefined;
      if (d) {
        if (d.toplevel) {
          clause = '';
          onClause('', { file: path, line: i + 1 });
        }
        for (const f of d.files) walk(f, depth + 1);
        if (d.toplevel) {
          clause = '';
          onClause('', { file: path, line: i + 1 });
        }
        return;
      }
      visit(clause, st.key, st.value, { file: path, line: i + 1 });
    });
  };
  walk(config.main, 0);
}

/** forward-zone: and stub-zone: clauses, each with its addresses (forward-addr, stub-addr; "8.8.8.8@53#dns.google" gives 8.8.8.8). */
export function unboundRoutes(config: UnboundConfig): ZoneRoute[] {
  const out: { zone: string; addresses: string[]; how: 'forward' | 'stub'; file: string; line: number }[] = [];
  let open: (typeof out)[number] | undefined;
  walkSettings(
    config,
    (clause, key, value) => {
      if (!open || (clause !== 'forward-zone' && clause !== 'stub-zone')) return;
      if (key === 'name') open.zone = unquote(value).toLowerCase().replace(/\.$/, '');
      if (key === 'forward-addr' || key === 'stub-addr') {
        const address = unquote(value).split(/[@#]/)[0]!.trim();
        if (address) open.addresses.push(address);
      }
    },
    (clause, at) => {
      open = clause === 'forward-zone' || clause === 'stub-zone' ? { zone: '', addresses: [], how: clause === 'forward-zone' ? 'forward' : 'stub', ...at } : undefined;
      if (open) out.push(open);
    },
  );
  return out.filter((r) => r.addresses.length > 0);
}

export function prepareUnboundConfig(config: UnboundConfig, ctx: PrepareContext): PreparedConfig {
  const mirrorRoot = join(ctx.configDir, 'etc/unbound');
  const mirrorOf = (path: string): string =>
    path === config.root || inRoot(path, config.root) ? join(mirrorRoot, relative(config.root, path)) : join(ctx.configDir, 'unbound.conf');
  const mirrorPattern = (imagePattern: string): string => `${mirrorRoot}${imagePattern.slice(IMAGE_CONFIG_DIR.length)}`;
  const byPath = new Map(config.files.map((f) => [f.path, f]));

  const substitutions: Substitution[] = [];
  const seen = new Set<string>();
  const anchorsUsed = new Set<string>();
  const edited = new Map<string, string[]>();
  const interfaces: string[] = [];
  let port = 53;
  let verbosity: { value: string; line: number; file: string } | undefined;
  let clause = '';

  const substitute = (lines: string[], i: number, at: { file: string; line: number }, option: string, original: string, replacement: string, why: string) => {
    substitutions.push({ option, original, replacement, why, line: at.line, file: at.file });
    lines[i] = `# dnsparity substitution (see the end of ${mirrorOf(config.main)}): ${lines[i]!.trim()}`;
  };

  // unbound's own reading order: an include is read where it stands, so the
  // clause it leaves open (include:) or closes (include-toplevel:) carries on.
  const walk = (path: string): void => {
    const file = byPath.get(path)!;
    const first = !edited.has(path);
    const lines = edited.get(path) ?? file.text.split('\n');
    edited.set(path, lines);
    const includes = new Map(file.includes.map((d) => [d.line, d]));
    const original = file.text.split('\n');
    original.forEach((text, i) => {
      const st = parseStatement(text);
      if (st.kind === 'clause') clause = st.name;
      if (st.kind !== 'setting') return;
      const { key, value } = st;
      const at = { file: path, line: i + 1, field: key };
      if (isInclude(key)) {
        const d = includes.get(i + 1)!;
        if (first) {
          const replacement = `"${mirrorPattern(d.imagePattern)}"`;
          substitutions.push({ option: key, original: value, replacement, why: `resolver.configRoot stands for the image's ${IMAGE_CONFIG_DIR}; its files are read from copies with these substitutions`, line: at.line, file: path });
          lines[i] = text.replace(/:\s*.*$/, `: ${replacement}`);
        }
        if (d.toplevel) clause = '';
        for (const f of d.files) walk(f);
        if (d.toplevel) clause = '';
        return;
      }
      if (clause === 'server' && key === 'interface') interfaces.push(value);
      if (clause === 'server' && key === 'port') port = Number(unquote(value)) || 53;
      if (clause === 'server' && key === 'verbosity') verbosity = { value: unquote(value), line: i + 1, file: path };
      if (!first) return;
      // An inline anchor for another zone than the root is the image's own statement: it stays.
      // An anchor file is taken to be the root's (unbound's, Debian's and most images' use).
      const rootAnchor = Object.hasOwn(TRUST_ANCHOR_FILES, key) || (key === 'trust-anchor' && anchorOwner(value) === '.');
      if (clause === 'server' && rootAnchor) {
        if (!ctx.trustAnchor) {
          throw new InputError(at, 'this config validates DNSSEC, which needs a signed simulated Internet, and this backend does not sign one', 'use the netns backend, or remove the trust anchor to test resolution without validation');
        }
        anchorsUsed.add(key);
        const replacement = key === 'trust-anchor' ? inlineAnchors(ctx.trustAnchor).join(', ') : `"${join(ctx.configDir, TRUST_ANCHOR_FILES[key]!.file)}"`;
        substitute(lines, i, at, key, value, replacement, key === 'trust-anchor' ? INLINE_ANCHOR_WHY : TRUST_ANCHOR_FILES[key]!.why);
        return;
      }
      const sub = clause === 'server' ? (Object.hasOwn(SERVER_SUBSTITUTIONS, key) ? SERVER_SUBSTITUTIONS[key] : undefined) : clause === 'remote-control' && key === 'control-enable' ? CONTROL_ENABLE : undefined;
      if (!sub) return;
      const option = clause === 'server' ? key : `remote-control.${key}`;
      seen.add(option);
      substitute(lines, i, at, option, value, sub.value(ctx), sub.why);
    });
  };
  walk(config.main);

  // Options the image left at their defaults still need the sandbox values.
  for (const [key, sub] of Object.entries(SERVER_SUBSTITUTIONS)) {
    if (!seen.has(key)) substitutions.push({ option: key, original: null, replacement: sub.value(ctx), why: sub.why });
  }
  if (!seen.has('remote-control.control-enable')) {
    // Off by default in unbound; stated so the report shows the whole truth.
    substitutions.push({ option: 'remote-control.control-enable', original: null, replacement: 'no', why: CONTROL_ENABLE.why });
  }
  const anchorFiles: PreparedFile[] = [];
  const anchorLines: string[] = [];
  for (const key of anchorsUsed) {
    const ta = ctx.trustAnchor!;
    if (key === 'trust-anchor') {
      anchorLines.push(...inlineAnchors(ta).map((a) => `    trust-anchor: ${a}`));
      continue;
    }
    const spec = TRUST_ANCHOR_FILES[key]!;
    const path = join(ctx.configDir, spec.file);
    anchorFiles.push({ path, text: spec.text(ta) });
    anchorLines.push(`    ${key}: "${path}"`);
  }
  const mainLines = edited.get(config.main)!;
  mainLines.push(
    '',
    "# dnsparity substitutions: the only edits made to the image's config.",
    'server:',
    ...Object.entries(SERVER_SUBSTITUTIONS).map(([k, s]) => `    ${k}: ${s.value(ctx)}`),
    ...anchorLines,
    'remote-control:',
    '    control-enable: no',
    '',
  );
  const files: PreparedFile[] = [
    ...config.files.map((f) => ({ path: mirrorOf(f.path), text: edited.get(f.path)?.join('\n') ?? f.text, original: f.path })),
    ...anchorFiles,
  ];
  // unbound adds each -v to the config's verbosity: raise it to where every
  // upstream query is logged, without editing the files.
  const configured = Number(verbosity?.value ?? 1) || 0;
  const raise = ctx.traceUpstream === false ? 0 : Math.max(0, TRACE_VERBOSITY - configured);
  if (raise > 0) {
    substitutions.push({
      option: 'verbosity',
      original: verbosity?.value ?? null,
      replacement: `${configured + raise} (-${'v'.repeat(raise)} on the command line; the files are not edited)`,
      why: 'log every upstream query, so the report can say which servers unbound reached',
      ...(verbosity ? { line: verbosity.line, file: verbosity.file } : {}),
    });
  }
  return { main: mirrorOf(config.main), files, substitutions, listen: listenAddress(interfaces, port), runArgs: raise > 0 ? [`-${'v'.repeat(raise)}`] : [] };
}

/** `trust-anchor:` values: one quoted record per root DS. */
const inlineAnchors = (ta: TrustAnchor): string[] => ta.ds.map((d) => `"${d.split(/\s+/).join(' ')}"`);

/** unbound-checkconf's message with the prepared copies' paths replaced by the image's files. */
export function mapToOriginal(message: string, prepared: PreparedConfig): string {
  const copies = prepared.files.filter((f) => f.original).sort((a, b) => b.path.length - a.path.length);
  let out = message;
  for (const f of copies) out = out.split(f.path).join(f.original!);
  return out;
}

/**
 * The image's own unbound.conf, read from its layers: one file. Its includes
 * would need the image's whole /etc/unbound, which a scenario names with
 * resolver.config and resolver.configRoot instead.
 */
export function unboundImageConfig(text: string, source: string, where: Location): UnboundConfig {
  const line = text.split('\n').findIndex((l) => {
    const st = parseStatement(l);
    return st.kind === 'setting' && isInclude(st.key);
  });
  if (line >= 0) {
    throw new InputError(where, `the image's own config (${source}) includes other files (line ${line + 1}), which are not read from images`, `copy the image's ${IMAGE_CONFIG_DIR} tree and name it with resolver.config and resolver.configRoot`);
  }
  const path = `${IMAGE_CONFIG_DIR}/unbound.conf`;
  return { kind: 'unbound', main: path, root: IMAGE_CONFIG_DIR, files: [{ path, text, includes: [] }] };
}

/** "FILE:LINE: message" in unbound's log, for a prepared copy: the image's file and line. */
export function unboundStartFailure(log: string, prepared: PreparedConfig): ConfigMessage | undefined {
  for (const m of log.matchAll(/^(\/\S+?):(\d+): (.*)$/gm)) {
    const copy = prepared.files.find((f) => f.path === m[1]);
    if (copy) return { file: copy.original ?? copy.path, line: Number(m[2]), message: `unbound: ${m[3]}` };
  }
  return undefined;
}

const asUnbound = (config: ResolverConfig): UnboundConfig => {
  if (config.kind !== 'unbound') throw new Error(`the unbound module was handed a ${config.kind} config`);
  return config as UnboundConfig;
};

export const unbound: ResolverUnderTest = {
  kind: 'unbound',
  name: 'unbound',
  binaries: [
    { name: 'unbound', pkg: 'unbound' },
    { name: 'unbound-checkconf', pkg: 'unbound' },
  ],
  image: { configDir: IMAGE_CONFIG_DIR, mainConfig: `${IMAGE_CONFIG_DIR}/unbound.conf` },
  // The harness's dnsparity/host image (backend/docker/images.ts).
  dockerHost: { binaries: ['unbound', 'unbound-checkconf'], packages: ['unbound'] },
  load: loadUnboundConfig,
  fromImage: unboundImageConfig,
  listen: (config) => listenOf(asUnbound(config)),
  validates: (config) => namesTrustAnchor(asUnbound(config)),
  routes: (config) => unboundRoutes(asUnbound(config)),
  hostEffects: (config) => hostEffects(asUnbound(config)),
  prepare: (config, ctx) => prepareUnboundConfig(asUnbound(config), ctx),
  async check(prepared) {
    const r = await tryRun('unbound-checkconf', [prepared.main]);
    if (r.exitCode === 0) return;
    const msg = mapToOriginal(r.stderr || r.stdout, prepared).trim();
    const original = prepared.files.find((f) => f.path === prepared.main)?.original ?? prepared.main;
    const m = /^(.*?):(\d+): (.*)$/m.exec(msg);
    if (m) throw new InputError({ file: m[1]!, line: Number(m[2]) }, `unbound-checkconf: ${m[3]}`, "fix the image's unbound config");
    throw new InputError({ file: original }, `unbound-checkconf rejected the config: ${msg.split('\n')[0]}`, "fix the image's unbound config");
  },
  command(preparedFile, runArgs = []) {
    return ['unbound', '-d', '-p', ...runArgs, '-c', preparedFile];
  },
  parseActivity: parseUnboundLog,
  startFailure: unboundStartFailure,
};
