// probeEnvironment with several workers, on this machine (no namespace: the
// launcher runs the worker as it is) against a DNS responder on 127.0.0.1:
// every query's observation is its own, in the queries' order, whatever
// worker asked it; a worker that fails fails the whole probe.
import { createSocket, type Socket } from 'node:dgram';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Query } from '../model.js';
import { probeEnvironment, SECOND_WORKER_FROM, workersFor, type Launcher } from './client.js';

let server: Socket;
let port = 0;
const workers: string[] = [];

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
  it('takes one worker for a few queries and more for thousands where cores allow', () => {
    expect(workersFor(8, 2)).toBe(1);
    expect(workersFor(SECOND_WORKER_FROM, 2)).toBe(2);
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

  it('fails as one when a worker fails', async () => {
    let n = 0;
    const failing: Launcher = (argv) => (n++ === 1 ? [process.execPath, '-e', 'process.stderr.write("broken\\n"); process.exit(3)'] : argv);
    await expect(probeEnvironment(failing, [{ address: '127.0.0.1', port, roles: ['local-resolver'] }], queries(50), { ...opts, workers: 2 })).rejects.toThrow(/probe worker exited 3: broken/);
  });
});
