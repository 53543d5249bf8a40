// How far the resolver's upstream queries are traced. At log verbosity 4
// unbound writes kilobytes per name, so above this many queries a run does
// not raise it, and explanations give the stub path alone and say why. Kept
// apart from plan.ts so that explain/ (which a stored report is rendered
// with) reads it without loading the plan's file readers.
export const TRACE_MAX_QUERIES = 200;

/** Whether a run of this many queries traces the resolver's upstream queries. */
export const tracesUpstream = (queries: number): boolean => queries <= TRACE_MAX_QUERIES;
