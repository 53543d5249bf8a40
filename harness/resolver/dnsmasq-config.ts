// The image's dnsmasq configuration as dnsmasq reads it: one option per line,
// `key=value` or a bare `key`, comments from a `#` at the start of a word
// outside quotes; the main file (/etc/dnsmasq.conf) and every file its
// conf-file= and conf-dir= options name, read where they stand, conf-dir's
// files in sorted order with dnsmasq's own exclusions. Files the config names
// for data dnsmasq reads (servers-file=, resolv-file=, addn-hosts=) are read
// too when they lie under the image's /etc, which resolver.configRoot stands
// for. Loaded while planning: a missing file is bad input reported before
// anything starts.
import { readdirSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { InputError, type Location } from '../errors.js';
import { readConfigFile, refuseCycle } from './config-read.js';
import { outside, type FilesRoot } from '../scenario/confine.js';
import type { ConfigText, ResolverConfig } from './types.js';

/** What resolver.configRoot stands for in a dnsmasq image: /etc (dnsmasq.conf, dnsmasq.d/, resolv files, hosts). */
export const DNSMASQ_IMAGE_DIR = '/etc';
export const DNSMASQ_MAIN = '/etc/dnsmasq.conf';
/** Debian's file of the real root's trust anchors (dnsmasq-base), which a validating config includes. */
export const DEBIAN_TRUST_ANCHORS = '/usr/share/dnsmasq-base/trust-anchors.conf';

/** One option line. value: undefined for a bare `key`; quotes removed as dnsmasq removes them. */
export interface DnsmasqOption {
  readonly key: string;
  readonly value: string | undefined;
  /** 1-based. */
  readonly line: number;
}

/** Options whose value is a file (or directory) dnsmasq reads its config or data from. */
export const FILE_INCLUDES = ['conf-file', 'conf-dir', 'servers-file', 'resolv-file', 'addn-hosts'] as const;
export type FileInclude = (typeof FILE_INCLUDES)[number];

export interface DnsmasqFile extends ConfigText {
  /** Its path in the image (under /etc), or the trust-anchor file's. */
  readonly imagePath: string;
  /** How it is read: as config (main, conf-file, conf-dir), as server= lines only, as a resolv.conf, as a hosts file. */
  readonly role: 'config' | 'servers-file' | 'resolv-file' | 'addn-hosts';
  readonly options: readonly DnsmasqOption[];
  /** The files each of its include options stands for (line -> local paths), in reading order. */
  readonly includes: readonly { readonly line: number; readonly key: FileInclude; readonly files: readonly string[] }[];
}

export interface DnsmasqConfig extends ResolverConfig {
  readonly kind: 'dnsmasq';
  readonly files: readonly DnsmasqFile[];
}

/** One line as dnsmasq's read_file reads it: undefined for blank and comment lines. */
export function parseDnsmasqLine(raw: string): { key: string; value: string | undefined } | undefined {
  let out = '';
  let quoted = false;
  let white = true;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === '"') {
      quoted = !quoted;
      continue;
    }
    if (!quoted && /\s/.test(ch)) {
      out += ' ';
      white = true;
      continue;
    }
    if (!quoted && white && ch === '#') break;
    if (ch === '\\' && quoted && i + 1 < raw.length) {
      // \\, \", \t, \e, \b, \r, \n inside quotes
      const next = raw[++i]!;
      out += ({ t: '\t', n: '\n', r: '\r', e: '\x1b', b: '\b' } as Record<string, string>)[next] ?? next;
      white = false;
      continue;
    }
    out += ch;
    white = false;
  }
  const text = out.trim();
  if (text === '') return undefined;
  const eq = text.indexOf('=');
  if (eq < 0) return { key: text.toLowerCase(), value: undefined };
  return { key: text.slice(0, eq).trim().toLowerCase(), value: text.slice(eq + 1).trim() };
}

export function parseDnsmasqOptions(text: string): DnsmasqOption[] {
  const out: DnsmasqOption[] = [];
  text.split('\n').forEach((raw, i) => {
    const o = parseDnsmasqLine(raw);
    if (o) out.push({ ...o, line: i + 1 });
  });
  return out;
}

/** The local path for a path inside the image's /etc. */
export function dnsmasqImageToLocal(imagePath: string, root: string): string | undefined {
  const p = posix.normalize(imagePath);
  if (p === DNSMASQ_IMAGE_DIR) return root;
  if (!p.startsWith(`${DNSMASQ_IMAGE_DIR}/`)) return undefined;
  return join(root, p.slice(DNSMASQ_IMAGE_DIR.length + 1));
}

/**
 * conf-dir=DIR[,EXT...]: every file of DIR in sorted order, except those
 * ending in an EXT; with `*EXT` items, only those ending in one of them.
 * dnsmasq also skips dot files, files ending in `~` and `#...#` files.
 */
export function confDirFiles(names: readonly string[], spec: readonly string[]): string[] {
  const include = spec.filter((s) => s.startsWith('*')).map((s) => s.slice(1));
  const exclude = spec.filter((s) => !s.startsWith('*') && s !== '');
  return names
    .filter((n) => !n.startsWith('.') && !n.endsWith('~') && !(n.startsWith('#') && n.endsWith('#')))
    .filter((n) => (include.length ? include.some((e) => n.endsWith(e)) : true))
    .filter((n) => !exclude.some((e) => n.endsWith(e)))
    .sort();
}

/**
 * Reads the main file and everything it makes dnsmasq read from the image's
 * /etc. An include outside /etc (but Debian's trust-anchor file, which the
 * harness substitutes), a missing file or a cycle is an input error naming
 * the file and line. With `confineTo`, every file read must lie in that tree.
 */
export function loadDnsmasqConfig(main: string, root: string, confineTo?: FilesRoot): DnsmasqConfig {
  const files = new Map<string, DnsmasqFile>();
  const order: string[] = [];

  const readText = (path: string, from: Location | undefined): string => readConfigFile(path, { root, imageDir: DNSMASQ_IMAGE_DIR, confineTo }, from);

  const visit = (path: string, imagePath: string, role: DnsmasqFile['role'], stack: readonly string[], from?: Location): void => {
    refuseCycle(path, stack, from, 'conf-file or conf-dir');
    const text = readText(path, from);
    if (files.has(path)) return;
    const options = role === 'config' || role === 'servers-file' ? parseDnsmasqOptions(text) : [];
    const includes: { line: number; key: FileInclude; files: string[] }[] = [];
    const file: DnsmasqFile = { path, imagePath, text, role, options, includes };
    files.set(path, file);
    order.push(path);
    if (role !== 'config') return;
    for (const o of options) {
      if (!(FILE_INCLUDES as readonly string[]).includes(o.key)) continue;
      const key = o.key as FileInclude;
      const at = { file: path, line: o.line, field: key };
      if (o.value === undefined || o.value === '') {
        if (key === 'conf-file') continue; // bare conf-file: the default file, which is this one
        throw new InputError(at, `${key} needs a file name`, `give the ${key === 'conf-dir' ? 'directory' : 'file'} as the image names it, such as ${key}=/etc/dnsmasq.d`);
      }
      const [written, ...spec] = key === 'conf-dir' ? o.value.split(',') : [o.value];
      const image = posix.resolve('/', written!.trim());
      if (key === 'conf-file' && image === DEBIAN_TRUST_ANCHORS) {
        includes.push({ line: o.line, key, files: [] });
        continue;
      }
      const local = dnsmasqImageToLocal(image, root);
      if (local === undefined) {
        throw new InputError(at, `${written} lies outside ${DNSMASQ_IMAGE_DIR}, which resolver.configRoot (${root}) stands for`, `place the file under the config root and name it by its ${DNSMASQ_IMAGE_DIR} path`);
      }
      if (key === 'conf-dir') {
        let names: string[];
        try {
          names = readdirSync(local).filter((n) => statSync(join(local, n)).isFile());
        } catch (e) {
          throw new InputError(at, `cannot read directory ${local}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, `paths under ${DNSMASQ_IMAGE_DIR} resolve against resolver.configRoot (${root})`);
        }
        const picked = confDirFiles(names, spec.map((s) => s.trim()));
        includes.push({ line: o.line, key, files: picked.map((n) => join(local, n)) });
        for (const n of picked) visit(join(local, n), posix.join(image, n), 'config', [...stack, path], at);
        continue;
      }
      includes.push({ line: o.line, key, files: [local] });
      const childRole = key === 'conf-file' ? 'config' : key;
      visit(local, image, childRole, [...stack, path], at);
    }
  };

  visit(main, DNSMASQ_MAIN, 'config', []);
  return { kind: 'dnsmasq', main, root, files: order.map((p) => files.get(p)!) };
}

/** The image's own /etc/dnsmasq.conf, read from its layers: one file, no includes (they would need the image's whole /etc). */
export function dnsmasqImageConfig(text: string, source: string, where: Location): DnsmasqConfig {
  const options = parseDnsmasqOptions(text);
  const inc = options.find((o) => (FILE_INCLUDES as readonly string[]).includes(o.key) && !(o.key === 'conf-file' && (o.value === undefined || posix.resolve('/', o.value) === DEBIAN_TRUST_ANCHORS)));
  if (inc) {
    throw new InputError(where, `the image's own config (${source}) reads other files (${inc.key}, line ${inc.line}), which are not read from images`, `copy the image's ${DNSMASQ_IMAGE_DIR} files dnsmasq reads and name them with resolver.config and resolver.configRoot`);
  }
  return { kind: 'dnsmasq', main: DNSMASQ_MAIN, root: DNSMASQ_IMAGE_DIR, files: [{ path: DNSMASQ_MAIN, imagePath: DNSMASQ_MAIN, text, role: 'config', options, includes: [] }] };
}

/** Every option of the config files (and servers-files), in reading order: includes are followed where they stand. */
export function dnsmasqOptions(config: DnsmasqConfig): { file: DnsmasqFile; option: DnsmasqOption }[] {
  const byPath = new Map(config.files.map((f) => [f.path, f]));
  const out: { file: DnsmasqFile; option: DnsmasqOption }[] = [];
  const seen = new Set<string>();
  const walk = (path: string): void => {
    const f = byPath.get(path);
    if (!f || seen.has(path)) return;
    seen.add(path);
    const inc = new Map(f.includes.map((d) => [d.line, d]));
    for (const o of f.options) {
      out.push({ file: f, option: o });
      const d = inc.get(o.line);
      if (d && (d.key === 'conf-file' || d.key === 'conf-dir' || d.key === 'servers-file')) for (const p of d.files) walk(p);
    }
  };
  walk(config.main);
  return out;
}
