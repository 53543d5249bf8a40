// One DNS query to one server with dns-packet: UDP first, TCP when the answer
// is truncated, a hard deadline, and the network's refusals kept apart from
// silence. Runs inside the environment's namespace (see worker.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import dnsPacket from 'dns-packet';
import type { DnsRecord, ResolverOutcome } from '../model.js';
import { encodeQuery } from './wire.js';

export interface DnsTarget {
  readonly address: string;
  readonly port: number;
}

/** RDATA in the presentation form the resolver layer reports (also for the stub-lookup helpers' answers). */
export function rdata(type: string, data: unknown): string {
  if (typeof data === 'string') return data;
  if (Buffer.isBuffer(data)) return `\\# ${data.length} ${data.toString('hex')}`;
  if (Array.isArray(data)) return data.map((d) => (Buffer.isBuffer(d) ? JSON.stringify(d.toString('latin1')) : String(d))).join(' ');
  const d = data as Record<string, unknown>;
  switch (type) {
    case 'MX':
      return `${d.preference} ${d.exchange}`;
    case 'SRV':
      return `${d.priority} ${d.weight} ${d.port} ${d.target}`;
    case 'SOA':
      return `${d.mname} ${d.rname} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
    case 'CAA':
      return `${d.flags} ${d.tag} ${JSON.stringify(d.value)}`;
    default:
      return JSON.stringify(data, (_k, v) => (v && v.type === 'Buffer' ? Buffer.from(v.data).toString('base64') : v));
  }
}

function toOutcome(resp: dnsPacket.Packet, transport: 'udp' | 'tcp'): ResolverOutcome {
  const r = resp as dnsPacket.Packet & { rcode?: string; flag_aa?: boolean; flag_tc?: boolean; flag_ra?: boolean; flag_ad?: boolean; flag_cd?: boolean };
  const answers: DnsRecord[] = (resp.answers ?? []).map((a) => ({ name: a.name, type: a.type, data: rdata(a.type, (a as { data?: unknown }).data) }));
  return {
    status: 'response',
    rcode: r.rcode ?? 'NOERROR',
    flags: { aa: !!r.flag_aa, tc: !!r.flag_tc, ra: !!r.flag_ra, ad: !!r.flag_ad, cd: !!r.flag_cd },
    answers,
    transport,
  };
}

function matches(resp: dnsPacket.Packet, id: number, name: string, type: string): boolean {
  const q = resp.questions?.[0];
  return resp.id === id && !!q && q.name.toLowerCase() === name.toLowerCase() && q.type === type;
}

/** What one query to one server came to, and how long it took. */
export interface Asked {
  readonly outcome: ResolverOutcome;
  readonly latencyMs: number;
}

/** Where a query waits for its answer: what ends it, and what it asked, to match the answer against. */
interface Pending {
  readonly id: number;
  readonly name: string;
  readonly type: string;
  readonly timeoutMs: number;
  /** When it was handed to the socket or the pump (performance.now()). */
  readonly at: number;
  /** Node's deadline (Date.now()); the pump keeps its queries' time itself. */
  readonly deadline: number;
  readonly resolve: (r: Asked) => void;
}

/** dist/native/udp-pump, also when the worker runs from its TypeScript sources (tests); undefined where it is not built. */
export function udpPumpPath(): string | undefined {
  const here = fileURLToPath(import.meta.url);
  const dist = /\/dist\/harness\/probe\/[^/]+$/.test(here) ? new URL('../../native/', import.meta.url) : new URL('../../dist/native/', import.meta.url);
  const path = fileURLToPath(new URL('udp-pump', dist));
  return existsSync(path) ? path : undefined;
}

/** The pump's window when nobody set one: queries in flight to one server. */
const DEFAULT_WINDOW = 100;

/**
 * Whether channels opened from now on use the pump (where it is built), and
 * how many queries each keeps in flight to its server: a worker asked a few
 * queries, or a readiness check, is better served by Node's socket, since
 * starting a pump process per server costs more than the datagrams it would
 * save. DNSPARITY_UDP=dgram turns the pump off.
 */
let pumpWanted = true;
let pumpWindow = DEFAULT_WINDOW;
export function useUdpPump(on: boolean, window: number = DEFAULT_WINDOW): void {
  pumpWanted = on;
  pumpWindow = Math.max(1, Math.min(65536, Math.floor(window)));
}

/** The pump channels opened now start, if they use one. */
function wantedPump(): string | undefined {
  return process.env.DNSPARITY_UDP === 'dgram' || !pumpWanted ? undefined : udpPumpPath();
}

/** Whether channels opened now hold their queries in flight in the pump, which then bounds what the server is sent at once. */
export function pumpHoldsWindow(): boolean {
  return wantedPump() !== undefined;
}

/**
 * One connected UDP socket per server, shared by every query to it: a socket
 * per query costs more than the query. Being connected, it still hears the
 * network's refusals (ICMP unreachable from nftables "reject"); such an
 * error belongs to the server, so it ends every query waiting on it.
 *
 * The socket is the UDP pump's (native/udp-pump.c) where it is built: the
 * queries of one turn of the event loop go to it in one pipe write; it keeps
 * a window of them in flight to the server and sends the next as soon as one
 * is answered or times out, in one sendmmsg per wake; it matches each answer
 * to its query (id, question) and times it, and sends back the answers and
 * timeouts of one wake in one write. Without the pump (or with
 * DNSPARITY_UDP=dgram), the socket is Node's, every query is sent at once,
 * and the deadlines and matching are done here. Either way the DNS messages
 * are made and read here.
 */
class UdpChannel {
  private readonly pending = new Map<number, Pending>();
  private nextId = randomInt(0, 65536);
  private pump: ChildProcess | undefined;
  private sock: Socket | undefined;
  private connected: Promise<void> | undefined;
  private outgoing: Buffer[] = [];
  /** Waiting queries by deadline, earliest first: one timer, for the first of them, instead of one per query (Node's socket only). */
  private byDeadline: Pending[] = [];
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweepAt = Infinity;
  private inbuf: Buffer = Buffer.alloc(0);

  constructor(private readonly target: DnsTarget) {
    const pump = wantedPump();
    if (pump) this.startPump(pump, pumpWindow);
    else this.startDgram();
  }

  private startDgram(): void {
    const sock = createSocket('udp4');
    this.sock = sock;
    this.connected = new Promise((resolve) => sock.connect(this.target.port, this.target.address, () => resolve()));
    sock.on('error', (e: NodeJS.ErrnoException) => this.refused(e.code ?? e.message));
    sock.on('message', (msg) => this.answer(msg));
    sock.unref();
  }

  private startPump(path: string, window: number): void {
    const child = spawn(path, [this.target.address, String(this.target.port), String(window)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.pump = child;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-1000);
    });
    child.stdout!.on('data', (chunk: Buffer) => this.frames(chunk));
    child.stdin!.on('error', () => undefined); // its exit says why
    const gone = (why: string) => {
      if (this.pump !== child) return;
      this.pump = undefined;
      // The queries it held end with why; the next ones go through Node's socket.
      this.refused(why);
      this.startDgram();
    };
    child.on('error', (e) => gone(`udp-pump: ${e.message}`));
    child.on('exit', (code, sig) => gone(`udp-pump exited ${code ?? sig}: ${stderr.trim()}`));
    for (const s of [child.stdin!, child.stdout!, child.stderr!]) (s as unknown as { unref?: () => void }).unref?.();
    child.unref();
  }

  /** The pump's frames: a kind byte, a 2-byte length, then an answer ('A'), a timeout ('T') or a refusal ('E'). */
  private frames(chunk: Buffer): void {
    const buf = this.inbuf.length ? Buffer.concat([this.inbuf, chunk]) : chunk;
    let at = 0;
    while (buf.length - at >= 3) {
      const n = buf.readUInt16BE(at + 1);
      if (buf.length - at - 3 < n) break;
      const kind = buf[at]!;
      const body = at + 3;
      at = body + n;
      if (kind === 0x41 /* A */) this.answer(buf.subarray(body + 4, at), buf.readUInt32BE(body) / 1000);
      else if (kind === 0x54 /* T */) {
        const p = this.pending.get(buf.readUInt16BE(body));
        if (p) this.finish(p, { status: 'timeout' }, buf.readUInt32BE(body + 2) / 1000);
      } else if (kind === 0x45 /* E */) this.refused(buf.toString('latin1', body, at));
    }
    const rest = buf.subarray(at);
    this.inbuf = rest.length ? Buffer.from(rest) : Buffer.alloc(0);
  }

  /** A datagram from the server; `pumpMs` when the pump matched it to a query in flight and timed it. */
  private answer(msg: Buffer, pumpMs?: number): void {
    let resp: dnsPacket.Packet | undefined;
    try {
      resp = dnsPacket.decode(msg);
    } catch {
      resp = undefined; // not a DNS message: the waiting query keeps waiting until its deadline
    }
    const id = resp?.id ?? (msg.length >= 2 ? msg.readUInt16BE(0) : undefined);
    const p = id === undefined ? undefined : this.pending.get(id);
    if (!p) return;
    if (resp && matches(resp, id!, p.name, p.type)) this.finish(p, toOutcome(resp, 'udp'), pumpMs);
    else if (pumpMs !== undefined) {
      // The pump took it for the answer and stopped timing the query: its deadline is kept here.
      setTimeout(() => this.finish(p, { status: 'timeout' }, p.timeoutMs), Math.max(0, p.timeoutMs - pumpMs)).unref();
    }
  }

  private finish(p: Pending, o: ResolverOutcome, ms?: number): void {
    if (this.pending.get(p.id) !== p) return;
    this.pending.delete(p.id);
    if (this.pending.size === 0) this.holdOpen(false);
    p.resolve({ outcome: o, latencyMs: Math.round(ms ?? performance.now() - p.at) });
  }

  /**
   * Whether the pump's output keeps the process alive: while queries wait on
   * it, since then it is the pump that times them, not a timer here.
   */
  private holdOpen(on: boolean): void {
    const out = this.pump?.stdout as unknown as { ref?: () => void; unref?: () => void } | undefined;
    if (on) out?.ref?.();
    else out?.unref?.();
  }

  private enqueue(p: Pending): void {
    const q = this.byDeadline;
    // Deadlines mostly come in order (one timeout per worker): appended; otherwise put in place.
    if (q.length === 0 || q[q.length - 1]!.deadline <= p.deadline) q.push(p);
    else {
      let lo = 0;
      let hi = q.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (q[mid]!.deadline <= p.deadline) lo = mid + 1;
        else hi = mid;
      }
      q.splice(lo, 0, p);
    }
    this.arm();
  }

  /** The timer, for the earliest deadline of a query still waiting. */
  private arm(): void {
    const q = this.byDeadline;
    let k = 0;
    while (k < q.length && this.pending.get(q[k]!.id) !== q[k]) k++;
    if (k > 0) q.splice(0, k);
    const at = q.length ? q[0]!.deadline : Infinity;
    if (at === this.sweepAt) return;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    this.sweepAt = at;
    if (at !== Infinity) this.sweepTimer = setTimeout(this.sweep, Math.max(0, at - Date.now()));
  }

  private sweep = (): void => {
    this.sweepTimer = undefined;
    this.sweepAt = Infinity;
    const now = Date.now();
    const q = this.byDeadline;
    let k = 0;
    for (; k < q.length && q[k]!.deadline <= now; k++) this.finish(q[k]!, { status: 'timeout' });
    q.splice(0, k);
    this.arm();
  };

  /** The network refused this server (ICMP unreachable): every query waiting on it ends with that error. */
  private refused(code: string): void {
    for (const p of [...this.pending.values()]) this.finish(p, { status: 'error', message: code });
  }

  private allocateId(): number {
    for (let i = 0; i < 65536; i++) {
      const id = (this.nextId++ & 0xffff);
      if (!this.pending.has(id)) return id;
    }
    throw new Error('more than 65536 queries in flight to one server');
  }

  private flush = (): void => {
    const frames = this.outgoing;
    this.outgoing = [];
    if (this.pump) this.pump.stdin!.write(Buffer.concat(frames));
  };

  private send(packet: Buffer, timeoutMs: number): void {
    if (this.pump) {
      const head = Buffer.allocUnsafe(6);
      head.writeUInt16BE(packet.length + 4, 0);
      head.writeUInt32BE(Math.max(0, Math.ceil(timeoutMs)), 2);
      if (this.outgoing.length === 0) setImmediate(this.flush);
      this.outgoing.push(head, packet);
      return;
    }
    // A refusal (ICMP unreachable) is reported by whichever socket call comes
    // next: a receive, which emits 'error', or a send, whose error Node hands
    // only to a send callback (without one it is dropped, and the refusal
    // looks like silence when queries are in flight).
    this.sock!.send(packet, (e) => {
      if (e) this.refused((e as NodeJS.ErrnoException).code ?? e.message);
    });
  }

  async query(name: string, type: string, timeoutMs: number): Promise<Asked> {
    if (!this.pump) await this.connected;
    return new Promise((resolve) => {
      const id = this.allocateId();
      const pumped = this.pump !== undefined;
      const p: Pending = { id, name, type, timeoutMs, at: performance.now(), deadline: pumped ? Infinity : Date.now() + timeoutMs, resolve };
      this.pending.set(id, p);
      if (this.pending.size === 1) this.holdOpen(true);
      if (!pumped) this.enqueue(p);
      this.send(encodeQuery(id, name, type), timeoutMs);
    });
  }
}

const channels = new Map<string, UdpChannel>();
function udp(target: DnsTarget, name: string, type: string, timeoutMs: number): Promise<Asked> {
  const key = `${target.address}#${target.port}`;
  let ch = channels.get(key);
  if (!ch) channels.set(key, (ch = new UdpChannel(target)));
  return ch.query(name, type, timeoutMs);
}

function tcp(target: DnsTarget, name: string, type: string, deadline: number): Promise<ResolverOutcome> {
  return new Promise((resolve) => {
    const id = randomInt(0, 65536);
    const sock = connect({ host: target.address, port: target.port });
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (o: ResolverOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => finish({ status: 'timeout' }), Math.max(0, deadline - Date.now()));
    sock.on('error', (e: NodeJS.ErrnoException) => finish({ status: 'error', message: `tcp ${e.code ?? e.message}` }));
    sock.on('connect', () => {
      const q = encodeQuery(id, name, type);
      const len = Buffer.allocUnsafe(2);
      len.writeUInt16BE(q.length, 0);
      sock.write(Buffer.concat([len, q]));
    });
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
      try {
        const resp = dnsPacket.streamDecode(buf);
        finish(matches(resp, id, name, type) ? toOutcome(resp, 'tcp') : { status: 'error', message: 'tcp: mismatched answer' });
      } catch (e) {
        finish({ status: 'error', message: `tcp: undecodable answer: ${(e as Error).message}` });
      }
    });
  });
}

/**
 * Asks one server one question; never throws, never outlives timeoutMs of its
 * own (counted from its send: through the pump, a query may wait for room in
 * the window first, and that wait is neither timed nor counted).
 */
export async function query(target: DnsTarget, name: string, type: string, timeoutMs: number): Promise<Asked> {
  const r = await udp(target, name, type, timeoutMs);
  const o = r.outcome;
  if (o.status !== 'response' || !o.flags.tc || r.latencyMs >= timeoutMs) return r;
  const start = performance.now();
  const outcome = await tcp(target, name, type, Date.now() + timeoutMs - r.latencyMs);
  return { outcome, latencyMs: r.latencyMs + Math.round(performance.now() - start) };
}
