// Properties of the zone loader: any text gives records or an InputError.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import { InputError } from '../errors.js';
import { formatRecord, loadZone, parseCanonical } from './zonefile.js';

const hasTools = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v nsd-checkzone && command -v ldns-read-zone'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasTools) console.warn('SKIPPED zone loader fuzzing: needs nsd-checkzone and ldns-read-zone (apt-get install nsd ldnsutils)');

const label = fc.stringMatching(/^[a-z0-9]{1,8}$/);
const line = fc.oneof(
  fc.tuple(label, fc.ipV4()).map(([n, a]) => `${n} IN A ${a}`),
  fc.tuple(label, fc.string({ maxLength: 20 })).map(([n, t]) => `${n} IN TXT ${JSON.stringify(t)}`),
  fc.tuple(label, label).map(([n, t]) => `${n} IN CNAME ${t}`),
  fc.tuple(label, fc.integer({ min: -5, max: 70000 }), label).map(([n, p, t]) => `${n} IN MX ${p} ${t}`),
  fc.string({ maxLength: 40 }),
);

describe('zone loading never crashes', () => {
  it('parseCanonical takes any text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 500 }), (t) => {
        for (const r of parseCanonical(t)) expect(parseCanonical(formatRecord(r))).toEqual([r]);
      }),
      { numRuns: 500 },
    );
  });

  it('parseCanonical reads what splitting the text into lines read', () => {
    // The reading it replaced, line by line after text.split.
    const bySplit = (text: string) =>
      text.split('\n').flatMap((line) => {
        const m = !line || line.startsWith(';') ? null : /^(\S+)\s+(\d+)\s+IN\s+(\S+)\s*(.*)$/.exec(line);
        return m ? [{ name: m[1]!.toLowerCase().replace(/\.$/, ''), ttl: Number(m[2]), type: m[3]!.toUpperCase(), data: m[4]!.trim() }] : [];
      });
    const line = fc.oneof(fc.constantFrom('', ';x', 'Www.Example.IO.\t300\tIN\ta\t192.0.2.1', '.\t3600\tIN\tNS\ta.root.', 'x 1 IN txt "a b" \r', 'x. 5 IN Aaaa ::1 '), fc.string({ maxLength: 30 }));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.boolean(), (lines, trailing) => {
        const text = lines.join('\n') + (trailing ? '\n' : '');
        expect(parseCanonical(text)).toEqual(bySplit(text));
      }),
      { numRuns: 500 },
    );
  });

  it.skipIf(!hasTools)('loadZone gives records or an InputError for random master files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dnsparity-zfuzz-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(line, { maxLength: 8 }), async (withSoa, lines) => {
        const file = join(dir, `z${n++}.zone`);
        writeFileSync(file, `${withSoa ? '$TTL 300\n@ IN SOA ns h 1 2 3 4 5\n' : ''}${lines.join('\n')}\n`);
        try {
          const z = await loadZone('fuzz.example', file, { file });
          expect(z.records.every((r) => r.name === 'fuzz.example' || r.name.endsWith('.fuzz.example'))).toBe(true);
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
        }
      }),
      { numRuns: 40 },
    );
  }, 60_000);
});
