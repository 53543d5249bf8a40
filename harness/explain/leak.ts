// One sentence per leak, whatever saw it: the resolver's log (which names the
// zone and the names asked about) or only the network (packets, from a source
// the router knows). Every part is stated only when it is known, so a line
// never carries placeholder words or an empty list.
import type { Leak } from '../model.js';

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Who sent it, for a leak's environment field. */
export function senderOf(environment: string): string {
  if (environment === '(provider)') return "the provider's resolver";
  if (environment === '(internet)') return 'the simulated Internet';
  if (environment === '(network)') return 'the sandbox';
  return environment;
}

export function describeLeak(l: Leak): string {
  const where = "which the scenario's network does not have";
  // A leak of "(network)" without seenBy is the network's record in a report from before seenBy.
  if (l.seenBy === 'network' || l.environment.startsWith('(')) {
    const what = l.count > 0 ? `${plural(l.count, 'packet', 'packets')}` : 'packets';
    const dest = l.port !== undefined ? `${l.server} port ${l.port}` : l.protocol ? `${l.server} (${l.protocol})` : l.server;
    const who = l.environment.startsWith('(') ? senderOf(l.environment) : `something in ${l.environment}`;
    return `${who} sent ${what} to ${dest}, ${where}`;
  }
  const zone = l.zone === '.' ? ' (as a server for the root)' : l.zone && l.zone !== '(unknown)' ? ` (as a server for ${l.zone.replace(/\.$/, '')}.)` : '';
  const names = l.qnames.filter((n) => n !== '');
  const asked = names.length ? `; asked about ${names.join(', ')}` : '';
  return `${l.resolver ?? 'unbound'} in ${l.environment} sent ${plural(l.count, 'query', 'queries')} to ${l.server}${zone}, ${where}${asked}`;
}
