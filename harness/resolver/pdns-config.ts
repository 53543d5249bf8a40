// The image's PowerDNS Recursor 4.8 configuration as pdns_recursor reads it:
// recursor.conf (key=value lines) and then every *.conf file of its
// include-dir, in sorted order, each setting replacing an earlier one (or
// adding to it, with +=). The image's /etc/powerdns is a local directory the
// scenario names (resolver.configRoot). A Lua config file (lua-config-file)
// under /etc/powerdns is read too, so a run can copy it.
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { InputError, type Location } from '../errors.js';
import { readConfigFile } from './config-read.js';
import { isWithin, outside, type FilesRoot } from '../scenario/confine.js';

export const PDNS_CONFIG_DIR = '/etc/powerdns';
export const PDNS_MAIN_CONFIG = '/etc/powerdns/recursor.conf';

export interface PdnsSetting {
  readonly key: string;
  readonly value: string;
  /** `key+=value`: appended to the list so far. */
  readonly append: boolean;
  /** 1-based first line (a value may continue over lines ending in a backslash) and last line. */
  readonly line: number;
  readonly endLine: number;
}

/** The settings of one file, as pdns reads them: `#` starts a comment, whitespace around key and value is dropped. */
export function parsePdnsSettings(text: string, file: string): PdnsSetting[] {
  const out: PdnsSetting[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const first = i;
    let line = lines[i]!.replace(/\r$/, '');
    while (/\\\s*$/.test(line) && i + 1 < lines.length) line = line.replace(/\\\s*$/, '') + lines[++i]!.replace(/\r$/, '');
    const hash = line.indexOf('#');
    if (hash >= 0) line = line.slice(0, hash);
    line = line.trim();
    if (line === '') continue;
    const m = /^(?:--)?([a-z0-9-]+)\s*(\+?=)\s*(.*)$/i.exec(line);
    if (!m) throw new InputError({ file, line: first + 1 }, `not a setting: ${JSON.stringify(line.slice(0, 60))}`, 'pdns_recursor reads key=value lines (key+=value adds to a list)');
    out.push({ key: m[1]!.toLowerCase(), value: m[3]!.trim(), append: m[2] === '+=', line: first + 1, endLine: i + 1 });
  }
  return out;
}

export interface PdnsConfigFile {
  readonly path: string;
  readonly text: string;
}

export interface PdnsConfig {
  readonly kind: 'pdns-recursor';
  readonly main: string;
  /** The local directory standing for the image's /etc/powerdns. */
  readonly root: string;
  /** recursor.conf first, then the include-dir's files in the order pdns reads them. */
  readonly files: readonly PdnsConfigFile[];
  /** The include-dir as the image names it, and where it is locally. */
  readonly includeDir?: { readonly imagePath: string; readonly local: string; readonly file: string; readonly line: number };
  /** Other files under /etc/powerdns the settings name (lua-config-file, forward-zones-file, ...), read so a run can copy them. */
  readonly extraFiles: readonly { readonly imagePath: string; readonly path: string; readonly text: string }[];
}

/** The local path for a path inside the image's /etc/powerdns. */
export function pdnsImageToLocal(imagePath: string, root: string): string | undefined {
  const p = posix.normalize(imagePath);
  if (p === PDNS_CONFIG_DIR) return root;
  if (!p.startsWith(`${PDNS_CONFIG_DIR}/`)) return undefined;
  return posix.join(root, p.slice(PDNS_CONFIG_DIR.length + 1));
}

/** Settings that name a file pdns reads, copied from the config root when they lie in it. */
export const PDNS_FILE_SETTINGS = ['lua-config-file', 'forward-zones-file', 'allow-from-file', 'allow-notify-from-file', 'allow-notify-for-file', 'lua-dns-script', 'etc-hosts-file', 'public-suffix-list-file'] as const;

export interface Located extends PdnsSetting {
  readonly file: string;
}

/** Every setting in reading order, with its file. */
export const allSettings = (config: Pick<PdnsConfig, 'files'>): Located[] => config.files.flatMap((f) => parsePdnsSettings(f.text, f.path).map((s) => ({ ...s, file: f.path })));

/** A setting's effective value (the last one, with += additions joined by commas), and the settings that made it. */
export function effective(config: Pick<PdnsConfig, 'files'>, key: string): { value: string; from: Located[] } | undefined {
  let value: string | undefined;
  let from: Located[] = [];
  for (const s of allSettings(config)) {
    if (s.key !== key) continue;
    if (s.append && value !== undefined && value !== '') {
      value = `${value}, ${s.value}`;
      from.push(s);
    } else {
      value = s.value;
      from = [s];
    }
  }
  return value === undefined ? undefined : { value, from };
}

export function loadPdnsConfig(main: string, root: string, confineTo?: FilesRoot): PdnsConfig {
  const read = (path: string, from?: Location): string => readConfigFile(path, { root, imageDir: PDNS_CONFIG_DIR, confineTo }, from);
  const mainText = read(main);
  const files: PdnsConfigFile[] = [{ path: main, text: mainText }];
  // include-dir is read from the main file only, as pdns does.
  const inc = parsePdnsSettings(mainText, main).filter((s) => s.key === 'include-dir').pop();
  let includeDir: PdnsConfig['includeDir'];
  if (inc && inc.value !== '') {
    const at = { file: main, line: inc.line, field: 'include-dir' };
    const imagePath = posix.resolve(PDNS_CONFIG_DIR, inc.value);
    const local = pdnsImageToLocal(imagePath, root);
    if (local === undefined) throw new InputError(at, `${inc.value} lies outside ${PDNS_CONFIG_DIR}, which resolver.configRoot (${root}) stands for`, `place the directory under the config root and name it by its ${PDNS_CONFIG_DIR} path`);
    let names: string[];
    try {
      if (confineTo !== undefined) {
        const real = realpathSync(local);
        if (!isWithin(real, confineTo.dir)) throw outside(local, real, confineTo, at);
      }
      names = readdirSync(local).filter((n) => n.endsWith('.conf')).sort();
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError(at, `cannot read the directory ${local}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, `paths under ${PDNS_CONFIG_DIR} resolve against resolver.configRoot (${root})`);
    }
    for (const n of names) {
      const p = join(local, n);
      if (!statSync(p).isFile()) continue;
      const text = read(p, at);
      parsePdnsSettings(text, p);
      files.push({ path: p, text });
    }
    includeDir = { imagePath, local, file: main, line: inc.line };
  }
  const config = { kind: 'pdns-recursor' as const, main, root, files, ...(includeDir ? { includeDir } : {}), extraFiles: [] as { imagePath: string; path: string; text: string }[] };
  for (const key of PDNS_FILE_SETTINGS) {
    const e = effective(config, key);
    if (!e || e.value === '') continue;
    const imagePath = posix.resolve(PDNS_CONFIG_DIR, e.value);
    const local = pdnsImageToLocal(imagePath, root);
    if (local === undefined) continue; // outside /etc/powerdns: hostEffects() names it for the netns backend
    const last = e.from[e.from.length - 1]!;
    config.extraFiles.push({ imagePath, path: local, text: read(local, { file: last.file, line: last.line, field: key }) });
  }
  return config;
}
