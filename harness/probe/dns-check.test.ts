// dist/native/dns-check (native/dns-check.c), the docker backend's readiness
// and isolation check, against DNS responders on 127.0.0.1 that answer
// properly, late, wrongly or not at all.
import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { dnsCheckPath } from './native.js';

let path: string | undefined;
try {
  path = dnsCheckPath();
} catch {
  console.warn('dns-check: skipped: dist/native/dns-check is not built (npm run build with gcc and libc6-dev)');
}

type Reply = (q: dnsPacket.Packet) => Buffer | undefined;
const proper: Reply = (q) => dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.RECURSION_AVAILABLE, questions: q.questions, answers: [{ type: 'A', name: 'localhost', ttl: 0, data: '127.0.0.1' }] });

const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

/** A UDP socket on 127.0.0.1 (at port, or one the kernel picks) that answers each query with reply's bytes, if any. */
async function responder(reply: Reply, port = 0): Promise<string> {
  const s = createSocket('udp4');
  sockets.push(s);
  s.on('message', (msg, from) => {
    const out = reply(dnsPacket.decode(msg));
    if (out) s.send(out, from.port, from.address);
  });
  await new Promise<void>((r) => s.bind(port, '127.0.0.1', () => r()));
  return `127.0.0.1#${s.address().port}`;
}

/** A port nothing listens on: the kernel refuses what is sent to it. */
async function closedPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function check(...args: string[]): Promise<{ code: number; out: string; ms: number }> {
  const t = performance.now();
  return new Promise((resolve) => {
    execFile(path!, args, (e, stdout, stderr) => resolve({ code: e ? Number(e.code) : 0, out: stdout + stderr, ms: performance.now() - t }));
  });
}

describe.skipIf(!path)('dns-check', () => {
  it('is ready once every target has answered', async () => {
    const a = await responder(proper);
    const b = await responder(proper);
    const r = await check('ready', '3000', a, b);
    expect(r).toMatchObject({ code: 0, out: '' });
  });

  it('names the target that did not answer, at the deadline', async () => {
    const a = await responder(proper);
    const mute = await responder(() => undefined);
    const r = await check('ready', '400', a, mute);
    expect(r.code).toBe(1);
    expect(r.out.trim()).toBe(`${mute} did not answer within 400 ms`);
    expect(r.ms).toBeGreaterThanOrEqual(400);
  });

  it('waits for a server that starts late, refused until then', async () => {
    const port = await closedPort();
    const late = new Promise<void>((r) => setTimeout(() => void responder(proper, port).then(() => r()), 300));
    const r = await check('ready', '3000', `127.0.0.1#${port}`);
    await late;
    expect(r.code).toBe(0);
  });

  it('takes only a response to its own question, whatever its case, as an answer', async () => {
    const upper = await responder((q) => dnsPacket.encode({ type: 'response', id: q.id, questions: q.questions!.map((x) => ({ ...x, name: 'LocalHost' })) }));
    expect((await check('ready', '2000', upper)).code).toBe(0);
    const wrongId = await responder((q) => dnsPacket.encode({ type: 'response', id: (q.id! + 1) & 0xffff, questions: q.questions }));
    const echo = await responder((q) => dnsPacket.encode({ type: 'query', id: q.id, questions: q.questions }));
    const otherName = await responder((q) => dnsPacket.encode({ type: 'response', id: q.id, questions: [{ type: 'A', name: 'localhosts', class: 'IN' }] }));
    const otherType = await responder((q) => dnsPacket.encode({ type: 'response', id: q.id, questions: [{ type: 'AAAA', name: 'localhost', class: 'IN' }] }));
    for (const t of [wrongId, echo, otherName, otherType]) expect(await check('ready', '300', t), t).toMatchObject({ code: 1 });
    // Any rcode is an answer: the server is up.
    const refusing = await responder((q) => dnsPacket.encode({ type: 'response', id: q.id, flags: 5, questions: q.questions }));
    expect((await check('ready', '2000', refusing)).code).toBe(0);
  });

  it('is silent when no target answers, refused or dropped, for the whole time', async () => {
    const mute = await responder(() => undefined);
    const r = await check('silent', '300', mute, `127.0.0.1#${await closedPort()}`);
    expect(r).toMatchObject({ code: 0, out: '' });
    expect(r.ms).toBeGreaterThanOrEqual(300);
  });

  it('names the first target that answers when it should be silent', async () => {
    const mute = await responder(() => undefined);
    const heard = await responder(proper);
    const r = await check('silent', '2000', mute, heard);
    expect(r.code).toBe(3);
    expect(r.out.trim()).toBe(`${heard} answered`);
    expect(r.ms).toBeLessThan(2000);
  });

  it('refuses arguments it cannot use', async () => {
    for (const args of [[], ['ready', '100'], ['wait', '100', '127.0.0.1#53'], ['ready', 'soon', '127.0.0.1#53'], ['ready', '100', 'localhost#53'], ['silent', '100', '127.0.0.1#0']]) {
      expect((await check(...args)).code, args.join(' ')).toBe(64);
    }
  });
});
