// The relay on this machine's loopback (nothing leaves it): a round trip is
// added to UDP and TCP exchanges, the configured share of datagrams is lost,
// and a server behind it that is gone shows as silence, not a hang.
import { createSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { relaySpecs, serverPort, startRelay, RELAYED_PORT, type RunningRelay } from './relay.js';

const base = 20_000 + (process.pid % 20_000);
let port = base;
const ports = () => ({ front: port++, back: port++ });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function udpEcho(p: number): void {
  const s = createSocket('udp4');
  s.on('message', (m, r) => s.send(m, r.port, r.address));
  s.bind(p, '127.0.0.1');
  cleanups.push(() => void s.close());
}
function tcpEcho(p: number): Promise<void> {
  const srv = createServer((c) => c.pipe(c));
  cleanups.push(() => new Promise<void>((r) => srv.close(() => r())));
  return new Promise((r) => srv.listen(p, '127.0.0.1', () => r()));
}
async function relay(front: number, back: number, rttMs: number, lossPercent = 0, random?: () => number): Promise<RunningRelay> {
  const r = await startRelay({ address: '127.0.0.1', port: front, serverPort: back, rttMs, lossPercent }, random);
  cleanups.push(() => r.close());
  return r;
}
/** Sends one datagram through the relay; the round trip in ms, or undefined if nothing came back within waitMs. */
function udpRoundTrip(p: number, waitMs = 1000): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const start = performance.now();
    const timer = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, waitMs);
    s.on('message', () => {
      clearTimeout(timer);
      s.close();
      resolve(performance.now() - start);
    });
    s.send(Buffer.from('ping'), p, '127.0.0.1');
  });
}

describe('relay', () => {
  it('adds the round trip to a UDP exchange, once each way', async () => {
    const { front, back } = ports();
    udpEcho(back);
    await relay(front, back, 120);
    const rtt = (await udpRoundTrip(front))!;
    expect(rtt).toBeGreaterThanOrEqual(118);
    expect(rtt).toBeLessThan(400);
  });

  it('adds the round trip to a TCP exchange', async () => {
    const { front, back } = ports();
    await tcpEcho(back);
    await relay(front, back, 100);
    const start = performance.now();
    const reply = await new Promise<string>((resolve, reject) => {
      const c = connect(front, '127.0.0.1', () => c.write('hello'));
      c.on('data', (d) => {
        resolve(d.toString());
        c.destroy();
      });
      c.on('error', reject);
    });
    expect(reply).toBe('hello');
    expect(performance.now() - start).toBeGreaterThanOrEqual(98);
  });

  it('loses the configured share of datagrams, each way', async () => {
    const { front, back } = ports();
    udpEcho(back);
    // A fixed sequence: the query lost, then the query through and its reply lost, then both through.
    const draws = [0.1, 0.9, 0.1, 0.9, 0.9];
    await relay(front, back, 0, 50, () => draws.shift() ?? 0.9);
    expect(await udpRoundTrip(front, 200)).toBeUndefined();
    expect(await udpRoundTrip(front, 200)).toBeUndefined();
    expect(await udpRoundTrip(front, 200)).toBeDefined();
  });

  it('a server gone behind it is silence, and the relay keeps running', async () => {
    const { front, back } = ports();
    await relay(front, back, 10);
    expect(await udpRoundTrip(front, 200)).toBeUndefined();
    udpEcho(back);
    expect(await udpRoundTrip(front, 500)).toBeDefined();
  });

  it('is planned only for the shaped addresses of a namespace, their servers moved to another port', () => {
    const shaping = [{ address: '198.51.100.1', rttMs: 50, lossPercent: 0 }, { address: '169.254.169.253', rttMs: 2, lossPercent: 0 }];
    expect(relaySpecs(shaping, ['198.51.100.1', '198.51.100.2'])).toEqual([{ address: '198.51.100.1', rttMs: 50, lossPercent: 0, port: 53, serverPort: RELAYED_PORT }]);
    expect(serverPort(shaping, '198.51.100.1')).toBe(RELAYED_PORT);
    expect(serverPort(shaping, '198.51.100.2')).toBe(53);
  });
});
