// dnsmasq as the resolver under test. dnsmasq forwards rather than recursing:
// its upstreams are its server= lines, or the nameservers of its resolv-file
// (/etc/resolv.conf by default). The image's config files are copied into the
// run directory with replaced lines commented out in place (line numbers stay
// the image's), include paths pointed at the copies, and the harness's own
// options appended to the main file; each change is listed in the report.
import { join, posix } from 'node:path';
import { InputError, type Location } from '../errors.js';
import type { Substitution } from '../model.js';
import type { TrustAnchor } from '../network/dnssec.js';
import { tryRun } from '../util/exec.js';
import { parseResolvConf } from './resolvconf.js';
import type { ConfigMessage, HostEffect, PrepareContext, PreparedConfig, PreparedFile, ResolverConfig, ResolverUnderTest, ZoneRoute } from './types.js';
import {
  DEBIAN_TRUST_ANCHORS,
  DNSMASQ_IMAGE_DIR,
  DNSMASQ_MAIN,
  dnsmasqImageConfig,
  dnsmasqOptions,
  FILE_INCLUDES,
  loadDnsmasqConfig,
  type DnsmasqConfig,
  type DnsmasqFile,
} from './dnsmasq-config.js';
import { parseDnsmasqLog } from './dnsmasq-log.js';

const asDnsmasq = (config: ResolverConfig): DnsmasqConfig => {
  if (config.kind !== 'dnsmasq') throw new Error(`the dnsmasq module was handed a ${config.kind} config`);
  return config as DnsmasqConfig;
};

/** Options the harness sets whatever the image says: each image line is commented out, the harness's value appended. */
const SANDBOX: readonly { key: string; value: string | undefined; why: string }[] = [
  { key: 'user', value: 'root', why: 'keep the privileges it has in the sandbox (the image\'s user need not exist on this machine)' },
  { key: 'group', value: 'root', why: 'keep the privileges it has in the sandbox (the image\'s group need not exist on this machine)' },
  { key: 'pid-file', value: '', why: 'the harness tracks the process by its id' },
  { key: 'log-facility', value: '-', why: 'log to stderr, kept by the harness per environment' },
];
/** Options that would daemonise, or log elsewhere, than the harness can follow. */
const DROPPED: Readonly<Record<string, string>> = {
  'log-async': 'log every line synchronously, so none is lost before the harness reads it',
  'log-dhcp': 'no DHCP in the sandbox',
  'no-daemon': 'keep-in-foreground on the command line instead',
  'keep-in-foreground': 'keep-in-foreground on the command line instead',
};

/** Options whose value is a file of this machine dnsmasq would read, or code it would run, which the harness neither maps nor substitutes. */
const HOST_FILE_OPTIONS = new Set(['hostsdir', 'dhcp-hostsfile', 'dhcp-hostsdir', 'dhcp-optsfile', 'dhcp-optsdir', 'read-ethers', 'tftp-root', 'dhcp-leasefile', 'dhcp-luascript', 'dumpfile', 'dnssec-timestamp']);
const CODE_OPTIONS = new Set(['dhcp-script', 'dhcp-luascript', 'conf-script']);

/** `listen-address=a,b` and `port=N`: the first IPv4 listen address (127.0.0.1 by default: it listens on every interface, loopback included). */
export function dnsmasqListen(config: DnsmasqConfig): { address: string; port: number } {
  let port = 53;
  let address: string | undefined;
  for (const { option } of dnsmasqOptions(config)) {
    if (option.key === 'port' && option.value !== undefined) port = Number(option.value) || 53;
    if (option.key === 'listen-address' && option.value !== undefined && address === undefined) {
      address = option.value.split(',').map((a) => a.trim()).find((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a));
    }
  }
  return { address: address === undefined || address === '0.0.0.0' ? '127.0.0.1' : address, port };
}

/** server=/a/b/ADDR#PORT@SRC (or local=, or a servers-file's lines): the domains and the address; undefined address for "answer locally" or "use the default servers". */
export function parseServer(value: string): { domains: string[]; address: string | undefined } {
  let rest = value.trim();
  const domains: string[] = [];
  if (rest.startsWith('/')) {
    const end = rest.lastIndexOf('/');
    domains.push(...rest.slice(1, end).split('/').map((d) => d.toLowerCase().replace(/^\*?\.?/, '').replace(/\.$/, '')));
    rest = rest.slice(end + 1);
  }
  const addr = rest.split('@')[0]!.split('#')[0]!.trim();
  if (addr === '' || addr === '#') return { domains, address: undefined };
  return { domains, address: addr.replace(/^\[(.*)\]$/, '$1') };
}

export function dnsmasqRoutes(config: DnsmasqConfig, resolvConf?: PrepareContext['resolvConf']): ZoneRoute[] {
  const opts = dnsmasqOptions(config);
  const out: ZoneRoute[] = [];
  let defaults = false;
  for (const { file, option } of opts) {
    if ((option.key !== 'server' && option.key !== 'local' && option.key !== 'rev-server') || option.value === undefined) continue;
    if (option.key === 'rev-server') continue;
    const s = parseServer(option.value);
    if (s.address === undefined) continue;
    const at = { file: file.path, line: option.line };
    if (s.domains.length === 0) {
      defaults = true;
      const had = out.find((r) => r.zone === '' && r.file === undefined);
      if (had) (had.addresses as string[]).push(s.address);
      else out.push({ zone: '', addresses: [s.address], how: 'forward', ...at });
    } else {
      for (const d of s.domains) out.push({ zone: d, addresses: [s.address], how: 'forward', ...at });
    }
  }
  const noResolv = opts.some((o) => o.option.key === 'no-resolv');
  if (!defaults && !noResolv) {
    // The nameservers of its resolv-file: the image's resolv.conf by default, itself excluded.
    const listen = dnsmasqListen(config);
    const files = config.files.filter((f) => f.role === 'resolv-file');
    const texts = files.length ? files.map((f) => ({ text: f.text, source: f.path })) : resolvConf ? [resolvConf] : [];
    const addresses = texts.flatMap((t) => parseResolvConf(t.text, t.source).nameservers).filter((a) => a !== listen.address);
    if (addresses.length) out.push({ zone: '', addresses: [...new Set(addresses)], how: 'forward', ...(files[0] ? { file: files[0].path } : {}) });
  }
  return out;
}

export const dnsmasqValidates = (config: DnsmasqConfig): boolean => dnsmasqOptions(config).some((o) => o.option.key === 'dnssec');

export function dnsmasqHostEffects(config: DnsmasqConfig): HostEffect[] {
  const out: HostEffect[] = [];
  for (const { file, option } of dnsmasqOptions(config)) {
    const value = option.value ?? '';
    if (CODE_OPTIONS.has(option.key) && value !== '') out.push({ file: file.path, line: option.line, option: option.key, value, kind: 'runs code' });
    else if (HOST_FILE_OPTIONS.has(option.key) && (value !== '' || option.key === 'read-ethers')) out.push({ file: file.path, line: option.line, option: option.key, value: value || '/etc/ethers', kind: 'reads a file' });
  }
  return out;
}

/** dnsmasq's trust-anchor= for each of the simulated root's DS records: ".,TAG,ALG,DIGESTTYPE,DIGEST". */
export function dnsmasqTrustAnchors(ta: TrustAnchor): string[] {
  return ta.ds.map((d) => {
    const [tag, alg, dtype, ...digest] = d.split(/\s+/).slice(4);
    return `.,${tag},${alg},${dtype},${digest.join('')}`;
  });
}

export function prepareDnsmasqConfig(config: DnsmasqConfig, ctx: PrepareContext): PreparedConfig {
  const mirror = (f: Pick<DnsmasqFile, 'imagePath'>): string => join(ctx.configDir, f.imagePath);
  const mainCopy = join(ctx.configDir, DNSMASQ_MAIN);
  const substitutions: Substitution[] = [];
  const edited = new Map<string, string[]>(config.files.map((f) => [f.path, f.text.split('\n')]));
  const trace = ctx.traceUpstream !== false;
  const commentOut = (f: DnsmasqFile, line: number) => {
    const lines = edited.get(f.path)!;
    lines[line - 1] = `# dnsparity substitution (see the end of ${mainCopy}): ${lines[line - 1]!.trim()}`;
  };
  const sub = (f: DnsmasqFile, line: number, option: string, original: string | null, replacement: string, why: string) => {
    substitutions.push({ option, original, replacement, why, line, file: f.path });
  };
  const all = dnsmasqOptions(config);
  const seen = new Set<string>();
  let rootAnchor = false;
  let resolvFiles = 0;
  for (const { file: f, option: o } of all) {
    if ((FILE_INCLUDES as readonly string[]).includes(o.key)) {
      const inc = f.includes.find((d) => d.line === o.line);
      if (!inc) continue;
      if (o.key === 'resolv-file') resolvFiles++;
      if (inc.key === 'conf-file' && o.value !== undefined && posix.resolve('/', o.value) === DEBIAN_TRUST_ANCHORS) {
        if (!ctx.trustAnchor) throw noSignedInternet({ file: f.path, line: o.line, field: o.key });
        rootAnchor = true;
        commentOut(f, o.line);
        sub(f, o.line, o.key, o.value, `trust-anchor=${dnsmasqTrustAnchors(ctx.trustAnchor).join(' ')}`, "trust the simulated root's key, made for this run, instead of the real root's");
        continue;
      }
      // A copy under the run directory, by the same /etc path.
      const [written, ...spec] = inc.key === 'conf-dir' ? o.value!.split(',') : [o.value!];
      const replacement = `${join(ctx.configDir, posix.resolve('/', written!.trim()))}${spec.length ? `,${spec.join(',')}` : ''}`;
      const lines = edited.get(f.path)!;
      lines[o.line - 1] = `${o.key}=${replacement}`;
      sub(f, o.line, o.key, o.value!, replacement, `resolver.configRoot stands for the image's ${DNSMASQ_IMAGE_DIR}; its files are read from copies with these substitutions`);
      continue;
    }
    if (o.key === 'trust-anchor' && o.value !== undefined && /^\.,/.test(o.value.trim())) {
      if (!ctx.trustAnchor) throw noSignedInternet({ file: f.path, line: o.line, field: o.key });
      rootAnchor = true;
      commentOut(f, o.line);
      sub(f, o.line, o.key, o.value, dnsmasqTrustAnchors(ctx.trustAnchor).join(' '), "trust the simulated root's key, made for this run");
      continue;
    }
    const sandbox = SANDBOX.find((s) => s.key === o.key);
    if (sandbox) {
      seen.add(o.key);
      commentOut(f, o.line);
      sub(f, o.line, o.key, o.value ?? null, sandbox.value ?? '', sandbox.why);
      continue;
    }
    if (Object.hasOwn(DROPPED, o.key)) {
      commentOut(f, o.line);
      sub(f, o.line, o.key, o.value ?? null, '(removed)', DROPPED[o.key]!);
      continue;
    }
    if (o.key === 'log-queries' && trace) {
      seen.add(o.key);
      commentOut(f, o.line);
      sub(f, o.line, o.key, o.value ?? null, 'extra', 'log every forwarded query with its serial, so the report can say which servers dnsmasq reached');
      continue;
    }
    if (o.key === 'no-hosts') seen.add('no-hosts');
    if (o.key === 'no-resolv') seen.add('no-resolv');
  }
  const appended: string[] = [];
  for (const s of SANDBOX) {
    appended.push(s.value === undefined ? s.key : `${s.key}=${s.value}`);
    if (!seen.has(s.key)) substitutions.push({ option: s.key, original: null, replacement: s.value ?? '', why: s.why });
  }
  if (trace) {
    appended.push('log-queries=extra');
    if (!seen.has('log-queries')) substitutions.push({ option: 'log-queries', original: null, replacement: 'extra', why: 'log every forwarded query with its serial, so the report can say which servers dnsmasq reached' });
  }
  // /etc/hosts: this machine's on netns, not the image's; the image's own when the config root has one.
  const files: PreparedFile[] = config.files.filter((f) => !(f.role === 'config' && f.imagePath === DEBIAN_TRUST_ANCHORS)).map((f) => ({ path: f.path === config.main ? mainCopy : mirror(f), text: edited.get(f.path)!.join('\n'), original: f.path }));
  if (!seen.has('no-hosts')) {
    appended.push('no-hosts');
    substitutions.push({ option: 'no-hosts', original: null, replacement: 'no-hosts', why: "dnsmasq reads /etc/hosts by default: the machine's, not the image's (list its entries in a file the config names with addn-hosts)" });
  }
  // The machine's /etc/resolv.conf is the default resolv-file: the image's is given instead.
  if (!seen.has('no-resolv') && resolvFiles === 0 && ctx.resolvConf) {
    const copy = join(ctx.configDir, 'resolv.conf.image');
    files.push({ path: copy, text: ctx.resolvConf.text, original: ctx.resolvConf.source });
    appended.push(`resolv-file=${copy}`, 'no-poll');
    substitutions.push({ option: 'resolv-file', original: null, replacement: copy, why: `dnsmasq reads its upstream servers from /etc/resolv.conf by default: the image's (${ctx.resolvConf.source}), not this machine's` });
  }
  if (rootAnchor && ctx.trustAnchor) appended.push(...dnsmasqTrustAnchors(ctx.trustAnchor).map((a) => `trust-anchor=${a}`));
  const mainLines = edited.get(config.main)!;
  // The harness's lines go at the end of the main file; dnsmasq reads conf-file=/conf-dir= includes after the file that names them, and a repeated option is an error either way, so each image line it replaces is commented out.
  const mainFile = files.find((f) => f.path === mainCopy)!;
  const mainText = [...mainLines, '', "# dnsparity substitutions: the only edits made to the image's config.", ...appended, ''].join('\n');
  files[files.indexOf(mainFile)] = { ...mainFile, text: mainText };
  substitutions.push({ option: 'keep-in-foreground', original: null, replacement: '-k (on the command line)', why: 'run in the foreground, a child of the harness' });
  return { main: mainCopy, files, substitutions, listen: dnsmasqListen(config), runArgs: ['-k'] };
}

const noSignedInternet = (at: Location) =>
  new InputError(at, 'this config validates DNSSEC, which needs a signed simulated Internet, and this backend does not sign one', 'use the netns backend, or remove the trust anchor to test resolution without validation');

/** dnsmasq's "bad option at line N of FILE" (and the like), with the prepared copy's path replaced by the image's file. */
export function mapDnsmasqMessage(message: string, prepared: PreparedConfig): ConfigMessage | undefined {
  const m = /(?:dnsmasq: )?(.*?) at line (\d+) of (\S+)/.exec(message);
  if (!m) return undefined;
  const copy = prepared.files.find((f) => f.path === m[3]);
  return { file: copy?.original ?? m[3]!, line: Number(m[2]), message: `dnsmasq: ${m[1]}` };
}

export const dnsmasq: ResolverUnderTest = {
  kind: 'dnsmasq',
  name: 'dnsmasq',
  binaries: [{ name: 'dnsmasq', pkg: 'dnsmasq-base' }],
  image: { configDir: DNSMASQ_IMAGE_DIR, mainConfig: DNSMASQ_MAIN },
  // The docker backend's default host: Debian 12 with dnsmasq-base, built by mmdebstrap.
  dockerHost: { binaries: ['dnsmasq'], packages: ['dnsmasq-base'], debianPackages: ['dnsmasq-base'] },
  load: loadDnsmasqConfig,
  fromImage: dnsmasqImageConfig,
  listen: (c) => dnsmasqListen(asDnsmasq(c)),
  validates: (c) => dnsmasqValidates(asDnsmasq(c)),
  routes: (c, rc) => dnsmasqRoutes(asDnsmasq(c), rc),
  hostEffects: (c) => dnsmasqHostEffects(asDnsmasq(c)),
  prepare: (c, ctx) => prepareDnsmasqConfig(asDnsmasq(c), ctx),
  async check(prepared) {
    const r = await tryRun('dnsmasq', ['--test', '-C', prepared.main]);
    if (r.exitCode === 0) return;
    const msg = (r.stderr || r.stdout).trim();
    const m = mapDnsmasqMessage(msg, prepared);
    if (m) throw new InputError({ file: m.file, ...(m.line !== undefined ? { line: m.line } : {}) }, `dnsmasq --test: ${m.message.replace(/^dnsmasq: /, '')}`, "fix the image's dnsmasq config");
    const original = prepared.files.find((f) => f.path === prepared.main)?.original ?? prepared.main;
    throw new InputError({ file: original }, `dnsmasq --test rejected the config: ${msg.split('\n')[0]!.replace(/^dnsmasq: /, '')}`, "fix the image's dnsmasq config");
  },
  command(preparedFile, runArgs = ['-k']) {
    return ['dnsmasq', ...runArgs, '-C', preparedFile];
  },
  parseActivity: parseDnsmasqLog,
  startFailure: (log, prepared) => mapDnsmasqMessage(log, prepared),
};
