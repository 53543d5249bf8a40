// What every reporter shows, read from the results (never recomputed): the
// words for a difference class, an observation in a few words, the cell of
// the environment x query matrix, and counts per status.
import { describeApp, describeResolver } from '../compare/normalise.js';
import { explainEnvironment } from '../explain/index.js';
import type { DifferenceClass, Finding, Leak, QueryObservation, Substitution } from '../model.js';
import type { ScenarioResult } from '../run.js';

export const CLASS_TEXT: Record<DifferenceClass, string> = {
  'resolves-only-in-one': 'resolves only in',
  timeout: 'times out in',
  'different-answer': 'different answer in',
  'different-rcode': 'different failure in',
  'slow-only-in-one': 'slow only in',
};

/** What the deciding layer saw: getaddrinfo's result, or the local resolver's for other types. */
export function outcomeText(obs: QueryObservation): { text: string; latencyMs: number } {
  if (obs.application) return { text: describeApp(obs.application.outcome), latencyMs: obs.application.latencyMs };
  const local = obs.resolver[0]!;
  return { text: describeResolver(local.outcome), latencyMs: local.latencyMs };
}

export type CellStatus = 'reference' | 'same' | 'unexpected' | 'expected' | 'unstable';

export interface Cell {
  readonly status: CellStatus;
  readonly outcome: string;
  readonly latencyMs: number;
  readonly finding?: Finding;
  /** This environment's resolver and stub paths for the query. */
  readonly explanation: string;
}

export function cell(r: ScenarioResult, env: string, i: number): Cell {
  const q = r.queries[i]!;
  const { text, latencyMs } = outcomeText(r.observations[env]![i]!);
  const finding = r.findings.find((f) => f.environment === env && f.query.name === q.name && f.query.type === q.type);
  const status: CellStatus = env === r.reference ? 'reference' : finding ? finding.status : 'same';
  return { status, outcome: text, latencyMs, ...(finding ? { finding } : {}), explanation: explainEnvironment(r, env, i) };
}

export function counts(r: ScenarioResult): { unexpected: number; expected: number; unstable: number; unmet: number; leaks: number } {
  const by = (s: Finding['status']) => r.findings.filter((f) => f.status === s).length;
  return { unexpected: by('unexpected'), expected: by('expected'), unstable: by('unstable'), unmet: r.expectations.filter((e) => !e.met).length, leaks: r.leaks.length };
}

/** Findings of one status grouped by query, most significant class first, in query order otherwise. */
export function byQuery(r: ScenarioResult, status: Finding['status']): Finding[][] {
  const groups = new Map<string, Finding[]>();
  for (const q of r.queries) groups.set(`${q.name} ${q.type}`, []);
  for (const f of r.findings) if (f.status === status) groups.get(`${f.query.name} ${f.query.type}`)?.push(f);
  const rank = (fs: Finding[]) => Math.min(...fs.map((f) => CLASS_ORDER.indexOf(f.difference.class)));
  return [...groups.values()].filter((fs) => fs.length > 0).sort((a, b) => rank(a) - rank(b));
}
const CLASS_ORDER: readonly DifferenceClass[] = ['resolves-only-in-one', 'timeout', 'different-answer', 'different-rcode', 'slow-only-in-one'];

/** "resolves only in staging, preprod; slow only in qa" */
export function summariseFindings(fs: readonly Finding[]): string {
  const byClass = new Map<string, { text: string; envs: string[] }>();
  for (const f of fs) {
    // A name can resolve in the reference alone (a split horizon's public-only names): say so, not the opposite.
    const inReference = f.difference.class === 'resolves-only-in-one' && f.difference.detail.startsWith(`resolves only in ${f.reference} `);
    const key = inReference ? `${f.difference.class} ${f.reference}` : f.difference.class;
    const g = byClass.get(key) ?? { text: inReference ? `resolves only in ${f.reference}, not in` : CLASS_TEXT[f.difference.class], envs: [] };
    if (!g.envs.includes(f.environment)) g.envs.push(f.environment);
    byClass.set(key, g);
  }
  return [...byClass.values()].map((g) => `${g.text} ${g.envs.join(', ')}`).join('; ');
}

export function substitutionText(s: Substitution): string {
  const was = s.original === null ? 'unset' : s.original;
  return `${s.option}: ${was} -> ${s.replacement}${s.line ? ` (line ${s.line})` : ''}: ${s.why}`;
}

export function leakText(l: Leak): string {
  const text = `unbound in ${l.environment} sent ${l.count} quer${l.count === 1 ? 'y' : 'ies'} to ${l.server} (as a server for ${l.zone === '.' ? 'the root' : `${l.zone}.`}), which the scenario's network does not have; asked about ${l.qnames.join(', ')}`;
  if (!l.forwarder) return text;
  const address = l.server.replace(/#\d+$/, '');
  return `${text}. The config forwards to it: if it is a public resolver, declare it in the scenario (network.publicResolvers: [{ address: ${address} }]) and the simulated Internet will have one there`;
}

export const mark = (m: 'new' | 'known' | undefined): string => (m ? `[${m}] ` : '');
