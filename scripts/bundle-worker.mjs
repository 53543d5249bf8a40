#!/usr/bin/env node
// Bundles the compiled probe worker (dist/harness/probe/worker.js) and what
// it imports into one file beside it, worker.bundle.mjs. A run starts a
// worker per environment (twice with a twin), each a fresh Node process:
// loading one file costs about a third less CPU than resolving and linking the
// worker's ES modules and dns-packet one by one. Runs after tsc in
// "npm run build" and "npm test"; the harness takes the bundle only when it is
// newer than the worker it was made from (harness/probe/client.ts).
import { renameSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const dir = fileURLToPath(new URL('../dist/harness/probe/', import.meta.url));
const tmp = `${dir}.worker.bundle.mjs.tmp`;
buildSync({
  entryPoints: [`${dir}worker.js`],
  outfile: tmp,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  // dns-packet is CommonJS: its require() calls of Node's modules need a require in an ES module.
  banner: { js: "import { createRequire as __dnsparityRequire } from 'node:module'; const require = __dnsparityRequire(import.meta.url);" },
});
renameSync(tmp, `${dir}worker.bundle.mjs`);
