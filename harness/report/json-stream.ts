// JSON written as it is walked, in pieces, never as one string: report.json
// at 100k names is hundreds of megabytes of text, which JSON.stringify would
// hold whole (and twice, while it grows). The text is byte for byte what
// JSON.stringify(value, null, 2) gives.

const CHUNK = 1 << 16;

/** Values below this depth are small (one observation, one finding): stringified whole. */
const WALK_DEPTH = 5;

type Sink = (text: string) => void;

/** Writes value as JSON.stringify(value, null, 2) would, through write, in chunks of about 64 KiB. */
export function writeJson(value: unknown, write: Sink): void {
  let buf = '';
  const out = (s: string) => {
    buf += s;
    if (buf.length >= CHUNK) {
      write(buf);
      buf = '';
    }
  };
  walk(value, '', 0, out);
  if (buf) write(buf);
}

/** What JSON.stringify would make of a value before writing it (toJSON), or undefined to leave it out. */
function prepared(v: unknown, key: string): unknown {
  if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') return (v as { toJSON(k: string): unknown }).toJSON(key);
  return v;
}

const omitted = (v: unknown) => v === undefined || typeof v === 'function' || typeof v === 'symbol';

function walk(value: unknown, indent: string, depth: number, out: Sink): void {
  if (value === null || typeof value !== 'object' || depth >= WALK_DEPTH) {
    const text = JSON.stringify(value, null, 2);
    out(indent && text.includes('\n') ? text.replace(/\n/g, `\n${indent}`) : text);
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return out('[]');
    out('[');
    for (let i = 0; i < value.length; i++) {
      out(i === 0 ? `\n${inner}` : `,\n${inner}`);
      const v = prepared(value[i], String(i));
      if (omitted(v)) out('null');
      else walk(v, inner, depth + 1, out);
    }
    return out(`\n${indent}]`);
  }
  let first = true;
  for (const [k, raw] of Object.entries(value)) {
    const v = prepared(raw, k);
    if (omitted(v)) continue;
    out(`${first ? '{' : ','}\n${inner}${JSON.stringify(k)}: `);
    first = false;
    walk(v, inner, depth + 1, out);
  }
  out(first ? '{}' : `\n${indent}}`);
}
