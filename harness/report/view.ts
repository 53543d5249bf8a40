// What every reporter shows, read from the results (never recomputed): the
// words for a difference class, an observation in a few words, the cell of
// the environment x query matrix, and counts per status.
import { describeApp, describeResolver } from '../compare/normalise.js';
import { explainEnvironment } from '../explain/index.js';
import { describeLeak } from '../explain/leak.js';
import { displayName } from '../scenario/idn.js';
import { DIFFERENCE_CLASSES, queryKey, type DifferenceClass, type Finding, type Leak, type QueryObservation, type Substitution } from '../model.js';
import type { ScenarioResult } from '../run.js';

/** A query as reports name it: the name in both forms where it is an IDN, the type, the library where there are several. */
export const queryLabel = (q: Pick<Finding['query'], 'name' | 'type' | 'library'>): string => `${displayName(q.name)} ${q.type}${q.library ? ` [${q.library}]` : ''}`;

export const CLASS_TEXT: Record<DifferenceClass, string> = {
  'resolves-only-in-one': 'resolves only in',
  flaky: 'flaky in',
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
  const finding = r.findings.find((f) => f.environment === env && queryKey(f.query) === queryKey(q));
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
  for (const f of r.findings) {
    if (f.status !== status) continue;
    const k = queryKey(f.query);
    const g = groups.get(k);
    if (g) g.push(f);
    else groups.set(k, [f]);
  }
  if (groups.size === 0) return [];
  // In the queries' order, then by class: only the findings' queries are held, not a group for each of 100k queries.
  const at = new Map<string, number>();
  for (let i = 0; i < r.queries.length && at.size < groups.size; i++) {
    const k = queryKey(r.queries[i]!);
    if (groups.has(k) && !at.has(k)) at.set(k, i);
  }
  const rank = (fs: Finding[]) => Math.min(...fs.map((f) => CLASS_ORDER.indexOf(f.difference.class)));
  return [...at].sort((a, b) => a[1] - b[1]).map(([k]) => groups.get(k)!).sort((a, b) => rank(a) - rank(b));
}
const CLASS_ORDER: readonly DifferenceClass[] = DIFFERENCE_CLASSES;

/**
 * "resolves only in staging, preprod; slow only in qa", or, where the class
 * holds in the reference: "resolves only in production, not in staging".
 */
export function summariseFindings(fs: readonly Finding[]): string {
  const groups = new Map<string, { cls: DifferenceClass; side: Finding['difference']['side']; reference: string; envs: string[] }>();
  for (const f of fs) {
    const side = f.difference.side ?? 'environment';
    const key = `${f.difference.class} ${side}`;
    const g = groups.get(key) ?? { cls: f.difference.class, side, reference: f.reference, envs: [] };
    if (!g.envs.includes(f.environment)) g.envs.push(f.environment);
    groups.set(key, g);
  }
  return [...groups.values()]
    .map((g) => {
      if (g.side === 'environment') return `${CLASS_TEXT[g.cls]} ${g.envs.join(', ')}`;
      // Differences of answer or failure hold in both; the others in the reference, not in these environments.
      return `${CLASS_TEXT[g.cls]} ${g.reference}, not in ${g.envs.join(', ')}`;
    })
    .join('; ');
}

export function substitutionText(s: Substitution): string {
  const was = s.original === null ? 'unset' : s.original;
  return `${s.option}: ${was} -> ${s.replacement}${s.line ? ` (line ${s.line})` : ''}: ${s.why}`;
}

export function leakText(l: Leak): string {
  const text = describeLeak(l);
  if (!l.forwarder) return text;
  const address = l.server.replace(/#\d+$/, '');
  return `${text}. The config forwards to it: if it is a public resolver, declare it in the scenario (network.publicResolvers: [{ address: ${address} }]) and the simulated Internet will have one there`;
}

export const mark = (m: 'new' | 'known' | undefined): string => (m ? `[${m}] ` : '');
