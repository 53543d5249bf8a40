// The Docker engine as the docker backend reaches it: through testcontainers'
// runtime client (dockerode underneath). testcontainers' reaper (Ryuk) is an
// image pulled from a registry, which sandboxes and offline pipelines do not
// have; the harness labels everything it creates and removes it itself.
import type Dockerode from 'dockerode';
import { getContainerRuntimeClient, type ContainerRuntimeClient } from 'testcontainers';
import { PrerequisiteError } from '../../errors.js';

process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';

const ANSWER_TIMEOUT_MS = 10_000;

export interface Engine {
  readonly client: ContainerRuntimeClient;
  readonly docker: Dockerode;
  readonly version: string;
}

export type EngineState = { readonly ok: true; readonly engine: Engine } | { readonly ok: false; readonly reason: string };

let cached: Promise<EngineState> | undefined;

async function connect(): Promise<EngineState> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<EngineState>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `no answer within ${ANSWER_TIMEOUT_MS / 1000} s` }), ANSWER_TIMEOUT_MS);
    timer.unref();
  });
  const attempt = (async (): Promise<EngineState> => {
    try {
      const client = await getContainerRuntimeClient();
      return { ok: true, engine: { client, docker: client.container.dockerode, version: String(client.info.containerRuntime.serverVersion) } };
    } catch (e) {
      const socket = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
      return { ok: false, reason: `no Docker engine answers at ${socket} (${(e as Error).message})` };
    }
  })();
  const state = await Promise.race([attempt, timeout]);
  clearTimeout(timer);
  return state;
}

/** Whether an engine answers; asked once per process (a failed answer is asked again). */
export async function engineState(): Promise<EngineState> {
  cached ??= connect();
  const s = await cached;
  if (!s.ok) cached = undefined;
  return s;
}

export async function requireEngine(): Promise<Engine> {
  const s = await engineState();
  if (s.ok) return s.engine;
  throw new PrerequisiteError(`the docker backend needs a Docker engine: ${s.reason}`, 'install docker.io and start dockerd, or use --backend netns; "dnsparity doctor" says more');
}

/** The message of a Docker API error, without dockerode's HTTP preamble. */
export function dockerMessage(e: unknown): string {
  const err = e as { json?: { message?: string }; reason?: string; message?: string };
  return err.json?.message ?? err.message ?? String(e);
}
