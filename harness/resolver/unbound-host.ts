// What an image's unbound config would make this machine's unbound read or
// run. The netns backend runs the config on this machine's unbound, as root:
// a file it names (a zone file, a key, a script) would be this machine's file,
// not the image's, and a module such as python would run code from the
// scenario's merge request here. The harness maps only include: files into
// resolver.configRoot and substitutes the rest it needs, so these are refused
// there; the docker backend runs them inside the image, where they belong.
import type { HostEffect } from './types.js';
import { parseStatement, unquote, type UnboundConfig } from './unbound-config.js';

export type { HostEffect } from './types.js';

/** Options whose value is a file unbound opens at start, and that the harness does not substitute. */
const FILE_OPTIONS = new Set([
  'zonefile', // auth-zone:, rpz:
  'python-script',
  'dynlib-file',
  'tls-service-key',
  'tls-service-pem',
  'ssl-service-key',
  'ssl-service-pem',
  'tls-session-ticket-keys',
  'dnstap-tls-cert-bundle',
  'dnstap-tls-client-key-file',
  'dnstap-tls-client-cert-file',
]);
/** Modules that load code named by the config. */
const CODE_MODULES = /(^|\s)(python|dynlib)(\s|$)/;

export function hostEffects(config: UnboundConfig): HostEffect[] {
  const out: HostEffect[] = [];
  for (const f of config.files) {
    let clause = '';
    f.text.split('\n').forEach((text, i) => {
      const st = parseStatement(text);
      if (st.kind === 'clause') clause = st.name;
      if (st.kind !== 'setting') return;
      const value = unquote(st.value);
      const option = clause === 'server' || clause === '' ? st.key : `${clause}.${st.key}`;
      if (st.key === 'module-config' && CODE_MODULES.test(value)) out.push({ file: f.path, line: i + 1, option, value, kind: 'runs code' });
      else if (st.key === 'ipsecmod-hook' && value !== '') out.push({ file: f.path, line: i + 1, option, value, kind: 'runs code' });
      else if (FILE_OPTIONS.has(st.key) && value !== '') out.push({ file: f.path, line: i + 1, option, value, kind: 'reads a file' });
    });
  }
  return out;
}
