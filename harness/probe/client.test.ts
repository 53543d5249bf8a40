// probeEnvironment with several workers, on this machine (no namespace: the
// launcher runs the worker as it is) against a DNS responder on 127.0.0.1:
// every query's observation is its own, in the queries' order, whatever
// worker asked it; a worker that fails fails the whole probe.
import { createSocket, type Socket } from 'node:dgram';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDirs } from '../../test/temp-dirs.js';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Query } from '../model.js';
import { pickWorker, PrestartedWorker, probeEnvironment, pumpWindow, SECOND_WORKER_CORES, SECOND_WORKER_FROM, startWorker, UDP_PUMP_FROM, workersFor, type Launcher } from './client.js';
import { udpPumpPath } from './dns-client.js';

let server: Socket;
let port = 0;
const workers: string[] = [];
const tempDir = tempDirs('worker');

beforeAll(async () => {
  server = createSocket('udp4');
  // Each name hN answers 10.0.N/256.N%256: an observation shows which query it belongs to.
  server.on('message', (msg, rinfo) => {
    const q = dnsPacket.decode(msg);
    const question = q.questions![0]!;
    const n = Number(/^h(\d+)\./.exec(question.name)?.[1] ?? 0);
    const reply = dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.RECURSION_AVAILABLE, questions: [question], answers: [{ type: 'A', name: question.name, ttl: 60, data: `10.0.${n >> 8}.${n & 255}` }] });
    server.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => server.bind(0, '127.0.0.1', () => r()));
  port = server.address().port;
});
afterAll(() => server.close());

const launch: Launcher = (argv) => {
  workers.push(argv.join(' '));
  return argv;
};
const queries = (n: number): Query[] => Array.from({ length: n }, (_, i) => ({ name: `h${i}.bench.example`, type: 'A', source: 'explicit' }));
const opts = { deadlines: { appMs: 3000, resolverMs: 2000 }, concurrency: 16, applicationLayer: false, resolvConf: { nameservers: ['127.0.0.1'], timeoutS: 2, attempts: 1, search: [], ndots: 1, options: [] } };

describe('probeEnvironment', () => {
  it('takes one worker for a few queries, and two for thousands where cores are to spare', () => {
    expect(workersFor(8, 8)).toBe(1);
    expect(workersFor(SECOND_WORKER_FROM, SECOND_WORKER_CORES)).toBe(2);
    expect(workersFor(SECOND_WORKER_FROM * 50, SECOND_WORKER_CORES - 1)).toBe(1);
    expect(workersFor(SECOND_WORKER_FROM, 1)).toBe(1);
  });

  it('gives every query its own observation, in order, asked by three workers', async () => {
    workers.length = 0;
    const qs = queries(300);
    const obs = await probeEnvironment(launch, [{ address: '127.0.0.1', port, roles: ['local-resolver'] }], qs, { ...opts, workers: 3 });
    expect(workers).toHaveLength(3);
    expect(obs).toHaveLength(300);
    obs.forEach((o, i) => {
      expect(o.resolver[0]!.outcome).toMatchObject({ status: 'response', rcode: 'NOERROR', answers: [{ name: qs[i]!.name, type: 'A', data: `10.0.${i >> 8}.${i & 255}` }] });
    });
  });

  it('gives the pump a window that a search walk of every request in flight fits in', () => {
    expect(pumpWindow(16, { search: [], ndots: 1, options: [] })).toBe(16);
    expect(pumpWindow(16, { search: ['corp.example', 'example'], ndots: 1, options: [] })).toBe(48);
    expect(pumpWindow(60_000, { search: ['a', 'b'], ndots: 1, options: [] })).toBe(65536);
  });

  it.runIf(udpPumpPath() !== undefined && process.env.DNSPARITY_UDP !== 'dgram')('keeps the server at most concurrency queries at once through the pump, with more waiting in it', async () => {
    // A server that answers 5 ms late and counts what it holds.
    const slow = createSocket('udp4');
    let held = 0;
    let most = 0;
    slow.on('message', (msg, rinfo) => {
      const q = dnsPacket.decode(msg);
      most = Math.max(most, ++held);
      setTimeout(() => {
        held--;
        slow.send(dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.RECURSION_AVAILABLE, questions: q.questions, answers: [] }), rinfo.port, rinfo.address);
      }, 5);
    });
    await new Promise<void>((r) => slow.bind(0, '127.0.0.1', () => r()));
    try {
      const n = UDP_PUMP_FROM + 100;
      const obs = await probeEnvironment(launch, [{ address: '127.0.0.1', port: slow.address().port, roles: ['local-resolver'] }], queries(n), { ...opts, workers: 1 });
      expect(obs.filter((o) => o.resolver[0]!.outcome.status === 'response')).toHaveLength(n);
      expect(most).toBeLessThanOrEqual(opts.concurrency);
      expect(most).toBeGreaterThan(opts.concurrency / 2);
    } finally {
      slow.close();
    }
  });

  it('fails as one when a worker fails', async () => {
    let n = 0;
    const failing: Launcher = (argv) => (n++ === 1 ? [process.execPath, '-e', 'process.stderr.write("broken\\n"); process.exit(3)'] : argv);
    await expect(probeEnvironment(failing, [{ address: '127.0.0.1', port, roles: ['local-resolver'] }], queries(50), { ...opts, workers: 2 })).rejects.toThrow(/probe worker exited 3: broken/);
  });

  it('takes a worker started ahead of time instead of starting one, once', async () => {
    workers.length = 0;
    const ahead = new PrestartedWorker(launch, opts.concurrency);
    expect(workers).toHaveLength(1);
    const servers = [{ address: '127.0.0.1', port, roles: ['local-resolver' as const] }];
    const first = await probeEnvironment(launch, servers, queries(20), { ...opts, prestarted: ahead });
    expect(workers).toHaveLength(1); // the prestarted one asked them
    expect(first[19]!.resolver[0]!.outcome).toMatchObject({ status: 'response', answers: [{ data: '10.0.0.19' }] });
    await probeEnvironment(launch, servers, queries(5), { ...opts, prestarted: ahead });
    expect(workers).toHaveLength(2); // used up: the second probe starts its own
  });

  it('leaves a worker started for another in-flight bound, and ends it when disposed', async () => {
    workers.length = 0;
    const ahead = new PrestartedWorker(launch, 500);
    expect(ahead.take(opts.concurrency)).toBeUndefined();
    const w = ahead.take(500)!;
    expect(w).toBeDefined();
    expect(ahead.take(500)).toBeUndefined();
    w.child.kill('SIGKILL');
    await w.exited;
    const unused = new PrestartedWorker(launch, 16);
    unused.dispose();
    await expect(unused.take(16)).toBeUndefined();
  });

  it('reports a worker that died while waiting for its first probe as the probe failing', async () => {
    const dying: Launcher = () => [process.execPath, '-e', 'process.stderr.write("gone early\\n"); process.exit(4)'];
    const ahead = new PrestartedWorker(dying, opts.concurrency);
    await new Promise((r) => setTimeout(r, 300)); // it has exited by now, before anyone listened for a probe
    await expect(probeEnvironment(launch, [{ address: '127.0.0.1', port, roles: ['local-resolver'] }], queries(3), { ...opts, prestarted: ahead })).rejects.toThrow(/probe worker exited 4: gone early/);
  });

  it('hands over a worker\'s lines whole, also those it wrote before anyone read and one cut across writes', async () => {
    const script = 'process.stdout.write("first\\nsec"); setTimeout(() => process.stdout.write("ond\\n\\nlast"), 50)';
    const w = startWorker(() => [process.execPath, '-e', script], 1);
    await w.exited; // all of it written, and ended, before the read
    const lines: string[] = [];
    await w.readLines((l) => lines.push(l));
    expect(lines).toEqual(['first', 'second', 'last']);
    expect(() => w.readLines(() => undefined)).toThrow(/read once/);
  });

  it('fails the read with what the handler threw, and hands it nothing after', async () => {
    const w = startWorker(() => [process.execPath, '-e', 'process.stdout.write("1\\nnot json\\n3\\n")'], 1);
    const seen: unknown[] = [];
    await expect(w.readLines((l) => seen.push(JSON.parse(l)))).rejects.toThrow(SyntaxError);
    expect(seen).toEqual([1]);
  });

  it('runs the one-file bundle of the worker only where it was made after the worker was compiled', () => {
    const dir = tempDir();
    const compiled = join(dir, 'worker.js');
    const bundle = join(dir, 'worker.bundle.mjs');
    writeFileSync(compiled, '');
    expect(pickWorker(compiled, bundle)).toBe(compiled); // no bundle
    writeFileSync(bundle, '');
    utimesSync(compiled, 1000, 1000);
    utimesSync(bundle, 2000, 2000);
    expect(pickWorker(compiled, bundle)).toBe(bundle);
    utimesSync(compiled, 3000, 3000); // compiled again since: the bundle is stale
    expect(pickWorker(compiled, bundle)).toBe(compiled);
  });
});
