// The compactor as it was before its columns (harness/probe/compact.ts): it
// kept every observation as a plain object. Kept here as the tests' reference
// for what report.json holds for a probe result, byte for byte.
import type { AppObservation, DnsFlags, DnsRecord, QueryObservation, ResolverObservation, ResolverOutcome } from '../harness/model.js';
import type { ProbeConfig, ProbeResult } from '../harness/probe/protocol.js';

const MAX_INTERNED = 200_000;
const MAX_INTERNED_LENGTH = 64;

/**
 * Outcomes seen so far for each query, shared by the environments of a run:
 * where two environments agree (most queries, in most runs) they hold one
 * outcome object between them instead of one each.
 */
export class PlainSharedOutcomes {
  readonly app: (AppObservation['outcome'] | undefined)[] = [];
  readonly resolver = new Map<string, (ResolverOutcome | undefined)[]>();
}

const sameRecords = (a: readonly DnsRecord[], b: readonly DnsRecord[]) =>
  a.length === b.length && a.every((r, i) => r.name === b[i]!.name && r.type === b[i]!.type && r.data === b[i]!.data);

// By value: each environment's compactor interns its own flag objects.
const sameFlags = (a: DnsFlags, b: DnsFlags) => a.aa === b.aa && a.tc === b.tc && a.ra === b.ra && a.ad === b.ad && a.cd === b.cd;

function sameResolver(a: ResolverOutcome, b: ResolverOutcome): boolean {
  if (a.status !== b.status) return false;
  if (a.status === 'error') return a.message === (b as typeof a).message;
  if (a.status === 'timeout') return true;
  const c = b as typeof a;
  return a.rcode === c.rcode && sameFlags(a.flags, c.flags) && a.transport === c.transport && sameRecords(a.answers, c.answers);
}

function sameApp(a: AppObservation['outcome'], b: AppObservation['outcome']): boolean {
  if (a.status !== b.status) return false;
  if (a.status === 'answer') return a.addresses.length === (b as typeof a).addresses.length && a.addresses.every((x, i) => x === (b as typeof a).addresses[i]);
  if (a.status === 'timeout') return true;
  return a.code === (b as typeof a).code;
}

export class PlainCompactor {
  private readonly strings = new Map<string, string>();
  private readonly flags = new Map<number, DnsFlags>();
  /** Application outcomes by value: the same addresses or error for many names (a zone's hosts on a few addresses) are one object. */
  private readonly appOutcomes = new Map<string, AppObservation['outcome']>();
  private readonly servers = new Map<string, { server: string; roles: ResolverObservation['roles'] }>();

  constructor(
    config: Pick<ProbeConfig, 'servers'>,
    private readonly shared: PlainSharedOutcomes = new PlainSharedOutcomes(),
  ) {
    for (const s of config.servers) {
      const server = `${s.address}#${s.port}`;
      this.servers.set(server, { server, roles: Object.freeze([...s.roles]) });
    }
  }

  private str(s: string): string {
    if (s.length > MAX_INTERNED_LENGTH) return s;
    const had = this.strings.get(s);
    if (had !== undefined) return had;
    if (this.strings.size < MAX_INTERNED) this.strings.set(s, s);
    return s;
  }

  private flag(f: DnsFlags): DnsFlags {
    const key = (+f.aa << 4) | (+f.tc << 3) | (+f.ra << 2) | (+f.ad << 1) | +f.cd;
    let shared = this.flags.get(key);
    if (!shared) this.flags.set(key, (shared = Object.freeze({ aa: f.aa, tc: f.tc, ra: f.ra, ad: f.ad, cd: f.cd })));
    return shared;
  }

  private record(r: DnsRecord, qname: string): DnsRecord {
    const name = r.name.toLowerCase().replace(/\.$/, '') === qname ? qname : this.str(r.name);
    return { name, type: this.str(r.type), data: this.str(r.data) };
  }

  private outcome(o: ResolverOutcome, qname: string): ResolverOutcome {
    if (o.status !== 'response') return o.status === 'timeout' ? TIMEOUT : { status: 'error', message: this.str(o.message) };
    return { status: 'response', rcode: this.str(o.rcode), flags: this.flag(o.flags), answers: o.answers.map((a) => this.record(a, qname)), transport: o.transport };
  }

  private appOutcome(o: AppObservation['outcome']): AppObservation['outcome'] {
    if (o.status === 'timeout') return TIMEOUT;
    const key = o.status === 'answer' ? `answer ${o.addresses.join(' ')}` : `${o.status} ${o.code}`;
    const had = this.appOutcomes.get(key);
    if (had) return had;
    const made: AppObservation['outcome'] = Object.freeze(o.status === 'answer' ? { status: 'answer' as const, addresses: Object.freeze(o.addresses.map((x) => this.str(x))) } : { status: o.status, code: this.str(o.code) });
    if (key.length <= MAX_INTERNED_LENGTH * 4 && this.appOutcomes.size < MAX_INTERNED) this.appOutcomes.set(key, made);
    return made;
  }

  private app(a: AppObservation): AppObservation {
    return {
      outcome: this.appOutcome(a.outcome),
      latencyMs: a.latencyMs,
      ...(a.waitedOutTimeout ? { waitedOutTimeout: true as const } : {}),
      ...(a.tally ? { tally: a.tally.map((t) => ({ outcome: this.appOutcome(t.outcome), count: t.count })) } : {}),
    };
  }

  observation(r: ProbeResult, qname: string): QueryObservation {
    const resolver = r.resolver.map((x) => {
      const s = this.servers.get(x.server) ?? { server: x.server, roles: x.roles };
      // Outcomes are shared per server and per name asked: a search walk asks several names of one server.
      const key = x.qname === undefined ? s.server : `${s.server} ${x.qname}`;
      let seen = this.shared.resolver.get(key);
      if (!seen) this.shared.resolver.set(key, (seen = []));
      const asked = x.qname === undefined ? qname : this.str(x.qname);
      let outcome = this.outcome(x.outcome, asked);
      const before = seen[r.i];
      if (before && sameResolver(before, outcome)) outcome = before;
      else if (!before) seen[r.i] = outcome;
      return { server: s.server, ...(x.qname === undefined ? {} : { qname: asked }), roles: s.roles, outcome, latencyMs: x.latencyMs };
    });
    if (!r.application) return { resolver };
    let application = this.app(r.application);
    const before = this.shared.app[r.i];
    if (before && sameApp(before, application.outcome)) application = { ...application, outcome: before };
    else if (!before) this.shared.app[r.i] = application.outcome;
    return { application, resolver };
  }
}

const TIMEOUT = Object.freeze({ status: 'timeout' as const });
