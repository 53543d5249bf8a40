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

function rdata(type: string, data: unknown): string {
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

function udp(target: DnsTarget, name: string, type: string, deadline: number): Promise<ResolverOutcome> {
  return new Promise((resolve) => {
    const id = randomInt(0, 65536);
    const sock = createSocket('udp4');
    let done = false;
    const finish = (o: ResolverOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close();
      resolve(o);
    };
    const timer = setTimeout(() => finish({ status: 'timeout' }), Math.max(0, deadline - Date.now()));
    // A connected socket hears the network's ICMP refusals (nftables "reject").
    sock.on('error', (e: NodeJS.ErrnoException) => finish({ status: 'error', message: e.code ?? e.message }));
    sock.on('message', (msg) => {
      try {
        const resp = dnsPacket.decode(msg);
        if (matches(resp, id, name, type)) finish(toOutcome(resp, 'udp'));
      } catch {
        // Not a DNS message for us: keep waiting until the deadline.
      }
    });
    sock.connect(target.port, target.address, () => sock.send(encodeQuery(id, name, type)));
  });
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
