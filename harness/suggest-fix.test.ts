// The verification logic of --suggest-fixes, with hand-built results: what
// the run with the change found decides the report, never the proposal. The
// real runs are in test/onboarding.e2e.test.ts.
import { describe, expect, it } from 'vitest';
import { obs, response, sampleResult } from '../test/sample-result.js';
import type { RunPlan } from './plan.js';
import type { ScenarioResult } from './run.js';
import { fixSentence, fixTargets, suggestFix } from './suggest-fix.js';

const failing = sampleResult();
const plan = (kind = 'unbound', config = 'server:\n    interface: 127.0.0.1\n') => ({
  scenario: { resolver: { kind }, network: { provider: { address: '169.254.169.253', zones: [{ origin: 'internal.example.io' }] } } },
  resolvConf: failing.resolvConf,
  resolverConfig: { main: '/img/unbound.conf', root: '/img', files: [{ path: '/img/unbound.conf', text: config, includes: [] }] },
  sources: { resolverConfig: '/img/unbound.conf', resolvConf: '/img/resolv.conf' },
}) as unknown as RunPlan;
/** A result where every environment got what production got for the private name. */
const agreeing = (): ScenarioResult => {
  const r = sampleResult();
  const observations = { production: r.observations.production!, staging: [obs({ status: 'answer', addresses: ['10.20.30.40'] }, 40, response('NOERROR', '10.20.30.40'), 30), ...r.observations.staging!.slice(1)] };
  return sampleResult({ observations: { ...observations, production: [obs({ status: 'answer', addresses: ['10.20.30.40'] }, 40, response('NOERROR', '10.20.30.40'), 30), ...observations.production.slice(1)] } });
};

describe('suggested fixes', () => {
  it('targets the private zones whose names differ', () => {
    expect(failing.verdict).toBe('fail');
    const t = fixTargets(plan(), failing);
    expect(t.zones).toEqual(['internal.example.io']);
    expect(t.findings.map((f) => f.query.name)).toEqual(['proxysql.internal.example.io']);
  });

  it('runs the scenario again with a copy of the config holding the change, and reports what that run found', async () => {
    let ran: RunPlan | undefined;
    const p = plan();
    const s = await suggestFix(p, failing, async (fixed) => {
      ran = fixed;
      return agreeing();
    });
    if (!('fix' in s)) throw new Error(s.none);
    expect(ran!.resolverConfig.files[0]!.text).toContain('forward-zone:\n    name: "internal.example.io"\n    forward-addr: 169.254.169.253');
    expect(p.resolverConfig.files[0]!.text).not.toContain('forward-zone');
    expect(s.fix.diff).toContain('+forward-zone:');
    expect(s.fix.diff).toContain('--- /img/unbound.conf\tas the image has it');
    expect(s.fix).toMatchObject({ zones: ['internal.example.io'], targetsRemoved: true, targeted: 1, targetedRemaining: 0 });
    expect(s.fix.verdict).toBe(agreeing().verdict);
    expect(fixSentence(s.fix, failing.resolvConf)).toMatch(/^with this change every private name of internal\.example\.io resolves alike in every environment: verified; other differences remain: 1 public query slow only in staging/);
  });

  it('reports a change that leaves the differences it targets as not a fix', async () => {
    const s = await suggestFix(plan(), failing, async () => sampleResult());
    if (!('fix' in s)) throw new Error(s.none);
    expect(s.fix).toMatchObject({ verdict: 'fail', targetsRemoved: false, targeted: 1, targetedRemaining: 1 });
    expect(s.fix.remaining.map((f) => f.query.name)).toContain('proxysql.internal.example.io');
    expect(fixSentence(s.fix, failing.resolvConf)).toBe('this change does not remove the differences it targets: 1 of 1 remain (1 query resolves only in staging); not a fix');
  });

  it('proposes nothing for a passing scenario, a kind without a suggester, or a config that already routes the zone', async () => {
    const never = async (): Promise<ScenarioResult> => {
      throw new Error('must not run again');
    };
    expect(await suggestFix(plan(), agreeing().verdict === 'pass' ? agreeing() : { ...failing, verdict: 'pass' }, never)).toEqual({ none: 'the scenario passes' });
    expect(await suggestFix(plan('dnsmasq'), failing, never)).toEqual({ none: 'no fix is known for resolver kind dnsmasq' });
    expect(await suggestFix(plan('unbound', 'forward-zone:\n    name: internal.example.io\n    forward-addr: 192.0.2.9\n'), failing, never)).toEqual({ none: 'the config already routes internal.example.io (forward-zone); no forward-zone to add' });
  });
});
