// A userspace relay that gives a simulated server the network of a real one:
// it listens at the server's address (UDP and TCP, port 53), holds every
// packet for half the round trip on the way there and half on the way back,
// and loses the configured share of UDP datagrams each way. The server itself
// listens on the same address at another port. It stands in for netem, which
// not every kernel has (this project's has not); it works wherever Node runs.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { connect, createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { BackendError } from '../errors.js';
import type { Shaping } from './simulated-internet.js';

/** Where a relayed server really listens: its own address, this port. */
export const RELAYED_PORT = 5300;
/** What the relay writes once every socket is bound: readiness is checked, not slept for. */
export const RELAY_READY = 'relay ready';
/** A client's upstream socket is closed after this long without traffic (a DNS exchange is short). */
const IDLE_MS = 10_000;
/** At most this many client sockets at once; the oldest is closed first. */
const MAX_CLIENTS = 4096;

export interface RelaySpec extends Shaping {
  /** The port clients reach (53); the server listens at address:serverPort. */
  readonly port: number;
  readonly serverPort: number;
}

/** The relays of one namespace: every shaped address that lives there. */
export function relaySpecs(shaping: readonly Shaping[], addresses: readonly string[]): RelaySpec[] {
  return shaping.filter((s) => addresses.includes(s.address)).map((s) => ({ ...s, port: 53, serverPort: RELAYED_PORT }));
}

/** The port a server at this address listens on: behind a relay, or on 53 itself. */
export const serverPort = (shaping: readonly Shaping[], address: string): number => (shaping.some((s) => s.address === address) ? RELAYED_PORT : 53);

export interface RunningRelay {
  close(): Promise<void>;
}

type Random = () => number;

/** Starts a relay; resolves once it listens on UDP and TCP. */
export async function startRelay(spec: RelaySpec, random: Random = Math.random): Promise<RunningRelay> {
  const half = spec.rttMs / 2;
  const lost = () => spec.lossPercent > 0 && random() * 100 < spec.lossPercent;
  const later = (f: () => void) => (half > 0 ? setTimeout(f, half) : f());
  const front = createSocket('udp4');
  // One upstream socket per client address and port, so replies find their way back.
  const clients = new Map<string, { sock: Socket; idle: NodeJS.Timeout }>();
  const upstreamFor = (r: RemoteInfo): Socket => {
    const key = `${r.address}:${r.port}`;
    const had = clients.get(key);
    if (had) {
      had.idle.refresh();
      return had.sock;
    }
    if (clients.size >= MAX_CLIENTS) drop(clients.keys().next().value!);
    const sock = createSocket('udp4');
    sock.bind({ address: spec.address, port: 0 });
    sock.on('message', (reply) => {
      if (lost()) return;
      later(() => front.send(reply, r.port, r.address));
    });
    sock.on('error', () => drop(key));
    const idle = setTimeout(() => drop(key), IDLE_MS);
    clients.set(key, { sock, idle });
    return sock;
  };
  const drop = (key: string) => {
    const c = clients.get(key);
    if (!c) return;
    clients.delete(key);
    clearTimeout(c.idle);
    c.sock.close();
  };
  front.on('message', (msg, r) => {
    if (lost()) return;
    later(() => upstreamFor(r).send(msg, spec.serverPort, spec.address));
  });
  front.on('error', () => undefined);

  // TCP: the kernel retransmits what a real network loses, so only the delay is relayed.
  const tcp: Server = createServer((client) => {
    const server = connect({ host: spec.address, port: spec.serverPort, localAddress: spec.address });
    const pipe = (from: typeof client, to: typeof client) => {
      from.on('data', (d) => later(() => to.writable && to.write(d)));
      from.on('end', () => later(() => to.end()));
      from.on('error', () => to.destroy());
      from.on('close', () => later(() => to.destroy()));
    };
    pipe(client, server);
    pipe(server, client);
  });
  await Promise.all([
    new Promise<void>((resolve, reject) => {
      front.once('error', reject);
      front.bind({ address: spec.address, port: spec.port }, () => resolve());
    }),
    new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen({ host: spec.address, port: spec.port }, () => resolve());
    }),
  ]);
  return {
    close: async () => {
      for (const k of [...clients.keys()]) drop(k);
      front.close();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
}

/** The relay process's entry point, for a backend to start inside a namespace. */
export function relayMainPath(): string {
  const here = fileURLToPath(new URL('./relay-main.js', import.meta.url));
  if (existsSync(here)) return here;
  const compiled = here.replace(/\/harness\/network\/relay-main\.js$/, '/dist/harness/network/relay-main.js');
  if (existsSync(compiled)) return compiled;
  throw new BackendError(`relay not found at ${compiled}`, 'run "npm run build" first');
}
