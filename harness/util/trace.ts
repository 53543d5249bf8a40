// Phase timings on stderr when DNSPARITY_TRACE is set: where set-up time goes.
export function tracer(label: string): (phase: string) => void {
  if (!process.env.DNSPARITY_TRACE) return () => undefined;
  let last = performance.now();
  return (phase) => {
    const now = performance.now();
    process.stderr.write(`[trace] ${label} ${phase}: ${Math.round(now - last)} ms\n`);
    last = now;
  };
}
