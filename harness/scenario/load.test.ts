import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { parseScenario } from './load.js';

// Path checks read the disk, so the referenced files must really exist.
let dir: string;
let file: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dnsparity-load-test-'));
  file = join(dir, 'scenario.yaml');
  writeFileSync(join(dir, 'unbound.conf'), 'server:\n    interface: 127.0.0.1\n');
  writeFileSync(join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\nnameserver 169.254.169.253\n');
  writeFileSync(join(dir, 'example.io.zone'), '@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n@ IN NS ns1\nns1 IN A 198.51.100.53\n');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const VALID = `name: sample
resolver:
  config: unbound.conf
stub:
  resolvConf: resolv.conf
network:
  provider:
    zones: []
  public:
    zones:
      - origin: example.io
        file: example.io.zone
environments:
  - name: production
    egress: allow
    reference: true
  - name: staging
    egress: drop
queries:
  names:
    - www.example.io
`;

/** 1-based line of the first line containing `marker`, so expectations read as text, not counts. */
function lineContaining(text: string, marker: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`marker not in text: ${marker}`);
  return i + 1;
}

function replaceOnce(text: string, from: string | RegExp, to: string): string {
  const out = text.replace(from, to);
  if (out === text) throw new Error(`fixture edit did not apply: ${String(from)}`);
  return out;
}

function parseError(text: string): InputError {
  try {
    parseScenario(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected parseScenario to throw');
}

describe('parseScenario: a valid scenario', () => {
  it('fills defaults and resolves paths against the scenario directory', () => {
    const s = parseScenario(VALID, file);
    expect(s.name).toBe('sample');
    expect(s.backend).toBe('auto');
    expect(s.resolver.kind).toBe('unbound');
    expect(s.network.provider.address).toBe('169.254.169.253');
    expect(s.environments.map((e) => [e.name, e.egress, e.provider, e.reference])).toEqual([
      ['production', 'allow', 'reachable', true],
      ['staging', 'drop', 'reachable', false],
    ]);
    // Left to the stub's timeout (half of it) when the scenario says nothing.
    expect(s.expect.latencyThresholdMs).toBeUndefined();
    expect(s.stub.libraries).toBeUndefined(); // glibc, unless an image's own C library says otherwise
    expect(s.expect.differences).toEqual([]);
    expect(s.expect.answers).toEqual([]);
    expect(s.queries).toEqual({ names: ['www.example.io'], privateZones: false, publicZones: false });
    expect(s.paths).toEqual({ resolverConfig: join(dir, 'unbound.conf'), configRoot: dir, resolvConf: join(dir, 'resolv.conf') });
    expect(s.network.public.zones).toEqual([{ origin: 'example.io', file: join(dir, 'example.io.zone'), signed: true }]);
    expect(s.file).toBe(file);
  });

  it('takes a config root relative to the scenario, and an unsigned public zone', () => {
    const text = replaceOnce(replaceOnce(VALID, '  config: unbound.conf\n', '  config: unbound.conf\n  configRoot: .\n'), '        file: example.io.zone\n', '        file: example.io.zone\n        signed: false\n');
    const s = parseScenario(text, file);
    expect(s.paths.configRoot).toBe(dir);
    expect(s.network.public.zones[0]!.signed).toBe(false);
  });

  it('takes the name from the file when the scenario has none', () => {
    const s = parseScenario(replaceOnce(VALID, 'name: sample\n', ''), file);
    expect(s.name).toBe('scenario');
  });

  it('knows the line of a field for later errors', () => {
    const s = parseScenario(VALID, file);
    expect(s.lineOf(['network', 'public', 'zones', 0, 'file'])).toBe(lineContaining(VALID, 'file: example.io.zone'));
    expect(s.lineOf(['environments', 1, 'egress'])).toBe(lineContaining(VALID, 'egress: drop'));
  });
});

describe('parseScenario: confinement to the files root', () => {
  it('refuses a file outside the scenario directory unless files.root takes it in', () => {
    const sub = join(dir, 'scenarios');
    mkdirSync(sub, { recursive: true });
    const inner = join(sub, 'inner.yaml');
    const text = VALID.replace('config: unbound.conf', 'config: ../unbound.conf').replace('resolvConf: resolv.conf', 'resolvConf: ../resolv.conf').replace('file: example.io.zone', 'file: ../example.io.zone');
    let err: InputError | undefined;
    try {
      parseScenario(text, inner);
    } catch (e) {
      err = e as InputError;
    }
    expect(err).toBeInstanceOf(InputError);
    expect(err!.location).toEqual({ file: inner, line: lineContaining(text, 'file: ../example.io.zone'), field: 'network.public.zones[0].file' });
    expect(err!.message).toContain("lies outside the scenario's files root");
    expect(err!.hint).toContain('files: { root: DIR }');
    const s = parseScenario(`files:
  root: ..
${text}`, inner);
    expect(s.filesRoot).toEqual({ dir: realpathSync(dir), declared: true });
    expect(s.paths.resolvConf).toBe(join(realpathSync(dir), 'resolv.conf'));
  });

  it('refuses a symlink inside the tree that points out of it', () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'dnsparity-load-elsewhere-'));
    try {
      writeFileSync(join(elsewhere, 'resolv.conf'), 'nameserver 127.0.0.1\n');
      symlinkSync(join(elsewhere, 'resolv.conf'), join(dir, 'linked-resolv.conf'));
      const text = VALID.replace('resolvConf: resolv.conf', 'resolvConf: linked-resolv.conf');
      expect(() => parseScenario(text, file)).toThrow(/stub\.resolvConf: linked-resolv\.conf \(resolves to .*\) lies outside/);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('keeps the files root inside a limit the command line sets', () => {
    const sub = join(dir, 'limited');
    mkdirSync(sub, { recursive: true });
    expect(() => parseScenario(`files:\n  root: ..\n${VALID}`, join(sub, 's.yaml'), { filesLimit: sub })).toThrow(/:2: files\.root: \.\. \(resolves to .*\) lies outside --files-root/);
    expect(() => parseScenario(VALID, file, { filesLimit: sub })).toThrow(/the scenario's directory .* lies outside --files-root/);
    expect(parseScenario(VALID, file, { filesLimit: dir }).filesRoot.declared).toBe(false);
  });

  it('names files.root when it is not a directory', () => {
    expect(() => parseScenario(`files:\n  root: nowhere\n${VALID}`, file)).toThrow(/:2: files\.root: not a directory/);
  });
});

interface BadCase {
  readonly name: string;
  readonly text: string;
  /** A substring of the offending line; null when the error can name no line. */
  readonly at: string | number | null;
  readonly field?: string;
  readonly message: string | RegExp;
}

const BAD: readonly BadCase[] = [
  {
    name: 'config root that is not a directory',
    text: replaceOnce(VALID, '  config: unbound.conf\n', '  config: unbound.conf\n  configRoot: resolv.conf\n'),
    at: 'configRoot: resolv.conf',
    field: 'resolver.configRoot',
    message: 'not a directory: resolv.conf',
  },
  {
    name: 'signed on a private zone (the provider serves them unsigned)',
    text: replaceOnce(VALID, '    zones: []\n', '    zones:\n      - { origin: internal.example.io, file: example.io.zone, signed: true }\n'),
    at: 'origin: internal.example.io',
    field: 'network.provider.zones[0].signed',
    message: 'unknown field',
  },
  {
    name: 'YAML syntax error',
    text: replaceOnce(VALID, 'stub:\n', 'stub: : x\n'),
    at: 'stub: : x',
    message: 'invalid YAML',
  },
  {
    name: 'duplicate key (also a YAML error)',
    text: `${VALID}name: again\n`,
    at: 'name: again',
    message: 'invalid YAML',
  },
  { name: 'empty file', text: '', at: null, message: 'the scenario is empty' },
  { name: 'only comments', text: '# nothing here\n', at: null, message: 'the scenario is empty' },
  { name: 'top level is a list', text: '- production\n- staging\n', at: 1, message: 'expected a mapping' },
  {
    name: 'unknown top-level field',
    text: replaceOnce(VALID, 'environments:\n', 'colour: blue\nenvironments:\n'),
    at: 'colour: blue',
    field: 'colour',
    message: 'unknown field',
  },
  {
    name: 'unknown nested field',
    text: replaceOnce(VALID, '  config: unbound.conf\n', '  config: unbound.conf\n  flavour: recursive\n'),
    at: 'flavour: recursive',
    field: 'resolver.flavour',
    message: 'unknown field',
  },
  {
    // Missing fields are reported at the mapping that should hold them.
    name: 'missing resolver',
    text: replaceOnce(VALID, 'resolver:\n  config: unbound.conf\n', ''),
    at: 1,
    field: 'resolver',
    message: 'required field is missing',
  },
  {
    name: 'missing resolver.config',
    text: replaceOnce(VALID, '  config: unbound.conf\n', '  kind: unbound\n'),
    at: 'kind: unbound',
    field: 'resolver.config',
    message: 'required field is missing',
  },
  {
    name: 'environments is not a list',
    text: replaceOnce(VALID, /environments:\n[\s\S]*?queries:/, 'environments: production\nqueries:'),
    at: 'environments: production',
    field: 'environments',
    message: 'expected array',
  },
  {
    name: 'bad egress value',
    text: replaceOnce(VALID, 'egress: drop', 'egress: block'),
    at: 'egress: block',
    field: 'environments[1].egress',
    message: 'expected allow, drop or reject',
  },
  {
    name: 'environment name used twice',
    text: replaceOnce(VALID, 'name: staging', 'name: production'),
    at: lineContaining(VALID, 'name: staging'),
    field: 'environments[1].name',
    message: 'environment "production" is defined twice',
  },
  {
    name: 'no reference environment',
    text: replaceOnce(VALID, '    reference: true\n', ''),
    at: '- name: production',
    field: 'environments',
    message: 'no environment is marked "reference: true"',
  },
  {
    name: 'two reference environments',
    text: replaceOnce(VALID, 'egress: drop\n', 'egress: drop\n    reference: true\n'),
    at: '- name: production',
    field: 'environments',
    message: '2 environments are marked as reference: production, staging',
  },
  {
    name: 'expected difference names an unknown environment',
    text: `${VALID}expect:\n  differences:\n    - environment: qa\n      reason: qa has no Internet\n`,
    at: 'environment: qa',
    field: 'expect.differences[0].environment',
    message: 'unknown environment "qa"',
  },
  {
    name: 'expected answer names an unknown environment',
    text: `${VALID}expect:\n  answers:\n    - name: www.example.io\n      environment: qa\n      outcome: answer\n`,
    at: 'environment: qa',
    field: 'expect.answers[0].environment',
    message: 'unknown environment "qa"',
  },
  {
    name: 'zone file missing',
    text: replaceOnce(VALID, 'file: example.io.zone', 'file: missing.zone'),
    at: 'file: missing.zone',
    field: 'network.public.zones[0].file',
    message: 'file not found or not readable: missing.zone',
  },
  {
    name: 'resolv.conf missing',
    text: replaceOnce(VALID, 'resolvConf: resolv.conf', 'resolvConf: nowhere/resolv.conf'),
    at: 'resolvConf: nowhere/resolv.conf',
    field: 'stub.resolvConf',
    message: 'file not found or not readable: nowhere/resolv.conf',
  },
  {
    name: 'bad query type',
    text: replaceOnce(VALID, '    - www.example.io\n', '    - www.example.io\n    - name: api.example.io\n      type: AXFR\n'),
    at: 'type: AXFR',
    field: 'queries.names[1].type',
    message: 'expected one of A, AAAA',
  },
  {
    name: 'bad domain name in queries.names',
    text: replaceOnce(VALID, '    - www.example.io\n', '    - www.example.io\n    - "not a name!.io"\n'),
    at: 'not a name!.io',
    field: 'queries.names[1]',
    message: 'expected a domain name',
  },
  {
    name: 'fewer than two environments',
    text: replaceOnce(VALID, '  - name: staging\n    egress: drop\n', ''),
    at: '- name: production',
    field: 'environments',
    message: 'expected at least two environments',
  },
  {
    name: 'no queries at all (section missing)',
    text: replaceOnce(VALID, /queries:[\s\S]*$/, ''),
    at: 1,
    field: 'queries',
    message: 'no queries',
  },
  {
    name: 'no queries at all (empty list)',
    text: replaceOnce(VALID, /queries:[\s\S]*$/, 'queries:\n  names: []\n'),
    at: 'names: []',
    field: 'queries',
    message: 'no queries',
  },
  {
    name: 'allowRealInternet: true',
    text: `${VALID}allowRealInternet: true\n`,
    at: 'allowRealInternet: true',
    field: 'allowRealInternet',
    message: 'the real Internet is not supported',
  },
  {
    name: 'provider address is not IPv4',
    text: replaceOnce(VALID, '  provider:\n', '  provider:\n    address: fd00::53\n'),
    at: 'address: fd00::53',
    field: 'network.provider.address',
    message: 'expected an IPv4 address',
  },
  {
    name: 'latency threshold is not a number',
    text: `${VALID}expect:\n  latencyThresholdMs: soon\n`,
    at: 'latencyThresholdMs: soon',
    field: 'expect.latencyThresholdMs',
    message: 'expected number',
  },
];

describe('parseScenario: bad input', () => {
  it.each(BAD)('$name', ({ text, at, field, message }) => {
    const err = parseError(text);
    expect(err.message).toContain(file);
    if (at === null) {
      expect(err.location?.line).toBeUndefined();
      expect(err.message).not.toMatch(new RegExp(`${file}:\\d`));
    } else {
      const line = typeof at === 'number' ? at : lineContaining(text, at);
      expect(err.location?.line).toBe(line);
      expect(err.message).toContain(`${file}:${line}:`);
    }
    if (field !== undefined) {
      expect(err.location?.field).toBe(field);
      expect(err.message).toContain(`: ${field}: `);
    }
    if (typeof message === 'string') expect(err.message).toContain(message);
    else expect(err.message).toMatch(message);
  });
});
