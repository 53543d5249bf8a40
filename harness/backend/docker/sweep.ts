// "dnsparity cleanup" for the docker backend: removes containers and
// networks labelled dnsparity whose run is over and whose owner process is
// gone (what a killed run leaves). Nothing unlabelled is ever looked at, and
// nothing of a live run is touched.
import { processAlive } from '../../run-state.js';
import { dockerMessage, engineState } from './engine.js';
import { listLabelled } from './resources.js';

export async function sweepDocker(liveRuns: ReadonlySet<string>): Promise<{ containers: string[]; networks: string[]; errors: string[] }> {
  const out = { containers: [] as string[], networks: [] as string[], errors: [] as string[] };
  const s = await engineState();
  if (!s.ok) return out;
  const stale = (await listLabelled(s.engine)).filter((t) => !liveRuns.has(t.runId) && !processAlive(t.ownerPid));
  const remove = async (kind: 'container' | 'network') => {
    await Promise.all(
      stale
        .filter((t) => t.kind === kind)
        .map(async (t) => {
          try {
            await (kind === 'container' ? s.engine.docker.getContainer(t.id).remove({ force: true, v: true }) : s.engine.docker.getNetwork(t.id).remove());
            (kind === 'container' ? out.containers : out.networks).push(t.name);
          } catch (e) {
            if ((e as { statusCode?: number }).statusCode !== 404) out.errors.push(`${kind} ${t.name}: ${dockerMessage(e)}`);
          }
        }),
    );
  };
  await remove('container'); // a network is removable once nothing is attached
  await remove('network');
  return out;
}
