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

/** Where a query waits for its answer: what ends it, and what it asked, to match the answer against. */
interface Pending {
  readonly id: number;
  readonly name: string;
  readonly type: string;
  readonly deadline: number;
  readonly resolve: (o: ResolverOutcome) => void;
}

/** dist/native/udp-pump, also when the worker runs from its TypeScript sources (tests); undefined where it is not built. */
export function udpPumpPath(): string | undefined {
  const here = fileURLToPath(import.meta.url);
  const dist = /\/dist\/harness\/probe\/[^/]+$/.test(here) ? new URL('../../native/', import.meta.url) : new URL('../../dist/native/', import.meta.url);
  const path = fileURLToPath(new URL('udp-pump', dist));
  return existsSync(path) ? path : undefined;
}

/**
 * Whether channels opened from now on use the pump (where it is built): a
 * worker asked a few queries, or a readiness check, is better served by
 * Node's socket, since starting a pump process per server costs more than
 * the datagrams it would save. DNSPARITY_UDP=dgram turns the pump off.
 */
let pumpWanted = true;
export function useUdpPump(on: boolean): void {
  pumpWanted = on;
}

/**
 * One connected UDP socket per server, shared by every query to it: a socket
 * per query costs more than the query. Being connected, it still hears the
 * network's refusals (ICMP unreachable from nftables "reject"); such an
 * error belongs to the server, so it ends every query waiting on it.
 *
 * The socket is the UDP pump's (native/udp-pump.c) where it is built: the
 * queries of one turn of the event loop go to it in one pipe write and out in
 * one sendmmsg, the answers come back in one read, where Node's dgram makes a
 * system call and a callback per datagram. Without the pump (or with
 * DNSPARITY_UDP=dgram), the socket is Node's. Either way every DNS decision
 * (ids, matching, deadlines, refusals) is made here.
 */
class UdpChannel {
  private readonly pending = new Map<number, Pending>();
  private nextId = randomInt(0, 65536);
  private pump: ChildProcess | undefined;
  private sock: Socket | undefined;
  private connected: Promise<void> | undefined;
  private outgoing: Buffer[] = [];
  /** Waiting queries by deadline, earliest first: one timer, for the first of them, instead of one per query. */
  private byDeadline: Pending[] = [];
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweepAt = Infinity;
  private inbuf: Buffer = Buffer.alloc(0);

  constructor(private readonly target: DnsTarget) {
    const pump = process.env.DNSPARITY_UDP === 'dgram' || !pumpWanted ? undefined : udpPumpPath();
    if (pump) this.startPump(pump);
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

  private startPump(path: string): void {
    const child = spawn(path, [this.target.address, String(this.target.port)], { stdio: ['pipe', 'pipe', 'pipe'] });
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

  /** The pump's frames: 2-byte length, then a datagram; length 0, then an errno name: a refusal. */
  private frames(chunk: Buffer): void {
    let buf = this.inbuf.length ? Buffer.concat([this.inbuf, chunk]) : chunk;
    let at = 0;
    while (buf.length - at >= 2) {
      const n = buf.readUInt16BE(at);
      if (n === 0) {
        if (buf.length - at < 3 || buf.length - at < 3 + buf[at + 2]!) break;
        const name = buf.toString('latin1', at + 3, at + 3 + buf[at + 2]!);
        at += 3 + buf[at + 2]!;
        this.refused(name);
        continue;
      }
      if (buf.length - at - 2 < n) break;
      this.answer(buf.subarray(at + 2, at + 2 + n));
      at += 2 + n;
    }
    buf = buf.subarray(at);
    this.inbuf = buf.length ? Buffer.from(buf) : Buffer.alloc(0);
  }

  private answer(msg: Buffer): void {
    let resp: dnsPacket.Packet;
    try {
      resp = dnsPacket.decode(msg);
    } catch {
      return; // not a DNS message: the waiting query keeps waiting until its deadline
    }
    const p = resp.id === undefined ? undefined : this.pending.get(resp.id);
    if (p && matches(resp, resp.id!, p.name, p.type)) this.finish(p, toOutcome(resp, 'udp'));
  }

  private finish(p: Pending, o: ResolverOutcome): void {
    if (this.pending.get(p.id) !== p) return;
    this.pending.delete(p.id);
    p.resolve(o);
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

  private send(packet: Buffer): void {
    if (this.pump) {
      const len = Buffer.allocUnsafe(2);
      len.writeUInt16BE(packet.length, 0);
      if (this.outgoing.length === 0) setImmediate(this.flush);
      this.outgoing.push(len, packet);
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

  async query(name: string, type: string, deadline: number): Promise<ResolverOutcome> {
    if (!this.pump) await this.connected;
    return new Promise((resolve) => {
      const id = this.allocateId();
      const p: Pending = { id, name, type, deadline, resolve };
      this.pending.set(id, p);
      this.enqueue(p);
      this.send(encodeQuery(id, name, type));
    });
  }
}

const channels = new Map<string, UdpChannel>();
function udp(target: DnsTarget, name: string, type: string, deadline: number): Promise<ResolverOutcome> {
  const key = `${target.address}#${target.port}`;
  let ch = channels.get(key);
  if (!ch) channels.set(key, (ch = new UdpChannel(target)));
  return ch.query(name, type, deadline);
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

/** Asks one server one question; never throws, never outlives timeoutMs. */
export async function query(target: DnsTarget, name: string, type: string, timeoutMs: number): Promise<{ outcome: ResolverOutcome; latencyMs: number }> {
  const start = performance.now();
  const deadline = Date.now() + timeoutMs;
  let outcome = await udp(target, name, type, deadline);
  if (outcome.status === 'response' && outcome.flags.tc && Date.now() < deadline) outcome = await tcp(target, name, type, deadline);
  return { outcome, latencyMs: Math.round(performance.now() - start) };
}
