// The stub-lookup helpers against real DNS servers: a small dns-packet
// responder (UDP and TCP, port 53, as resolv.conf nameservers must be) on
// loopback addresses of this run, and a temporary root with the resolv.conf
// under test that the helper chroots into (--root). What is asserted is the
// C library's own behaviour: which candidate names it asked, which server,
// in which order and when.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { nativeHelperName, nativeHelperPath, nativeLookup, type StubLibrary } from './native.js';
import type { QueryType } from '../model.js';
import { getentLookup } from './getent.js';

type Reply = 'drop' | { readonly rcode?: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL'; readonly answers?: readonly dnsPacket.Answer[] };
type Handler = (name: string, type: string) => Reply;
interface Seen {
  readonly server: string;
  readonly name: string;
  readonly type: string;
  readonly transport: 'udp' | 'tcp';
  readonly at: number;
}

const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 } as const;

/** One nameserver on ADDRESS:53 over UDP and TCP, answering as its handler says and logging every question. */
class Responder {
  handler: Handler = () => ({ rcode: 'NXDOMAIN' });
  private constructor(
    readonly label: string,
    readonly address: string,
    private readonly udp: Socket,
    private readonly tcp: Server,
    private readonly log: Seen[],
  ) {}

  static async start(label: string, address: string, log: Seen[]): Promise<Responder> {
    const udp = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(53, address, () => resolve());
    });
    const tcp = createServer();
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(53, address, () => resolve());
    }).catch((e) => {
      udp.close();
      throw e;
    });
    const r = new Responder(label, address, udp, tcp, log);
    udp.on('message', (msg, rinfo) => {
      const out = r.answer(msg, 'udp');
      if (out) udp.send(out, rinfo.port, rinfo.address);
    });
    tcp.on('connection', (sock) => {
      let buf = Buffer.alloc(0);
      sock.on('error', () => sock.destroy());
      sock.on('data', (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
          buf = buf.subarray(2 + msg.length);
          const out = r.answer(msg, 'tcp');
          if (out) sock.write(Buffer.concat([Buffer.from([out.length >> 8, out.length & 255]), out]));
        }
      });
    });
    return r;
  }

  private answer(msg: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined {
    let q: dnsPacket.Packet;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return undefined;
    }
    const question = q.questions?.[0];
    if (!question) return undefined;
    this.log.push({ server: this.label, name: question.name.toLowerCase(), type: question.type, transport, at: performance.now() });
    const reply = this.handler(question.name.toLowerCase(), question.type);
    if (reply === 'drop') return undefined;
    const base = { type: 'response' as const, id: q.id, questions: [question] };
    const flags = dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | RCODE[reply.rcode ?? 'NOERROR'];
    const full = dnsPacket.encode({ ...base, flags, answers: [...(reply.answers ?? [])] });
    // Over UDP a message that does not fit the 512 bytes of a query without EDNS is truncated (RFC 1035 4.2.1).
    const ednsSize = (q.additionals ?? []).find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
    if (transport === 'udp' && full.length > Math.max(512, ednsSize?.udpPayloadSize ?? 512)) return dnsPacket.encode({ ...base, flags: flags | dnsPacket.TRUNCATED_RESPONSE });
    return full;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.udp.close(() => resolve()));
    await new Promise<void>((resolve) => this.tcp.close(() => resolve()));
  }
}

const isRoot = process.getuid?.() === 0;
const HELPERS: { readonly lib: StubLibrary; readonly static: boolean }[] = [
  { lib: 'glibc', static: false },
  { lib: 'glibc', static: true },
  { lib: 'musl', static: true },
];
const built = HELPERS.filter((h) => {
  try {
    return existsSync(nativeHelperPath(h.lib, { static: h.static }));
  } catch {
    return false;
  }
});
if (!isRoot) console.warn('native.integration: skipped: --root (chroot) needs root privileges');
for (const h of HELPERS.filter((x) => !built.includes(x)))
  console.warn(`native.integration: ${nativeHelperName(h.lib, h)} skipped: not built (npm run build with gcc, libc6-dev and musl-tools installed)`);

const A = (name: string, address: string): dnsPacket.Answer => ({ name, type: 'A', ttl: 60, data: address });
const SEARCH = 'internal.example.io';

/** The servers' zone data: ns1 is the "local resolver", ns2 the provider's, silent never answers. */
function zone(server: 'ns1' | 'ns2'): Handler {
  const records: Record<string, dnsPacket.Answer[]> = {
    'www.example.io A': [A('www.example.io', server === 'ns1' ? '192.0.2.10' : '192.0.2.20')],
    'www.example.io AAAA': [{ name: 'www.example.io', type: 'AAAA', ttl: 60, data: '2001:db8::10' }],
    [`proxysql.${SEARCH} A`]: [A(`proxysql.${SEARCH}`, '10.20.30.40')],
    [`mail.${SEARCH} MX`]: [{ name: `mail.${SEARCH}`, type: 'MX', ttl: 60, data: { preference: 10, exchange: `mx1.${SEARCH}` } }],
    [`_ldap._tcp.${SEARCH} SRV`]: [{ name: `_ldap._tcp.${SEARCH}`, type: 'SRV', ttl: 60, data: { priority: 0, weight: 5, port: 389, target: `ldap.${SEARCH}` } }],
    [`config.${SEARCH} TXT`]: [{ name: `config.${SEARCH}`, type: 'TXT', ttl: 60, data: ['env=staging'] }],
    'big.example.io TXT': [{ name: 'big.example.io', type: 'TXT', ttl: 60, data: Array.from({ length: 6 }, (_, i) => `${i}`.repeat(200)) }],
    'gone.example.io A': server === 'ns2' ? [A('gone.example.io', '192.0.2.99')] : [],
    'broken.example.io A': [A('broken.example.io', '192.0.2.30')],
  };
  return (name, type) => {
    if (server === 'ns1' && name === 'broken.example.io') return { rcode: 'SERVFAIL' };
    const answers = records[`${name} ${type}`];
    if (answers?.length) return { answers };
    // A name that exists with other types is NODATA; anything else NXDOMAIN.
    return Object.keys(records).some((k) => k.startsWith(`${name} `) && records[k]!.length) ? {} : { rcode: 'NXDOMAIN' };
  };
}

describe.skipIf(!isRoot || built.length === 0)('stub-lookup helpers against real nameservers', () => {
  const log: Seen[] = [];
  const servers: Record<'ns1' | 'ns2' | 'silent', Responder | undefined> = { ns1: undefined, ns2: undefined, silent: undefined };
  let root = '';

  beforeAll(async () => {
    // Loopback addresses of this run (127/8 is all on lo): nothing else listens on them.
    for (let attempt = 0; ; attempt++) {
      const net = `127.${64 + ((process.pid + attempt * 37) % 190)}.${(process.pid >> 8) % 250}`;
      try {
        servers.ns1 = await Responder.start('ns1', `${net}.1`, log);
        servers.ns2 = await Responder.start('ns2', `${net}.2`, log);
        servers.silent = await Responder.start('silent', `${net}.3`, log);
        break;
      } catch (e) {
        for (const k of ['ns1', 'ns2', 'silent'] as const) await servers[k]?.close().then(() => (servers[k] = undefined));
        if (attempt >= 5) throw e;
      }
    }
    servers.ns1!.handler = zone('ns1');
    servers.ns2!.handler = zone('ns2');
    servers.silent!.handler = () => 'drop';
    root = await mkdtemp(join(tmpdir(), 'dnsparity-native-'));
    await mkdir(join(root, 'etc'));
    await writeFile(join(root, 'etc/hosts'), '127.0.0.1 localhost\n');
    await writeFile(join(root, 'etc/nsswitch.conf'), 'hosts: files dns\n');
  });
  afterAll(async () => {
    for (const s of Object.values(servers)) await s?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** Writes the root's resolv.conf from server labels and extra lines, clears the log. */
  async function resolvConf(nameservers: readonly ('ns1' | 'ns2' | 'silent')[], ...lines: string[]): Promise<void> {
    await writeFile(join(root, 'etc/resolv.conf'), [...nameservers.map((n) => `nameserver ${servers[n]!.address}`), ...lines, ''].join('\n'));
    log.length = 0;
  }
  const asked = () => log.map((s) => `${s.server} ${s.name} ${s.type}`);

  describe.each(built)('$lib (static: $static)', (h) => {
    const helper = () => [nativeHelperPath(h.lib, { static: h.static }), '--root', root];
    const lookup = (type: QueryType, name: string, timeoutMs = 15_000) => nativeLookup(helper(), type, name, timeoutMs);
    const musl = h.lib === 'musl';
    // A case that does not apply to this library is not defined for it (rather than skipped: CI fails on skips).
    const only = (applies: boolean) => (applies ? it : ((() => undefined) as unknown as typeof it));

    it('looks up A and AAAA through getaddrinfo', async () => {
      await resolvConf(['ns1'], 'options timeout:2 attempts:1');
      expect((await lookup('A', 'www.example.io.')).outcome).toEqual({ status: 'answer', addresses: ['192.0.2.10'] });
      expect((await lookup('AAAA', 'www.example.io.')).outcome).toEqual({ status: 'answer', addresses: ['2001:db8::10'] });
      // Each family alone, as asked: no AAAA query for AF_INET, no A for AF_INET6.
      expect(asked()).toEqual(['ns1 www.example.io A', 'ns1 www.example.io AAAA']);
    });

    it('completes a short name through the search list', async () => {
      await resolvConf(['ns1'], `search ${SEARCH}`, 'options timeout:2 attempts:1');
      expect((await lookup('A', 'proxysql')).outcome).toEqual({ status: 'answer', addresses: ['10.20.30.40'] });
      // Fewer dots than ndots: the search domain first (both libraries).
      expect(asked()[0]).toBe(`ns1 proxysql.${SEARCH} A`);
    });

    it('falls back to the second nameserver after a SERVFAIL', async () => {
      await resolvConf(['ns1', 'ns2'], 'options timeout:2 attempts:1');
      expect((await lookup('A', 'broken.example.io.')).outcome).toEqual({ status: 'answer', addresses: ['192.0.2.30'] });
      expect(asked()).toContain('ns1 broken.example.io A');
      expect(asked()).toContain('ns2 broken.example.io A');
    });

    only(!musl)('takes an NXDOMAIN from the first nameserver as final (glibc)', async () => {
      await resolvConf(['ns1', 'ns2'], 'options timeout:2 attempts:1');
      expect((await lookup('A', 'gone.example.io.')).outcome).toEqual({ status: 'not-found', code: 'EAI_NONAME' });
      expect(asked()).toEqual(['ns1 gone.example.io A']);
    });

    only(!musl)('answers MX, SRV and TXT through the search list (glibc res_nsearch)', async () => {
      await resolvConf(['ns1'], `search ${SEARCH}`, 'options timeout:2 attempts:1');
      expect((await lookup('MX', 'mail')).outcome).toEqual({ status: 'answer', addresses: [`10 mx1.${SEARCH}`] });
      expect(asked()).toEqual([`ns1 mail.${SEARCH} MX`]);
      log.length = 0;
      // One dot with ndots:1: the name as given first, then the search domain.
      expect((await lookup('SRV', '_ldap._tcp')).outcome).toEqual({ status: 'answer', addresses: [`0 5 389 ldap.${SEARCH}`] });
      expect(asked()).toEqual(['ns1 _ldap._tcp SRV', `ns1 _ldap._tcp.${SEARCH} SRV`]);
      log.length = 0;
      expect((await lookup('TXT', 'config')).outcome).toEqual({ status: 'answer', addresses: ['"env=staging"'] });
      expect(asked()).toEqual([`ns1 config.${SEARCH} TXT`]);
    });

    only(musl)('asks MX, SRV and TXT only as given: res_search does not walk the search list (musl)', async () => {
      await resolvConf(['ns1'], `search ${SEARCH}`, 'options timeout:2 attempts:1');
      expect((await lookup('MX', 'mail')).outcome).toEqual({ status: 'not-found', code: 'HOST_NOT_FOUND' });
      expect((await lookup('SRV', '_ldap._tcp')).outcome).toEqual({ status: 'not-found', code: 'HOST_NOT_FOUND' });
      expect((await lookup('TXT', 'config')).outcome).toEqual({ status: 'not-found', code: 'HOST_NOT_FOUND' });
      expect(asked()).toEqual(['ns1 mail MX', 'ns1 _ldap._tcp SRV', 'ns1 config TXT']);
      // The full names answer, so the data is there: only the search list is missing.
      expect((await lookup('MX', `mail.${SEARCH}`)).outcome).toEqual({ status: 'answer', addresses: [`10 mx1.${SEARCH}`] });
    });

    only(!musl)('waits out a silent first nameserver (timeout:1), then takes the second one’s answer (glibc)', async () => {
      await resolvConf(['silent', 'ns2'], 'options timeout:1 attempts:1');
      expect((await lookup('A', 'www.example.io.')).outcome).toEqual({ status: 'answer', addresses: ['192.0.2.20'] });
      expect(log.map((s) => s.server)).toEqual(['silent', 'ns2']);
      // The second server is asked only once the first one's timeout has passed.
      expect(log[1]!.at - log[0]!.at).toBeGreaterThanOrEqual(900);
      log.length = 0;
      expect((await lookup('MX', `mail.${SEARCH}.`)).outcome).toEqual({ status: 'answer', addresses: [`10 mx1.${SEARCH}`] });
      expect(log.map((s) => s.server)).toEqual(['silent', 'ns2']);
    });

    only(musl)('asks every nameserver at once, and takes the first usable answer (musl)', async () => {
      // timeout:5 attempts:1: no resend within 5 s, so two queries within a second are parallel ones.
      await resolvConf(['silent', 'ns2'], 'options timeout:5 attempts:1');
      const a = await lookup('A', 'www.example.io.');
      expect(a.outcome).toEqual({ status: 'answer', addresses: ['192.0.2.20'] });
      expect(log.map((s) => s.server).sort()).toEqual(['ns2', 'silent']);
      expect(Math.abs(log[1]!.at - log[0]!.at)).toBeLessThan(1000);
      log.length = 0;
      const mx = await lookup('MX', `mail.${SEARCH}`);
      expect(mx.outcome).toEqual({ status: 'answer', addresses: [`10 mx1.${SEARCH}`] });
      expect(log.map((s) => s.server).sort()).toEqual(['ns2', 'silent']);
      expect(Math.abs(log[1]!.at - log[0]!.at)).toBeLessThan(1000);
    });

    only(h.static)('answers as the image\'s getent, run inside the root as the docker backend runs it', async () => {
      await resolvConf(['ns1'], `search ${SEARCH}`, 'options timeout:2 attempts:1');
      // Installed as getent (the name selects its getent mode), inside a root with no C library of its own.
      await mkdir(join(root, 'usr/bin'), { recursive: true });
      await copyFile(nativeHelperPath(h.lib, { static: true }), join(root, 'usr/bin/getent'));
      try {
        const getent = ['chroot', root, '/usr/bin/getent'];
        expect((await getentLookup(getent, 'proxysql', 'A', 15_000)).outcome).toEqual({ status: 'answer', addresses: ['10.20.30.40'] });
        expect(asked()[0]).toBe(`ns1 proxysql.${SEARCH} A`);
        expect((await getentLookup(getent, 'gone.example.io.', 'A', 15_000)).outcome).toEqual({ status: 'not-found', code: 'getent exit 2' });
        expect((await getentLookup(getent, 'www.example.io.', 'AAAA', 15_000)).outcome).toEqual({ status: 'answer', addresses: ['2001:db8::10'] });
      } finally {
        await rm(join(root, 'usr'), { recursive: true, force: true });
      }
    });

    it('retries a truncated answer over TCP, or not (musl 1.2.3)', async () => {
      await resolvConf(['ns1'], 'options timeout:2 attempts:1');
      const big = await lookup('TXT', 'big.example.io.');
      if (musl) {
        // No TCP fallback before musl 1.2.4: the truncated answer has no records.
        expect(big.outcome).toEqual({ status: 'not-found', code: 'NO_DATA' });
        expect(log.map((s) => s.transport)).toEqual(['udp']);
      } else {
        expect(big.outcome).toMatchObject({ status: 'answer', addresses: [expect.stringContaining('"000000')] });
        expect(log.map((s) => s.transport)).toEqual(['udp', 'tcp']);
      }
    });
  });
});
