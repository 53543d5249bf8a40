import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { prepareUnboundConfig } from './unbound.js';

const FILE = '/images/app/etc/unbound/unbound.conf';
const CTX = { rootHintsFile: '/run/dnsparity/root.hints', workDir: '/run/dnsparity/unbound' };

const IMAGE_CONF = [
  '# The image\'s unbound config.', // 1
  '# include: "/etc/unbound/unbound.conf.d/*.conf"', // 2: commented out, so not an include
  'server:', // 3
  '    interface: 0.0.0.0', // 4
  '    port: 53', // 5
  '    username: "unbound"', // 6
  '    directory: "/etc/unbound"   # the default', // 7
  '    pidfile: "/run/unbound.pid"', // 8
  '    verbosity: 1', // 9
  'stub-zone:', // 10
  '    name: "internal.example.io"', // 11
  '    stub-addr: 169.254.169.253', // 12
  'remote-control:', // 13
  '    control-enable: yes', // 14
  '',
].join('\n');

function inputError(conf: string): InputError {
  try {
    prepareUnboundConfig(conf, FILE, CTX);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected prepareUnboundConfig to throw');
}

describe('prepareUnboundConfig', () => {
  it('comments replaced lines out in place, so line numbers still match the image file', () => {
    const { text } = prepareUnboundConfig(IMAGE_CONF, FILE, CTX);
    const original = IMAGE_CONF.split('\n');
    const prepared = text.split('\n');
    const replaced = new Set([6, 7, 8, 14]);
    original.forEach((line, i) => {
      if (replaced.has(i + 1)) expect(prepared[i]).toBe(`# dnsparity substitution (see below): ${line.trim()}`);
      else expect(prepared[i]).toBe(line);
    });
  });

  it('appends a server: block with the sandbox values and turns remote control off', () => {
    const { text } = prepareUnboundConfig(IMAGE_CONF, FILE, CTX);
    const appended = text.split('\n').slice(IMAGE_CONF.split('\n').length);
    expect(appended).toEqual([
      '',
      "# dnsparity substitutions: the only edits made to the image's config.",
      'server:',
      '    root-hints: "/run/dnsparity/root.hints"',
      '    directory: "/run/dnsparity/unbound"',
      '    chroot: ""',
      '    username: ""',
      '    pidfile: ""',
      '    logfile: ""',
      '    use-syslog: no',
      'remote-control:',
      '    control-enable: no',
      '',
    ]);
  });

  it('lists every substitution with the original value and line, and defaults with original null', () => {
    const { substitutions } = prepareUnboundConfig(IMAGE_CONF, FILE, CTX);
    const byOption = Object.fromEntries(substitutions.map((s) => [s.option, s]));
    expect(Object.keys(byOption).sort()).toEqual(
      ['chroot', 'directory', 'logfile', 'pidfile', 'remote-control.control-enable', 'root-hints', 'use-syslog', 'username'].sort(),
    );
    expect(substitutions).toHaveLength(8);
    expect(byOption.username).toMatchObject({ original: '"unbound"', replacement: '""', line: 6 });
    // The trailing comment is not part of the original value.
    expect(byOption.directory).toMatchObject({ original: '"/etc/unbound"', replacement: '"/run/dnsparity/unbound"', line: 7 });
    expect(byOption.pidfile).toMatchObject({ original: '"/run/unbound.pid"', line: 8 });
    expect(byOption['remote-control.control-enable']).toMatchObject({ original: 'yes', replacement: 'no', line: 14 });
    for (const absent of ['root-hints', 'chroot', 'logfile', 'use-syslog']) {
      expect(byOption[absent]!.original).toBeNull();
      expect(byOption[absent]!.line).toBeUndefined();
      expect(byOption[absent]!.why.length).toBeGreaterThan(0);
    }
    expect(byOption['root-hints']!.replacement).toBe('"/run/dnsparity/root.hints"');
  });

  it('states remote-control.control-enable even when the config has no remote-control clause', () => {
    const { substitutions } = prepareUnboundConfig('server:\n    verbosity: 1\n', FILE, CTX);
    expect(substitutions.find((s) => s.option === 'remote-control.control-enable')).toMatchObject({ original: null, replacement: 'no' });
    expect(substitutions.filter((s) => s.original === null)).toHaveLength(8);
  });

  it('leaves same-named options outside server: alone', () => {
    const conf = 'server:\n    verbosity: 1\nforward-zone:\n    name: "."\n    directory: "/not/a/server/option"\n';
    const { text, substitutions } = prepareUnboundConfig(conf, FILE, CTX);
    expect(text.split('\n')[4]).toBe('    directory: "/not/a/server/option"');
    expect(substitutions.find((s) => s.option === 'directory')!.original).toBeNull();
  });

  it.each([
    ['include', '    include: "/etc/unbound/unbound.conf.d/*.conf"', 'include directives are not supported'],
    ['include-toplevel', 'include-toplevel: "/etc/unbound/unbound.conf.d/*.conf"', 'include directives are not supported'],
    ['auto-trust-anchor-file', '    auto-trust-anchor-file: "/var/lib/unbound/root.key"', 'validates DNSSEC'],
    ['trust-anchor-file', '    trust-anchor-file: "/etc/unbound/root.key"', 'validates DNSSEC'],
    ['trust-anchor', '    trust-anchor: ". DS 20326 8 2 E06D44B8"', 'validates DNSSEC'],
  ])('rejects %s with the file and line', (field, line, message) => {
    const err = inputError(`# header\nserver:\n    verbosity: 1\n${line}\n`);
    expect(err.location).toEqual({ file: FILE, line: 4, field });
    expect(err.message.startsWith(`${FILE}:4: ${field}: `)).toBe(true);
    expect(err.message).toContain(message);
  });
});

describe('prepareUnboundConfig: listen address', () => {
  const listen = (conf: string) => prepareUnboundConfig(conf, FILE, CTX).listen;

  it('maps a wildcard interface to loopback', () => {
    expect(listen('server:\n    interface: 0.0.0.0\n')).toEqual({ address: '127.0.0.1', port: 53 });
  });

  it('takes the port from address@port', () => {
    expect(listen('server:\n    interface: 127.0.0.1@5353\n')).toEqual({ address: '127.0.0.1', port: 5353 });
  });

  it('takes the port from port:', () => {
    expect(listen('server:\n    interface: "127.0.0.53"\n    port: 5300\n')).toEqual({ address: '127.0.0.53', port: 5300 });
  });

  it('skips IPv6 interfaces for the first IPv4 one', () => {
    expect(listen('server:\n    interface: ::1\n    interface: 10.0.0.5\n')).toEqual({ address: '10.0.0.5', port: 53 });
  });

  it('defaults to 127.0.0.1#53 without an interface line', () => {
    expect(listen('server:\n    verbosity: 1\n')).toEqual({ address: '127.0.0.1', port: 53 });
  });
});
