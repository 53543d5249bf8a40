// The network's real shapes on a real Docker engine: public resolvers reached
// by NAT inside the environments (never routed on this machine), and a
// rejecting environment seen as a stub sees it: an error at once.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerLeftovers, skipDocker } from '../../../test/env.js';
import type { Query, QueryObservation } from '../../model.js';
import { planScenario } from '../../plan.js';
import { loadScenario } from '../../scenario/load.js';
import { DockerBackend } from './index.js';

const q = (name: string, type: Query['type'] = 'A'): Query => ({ name, type, source: 'explicit' });
const signal = new AbortController().signal;
const deadlines = { appMs: 6000, resolverMs: 3000 };
const at = (o: QueryObservation, server: string) => o.resolver.find((r) => r.server === server)!;

describe.skipIf(!!skipDocker)('docker backend: the network as real networks are', () => {
  it('public resolvers answer where egress is allowed, are silent or refused where not, and never appear in this machine\'s routes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dnsparity-docker-network-'));
    try {
      // A resolv.conf that names the public resolvers, so the resolver layer asks them directly; its timeout bounds the stub.
      writeFileSync(join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\nnameserver 8.8.8.8\noptions timeout:1 attempts:1\n');
      const text = readFileSync('scenarios/public-forwarder.yaml', 'utf8').replaceAll('../fixtures/', `${process.cwd()}/fixtures/`).replace(/^  root: .*$/m, "  root: /").replace(/resolvConf: .*/, `resolvConf: ${join(dir, 'resolv.conf')}`);
      writeFileSync(join(dir, 's.yaml'), text);
      const plan = await planScenario(loadScenario(join(dir, 's.yaml')));
      let runId = '';
      {
        await using run = await new DockerBackend().start(plan, { signal });
        runId = run.runId;
        const routes = execFileSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' });
        expect(routes).not.toMatch(/(^|\s)(8\.8\.8\.8|8\.8\.4\.4|8\.8\.\d+\.0\/\d+)(\/|\s|$)/m);
        const probe = (env: string) => run.environments.find((e) => e.name === env)!.probe([q('www.example.io'), q('proxysql.internal.example.io')], { deadlines, concurrency: 8, signal });
        const [production, staging, preprod] = await Promise.all(['production', 'staging', 'preprod'].map(probe));
        // Asked directly, and through the image's unbound that forwards to them: the public view, and no private zone.
        expect(at(production![0]!, '8.8.8.8#53').outcome).toMatchObject({ status: 'response', rcode: 'NOERROR', answers: [{ data: '203.0.113.80' }] });
        expect(at(production![1]!, '8.8.8.8#53').outcome).toMatchObject({ status: 'response', rcode: 'NXDOMAIN' });
        expect(at(production![1]!, '127.0.0.1#53').outcome).toMatchObject({ status: 'response', rcode: 'NXDOMAIN' });
        expect(at(staging![0]!, '8.8.8.8#53').outcome).toEqual({ status: 'timeout' });
        // Refused by the environment's firewall: an error within milliseconds, not a timeout.
        const refused = at(preprod![0]!, '8.8.8.8#53');
        expect(refused.outcome).toEqual({ status: 'error', message: 'ECONNREFUSED' });
        expect(refused.latencyMs).toBeLessThan(500);
      }
      expect(await dockerLeftovers(runId)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
