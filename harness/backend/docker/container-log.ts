// A container's log read a piece at a time, as LogReader reads a process's
// log file on netns: each read returns the whole lines written since the
// previous one. The engine is asked for the whole log each time and the
// lines already read are skipped: the log of a traced run is a few
// megabytes at most (tracing stops above TRACE_MAX_QUERIES), and line
// counts, unlike timestamps, cannot skip or repeat a line.
import type { Engine } from './engine.js';
import { demux } from './resources.js';

export class ContainerLog {
  private lines = 0;
  constructor(
    private readonly engine: Engine,
    private readonly container: string,
  ) {}

  async next(): Promise<string> {
    const buf = (await this.engine.docker.getContainer(this.container).logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    const text = demux(buf);
    // Whole lines only: a line still being written is read next time.
    const all = text.slice(0, text.lastIndexOf('\n') + 1).split('\n').slice(0, -1);
    const fresh = all.slice(this.lines);
    this.lines = all.length;
    return fresh.length ? `${fresh.join('\n')}\n` : '';
  }
}
