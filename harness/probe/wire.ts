// The resolver layer's query, encoded by hand: the bytes dns-packet's encoder
// gives for the same message (wire.test.ts compares them), without building
// a packet object and measuring it first. Names other than plain
// letter-digit-hyphen-underscore labels go through dns-packet itself; a
// type's code is the one dns-packet writes for it, read once per type.
import dnsPacket from 'dns-packet';


/** RD as a stub sets it; AD asks for the validation bit without DO (RFC 6840). */
const FLAGS = dnsPacket.RECURSION_DESIRED | dnsPacket.AUTHENTIC_DATA;
const UDP_PAYLOAD = 1232;
const PLAIN = /^[A-Za-z0-9_-]{1,63}(?:\.[A-Za-z0-9_-]{1,63})*$/;

function encodeWithDnsPacket(id: number, name: string, type: string): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id,
    flags: FLAGS,
    questions: [{ type: type as dnsPacket.RecordType, name, class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: UDP_PAYLOAD, flags: 0 } as dnsPacket.Answer],
  });
}

const typeCodes = new Map<string, number>();
/** The code dns-packet gives this type (its own table, also for the types it does not know); undefined where it throws. */
function typeCode(type: string): number | undefined {
  let code = typeCodes.get(type);
  if (code === undefined) {
    try {
      code = encodeWithDnsPacket(0, 'a', type).readUInt16BE(12 + 3);
    } catch {
      return undefined;
    }
    typeCodes.set(type, code);
  }
  return code;
}

/** The query for name and type with this id: one question, class IN, and an EDNS OPT record (1232 bytes, no DO). */
export function encodeQuery(id: number, name: string, type: string): Buffer {
  const code = typeCode(type);
  // dns-packet strips one leading and one trailing dot.
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  if (code === undefined || n.length > 253 || !PLAIN.test(n)) return encodeWithDnsPacket(id, name, type);
  const qlen = n.length + 2; // a length byte per label instead of each dot, one more in front, the root's 0
  const buf = Buffer.allocUnsafe(12 + qlen + 4 + 11);
  buf.writeUInt16BE(id & 0xffff, 0);
  buf.writeUInt16BE(FLAGS, 2);
  buf.writeUInt32BE(0x00010000, 4); // QDCOUNT 1, ANCOUNT 0
  buf.writeUInt32BE(0x00000001, 8); // NSCOUNT 0, ARCOUNT 1
  let len = 12;
  let at = 13;
  for (let i = 0; i < n.length; i++) {
    const c = n.charCodeAt(i);
    if (c === 46) {
      buf[len] = at - len - 1;
      len = at++;
    } else buf[at++] = c;
  }
  buf[len] = at - len - 1;
  buf[at++] = 0;
  buf.writeUInt16BE(code, at);
  buf.writeUInt16BE(1, at + 2); // IN
  at += 4;
  // OPT: root name, type 41, class = UDP payload size, TTL 0 (no extended rcode, version 0, no DO), no options.
  buf[at] = 0;
  buf.writeUInt16BE(41, at + 1);
  buf.writeUInt16BE(UDP_PAYLOAD, at + 3);
  buf.writeUInt32BE(0, at + 5);
  buf.writeUInt16BE(0, at + 9);
  return buf;
}
