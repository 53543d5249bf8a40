#!/usr/bin/env node
// One scale point in a process of its own, so its peak RSS is the harness's
// own: plan, start, probe N names in two environments, compare, tear down.
//   node bench/scale-point.mjs N   -> one JSON line on stdout
import { rmSync } from 'node:fs';
import { NetnsBackend } from '../dist/harness/backend/netns/index.js';
import { planScenario } from '../dist/harness/plan.js';
import { runScenario } from '../dist/harness/run.js';
import { loadScenario } from '../dist/harness/scenario/load.js';
import { scaleScenario } from './scenario.mjs';

const n = Number(process.argv[2]);
const { dir, file } = scaleScenario(n);
try {
  const t0 = performance.now();
  const plan = await planScenario(loadScenario(file));
  const r = await runScenario(plan, new NetnsBackend(), { concurrency: 64, signal: new AbortController().signal });
  const wallMs = Math.round(performance.now() - t0);
  const unexpected = r.findings.filter((f) => f.status === 'unexpected').length;
  const answered = Object.values(r.observations).flat().filter((o) => o.application?.outcome.status === 'answer').length;
  console.log(JSON.stringify({ names: n, queries: r.queries.length, wallMs, timing: r.timing, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), unexpected, answered }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
