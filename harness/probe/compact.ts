// Observations are kept for every query in every environment (report.json
// carries them), so at 100k names their shape in memory matters. A plain
// QueryObservation costs about 350 bytes on the heap (an object for the
// observation, one for its application layer, an array and an object per
// resolver entry, a boxed number per latency, an outcome with its answers).
// The compactor keeps them in columns instead: typed arrays for latencies and
// indices, and each distinct outcome once per run, as a template whose
// answers owned by the name asked leave that name out (so that the hosts of a
// zone on a few addresses share a few templates). What it hands back for each
// observation is a view of about 40 bytes, which reads as the QueryObservation
// it stands for: its fields are made when read, and JSON.stringify (through
// toJSON) writes what the plain object would have given, byte for byte.
import type { AppObservation, DnsFlags, DnsRecord, QueryObservation, ResolverObservation, ResolverOutcome } from '../model.js';
import type { ProbeConfig, ProbeResult } from './protocol.js';

const MAX_INTERNED = 200_000;
const MAX_INTERNED_LENGTH = 64;
const TIMEOUT = Object.freeze({ status: 'timeout' as const });
/** Outcomes with a longer key (many answers) are held as they are, not looked up. */
const MAX_KEY_LENGTH = MAX_INTERNED_LENGTH * 8;

type AppOutcome = AppObservation['outcome'];

/** A resolver outcome held once: `asked[k]` says that answer k is owned by the name asked, which the template leaves out. */
interface Template {
  readonly outcome: ResolverOutcome;
  readonly asked?: readonly boolean[];
}

/**
 * Outcomes of a run, each distinct one held once (by value) and named by its
 * index, shared by the environments of the run: where two environments agree
 * (most queries, in most runs) they hold one outcome between them.
 */
export class SharedOutcomes {
  /** @param queries how many queries each environment is asked, so that its columns are made that long at once (they grow past it). */
  constructor(readonly queries = 0) {}

  readonly templates: Template[] = [{ outcome: TIMEOUT }];
  readonly apps: AppOutcome[] = [TIMEOUT];
  private readonly templateIndex = new Map<string, number>([['t', 0]]);
  private readonly appIndex = new Map<string, number>([['timeout', 0]]);

  template(key: string, make: () => Template): number {
    return intern(this.templateIndex, this.templates, key, make);
  }

  app(key: string, make: () => AppOutcome): number {
    return intern(this.appIndex, this.apps, key, make);
  }
}

function intern<T>(index: Map<string, number>, table: T[], key: string, make: () => T): number {
  const had = index.get(key);
  if (had !== undefined) return had;
  table.push(make());
  const i = table.length - 1;
  if (key.length <= MAX_KEY_LENGTH && index.size < MAX_INTERNED) index.set(key, i);
  return i;
}

const flagKey = (f: DnsFlags) => (+f.aa << 4) | (+f.tc << 3) | (+f.ra << 2) | (+f.ad << 1) | +f.cd;

/**
 * A typed array that grows (by half) as indices beyond it are written. Its
 * memory is outside the heap, and the one it replaces is freed only by the
 * next collection: growing by half, not doubling, keeps both small.
 */
function grown<A extends Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array>(a: A, needed: number, make: (n: number) => A, fill?: number): A {
  if (needed <= a.length) return a;
  const b = make(Math.max(needed, Math.ceil(a.length * 1.5), 64));
  b.set(a);
  if (fill !== undefined) b.fill(fill, a.length);
  return b;
}

const WAITED = 1;
const TALLY = 2;

/** The columns of one environment's observations: per observation (by query index), and per resolver entry. */
class Store {
  // Per observation i.
  appLatency = new Float64Array(0);
  appOutcome = new Uint32Array(0);
  appBits = new Uint8Array(0);
  first = new Uint32Array(0);
  count = new Uint16Array(0);
  readonly tallies = new Map<number, NonNullable<AppObservation['tally']>>();
  // Per resolver entry e.
  entries = 0;
  server = new Uint16Array(0);
  qname = new Int32Array(0);
  outcome = new Uint32Array(0);
  latency = new Float64Array(0);

  constructor(
    readonly shared: SharedOutcomes,
    readonly servers: readonly { readonly server: string; readonly roles: ResolverObservation['roles'] }[],
    readonly qnames: readonly string[],
  ) {
    // One observation per query, and mostly one resolver entry per observation (more with a search list or several nameservers).
    if (shared.queries > 0) this.reserve(shared.queries - 1, shared.queries);
  }

  reserve(i: number, entries: number): void {
    if (i >= this.first.length) {
      const n = i + 1;
      this.appLatency = grown(this.appLatency, n, (k) => new Float64Array(k), NaN);
      this.appOutcome = grown(this.appOutcome, n, (k) => new Uint32Array(k));
      this.appBits = grown(this.appBits, n, (k) => new Uint8Array(k));
      this.first = grown(this.first, n, (k) => new Uint32Array(k));
      this.count = grown(this.count, n, (k) => new Uint16Array(k));
    }
    const m = this.entries + entries;
    this.server = grown(this.server, m, (k) => new Uint16Array(k));
    this.qname = grown(this.qname, m, (k) => new Int32Array(k));
    this.outcome = grown(this.outcome, m, (k) => new Uint32Array(k));
    this.latency = grown(this.latency, m, (k) => new Float64Array(k));
  }

  application(i: number): AppObservation | undefined {
    const latencyMs = this.appLatency[i]!;
    if (Number.isNaN(latencyMs)) return undefined;
    const bits = this.appBits[i]!;
    // The keys in the order the probe gives them, so that report.json reads as it always has.
    return {
      outcome: this.shared.apps[this.appOutcome[i]!]!,
      latencyMs,
      ...(bits & WAITED ? { waitedOutTimeout: true as const } : {}),
      ...(bits & TALLY ? { tally: this.tallies.get(i)! } : {}),
    };
  }

  resolver(i: number, qname: string): ResolverObservation[] {
    const out: ResolverObservation[] = new Array(this.count[i]!);
    for (let k = 0, e = this.first[i]!; k < out.length; k++, e++) {
      const s = this.servers[this.server[e]!]!;
      const q = this.qname[e]!;
      const asked = q < 0 ? qname : this.qnames[q]!;
      out[k] = { server: s.server, ...(q < 0 ? {} : { qname: asked }), roles: s.roles, outcome: this.resolverOutcome(this.outcome[e]!, asked), latencyMs: this.latency[e]! };
    }
    return out;
  }

  private resolverOutcome(t: number, asked: string): ResolverOutcome {
    const { outcome: o, asked: owned } = this.shared.templates[t]!;
    if (!owned || o.status !== 'response') return o;
    return { status: 'response', rcode: o.rcode, flags: o.flags, answers: o.answers.map((a, k) => (owned[k] ? { name: asked, type: a.type, data: a.data } : a)), transport: o.transport };
  }
}

/** One environment's observation of one query, as the columns hold it. */
class ObservationView implements QueryObservation {
  readonly #store: Store;
  readonly #i: number;
  readonly #qname: string;

  constructor(store: Store, i: number, qname: string) {
    this.#store = store;
    this.#i = i;
    this.#qname = qname;
  }

  get application(): AppObservation | undefined {
    return this.#store.application(this.#i);
  }

  get resolver(): readonly ResolverObservation[] {
    return this.#store.resolver(this.#i, this.#qname);
  }

  /** The plain observation, with its keys in the order JSON.stringify of the plain object would write them. */
  toJSON(): QueryObservation {
    const application = this.application;
    return application ? { application, resolver: this.resolver } : { resolver: this.resolver };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): QueryObservation {
    return this.toJSON();
  }
}

export class Compactor {
  private readonly strings = new Map<string, string>();
  private readonly flags = new Map<number, DnsFlags>();
  private readonly serverIndex = new Map<string, number>();
  private readonly servers: { server: string; roles: ResolverObservation['roles'] }[] = [];
  private readonly qnameIndex = new Map<string, number>();
  private readonly qnames: string[] = [];
  private readonly store: Store;

  constructor(
    config: Pick<ProbeConfig, 'servers'>,
    private readonly shared: SharedOutcomes = new SharedOutcomes(),
  ) {
    for (const s of config.servers) {
      const server = `${s.address}#${s.port}`;
      if (!this.serverIndex.has(server)) this.serverIndex.set(server, this.servers.push({ server, roles: Object.freeze([...s.roles]) }) - 1);
    }
    this.store = new Store(shared, this.servers, this.qnames);
  }

  private str(s: string): string {
    if (s.length > MAX_INTERNED_LENGTH) return s;
    const had = this.strings.get(s);
    if (had !== undefined) return had;
    if (this.strings.size < MAX_INTERNED) this.strings.set(s, s);
    return s;
  }

  private flag(f: DnsFlags): DnsFlags {
    const key = flagKey(f);
    let shared = this.flags.get(key);
    if (!shared) this.flags.set(key, (shared = Object.freeze({ aa: f.aa, tc: f.tc, ra: f.ra, ad: f.ad, cd: f.cd })));
    return shared;
  }

  /** A server of the probe config has its roles from there; one not in it (never expected) those it came with. */
  private serverOf(x: ProbeResult['resolver'][number]): number {
    const key = this.serverIndex.has(x.server) ? x.server : `${x.server} ${x.roles.join(',')}`;
    let i = this.serverIndex.get(key);
    if (i === undefined) {
      i = this.servers.push({ server: x.server, roles: x.roles }) - 1;
      if (i > 0xffff) throw new RangeError('more than 65536 servers in one probe');
      this.serverIndex.set(key, i);
    }
    return i;
  }

  private qnameOf(q: string): number {
    const had = this.qnameIndex.get(q);
    if (had !== undefined) return had;
    const i = this.qnames.push(this.str(q)) - 1;
    if (this.qnameIndex.size < MAX_INTERNED) this.qnameIndex.set(q, i);
    return i;
  }

  /** The outcome's template: answers owned by the name asked are named as the query (the normal form), which the template leaves out. */
  private template(o: ResolverOutcome, asked: string): number {
    if (o.status === 'timeout') return 0;
    if (o.status === 'error') return this.shared.template(`e ${o.message}`, () => ({ outcome: Object.freeze({ status: 'error' as const, message: this.str(o.message) }) }));
    const owned = o.answers.map((a) => a.name.toLowerCase().replace(/\.$/, '') === asked);
    let key = `r ${o.rcode} ${flagKey(o.flags)} ${o.transport}`;
    for (let k = 0; k < o.answers.length; k++) {
      const a = o.answers[k]!;
      key += `\u0001${owned[k] ? '\u0000' : a.name}\u0002${a.type}\u0002${a.data}`;
    }
    return this.shared.template(key, () => {
      const answers: DnsRecord[] = o.answers.map((a, k) => Object.freeze({ name: owned[k] ? '' : this.str(a.name), type: this.str(a.type), data: this.str(a.data) }));
      const outcome = Object.freeze({ status: 'response' as const, rcode: this.str(o.rcode), flags: this.flag(o.flags), answers: Object.freeze(answers), transport: o.transport });
      return owned.includes(true) ? { outcome, asked: owned } : { outcome };
    });
  }

  private appOutcome(o: AppOutcome): number {
    if (o.status === 'timeout') return 0;
    const key = o.status === 'answer' ? `answer ${o.addresses.join(' ')}` : `${o.status} ${o.code}`;
    return this.shared.app(key, () => Object.freeze(o.status === 'answer' ? { status: 'answer' as const, addresses: Object.freeze(o.addresses.map((x) => this.str(x))) } : { status: o.status, code: this.str(o.code) }));
  }

  /** Takes one result of the probe worker into the columns; what it returns reads as that observation. */
  observation(r: ProbeResult, qname: string): QueryObservation {
    const s = this.store;
    const i = r.i;
    s.reserve(i, r.resolver.length);
    if (r.resolver.length > 0xffff) throw new RangeError('more than 65535 resolver entries in one observation');
    s.first[i] = s.entries;
    s.count[i] = r.resolver.length;
    for (const x of r.resolver) {
      const e = s.entries++;
      // Outcomes are held per name asked: a search walk asks several names of one server.
      const asked = x.qname === undefined ? qname : x.qname;
      s.server[e] = this.serverOf(x);
      s.qname[e] = x.qname === undefined ? -1 : this.qnameOf(x.qname);
      s.outcome[e] = this.template(x.outcome, asked);
      s.latency[e] = x.latencyMs;
    }
    const a = r.application;
    if (a) {
      s.appLatency[i] = a.latencyMs;
      s.appOutcome[i] = this.appOutcome(a.outcome);
      s.appBits[i] = (a.waitedOutTimeout ? WAITED : 0) | (a.tally ? TALLY : 0);
      if (a.tally) s.tallies.set(i, Object.freeze(a.tally.map((t) => ({ outcome: this.shared.apps[this.appOutcome(t.outcome)]!, count: t.count }))));
      else s.tallies.delete(i);
    } else {
      s.appLatency[i] = NaN;
      s.appBits[i] = 0;
      s.tallies.delete(i);
    }
    return new ObservationView(s, i, qname);
  }
}
