// Public resolvers on the docker backend: unbound containers in the internet
// pod's namespace, at their public address on its loopback, routed like the
// rest of the simulated Internet only where egress is allowed, and never a
// subnet of a bridge on this machine (the engine picks every subnet).
import { describe, expect, it } from 'vitest';
import type { SimulatedInternet } from '../../network/simulated-internet.js';
import type { EnvironmentData } from '../../scenario/schema.js';
import { envRuleset, internetAddressBatch, internetRouteBatch, planDockerTopology, REFUSE_PORT } from './topology.js';

const internet: SimulatedInternet = {
  root: [{ name: 'a.root-servers.test', address: '198.51.100.1' }],
  servers: [{ id: 'root', nameServers: [{ name: 'a.root-servers.test', address: '198.51.100.1' }], zones: [] }],
  addresses: ['198.51.100.1'],
  provider: { address: '169.254.169.253', zones: [] },
  publicResolvers: [{ address: '8.8.8.8' }, { address: '1.1.1.1' }],
  shaping: [],
  addresses6: [],
};
const env = (name: string, egress: EnvironmentData['egress']): EnvironmentData => ({ name, egress, provider: 'reachable', reference: egress === 'allow' });
const name = (role: string) => `dnsparity-abc123-${role}`;
const targets = '172.30.0.2';

describe('docker topology with public resolvers', () => {
  const t = planDockerTopology(name, internet, [env('production', 'allow'), env('staging', 'drop'), env('preprod', 'reject')]);

  it('runs an unbound per public resolver in the internet pod, its address there, and makes no network with a subnet of its own', () => {
    expect(t.publicResolvers).toEqual([
      { dir: 'public/8.8.8.8', address: '8.8.8.8' },
      { dir: 'public/1.1.1.1', address: '1.1.1.1' },
    ]);
    expect(t.internet.addresses).toEqual(['1.1.1.1', '8.8.8.8', '198.51.100.1']);
    expect(internetAddressBatch(t)).toContain('address add 8.8.8.8/32 dev lo\n');
    for (const n of t.networks) expect(n).not.toHaveProperty('subnet');
  });

  it('routes a public resolver\'s address via the internet pod only where egress is allowed, and never rewrites it', () => {
    expect(internetRouteBatch(t, '172.30.1.2')).toContain('route replace 8.8.8.8/32 via 172.30.1.2\n');
    expect(t.envs.filter((e) => e.routesInternet).map((e) => e.env.name)).toEqual(['production']);
    const production = envRuleset(env('production', 'allow'), '169.254.169.253', targets);
    expect(production).not.toContain('8.8.8.8');
    // Dropped: the address goes where the rest of the Internet goes (the engine's isolation).
    expect(envRuleset(env('staging', 'drop'), '169.254.169.253', targets)).not.toContain('8.8.8.8');
    // Rejected: to the provider's refusing port, with everything else outside the environment.
    const preprod = envRuleset(env('preprod', 'reject'), '169.254.169.253', targets);
    expect(preprod).not.toContain('8.8.8.8');
    expect(preprod).toContain(`ip daddr != { 169.254.169.253, 127.0.0.0/8 } meta l4proto { tcp, udp } counter dnat to 172.30.0.2:${REFUSE_PORT}`);
  });
});

describe('docker backend and delay or loss', () => {
  it('refuses a scenario that asks for delay or loss, naming the field, before touching the engine', async () => {
    const { mkdtempSync, readFileSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { planScenario } = await import('../../plan.js');
    const { loadScenario } = await import('../../scenario/load.js');
    const { DockerBackend } = await import('./index.js');
    const { InputError } = await import('../../errors.js');
    const dir = mkdtempSync(join(tmpdir(), 'dnsparity-docker-shaping-'));
    try {
      const file = join(dir, 's.yaml');
      const text = readFileSync('scenarios/stub-zone-fix.yaml', 'utf8').replace('  public:\n', '  public:\n    rttMs: 50\n').replaceAll('../fixtures/', `${process.cwd()}/fixtures/`).replace(/root: \.\./, `root: ${process.cwd()}`);
      writeFileSync(file, text);
      const plan = await planScenario(loadScenario(file));
      const e = await new DockerBackend().start(plan, { signal: new AbortController().signal }).then(() => undefined, (x: unknown) => x);
      expect(e).toBeInstanceOf(InputError);
      const line = text.split('\n').findIndex((l) => l.includes('rttMs: 50')) + 1;
      expect((e as InstanceType<typeof InputError>).message).toContain(`${file}:${line}: network.public.rttMs: delay and loss (rttMs, lossPercent) are realised on the netns backend only`);
      // A dual-stack Internet, likewise.
      const v6 = readFileSync('test/fixtures/scenarios/ipv6-egress-forgotten.yaml', 'utf8').replaceAll('../../../fixtures/', `${process.cwd()}/fixtures/`).replace(/root: \.\.\/\.\.\/\.\./, `root: ${process.cwd()}`);
      writeFileSync(file, v6);
      const e6 = await new DockerBackend().start(await planScenario(loadScenario(file)), { signal: new AbortController().signal }).then(() => undefined, (x: unknown) => x);
      expect(e6).toBeInstanceOf(InputError);
      expect((e6 as Error).message).toContain(`${file}:${v6.split('\n').findIndex((l) => l.includes('ipv6: true')) + 1}: network.ipv6: a dual-stack simulated Internet is realised on the netns backend only`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Planning checks the zones with nsd-checkzone: seconds on a busy machine, not a test of speed.
  }, 30_000);
});
