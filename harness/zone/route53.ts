// Route 53 JSON -> master-file text: the output of
// `aws route53 list-resource-record-sets` (an object with ResourceRecordSets,
// or the bare list), so a team tests the private hosted zone it really has.
// Names use Route 53's escapes (\052 for a leading "*", octal \ooo for any
// other character outside letters, digits, "-" and "_"), which differ from a
// master file's decimal \DDD: they are decoded and written again in master
// form. An alias record to another record set of the zone is served as that
// set's records (what Route 53 answers); an alias to anything else (a load
// balancer, a CDN, a bucket) is refused, as the simulated network has no such
// resource. Every line of the text keeps the JSON file, line and field it came
// from, so nsd-checkzone's errors name the record set.
import { isMap, isNode, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { InputError } from '../errors.js';
import type { ExpandedZone, ZoneLineSource } from './zonefile.js';

interface RecordSet {
  readonly name: string;
  readonly type: string;
  readonly ttl?: number;
  readonly values: readonly { readonly value: string; readonly field: string }[];
  readonly alias?: string;
  readonly index: number;
  readonly line: number | undefined;
}

const SAFE = /^[a-z0-9_-]$/;

/** One label of a Route 53 name: octal escapes decoded, then written as a master file would. */
function masterLabel(label: string): string {
  const decoded = label.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))).replace(/\\(.)/g, '$1').toLowerCase();
  if (decoded === '*') return '*';
  return [...decoded].map((ch) => (SAFE.test(ch) ? ch : `\\${String(ch.charCodeAt(0)).padStart(3, '0')}`)).join('');
}

/** A Route 53 name ("\\052.example.io.") as an absolute master-file name, lower case. */
export function route53Name(name: string): string {
  const bare = name.replace(/\.$/, '');
  if (bare === '') return '.';
  // Route 53 writes a dot inside a label as \056, so a plain "." always separates labels.
  return `${bare.split('.').map(masterLabel).join('.')}.`;
}

export function route53ToMaster(text: string, file: string, origin: string): ExpandedZone {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  if (doc.errors[0]) {
    const e = doc.errors[0];
    throw new InputError({ file, line: e.linePos?.[0]?.line ?? lines.linePos(e.pos[0]).line }, `invalid JSON: ${e.message.split('\n')[0]}`, 'give the output of aws route53 list-resource-record-sets --hosted-zone-id ID');
  }
  const lineOf = (path: (string | number)[]): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : (doc as Document).getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
    }
    return undefined;
  };
  const root = doc.toJS() as unknown;
  const top = Array.isArray(root) ? [] : ['ResourceRecordSets'];
  const list = Array.isArray(root) ? root : (root as { ResourceRecordSets?: unknown } | null)?.ResourceRecordSets;
  const hint = 'give the output of aws route53 list-resource-record-sets: {"ResourceRecordSets": [{"Name", "Type", "TTL", "ResourceRecords": [{"Value"}]}]}';
  if (!Array.isArray(list)) throw new InputError({ file, line: 1, field: 'ResourceRecordSets' }, 'expected a list of record sets', hint);
  const apex = route53Name(origin);
  const sets: RecordSet[] = list.map((raw: unknown, i) => {
    const path = [...top, i];
    const field = (f: string) => `${top.length ? 'ResourceRecordSets' : ''}[${i}]${f ? `.${f}` : ''}`;
    const at = (f: string, sub: (string | number)[] = []) => ({ file, line: lineOf([...path, ...(f ? [f] : []), ...sub]), field: field(f + sub.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')) });
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InputError(at(''), 'expected a record set object', hint);
    const r = raw as Record<string, unknown>;
    if (typeof r.Name !== 'string' || r.Name === '') throw new InputError(at('Name'), 'expected the record set\'s name, such as "proxysql.internal.example.io."', hint);
    if (typeof r.Type !== 'string' || !/^[A-Za-z0-9]+$/.test(r.Type)) throw new InputError(at('Type'), 'expected a record type such as "A"', hint);
    const name = route53Name(r.Name);
    if (name !== apex && !name.endsWith(`.${apex}`)) throw new InputError(at('Name'), `${r.Name} is outside zone ${origin}`, 'give the record sets of this hosted zone only, or correct the zone origin');
    const type = r.Type.toUpperCase();
    if (r.AliasTarget !== undefined) {
      const a = r.AliasTarget as Record<string, unknown> | null;
      if (a === null || typeof a !== 'object' || typeof a.DNSName !== 'string') throw new InputError(at('AliasTarget'), 'expected { "DNSName": ..., "HostedZoneId": ... }', hint);
      return { name, type, values: [], alias: route53Name(a.DNSName), index: i, line: lineOf(path) };
    }
    if (typeof r.TTL !== 'number' || !Number.isInteger(r.TTL) || r.TTL < 0) throw new InputError(at('TTL'), 'expected a TTL in seconds (a whole number)', 'every record set that is not an alias has a TTL');
    if (!Array.isArray(r.ResourceRecords) || r.ResourceRecords.length === 0) throw new InputError(at('ResourceRecords'), 'expected a list of { "Value": ... }', 'a record set without an alias has at least one record');
    const values = r.ResourceRecords.map((v: unknown, j) => {
      const value = (v as { Value?: unknown } | null)?.Value;
      if (typeof value !== 'string' || value.trim() === '' || /[\n\r]/.test(value)) throw new InputError(at('ResourceRecords', [j, 'Value']), 'expected the record\'s data as one line, such as "10.20.30.40"', hint);
      return { value: value.trim(), field: field(`ResourceRecords[${j}].Value`) };
    });
    return { name, type, ttl: r.TTL, values, index: i, line: lineOf(path) };
  });
  const out: string[] = [];
  const sources: ZoneLineSource[] = [];
  const emit = (set: RecordSet, line: string, field: string) => {
    out.push(line);
    sources.push({ file, ...(set.line !== undefined ? { line: set.line } : {}), field });
  };
  const setField = (s: RecordSet) => `${top.length ? 'ResourceRecordSets' : ''}[${s.index}]`;
  for (const set of sets) {
    if (set.alias === undefined) {
      for (const v of set.values) emit(set, `${set.name} ${set.ttl} IN ${set.type} ${v.value}`, v.field);
      continue;
    }
    // Route 53 answers an alias to a record set of its own zone with that set's records.
    let target: RecordSet | undefined = set;
    const seen = new Set<RecordSet>();
    while (target?.alias !== undefined && !seen.has(target)) {
      seen.add(target);
      const to: string = target.alias;
      if (to !== apex && !to.endsWith(`.${apex}`)) {
        throw new InputError({ file, line: set.line, field: `${setField(set)}.AliasTarget.DNSName` }, `alias record ${set.name} ${set.type} points at ${to}, outside this zone (an AWS resource such as a load balancer or a CDN), which the simulated network does not have`, `replace the alias by the records it resolves to (a ${set.type} record set with TTL and ResourceRecords), or remove it`);
      }
      target = sets.find((s) => s.name === to && s.type === set.type);
    }
    if (!target || target.alias !== undefined) {
      throw new InputError({ file, line: set.line, field: `${setField(set)}.AliasTarget.DNSName` }, `alias record ${set.name} ${set.type} points at ${set.alias}, which has no ${set.type} record set in this zone${target ? ' (the aliases form a cycle)' : ''}`, `add the ${set.type} record set it points at, or replace the alias by records`);
    }
    for (const v of target.values) emit(set, `${set.name} ${target.ttl} IN ${set.type} ${v.value}`, `${setField(set)}.AliasTarget`);
  }
  return { text: out.join('\n'), sources };
}
