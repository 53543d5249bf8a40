// Where a docker run's time goes, on stderr when DNSPARITY_TRACE is set.
/**
 * Times the steps of a docker run on stderr when DNSPARITY_TRACE is set, as
 * the netns backend times its phases. The steps overlap (containers start side
 * by side), so each line gives the step's own time and when it ended, counted
 * from the start of the set-up.
 */
export type Span = <T>(what: string, step: () => Promise<T>) => Promise<T>;

export function spans(label: string, t0 = performance.now()): Span {
  if (!process.env.DNSPARITY_TRACE) return (_what, step) => step();
  return async (what, step) => {
    const t = performance.now();
    try {
      return await step();
    } finally {
      const now = performance.now();
      process.stderr.write(`[trace] ${label} ${what}: ${Math.round(now - t)} ms (ends at ${Math.round(now - t0)} ms)\n`);
    }
  };
}
