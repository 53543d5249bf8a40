// The resolver-layer client against a scripted DNS server on 127.0.0.1
// (random ports, UDP and TCP on the same one): truncation moves the query to
// TCP, answers that do not match the query are ignored, the kernel's ICMP
// port unreachable is an error of its own, and an answer after the deadline
// is a timeout.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import dnsPacket from 'dns-packet';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { query, udpPumpPath, useUdpPump } from './dns-client.js';

type Question = dnsPacket.Question;
type Reply = (q: { id: number; question: Question }) => { delay?: number; packets: dnsPacket.Packet[] };

const answer = (id: number, question: Question, address: string, flags = 0): dnsPacket.Packet => ({
  type: 'response',
  id,
  flags: dnsPacket.RECURSION_AVAILABLE | flags,
  questions: [question],
  answers: [{ type: 'A', name: question.name, ttl: 300, data: address }],
});

interface Responder {
  readonly port: number;
  /** Queries seen, by transport. */
  readonly seen: { udp: number; tcp: number };
  close(): Promise<void>;
}

const open: Responder[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});

async function bindUdp(port = 0): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, '127.0.0.1', () => resolve());
  });
  return s;
}

/** A server answering by script over UDP and, when tcp is given, TCP on the same port. */
async function responder(udp: Reply, tcp?: Reply): Promise<Responder> {
  const seen = { udp: 0, tcp: 0 };
  for (let attempt = 0; ; attempt++) {
    const u = await bindUdp();
    const port = u.address().port;
    let t: Server | undefined;
    if (tcp) {
      t = createServer((conn) => {
        let buf = Buffer.alloc(0);
        conn.on('data', (chunk) => {
          buf = Buffer.concat([buf, chunk]);
          if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
          const q = dnsPacket.streamDecode(buf);
          seen.tcp++;
          const r = tcp({ id: q.id!, question: q.questions![0]! });
          setTimeout(() => r.packets.forEach((p) => conn.write(dnsPacket.streamEncode(p))), r.delay ?? 0);
        });
        conn.on('error', () => {});
      });
      const bound = await new Promise<boolean>((resolve) => {
        t!.once('error', () => resolve(false));
        t!.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (!bound) {
        // The UDP port's TCP twin is taken: try another port.
        u.close();
        if (attempt > 20) throw new Error('no port free for both UDP and TCP');
        continue;
      }
    }
    const timers = new Set<NodeJS.Timeout>();
    u.on('message', (msg, from) => {
      const q = dnsPacket.decode(msg);
      seen.udp++;
      const r = udp({ id: q.id!, question: q.questions![0]! });
      const timer = setTimeout(() => {
        timers.delete(timer);
        for (const p of r.packets) u.send(dnsPacket.encode(p), from.port, from.address);
      }, r.delay ?? 0);
      timers.add(timer);
    });
    const r: Responder = {
      port,
      seen,
      close: async () => {
        timers.forEach(clearTimeout);
        u.close();
        if (t) await new Promise<void>((resolve) => t!.close(() => resolve()));
      },
    };
    open.push(r);
    return r;
  }
}

// Both UDP paths: the native pump (where it is built) and Node's dgram socket.
const paths = [
  { path: 'udp-pump', env: undefined, built: udpPumpPath() !== undefined },
  { path: 'dgram', env: 'dgram', built: true },
];
if (!paths[0]!.built) console.warn('dns-client: the udp-pump cases are skipped: dist/native/udp-pump is not built (npm run build with gcc)');

describe.each(paths.filter((p) => p.built))('query (over UDP through $path, then TCP)', ({ env }) => {
  const before = process.env.DNSPARITY_UDP;
  beforeAll(() => {
    if (env) process.env.DNSPARITY_UDP = env;
    else delete process.env.DNSPARITY_UDP;
  });
  afterAll(() => {
    if (before === undefined) delete process.env.DNSPARITY_UDP;
    else process.env.DNSPARITY_UDP = before;
  });

  it('returns the answer, its rcode and flags, over UDP', async () => {
    const s = await responder(({ id, question }) => ({ packets: [answer(id, question, '203.0.113.80', dnsPacket.AUTHORITATIVE_ANSWER)] }));
    const r = await query({ address: '127.0.0.1', port: s.port }, 'www.example.io', 'A', 2000);
    expect(r.outcome).toEqual({
      status: 'response',
      rcode: 'NOERROR',
      flags: { aa: true, tc: false, ra: true, ad: false, cd: false },
      answers: [{ name: 'www.example.io', type: 'A', data: '203.0.113.80' }],
      transport: 'udp',
    });
  });

  it('asks again over TCP when the UDP answer is truncated, and keeps the TCP answer', async () => {
    const s = await responder(
      ({ id, question }) => ({ packets: [{ type: 'response', id, flags: dnsPacket.TRUNCATED_RESPONSE | dnsPacket.RECURSION_AVAILABLE, questions: [question], answers: [] }] }),
      ({ id, question }) => ({ packets: [answer(id, question, '10.20.30.40')] }),
    );
    const r = await query({ address: '127.0.0.1', port: s.port }, 'big.example.io', 'A', 2000);
    expect(r.outcome).toMatchObject({ status: 'response', transport: 'tcp', flags: { tc: false }, answers: [{ data: '10.20.30.40' }] });
    expect(s.seen).toEqual({ udp: 1, tcp: 1 });
  });

  it('reports a TCP answer to another query as an error, not as the answer', async () => {
    const s = await responder(
      ({ id, question }) => ({ packets: [{ type: 'response', id, flags: dnsPacket.TRUNCATED_RESPONSE, questions: [question], answers: [] }] }),
      ({ id, question }) => ({ packets: [answer((id + 1) & 0xffff, question, '10.20.30.40')] }),
    );
    const r = await query({ address: '127.0.0.1', port: s.port }, 'big.example.io', 'A', 2000);
    expect(r.outcome).toEqual({ status: 'error', message: 'tcp: mismatched answer' });
  });

  it('reports a refused TCP connection after truncation as an error', async () => {
    const s = await responder(({ id, question }) => ({ packets: [{ type: 'response', id, flags: dnsPacket.TRUNCATED_RESPONSE, questions: [question], answers: [] }] }));
    const r = await query({ address: '127.0.0.1', port: s.port }, 'big.example.io', 'A', 2000);
    expect(r.outcome).toEqual({ status: 'error', message: 'tcp ECONNREFUSED' });
  });

  it('ignores answers with another id or another question, and takes the one that matches', async () => {
    const s = await responder(({ id, question }) => ({
      packets: [
        answer((id + 1) & 0xffff, question, '192.0.2.1'),
        answer(id, { ...question, name: 'other.example.io' }, '192.0.2.2'),
        answer(id, { ...question, type: 'AAAA' }, '192.0.2.3'),
        answer(id, question, '192.0.2.4'),
      ],
    }));
    const r = await query({ address: '127.0.0.1', port: s.port }, 'www.example.io', 'A', 2000);
    expect(r.outcome).toMatchObject({ status: 'response', answers: [{ data: '192.0.2.4' }] });
  });

  it('times out when only mismatched answers come', async () => {
    const s = await responder(({ id, question }) => ({ packets: [answer((id + 7) & 0xffff, question, '192.0.2.1')] }));
    const r = await query({ address: '127.0.0.1', port: s.port }, 'www.example.io', 'A', 300);
    expect(r.outcome).toEqual({ status: 'timeout' });
  });

  it('reports ICMP port unreachable from a closed port as an error, at once', async () => {
    // A port that was free a moment ago: nothing listens, so the kernel answers with ICMP.
    const probe = await bindUdp();
    const port = probe.address().port;
    probe.close();
    const r = await query({ address: '127.0.0.1', port }, 'www.example.io', 'A', 5000);
    expect(r.outcome).toEqual({ status: 'error', message: 'ECONNREFUSED' });
    expect(r.latencyMs).toBeLessThan(5000);
  });

  it('takes an answer that arrives after the deadline as a timeout', async () => {
    const s = await responder(({ id, question }) => ({ delay: 600, packets: [answer(id, question, '203.0.113.80')] }));
    const r = await query({ address: '127.0.0.1', port: s.port }, 'late.example.io', 'A', 200);
    expect(r.outcome).toEqual({ status: 'timeout' });
    // The late answer reaches a socket with nothing waiting on it; the next query still gets its own.
    await new Promise((res) => setTimeout(res, 600));
    const again = await query({ address: '127.0.0.1', port: s.port }, 'late.example.io', 'A', 2000);
    expect(again.outcome).toMatchObject({ status: 'response', answers: [{ data: '203.0.113.80' }] });
  });

  it('takes an answer before the deadline, however late', async () => {
    const s = await responder(({ id, question }) => ({ delay: 150, packets: [answer(id, question, '203.0.113.80')] }));
    const r = await query({ address: '127.0.0.1', port: s.port }, 'www.example.io', 'A', 1500);
    expect(r.outcome).toMatchObject({ status: 'response' });
    expect(r.latencyMs).toBeGreaterThanOrEqual(140);
  });

  it('gives each of many queries in flight at once its own answer', async () => {
    const s = await responder(({ id, question }) => ({ packets: [answer(id, question, `10.0.${Number(question.name.split('.')[0]!.slice(1)) >> 8}.${Number(question.name.split('.')[0]!.slice(1)) & 255}`)] }));
    const rs = await Promise.all(Array.from({ length: 200 }, (_, i) => query({ address: '127.0.0.1', port: s.port }, `h${i}.example.io`, 'A', 3000)));
    rs.forEach((r, i) => expect(r.outcome).toMatchObject({ status: 'response', answers: [{ name: `h${i}.example.io`, data: `10.0.${i >> 8}.${i & 255}` }] }));
    expect(s.seen.udp).toBe(200);
  }, 10_000);

  it('ends each query at its own deadline, also when a shorter one comes after a longer one', async () => {
    const s = await responder(() => ({ packets: [] }));
    const target = { address: '127.0.0.1', port: s.port };
    const long = query(target, 'long.example.io', 'A', 1200);
    const short = await query(target, 'short.example.io', 'A', 200);
    expect(short.outcome).toEqual({ status: 'timeout' });
    expect(short.latencyMs).toBeGreaterThanOrEqual(190);
    expect(short.latencyMs).toBeLessThan(1000);
    const l = await long;
    expect(l.outcome).toEqual({ status: 'timeout' });
    expect(l.latencyMs).toBeGreaterThanOrEqual(1190);
  });
});

// The pump holds a window of queries in flight per server, refills it itself,
// and times each query from its own send.
describe.runIf(paths[0]!.built && process.env.DNSPARITY_UDP !== 'dgram')('query through udp-pump: its window', () => {
  afterEach(() => useUdpPump(true));

  it('keeps at most its window in flight, and does not count the wait for room in it', async () => {
    useUdpPump(true, 4);
    let inFlight = 0;
    let most = 0;
    const s = await responder(({ id, question }) => {
      most = Math.max(most, ++inFlight);
      setTimeout(() => inFlight--, 50); // before the responder's own timer of the same delay sends the answer
      return { delay: 50, packets: [answer(id, question, '192.0.2.7')] };
    });
    const t = performance.now();
    // 40 queries of 400 ms each, 4 at a time, 50 ms per answer: the last ones wait 450 ms for room,
    // and would time out if that wait counted.
    const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => query({ address: '127.0.0.1', port: s.port }, `w${i}.example.io`, 'A', 400)));
    const wall = performance.now() - t;
    rs.forEach((r) => {
      expect(r.outcome).toMatchObject({ status: 'response', answers: [{ data: '192.0.2.7' }] });
      expect(r.latencyMs).toBeGreaterThanOrEqual(45);
    });
    expect(most).toBe(4);
    expect(s.seen.udp).toBe(40);
    expect(wall).toBeGreaterThanOrEqual(480);
  }, 10_000);

  it('frees the window at each timeout of a silent server, timing each query from its send', async () => {
    useUdpPump(true, 2);
    const s = await responder(() => ({ packets: [] }));
    const t = performance.now();
    const rs = await Promise.all(Array.from({ length: 6 }, (_, i) => query({ address: '127.0.0.1', port: s.port }, `s${i}.example.io`, 'A', 150)));
    const wall = performance.now() - t;
    rs.forEach((r) => {
      expect(r.outcome).toEqual({ status: 'timeout' });
      expect(r.latencyMs).toBeGreaterThanOrEqual(149);
      expect(r.latencyMs).toBeLessThan(1000);
    });
    expect(s.seen.udp).toBe(6);
    expect(wall).toBeGreaterThanOrEqual(440); // three rounds of two
  }, 10_000);
});
