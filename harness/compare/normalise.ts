// Normalisation: what counts as "the same answer". TTLs are ignored, RRsets
// are order-free, names are case-folded, a trailing dot is not a difference.
import type { AppOutcome, DnsRecord, ResolverOutcome } from '../model.js';

const foldName = (n: string): string => n.toLowerCase().replace(/\.$/, '');

export function normaliseRecord(r: DnsRecord): string {
  const type = r.type.toUpperCase();
  // Names inside RDATA fold too (CNAME targets, MX exchanges), but not TXT strings.
  const data = type === 'TXT' || type === 'CAA' ? r.data : r.data.toLowerCase().replace(/\.(?=\s|$)/g, '');
  return `${foldName(r.name)} ${type} ${data}`;
}

export function normaliseAnswers(records: readonly DnsRecord[]): string[] {
  return [...new Set(records.map(normaliseRecord))].sort();
}

export function normaliseAddresses(addresses: readonly string[]): string[] {
  return [...new Set(addresses.map((a) => a.toLowerCase()))].sort();
}

/** A short, comparable form of an application-layer outcome. */
export function appKey(o: AppOutcome): string {
  switch (o.status) {
    case 'answer':
      return normaliseAddresses(o.addresses).join(',');
    case 'not-found':
    case 'failure':
      return `${o.status}:${o.code}`;
    case 'timeout':
      return 'timeout';
  }
}

/** A short, comparable form of a resolver-layer outcome. */
export function resolverKey(o: ResolverOutcome): string {
  switch (o.status) {
    case 'response':
      return `${o.rcode}|${normaliseAnswers(o.answers).join(';')}`;
    case 'timeout':
      return 'timeout';
    case 'error':
      return `error:${o.message}`;
  }
}

export function describeApp(o: AppOutcome): string {
  switch (o.status) {
    case 'answer':
      return normaliseAddresses(o.addresses).join(', ');
    case 'not-found':
      return `not found (${o.code})`;
    case 'failure':
      return `failed (${o.code})`;
    case 'timeout':
      return 'no answer (timeout)';
  }
}

export function describeResolver(o: ResolverOutcome): string {
  switch (o.status) {
    case 'response': {
      const data = o.answers.filter((a) => a.type !== 'RRSIG').map((a) => a.data);
      return data.length ? `${o.rcode} ${data.join(', ')}` : o.rcode === 'NOERROR' ? 'NOERROR (no data)' : o.rcode;
    }
    case 'timeout':
      return 'no answer (timeout)';
    case 'error':
      return `unreachable (${o.message})`;
  }
}
