// The configuration files of the servers that make up the simulated
// Internet on the netns backend: nsd per authoritative server, unbound for
// the provider's resolver. Pure: text in, text out.
import { fqdn } from '../../zone/zonefile.js';
import { HARNESS_OUTGOING_PORTS } from '../../network/public-resolvers.js';
import { zoneTextChunks, type AuthServer, type SimulatedInternet } from '../../network/simulated-internet.js';

export const zoneFileName = (origin: string): string => (origin === '' ? 'root.zone' : `${origin}.zone`);

/** port: 53, or the port behind a relay (network/relay.ts) when the network delays or loses this server's packets. */
export function nsdConfig(server: AuthServer, dir: string, port = 53): string {
  return [
    'server:',
    ...server.nameServers.flatMap((n) => [`    ip-address: ${n.address}`, ...(n.address6 ? [`    ip-address: ${n.address6}`] : [])]),
    `    port: ${port}`,
    '    server-count: 1',
    '    username: ""',
    '    chroot: ""',
    `    zonesdir: "${dir}"`,
    '    database: ""',
    `    zonelistfile: "${dir}/zone.list"`,
    `    xfrdfile: "${dir}/xfrd.state"`,
    `    xfrdir: "${dir}"`,
    `    pidfile: "${dir}/nsd.pid"`,
    '    hide-version: yes',
    // No response rate limiting in a simulated Internet: it would shape load
    // tests, and sizing its table is most of nsd's start-up time.
    '    rrl-ratelimit: 0',
    '    rrl-size: 1',
    // No zone transfers either: nsd picks a random query id for every
    // transfer slot it may use (max x pipeline, 16 384 by default), one
    // getrandom(2) each, at every start.
    '    xfrd-tcp-max: 1',
    '    xfrd-tcp-pipeline: 1',
    '    verbosity: 1',
    'remote-control:',
    '    control-enable: no',
    ...server.zones.flatMap((z) => ['zone:', `    name: "${fqdn(z.origin)}"`, `    zonefile: "${dir}/${zoneFileName(z.origin)}"`]),
    '',
  ].join('\n');
}

/** nsd's config and its zone files, each as its text or (zones) the pieces of it, to write as they come. */
export function nsdFiles(server: AuthServer, dir: string, port = 53): Map<string, string | Iterable<string>> {
  const files = new Map<string, string | Iterable<string>>([['nsd.conf', nsdConfig(server, dir, port)]]);
  for (const z of server.zones) files.set(zoneFileName(z.origin), zoneTextChunks(z));
  return files;
}

/** argv of the harness's own unbound (the provider's and the public resolvers), in the foreground, logging to stderr. */
export const harnessUnbound = (conf: string): readonly string[] => ['unbound', '-d', '-p', '-c', conf];

/** The provider's resolver: serves the private zones, recurses into the simulated Internet for the rest. */
export function providerConfig(internet: SimulatedInternet, dir: string, rootHintsFile: string, port = 53): string {
  return [
    'server:',
    `    interface: ${internet.provider.address}`,
    `    port: ${port}`,
    '    access-control: 0.0.0.0/0 allow',
    `    root-hints: "${rootHintsFile}"`,
    `    directory: "${dir}"`,
    '    chroot: ""',
    '    username: ""',
    '    pidfile: ""',
    '    logfile: ""',
    '    use-syslog: no',
    '    verbosity: 1',
    '    module-config: "iterator"',
    ...HARNESS_OUTGOING_PORTS,
    ...internet.provider.zones.flatMap((z) => [
      'auth-zone:',
      `    name: "${fqdn(z.origin)}"`,
      `    zonefile: "${dir}/${zoneFileName(z.origin)}"`,
      '    for-downstream: yes',
      '    for-upstream: yes',
      '    fallback-enabled: no',
    ]),
    'remote-control:',
    '    control-enable: no',
    '',
  ].join('\n');
}

