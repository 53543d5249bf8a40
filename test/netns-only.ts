// Shipped scenarios the docker backend cannot run yet, each with the reason:
// test/docker.e2e.test.ts leaves them out of its comparison by name, and the
// README's docker table says the same.
export const NETNS_ONLY: Readonly<Record<string, string>> = {
  'ipv6-egress-forgotten': "network.ipv6: the docker backend's networks are IPv4 only so far",
};
