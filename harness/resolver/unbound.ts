// unbound as the resolver under test. The image's config is used as it is
// except for the substitutions that point it at the simulated Internet and
// let it run in the sandbox; each is listed in the report. Replaced lines are
// commented out in place, so line numbers still match the image's file.
import { InputError } from '../errors.js';
import type { Substitution } from '../model.js';
import { tryRun } from '../util/exec.js';
import type { PrepareContext, PreparedConfig, ResolverUnderTest } from './types.js';
import { parseUnboundLog, TRACE_VERBOSITY } from './unbound-log.js';

const CLAUSE = /^\s*([a-z0-9-]+):\s*(#.*)?$/i;
const SETTING = /^\s*([a-z0-9-]+):\s*(.*?)\s*$/i;

const SERVER_SUBSTITUTIONS: Record<string, { value: (c: PrepareContext) => string; why: string }> = {
  'root-hints': { value: (c) => `"${c.rootHintsFile}"`, why: 'point recursion at the simulated root' },
  directory: { value: (c) => `"${c.workDir}"`, why: 'run inside the run directory' },
  chroot: { value: () => '""', why: 'run without a chroot in the sandbox' },
  username: { value: () => '""', why: 'keep the privileges needed inside the namespace' },
  pidfile: { value: () => '""', why: 'the harness tracks the process by its id' },
  logfile: { value: () => '""', why: 'log to stderr, kept by the harness per environment' },
  'use-syslog': { value: () => 'no', why: 'log to stderr, kept by the harness per environment' },
};
const TRUST_ANCHOR_KEYS = new Set(['auto-trust-anchor-file', 'trust-anchor-file', 'trust-anchor', 'trusted-keys-file']);

function stripComment(value: string): string {
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '"') quoted = !quoted;
    if (value[i] === '#' && !quoted) return value.slice(0, i).trim();
  }
  return value.trim();
}

function listenAddress(values: string[], port: number): { address: string; port: number } {
  for (const v of values) {
    const [addr, p] = v.replace(/"/g, '').split('@');
    if (!addr || addr.includes(':')) continue;
    return { address: addr === '0.0.0.0' ? '127.0.0.1' : addr, port: p ? Number(p) : port };
  }
  return { address: '127.0.0.1', port };
}

export function prepareUnboundConfig(original: string, file: string, ctx: PrepareContext): PreparedConfig {
  const lines = original.split('\n');
  const substitutions: Substitution[] = [];
  const seen = new Set<string>();
  const interfaces: string[] = [];
  let port = 53;
  let verbosity: { value: string; line: number } | undefined;
  let clause = '';
  lines.forEach((line, i) => {
    const text = line.replace(/^\s*#.*$/, '');
    const c = CLAUSE.exec(text);
    if (c) {
      clause = c[1]!.toLowerCase();
      return;
    }
    const s = SETTING.exec(text);
    if (!s) return;
    const key = s[1]!.toLowerCase();
    const value = stripComment(s[2]!);
    const at = { file, line: i + 1, field: key };
    if (key === 'include' || key === 'include-toplevel') {
      throw new InputError(at, 'include directives are not supported yet', 'inline the included file into the config');
    }
    if (clause === 'server' && TRUST_ANCHOR_KEYS.has(key)) {
      throw new InputError(at, 'this config validates DNSSEC, which needs a signed simulated Internet (not supported yet)', 'remove the trust anchor to test resolution without validation');
    }
    if (clause === 'server' && key === 'interface') interfaces.push(value);
    if (clause === 'server' && key === 'port') port = Number(value.replace(/"/g, '')) || 53;
    if (clause === 'server' && key === 'verbosity') verbosity = { value: value.replace(/"/g, ''), line: i + 1 };
    const sub = clause === 'server' ? SERVER_SUBSTITUTIONS[key] : clause === 'remote-control' && key === 'control-enable' ? { value: () => 'no', why: 'no control channel in the sandbox' } : undefined;
    if (!sub) return;
    const option = clause === 'server' ? key : `remote-control.${key}`;
    seen.add(option);
    substitutions.push({ option, original: value, replacement: sub.value(ctx), why: sub.why, line: i + 1 });
    lines[i] = `# dnsparity substitution (see below): ${line.trim()}`;
  });
  // Options the image left at their defaults still need the sandbox values.
  for (const [key, sub] of Object.entries(SERVER_SUBSTITUTIONS)) {
    if (!seen.has(key)) substitutions.push({ option: key, original: null, replacement: sub.value(ctx), why: sub.why });
  }
  const server = Object.entries(SERVER_SUBSTITUTIONS).map(([k, s]) => `    ${k}: ${s.value(ctx)}`);
  const text = [
    ...lines,
    '',
    '# dnsparity substitutions: the only edits made to the image\'s config.',
    'server:',
    ...server,
    'remote-control:',
    '    control-enable: no',
    '',
  ].join('\n');
  if (!seen.has('remote-control.control-enable')) {
    // Off by default in unbound; stated so the report shows the whole truth.
    substitutions.push({ option: 'remote-control.control-enable', original: null, replacement: 'no', why: 'no control channel in the sandbox' });
  }
  // unbound adds each -v to the config's verbosity: raise it to where every
  // upstream query is logged, without editing the file.
  const configured = Number(verbosity?.value ?? 1) || 0;
  const raise = Math.max(0, TRACE_VERBOSITY - configured);
  if (raise > 0) {
    substitutions.push({
      option: 'verbosity',
      original: verbosity?.value ?? null,
      replacement: `${configured + raise} (-${'v'.repeat(raise)} on the command line; the file is not edited)`,
      why: 'log every upstream query, so the report can say which servers unbound reached',
      ...(verbosity ? { line: verbosity.line } : {}),
    });
  }
  return { text, substitutions, listen: listenAddress(interfaces, port), runArgs: raise > 0 ? [`-${'v'.repeat(raise)}`] : [] };
}

export const unbound: ResolverUnderTest = {
  kind: 'unbound',
  binaries: [
    { name: 'unbound', pkg: 'unbound' },
    { name: 'unbound-checkconf', pkg: 'unbound' },
  ],
  prepare: prepareUnboundConfig,
  async check(preparedFile, originalFile) {
    const r = await tryRun('unbound-checkconf', [preparedFile]);
    if (r.exitCode === 0) return;
    const msg = (r.stderr || r.stdout).split(preparedFile).join(originalFile).trim();
    const m = /^(.*?):(\d+): (.*)$/m.exec(msg);
    if (m) throw new InputError({ file: m[1]!, line: Number(m[2]) }, `unbound-checkconf: ${m[3]}`, 'fix the image\'s unbound config');
    throw new InputError({ file: originalFile }, `unbound-checkconf rejected the config: ${msg.split('\n')[0]}`, 'fix the image\'s unbound config');
  },
  command(preparedFile, runArgs = []) {
    return ['unbound', '-d', '-p', ...runArgs, '-c', preparedFile];
  },
  parseActivity: parseUnboundLog,
};
