// One DNS query to one server with dns-packet: UDP first, TCP when the answer
// is truncated, a hard deadline, and the network's refusals kept apart from
// silence. Runs inside the environment's namespace (see worker.ts).
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { randomInt } from 'node:crypto';
import dnsPacket from 'dns-packet';
import type { DnsRecord, ResolverOutcome } from '../model.js';

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

function encodeQuery(id: number, name: string, type: string): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id,
    // RD as a stub sets it; AD asks for the validation bit without DO (RFC 6840).
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.AUTHENTIC_DATA,
    questions: [{ type: type as dnsPacket.RecordType, name, class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0 } as dnsPacket.Answer],
  });
}

function matches(resp: dnsPacket.Packet, id: number, name: string, type: string): boolean {
  const q = resp.questions?.[0];
  return resp.id === id && !!q && q.name.toLowerCase() === name.toLowerCase() && q.type === type;
}

/**
 * One connected UDP socket per server, shared by every query to it: a socket
 * per query costs more than the query. Being connected, it still hears the
 * network's refusals (ICMP unreachable from nftables "reject"); such an
 * error belongs to the server, so it ends every query waiting on it.
 */
class UdpChannel {
  private readonly sock = createSocket('udp4');
  private readonly pending = new Map<number, { name: string; type: string; finish: (o: ResolverOutcome) => void }>();
  private readonly connected: Promise<void>;
  private nextId = randomInt(0, 65536);

  constructor(target: DnsTarget) {
    this.connected = new Promise((resolve) => this.sock.connect(target.port, target.address, () => resolve()));
    this.sock.on('error', (e: NodeJS.ErrnoException) => this.refused(e));
    this.sock.on('message', (msg) => {
      let resp: dnsPacket.Packet;
      try {
        resp = dnsPacket.decode(msg);
      } catch {
        return; // not a DNS message: the waiting query keeps waiting until its deadline
      }
      const p = resp.id === undefined ? undefined : this.pending.get(resp.id);
      if (p && matches(resp, resp.id!, p.name, p.type)) p.finish(toOutcome(resp, 'udp'));
    });
    this.sock.unref();
  }

  /** The network refused this server (ICMP unreachable): every query waiting on it ends with that error. */
  private refused(e: NodeJS.ErrnoException): void {
    for (const p of [...this.pending.values()]) p.finish({ status: 'error', message: e.code ?? e.message });
  }

  private allocateId(): number {
    for (let i = 0; i < 65536; i++) {
      const id = (this.nextId++ & 0xffff);
      if (!this.pending.has(id)) return id;
    }
    throw new Error('more than 65536 queries in flight to one server');
  }

  async query(name: string, type: string, deadline: number): Promise<ResolverOutcome> {
    await this.connected;
    return new Promise((resolve) => {
      const id = this.allocateId();
      const finish = (o: ResolverOutcome) => {
        if (this.pending.get(id)?.finish !== finish) return;
        this.pending.delete(id);
        clearTimeout(timer);
        resolve(o);
      };
      const timer = setTimeout(() => finish({ status: 'timeout' }), Math.max(0, deadline - Date.now()));
      this.pending.set(id, { name, type, finish });
      // A refusal (ICMP unreachable) is reported by whichever socket call comes
      // next: a receive, which emits 'error', or a send, whose error Node hands
      // only to a send callback (without one it is dropped, and the refusal
      // looks like silence when queries are in flight).
      this.sock.send(encodeQuery(id, name, type), (e) => {
        if (e) this.refused(e as NodeJS.ErrnoException);
      });
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
    sock.on('connect', () => sock.write(dnsPacket.streamEncode(dnsPacket.decode(encodeQuery(id, name, type)))));
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
