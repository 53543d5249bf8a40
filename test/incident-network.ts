// The shipped incident's simulated Internet as an explanation sees it: the
// root, the io. and example.io. servers, and the provider's resolver. Unit
// tests of resolver paths start from it (and add public resolvers or shaping).
import type { NetworkMap } from '../harness/network/simulated-internet.js';

export const INCIDENT_NETWORK: NetworkMap = {
  servers: [
    { zone: '', name: 'a.root-servers.test', address: '198.51.100.1' },
    { zone: 'io', name: 'ns.nic.io', address: '198.51.100.2' },
    { zone: 'example.io', name: 'ns1.example.io', address: '198.51.100.53' },
  ],
  provider: '169.254.169.253',
};

/** The incident's production: egress to the Internet allowed, the provider reachable. */
export const PRODUCTION = { name: 'production', egress: 'allow', provider: 'reachable' } as const;
