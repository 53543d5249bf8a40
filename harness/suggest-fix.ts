// --suggest-fixes: for a failing scenario, the private zones whose names
// resolve differently are handed to the resolver kind's suggester
// (resolver/suggest-fix.ts), which proposes the config change that routes
// them to the provider's resolver. The change is applied to a copy of the
// config, the scenario runs again with it, and the result is reported as a
// unified diff (the diff package), the verdict it got, and the findings that
// remain. Whether the change removed the differences it targets is read from
// that second run, never assumed: a fix that does not is reported as such.
import { createTwoFilesPatch } from 'diff';
import { queryKey, type Finding } from './model.js';
import type { RunPlan } from './plan.js';
import { FIX_SUGGESTERS } from './resolver/suggest-fix.js';
import { searchCandidates, type SearchConf } from './resolver/search.js';
import { ADDRESS_TYPES } from './model.js';
import { CLASS_TEXT } from './report/view.js';
import type { ScenarioResult } from './run.js';

/** What report.json carries per scenario as suggestedFix. */
export interface SuggestedFix {
  /** The change, as a unified diff of the config file it edits. */
  readonly diff: string;
  /** The verdict of the scenario run again with the change. */
  readonly verdict: 'pass' | 'fail';
  /** The unexpected findings of that run, in the shape of findings. */
  readonly remaining: readonly Finding[];
  /** The private zones the change routes. */
  readonly zones: readonly string[];
  /** One line: what the change does. */
  readonly summary: string;
  /** Every difference the change targets (those of the private zones' names) is gone in the run with it. */
  readonly targetsRemoved: boolean;
  /** How many differences it targeted, and how many of them remain. */
  readonly targeted: number;
  readonly targetedRemaining: number;
}

const atOrBelow = (name: string, zone: string) => name === zone || name.endsWith(`.${zone}`);

/** The private zone a finding's query belongs to: its name, or a name of its search walk, at or below the zone. */
export function zoneOf(f: Pick<Finding, 'query'>, zones: readonly string[], plan: { readonly resolvConf: SearchConf }): string | undefined {
  const q = f.query;
  const names = searchCandidates(q.name, plan.resolvConf, q.library ?? 'glibc', q.absolute ?? false, ADDRESS_TYPES.has(q.type));
  // The most specific zone wins where zones nest.
  return [...zones].sort((a, b) => b.length - a.length).find((z) => atOrBelow(q.name, z) || names.some((n) => atOrBelow(n, z)));
}

const findingId = (f: Finding) => `${queryKey(f.query)} @${f.environment}`;

/** The private zones whose names have unexpected differences, in the scenario's order. */
export function fixTargets(plan: Pick<RunPlan, 'resolvConf' | 'scenario'>, result: Pick<ScenarioResult, 'findings'>): { zones: string[]; findings: Finding[] } {
  const zones = plan.scenario.network.provider.zones.map((z) => z.origin);
  const findings = result.findings.filter((f) => f.status === 'unexpected' && zoneOf(f, zones, plan) !== undefined);
  const hit = new Set(findings.map((f) => zoneOf(f, zones, plan)!));
  return { zones: zones.filter((z) => hit.has(z)), findings };
}

export type Rerun = (plan: RunPlan) => Promise<ScenarioResult>;

/**
 * The suggested fix for a scenario's result, verified by running it again;
 * or why there is none (a passing scenario, no private zone in the findings,
 * a resolver kind without a suggester, a config that already routes them).
 */
export async function suggestFix(plan: RunPlan, result: ScenarioResult, rerun: Rerun): Promise<{ fix: SuggestedFix } | { none: string }> {
  if (result.verdict === 'pass') return { none: 'the scenario passes' };
  const { zones, findings } = fixTargets(plan, result);
  if (zones.length === 0) return { none: 'no private zone has names that resolve differently' };
  const kind = plan.scenario.resolver.kind;
  const suggester = Object.hasOwn(FIX_SUGGESTERS, kind) ? FIX_SUGGESTERS[kind] : undefined;
  if (!suggester) return { none: `no fix is known for resolver kind ${kind}` };
  const proposal = suggester.suggestFix(plan.resolverConfig, { zones, provider: plan.scenario.network.provider.address });
  if (!proposal.ok) return { none: proposal.why };
  const fixed: RunPlan = { ...plan, resolverConfig: proposal.config as RunPlan['resolverConfig'] };
  const again = await rerun(fixed);
  const diff = proposal.config.files
    .map((f) => {
      const before = plan.resolverConfig.files.find((o) => o.path === f.path)?.text ?? '';
      if (before === f.text) return '';
      const name = plan.sources.resolverConfig.includes(':/') && f.path === plan.resolverConfig.main ? plan.sources.resolverConfig : f.path;
      return createTwoFilesPatch(name, name, before, f.text, 'as the image has it', 'with the suggested fix');
    })
    .filter(Boolean)
    .join('');
  const remaining = again.findings.filter((f) => f.status === 'unexpected');
  const targetIds = new Set(findings.filter((f) => proposal.zones.includes(zoneOf(f, zones, plan)!)).map(findingId));
  const targetedRemaining = remaining.filter((f) => targetIds.has(findingId(f)) || proposal.zones.includes(zoneOf(f, zones, plan) ?? '')).length;
  return {
    fix: {
      diff,
      verdict: again.verdict,
      remaining,
      zones: proposal.zones,
      summary: proposal.summary,
      targetsRemoved: targetedRemaining === 0,
      targeted: targetIds.size,
      targetedRemaining,
    },
  };
}

/** The one sentence every report shows for a suggested fix. */
export function fixSentence(fix: SuggestedFix, resolvConf: SearchConf): string {
  const targeted = (f: Finding) => zoneOf(f, fix.zones, { resolvConf }) !== undefined;
  const others = fix.remaining.filter((f) => !targeted(f));
  const otherText = others.length ? `; other differences remain: ${describeRemaining(others)}` : '';
  if (fix.targetsRemoved) {
    return `with this change every private name of ${fix.zones.join(', ')} resolves alike in every environment: verified${otherText}${fix.verdict === 'pass' ? '; the scenario passes with it' : ''}`;
  }
  return `this change does not remove the differences it targets: ${fix.targetedRemaining} of ${fix.targeted} remain (${describeRemaining(fix.remaining.filter(targeted))}); not a fix`;
}

/** "4 public names slow only in staging, preprod; 1 name resolves only in staging". */
function describeRemaining(fs: readonly Finding[]): string {
  const byClass = new Map<string, { names: Set<string>; envs: Set<string>; public: boolean }>();
  for (const f of fs) {
    const k = f.difference.class;
    const g = byClass.get(k) ?? { names: new Set<string>(), envs: new Set<string>(), public: true };
    g.names.add(queryKey(f.query));
    g.envs.add(f.environment);
    g.public &&= f.query.source === 'public-zone';
    byClass.set(k, g);
  }
  return [...byClass]
    .map(([k, g]) => `${g.names.size} ${g.public ? 'public ' : ''}quer${g.names.size === 1 ? 'y' : 'ies'} ${CLASS_TEXT[k as keyof typeof CLASS_TEXT]} ${[...g.envs].join(', ')}`)
    .join('; ');
}
