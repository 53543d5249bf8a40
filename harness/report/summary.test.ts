// The exit code is the gate's whole answer: each of its rules, and their
// order (interrupted, then could not run, then failed, then parity), pinned.
import { describe, expect, it } from 'vitest';
import { sampleResult } from '../../test/sample-result.js';
import { EXIT } from '../errors.js';
import type { ScenarioResult } from '../run.js';
import { toStored } from './stored.js';
import { summarise } from './summary.js';

const failing = sampleResult();
const passing: ScenarioResult = { ...sampleResult({ scenario: { name: 'fixed', file: '/srv/fixed.yaml' } }), findings: [], expectations: [], leaks: [], verdict: 'pass' };
const error = { scenario: 'crashed', message: 'unbound in staging exited (code null, signal SIGKILL)' };
/** A baseline that knows every finding of `failing`: compared with it, nothing is new. */
const knownAll = { file: 'prev.json', report: toStored(summarise({ results: [failing], errors: [], wallMs: 1 })) };

describe('summarise: the exit code', () => {
  it('is 0 when every scenario passed', () => {
    expect(failing.verdict).toBe('fail');
    expect(summarise({ results: [passing], errors: [], wallMs: 1 }).exitCode).toBe(EXIT.parity);
    expect(EXIT.parity).toBe(0);
  });

  it('is 1 when a scenario failed', () => {
    expect(summarise({ results: [passing, failing], errors: [], wallMs: 1 }).exitCode).toBe(1);
  });

  it('is 0 for failures a baseline already knows, 1 for a new one', () => {
    expect(summarise({ results: [failing, passing], errors: [], wallMs: 1, baseline: knownAll }).exitCode).toBe(0);
    const empty = { file: 'prev.json', report: toStored(summarise({ results: [passing], errors: [], wallMs: 1 })) };
    expect(summarise({ results: [failing], errors: [], wallMs: 1, baseline: empty }).exitCode).toBe(1);
  });

  it('is 2 when a scenario could not run, whatever the others found', () => {
    expect(summarise({ results: [passing], errors: [error], wallMs: 1 }).exitCode).toBe(2);
    expect(summarise({ results: [failing], errors: [error], wallMs: 1 }).exitCode).toBe(2);
    expect(summarise({ results: [], errors: [error], wallMs: 1 }).exitCode).toBe(2);
  });

  it('stays 2 under a baseline that knows every finding', () => {
    const s = summarise({ results: [failing, passing], errors: [error], wallMs: 1, baseline: knownAll });
    expect(s.baseline).toMatchObject({ new: 0 });
    expect(s.exitCode).toBe(2);
    expect(s.errors).toEqual([error]);
  });

  it('is the signal code when interrupted, over errors and failures alike', () => {
    expect(summarise({ results: [failing], errors: [error], wallMs: 1, interruptedExit: 130 }).exitCode).toBe(130);
    expect(summarise({ results: [passing], errors: [], wallMs: 1, interruptedExit: 143 }).exitCode).toBe(143);
  });
});
