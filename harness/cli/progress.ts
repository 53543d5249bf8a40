// A one-line progress display on standard error, for a person at a terminal:
// "⠹ incident-2024-11-05 (1/4): probing 3 environments… 3.2 s". Drawn only on
// a TTY, and only once a phase has lasted a moment; cleared before results
// are printed. Nothing at all reaches a pipe or a file.

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const DELAY_MS = 400;
const TICK_MS = 100;

export class Progress {
  private text = '';
  private since = 0;
  private frame = 0;
  private drawn = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly stream: NodeJS.WritableStream & { isTTY?: boolean }) {}

  get enabled(): boolean {
    return !!this.stream.isTTY;
  }

  /** What is happening now; the clock restarts with each scenario, not each phase. */
  set(text: string, restartClock = false): void {
    if (!this.enabled) return;
    this.text = text;
    if (restartClock || this.since === 0) this.since = Date.now();
    this.timer ??= setInterval(() => this.draw(), TICK_MS).unref();
  }

  private draw(): void {
    const elapsed = Date.now() - this.since;
    if (elapsed < DELAY_MS) return;
    const width = (this.stream as { columns?: number }).columns || 100; // 0 on a terminal of unknown size
    const line = `${FRAMES[this.frame++ % FRAMES.length]} ${this.text}… ${(elapsed / 1000).toFixed(1)} s`;
    this.stream.write(`\r\x1b[K${line.slice(0, Math.max(10, width - 1))}`);
    this.drawn = true;
  }

  /** Removes the line, so what follows prints on a clean line. */
  clear(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
    this.since = 0;
  }
}
