// The docker backend against the real thing: a Docker engine, the images
// built from containers/, unbound and nsd in containers on internal networks.
// Each test checks that nothing labelled with its run remains.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerLeftovers, dockerThings, skipDocker } from '../../../test/env.js';
import { InputError } from '../../errors.js';
import type { Query, QueryObservation } from '../../model.js';
import { planScenario } from '../../plan.js';
import { loadScenario } from '../../scenario/load.js';
import { requireEngine } from './engine.js';
import { DockerBackend } from './index.js';
import { entersFromHere, LABEL_RUN } from './resources.js';
import { inSubnet } from './topology.js';

const q = (name: string, type: Query['type'] = 'A'): Query => ({ name, type, source: 'explicit' });


describe.skipIf(!!skipDocker)('docker backend', () => {
  // As root the run enters its pods' namespaces from this machine; a user of the docker group goes through the engine.
  it.each([
    { enter: 'from this machine', exec: false },
    { enter: 'through the engine (DNSPARITY_DOCKER_ENTER=exec)', exec: true },
  ])('realises the incident in internal networks only, entering its pods $enter: NXDOMAIN where egress is allowed, the VPC resolver after the stub timeout where it is not', async ({ exec }) => {
    const before = process.env.DNSPARITY_DOCKER_ENTER;
    if (exec) process.env.DNSPARITY_DOCKER_ENTER = 'exec';
    try {
      expect(entersFromHere()).toBe(!exec && process.getuid?.() === 0);
      await incident();
    } finally {
      if (before === undefined) delete process.env.DNSPARITY_DOCKER_ENTER;
      else process.env.DNSPARITY_DOCKER_ENTER = before;
    }
  });

  async function incident(): Promise<void> {
    const engine = await requireEngine();
    const plan = await planScenario(loadScenario('scenarios/incident-2024-11-05.yaml'));
    const signal = new AbortController().signal;
    let runId = '';
    {
      await using run = await new DockerBackend().start(plan, { signal });
      runId = run.runId;
      expect(run.backend).toBe('docker');

      // Every network of the run is internal and labelled; no container sits on the default bridge.
      const filters = JSON.stringify({ label: [`${LABEL_RUN}=${runId}`] });
      const networks = await engine.docker.listNetworks({ filters });
      expect(networks.length).toBeGreaterThanOrEqual(2);
      for (const n of networks) expect({ name: n.Name, internal: n.Internal }).toEqual({ name: n.Name, internal: true });
      const containers = await engine.docker.listContainers({ all: true, filters });
      expect(containers.length).toBeGreaterThan(0);
      for (const c of containers) {
        const info = await engine.docker.getContainer(c.Id).inspect();
        const mode = info.HostConfig.NetworkMode ?? '';
        const attached = Object.keys(info.NetworkSettings.Networks ?? {});
        expect(mode === 'bridge' || mode === 'default' || attached.includes('bridge'), `${c.Names[0]} on ${mode} ${attached}`).toBe(false);
        if (!mode.startsWith('container:')) for (const a of attached) expect(networks.map((n) => n.Name)).toContain(a);
      }

      const [prod, staging, preprod] = run.environments;
      const queries = [q('proxysql.internal.example.io'), q('www.example.io'), q('www.example.io', 'MX')];
      const [p, s, r] = (await Promise.all([prod!, staging!, preprod!].map((e) => e.probe(queries, { deadlines: { appMs: 6000, resolverMs: 4000 }, concurrency: 8, signal })))) as [QueryObservation[], QueryObservation[], QueryObservation[]];
      // Application layer, through the image's own getent: the verdict.
      expect(p[0]!.application!.outcome.status).toBe('not-found');
      expect(s[0]!.application!.outcome).toEqual({ status: 'answer', addresses: ['10.20.30.40'] });
      expect(s[0]!.application!.latencyMs).toBeGreaterThanOrEqual(1900); // the stub's 2 s timeout
      expect(r[0]!.application!.outcome).toEqual({ status: 'answer', addresses: ['10.20.30.40'] });
      // Resolver layer: the explanation. Dropped and rejected egress both leave unbound without an answer, as on netns.
      const local = (o: (typeof p)[number]) => o.resolver.find((x) => x.roles.includes('local-resolver'))!.outcome;
      expect(local(p[0]!)).toMatchObject({ status: 'response', rcode: 'NXDOMAIN' });
      expect(local(s[0]!)).toEqual({ status: 'timeout' });
      expect(local(r[0]!)).toEqual({ status: 'timeout' });
      // The provider's resolver answers at its scenario address in every environment.
      for (const o of [p[0]!, s[0]!, r[0]!]) {
        expect(o.resolver.find((x) => x.server === '169.254.169.253#53')!.outcome).toMatchObject({ status: 'response', rcode: 'NOERROR', answers: [{ type: 'A', data: '10.20.30.40' }] });
      }
      expect(p[1]!.application!.outcome).toEqual({ status: 'answer', addresses: ['203.0.113.80'] });
      // MX goes through the image's files with glibc's res_nsearch (the static helper): no MX there, as the local resolver says.
      expect(p[2]!.application!.outcome).toEqual({ status: 'not-found', code: 'NO_DATA' });
      expect(local(p[2]!)).toMatchObject({ status: 'response', rcode: 'NOERROR', answers: [] });
    }
    expect(await dockerLeftovers(runId)).toEqual([]);
  }

  it('rejects a config the image\'s unbound rejects, naming the scenario\'s file and line, with nothing left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dnsparity-test-'));
    const conf = join(dir, 'unbound.conf');
    writeFileSync(conf, 'server:\n    interface: 127.0.0.1\n    num-threads: lots\n');
    const text = readFileSync('scenarios/stub-zone-fix.yaml', 'utf8').replace('../fixtures/images/stub-zone-fix/unbound.conf', conf);
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, text.replaceAll('../fixtures/', `${process.cwd()}/fixtures/`).replace(/^  root: .*$/m, '  root: /'));
    const plan = await planScenario(loadScenario(file));
    const before = await dockerLeftovers();
    const err = await new DockerBackend().start(plan, { signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain(`${conf}:3`);
    expect(await dockerLeftovers()).toEqual(before);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs two runs of one scenario side by side, each with the incident\'s results, no scenario address on this machine, and nothing left', async () => {
    const engine = await requireEngine();
    const plan = await planScenario(loadScenario('scenarios/incident-2024-11-05.yaml'));
    const signal = new AbortController().signal;
    const lines: string[] = [];
    const scenarioAddresses = [...plan.internet.addresses, plan.internet.provider.address];
    const runIds: string[] = [];
    {
      // Both start at once, as two processes or two scenarios of run --jobs would; neither waits for the other.
      const started = await Promise.allSettled([0, 1].map(() => new DockerBackend((l) => lines.push(l)).start(plan, { signal })));
      await using a = started[0]!.status === 'fulfilled' ? started[0]!.value : undefined;
      await using b = started[1]!.status === 'fulfilled' ? started[1]!.value : undefined;
      for (const x of started) if (x.status === 'rejected') throw x.reason;
      const runs = [a!, b!];
      runIds.push(...runs.map((r) => r.runId));
      expect(runIds[0]).not.toBe(runIds[1]);
      expect(lines.filter((l) => /wait/i.test(l))).toEqual([]);

      for (const run of runs) {
        const networks = await engine.docker.listNetworks({ filters: JSON.stringify({ label: [`${LABEL_RUN}=${run.runId}`] }) });
        expect(networks.map((n) => n.Name).sort()).toEqual([`dnsparity-${run.runId}-internet`, `dnsparity-${run.runId}-provider`]);
        for (const n of networks) {
          const info = (await engine.docker.getNetwork(n.Id).inspect()) as { Internal: boolean; IPAM: { Config: { Subnet: string }[] } };
          expect(info.Internal).toBe(true);
          // The engine's subnet, never one that holds a scenario address: this machine's side of the bridge stays clear of them.
          const subnet = info.IPAM.Config[0]!.Subnet;
          for (const addr of scenarioAddresses) expect(inSubnet(addr, subnet), `${n.Name} (${subnet}) holds ${addr}`).toBe(false);
        }
      }
      // Nothing of the simulated Internet on this machine: no address, no route (only other runs' older bridges could hold one).
      const ours = new Set<string>();
      for (const run of runs) for (const n of await engine.docker.listNetworks({ filters: JSON.stringify({ label: [`${LABEL_RUN}=${run.runId}`] }) })) ours.add(`br-${n.Id.slice(0, 12)}`);
      const machine = [execFileSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' }), execFileSync('ip', ['-4', '-o', 'addr', 'show'], { encoding: 'utf8' })].join('\n').split('\n');
      const onOurs = machine.filter((l) => [...ours].some((br) => l.includes(br)));
      expect(onOurs.length).toBeGreaterThan(0);
      for (const l of onOurs) for (const addr of scenarioAddresses) expect(inSubnet(addr, l.match(/(\d+\.\d+\.\d+\.\d+\/\d+)/)?.[1] ?? `${l.match(/(\d+\.\d+\.\d+\.\d+)/)?.[1]}/32`), l).toBe(false);

      const queries = [q('proxysql.internal.example.io'), q('www.example.io')];
      const results = await Promise.all(runs.flatMap((run) => run.environments.map((e) => e.probe(queries, { deadlines: { appMs: 6000, resolverMs: 4000 }, concurrency: 8, signal }).then((o) => [run.runId, e.name, o] as const))));
      const local = (o: QueryObservation) => o.resolver.find((x) => x.roles.includes('local-resolver'))!.outcome;
      for (const run of runs) {
        const of = (env: string) => results.find(([id, name]) => id === run.runId && name === env)![2];
        const [p, s, r] = [of('production'), of('staging'), of('preprod')];
        // The incident, in each run alike: NXDOMAIN where egress is allowed, the VPC resolver's answer where it is not.
        expect(p[0]!.application!.outcome.status).toBe('not-found');
        expect(local(p[0]!)).toMatchObject({ status: 'response', rcode: 'NXDOMAIN' });
        expect(p[1]!.application!.outcome).toEqual({ status: 'answer', addresses: ['203.0.113.80'] });
        expect(s[0]!.application!.outcome).toEqual({ status: 'answer', addresses: ['10.20.30.40'] });
        expect(local(s[0]!)).toEqual({ status: 'timeout' });
        expect(r[0]!.application!.outcome).toEqual({ status: 'answer', addresses: ['10.20.30.40'] });
        expect(await run.leaks!()).toEqual([]);
      }
    }
    for (const id of runIds) expect(await dockerLeftovers(id)).toEqual([]);
  }, 180_000);

  it('runs beside a network that holds the simulated Internet\'s subnet (a killed run\'s of an older layout), neither waiting for it nor touching it', async () => {
    const engine = await requireEngine();
    const dead = spawnSync('true').pid!; // a process that has exited: the killed run's owner
    const net = await engine.docker.createNetwork({
      Name: 'dnsparity-dead01-internet',
      Driver: 'bridge',
      Internal: true,
      Labels: { dnsparity: '1', [LABEL_RUN]: 'dead01', 'dnsparity.pid': String(dead) },
      IPAM: { Driver: 'default', Config: [{ Subnet: '198.51.100.0/24' }] },
    });
    const lines: string[] = [];
    try {
      const plan = await planScenario(loadScenario('scenarios/stub-zone-fix.yaml'));
      let runId = '';
      {
        await using run = await new DockerBackend((l) => lines.push(l)).start(plan, { signal: new AbortController().signal });
        runId = run.runId;
        expect(run.environments.length).toBeGreaterThan(0);
      }
      expect(lines.filter((l) => /wait|removed/i.test(l))).toEqual([]);
      expect(await dockerLeftovers(runId)).toEqual([]);
      // What a killed run left is "dnsparity cleanup"'s to remove, or the next run's when the engine's pools run out.
      expect(await dockerLeftovers('dead01')).toEqual(['network dnsparity-dead01-internet']);
    } finally {
      await net.remove().catch(() => undefined);
    }
  });

  it('tears down when aborted during set-up, once it has made something', async () => {
    const plan = await planScenario(loadScenario('scenarios/stub-zone-fix.yaml'));
    const ac = new AbortController();
    const before = await dockerLeftovers();
    const starting = new DockerBackend().start(plan, { signal: ac.signal });
    // Abort as soon as the run has a network or a container on the engine: set-up is under way, not over.
    let made: string[] = [];
    for (let i = 0; i < 3000 && made.length === 0; i++) {
      made = (await dockerThings((t) => t.ownerPid === process.pid)).filter((l) => !before.includes(l));
      if (made.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(made.length, 'the run made nothing to tear down').toBeGreaterThan(0);
    ac.abort(new Error('test abort'));
    const result = await starting.then(
      async (run) => {
        await run[Symbol.asyncDispose]();
        return 'started';
      },
      (e: Error) => e.message,
    );
    // The abort landed during set-up: start() rejects with it, and what it had made is gone.
    expect(result).toBe('test abort');
    expect(await dockerLeftovers()).toEqual(before);
  });

});
