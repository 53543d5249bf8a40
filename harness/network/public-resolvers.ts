// The simulated Internet's recursive resolvers (8.8.8.8 and the like): where
// an image forwards "." to well-known public resolvers, the scenario declares
// them and the harness runs one at each address, recursing from the simulated
// root. These are the checks their addresses must pass, each naming the
// scenario's field.
import { InputError, type Location } from '../errors.js';
import type { SimulatedInternet } from './simulated-internet.js';

/** Ranges a public resolver cannot sit in: this host's own, the netns backend's links, or no host at all. */
const RESERVED: readonly { readonly prefix: string; readonly why: string }[] = [
  { prefix: '127.', why: 'loopback: the host under test itself' },
  { prefix: '0.', why: 'not a host address' },
  { prefix: '100.127.', why: 'the netns backend uses 100.127.0.0/16 for its links' },
];

export function checkPublicResolvers(internet: SimulatedInternet, at: (index: number) => Location): void {
  const seen = new Map<string, number>();
  const servers = new Set(internet.addresses);
  internet.publicResolvers.forEach((r, i) => {
    const first = Number(r.address.split('.')[0]);
    const reserved = RESERVED.find((x) => r.address.startsWith(x.prefix)) ?? (first >= 224 ? { why: 'multicast or reserved, not a host address' } : undefined);
    if (reserved) throw new InputError(at(i), `${r.address} cannot be a public resolver's address (${reserved.why})`, 'use the address the image forwards to, such as 8.8.8.8');
    if (seen.has(r.address)) throw new InputError(at(i), `public resolver ${r.address} is listed twice (first at index ${seen.get(r.address)})`, 'list each public resolver once');
    seen.set(r.address, i);
    if (r.address === internet.provider.address) throw new InputError(at(i), `${r.address} is the provider's resolver address`, "the provider's resolver is declared under network.provider; list only Internet resolvers here");
    if (servers.has(r.address)) throw new InputError(at(i), `${r.address} is also a name server of the simulated Internet`, 'give the public resolver an address of its own');
  });
}

/**
 * The outgoing ports of the harness's own unbound (the provider's and the
 * public resolvers): 1 024 of them, not the 60 000-odd of unbound's default.
 * unbound shuffles its port list at start with one arc4random call per port,
 * and Debian 12's glibc makes each of those a getrandom(2): about 17 000
 * system calls and 150 ms of CPU per start, for ports nobody needs here.
 * The image's own resolver keeps its config as it is.
 */
export const HARNESS_OUTGOING_PORTS: readonly string[] = ['    outgoing-port-avoid: 0-65535', '    outgoing-port-permit: 49152-50175'];

/**
 * unbound's config for one public resolver: recursion from the simulated root,
 * nothing private. (The simulated Internet's resolvers are the harness's own
 * unbound, whatever resolver the image runs; what the image's config forwards
 * where is its resolver module's to say: registry.ts configuredUpstreams.)
 */
export function publicResolverConfig(opts: { readonly listen: string; readonly port: number; readonly dir: string; readonly rootHintsFile: string }): string {
  return [
    'server:',
    `    interface: ${opts.listen}`,
    `    port: ${opts.port}`,
    '    access-control: 0.0.0.0/0 allow',
    `    root-hints: "${opts.rootHintsFile}"`,
    `    directory: "${opts.dir}"`,
    '    chroot: ""',
    '    username: ""',
    '    pidfile: ""',
    '    logfile: ""',
    '    use-syslog: no',
    '    verbosity: 1',
    '    do-ip6: no',
    // Like the provider's resolver: recursion only. A validating image that forwards here validates itself.
    '    module-config: "iterator"',
    ...HARNESS_OUTGOING_PORTS,
    'remote-control:',
    '    control-enable: no',
    '',
  ].join('\n');
}
