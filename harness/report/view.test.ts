import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DIFFERENCE_CLASSES, queryKey, type Finding, type Query } from '../model.js';
import type { ScenarioResult } from '../run.js';
import { byQuery } from './view.js';

/** The grouping as it is defined: a group per query, in the queries' order, the non-empty ones by class. */
function reference(r: Pick<ScenarioResult, 'queries' | 'findings'>, status: Finding['status']): Finding[][] {
  const groups = new Map<string, Finding[]>();
  for (const q of r.queries) groups.set(queryKey(q), []);
  for (const f of r.findings) if (f.status === status) groups.get(queryKey(f.query))?.push(f);
  const rank = (fs: Finding[]) => Math.min(...fs.map((f) => DIFFERENCE_CLASSES.indexOf(f.difference.class)));
  return [...groups.values()].filter((fs) => fs.length > 0).sort((a, b) => rank(a) - rank(b));
}

const STATUSES = ['unexpected', 'expected', 'unstable'] as const;

describe('byQuery', () => {
  it('groups findings by query in the queries order, then by class, holding no group for a query without findings', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 12 }),
        fc.array(fc.record({ q: fc.integer({ min: 0, max: 14 }), env: fc.constantFrom('staging', 'preprod'), cls: fc.constantFrom(...DIFFERENCE_CLASSES), status: fc.constantFrom(...STATUSES) }), { maxLength: 30 }),
        (n, raw) => {
          const queries: Query[] = Array.from({ length: n }, (_, i) => ({ name: `h${i % 9}.example.io`, type: i < 9 ? 'A' : 'AAAA', source: 'explicit' }));
          // Findings of queries outside the list (q >= n) are dropped, as before.
          const findings = raw.map((x) => ({ query: { name: `h${x.q % 9}.example.io`, type: x.q < 9 ? 'A' : 'AAAA', source: 'explicit' }, environment: x.env, reference: 'production', difference: { class: x.cls }, resolverDifferences: [], status: x.status, explanation: '' }) as unknown as Finding);
          const r = { queries, findings } as unknown as ScenarioResult;
          for (const s of STATUSES) expect(byQuery(r, s)).toEqual(reference(r, s));
        },
      ),
    );
  });
});
