// The example musl candidate image (containers/candidate-musl) on the docker
// backend: built FROM scratch with the static musl stub-lookup helper as its
// getent, and probed as any candidate image is, so its application layer is
// musl's getaddrinfo with musl's stub resolver.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { dockerLeftovers, skipDocker } from '../../../test/env.js';
import type { Query, QueryObservation } from '../../model.js';
import { planScenario } from '../../plan.js';
import { nativeHelperPath } from '../../probe/native.js';
import { loadScenario } from '../../scenario/load.js';
import { InputError } from '../../errors.js';
import { requireEngine } from './engine.js';
import { DockerBackend, imageFileReader } from './index.js';
import { buildMuslCandidate } from './images.js';

const muslMissing = (() => {
  try {
    nativeHelperPath('musl');
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
})();
if (muslMissing) console.warn(`SKIPPED musl candidate image test: ${muslMissing}`);

const q = (name: string): Query => ({ name, type: 'A', source: 'explicit', library: 'musl' });

describe.skipIf(!!skipDocker || !!muslMissing)('the example musl candidate image', () => {
  it("answers through musl's stub, which asks every nameserver at once: no wait for the local resolver's timeout", async () => {
    const engine = await requireEngine();
    const tag = `dnsparity-test/candidate-musl:${process.pid}`;
    let runId = '';
    try {
      await buildMuslCandidate(engine, tag, 'fixtures/images/incident/unbound.conf', 'fixtures/stub/resolv.conf');
      // Its getent is musl's getaddrinfo: musl gives STREAM and DGRAM only, glibc's getent adds a RAW line.
      const out = execFileSync('docker', ['run', '--rm', '--network', 'none', '--entrypoint', '/usr/bin/getent', tag, 'ahostsv4', 'localhost'], { encoding: 'utf8' });
      expect(out).toBe('127.0.0.1       STREAM localhost\n127.0.0.1       DGRAM  \n');

      const scenario = loadScenario('fixtures/scenarios/candidate-image.yaml');
      const signal = new AbortController().signal;
      // Tested as if with glibc, the image would get a verdict that is not its own: the run refuses, naming the field.
      const unnamed = await planScenario({ ...scenario, image: tag }, { imageFile: imageFileReader() });
      const refused = await new DockerBackend().start(unnamed, { signal }).then(() => undefined, (x: unknown) => x);
      expect(refused).toBeInstanceOf(InputError);
      expect((refused as InputError).message).toContain('stub.libraries: image');
      expect((refused as InputError).message).toContain('resolves names with musl, not glibc');
      const plan = await planScenario({ ...scenario, image: tag, stub: { ...scenario.stub, libraries: ['musl'] } }, { imageFile: imageFileReader() });
      {
        await using run = await new DockerBackend().start(plan, { signal });
        runId = run.runId;
        const staging = run.environments.find((e) => e.name === 'staging')!;
        const [o] = (await staging.probe([q('proxysql.internal.example.io')], { deadlines: { appMs: 6000, resolverMs: 4000 }, concurrency: 2, signal })) as QueryObservation[];
        // The local unbound cannot reach the Internet (egress drop) and stays silent...
        expect(o!.resolver.find((x) => x.roles.includes('local-resolver'))!.outcome).toEqual({ status: 'timeout' });
        // ...yet the answer is the provider's, well before the stub's 2 s timeout (timeout:2 in the
        // baked resolv.conf): glibc waits that timeout out (docker.integration.test.ts), musl asked both at once.
        expect(o!.application!.outcome).toEqual({ status: 'answer', addresses: ['10.20.30.40'] });
        expect(o!.application!.latencyMs).toBeLessThan(1900);
      }
      expect(await dockerLeftovers(runId)).toEqual([]);
    } finally {
      await engine.docker
        .getImage(tag)
        .remove({ force: true })
        .catch(() => undefined);
    }
  });
});
