// Typed errors that carry what a person needs to act on them: where (file,
// line, field), what was expected, and how to fix it. The CLI prints one line
// per error and maps each kind to an exit code.

export const EXIT = {
  parity: 0,
  difference: 1,
  couldNotRun: 2,
  interrupted: 130,
  terminated: 143,
} as const;

export interface Location {
  file: string;
  line?: number;
  field?: string;
}

export abstract class DnsparityError extends Error {
  abstract readonly kind: 'input' | 'prerequisite' | 'backend' | 'interrupted';
  readonly hint: string | undefined;
  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.hint = hint;
    this.name = new.target.name;
  }
  /** One line for the terminal: what went wrong, then how to fix it. */
  oneLine(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

/** The user's input is wrong: scenario, zone, resolver config, CLI flags. */
export class InputError extends DnsparityError {
  readonly kind = 'input' as const;
  readonly location: Location | undefined;
  constructor(location: Location | undefined, message: string, hint?: string) {
    super(InputError.format(location, message), hint);
    this.location = location;
  }
  static format(loc: Location | undefined, message: string): string {
    if (!loc) return message;
    const where = loc.line !== undefined ? `${loc.file}:${loc.line}` : loc.file;
    return loc.field ? `${where}: ${loc.field}: ${message}` : `${where}: ${message}`;
  }
}

/** Something the machine lacks: a binary, root, a kernel feature, an engine. */
export class PrerequisiteError extends DnsparityError {
  readonly kind = 'prerequisite' as const;
}

/** The backend failed while realising or probing environments. */
export class BackendError extends DnsparityError {
  readonly kind = 'backend' as const;
}

export class InterruptedError extends DnsparityError {
  readonly kind = 'interrupted' as const;
  readonly signal: NodeJS.Signals;
  constructor(signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
    this.signal = signal;
  }
}

/** Trim a process's stderr to its last few lines, for error messages. */
export function tail(text: string | undefined, lines = 6): string {
  if (!text) return '';
  const all = text.trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}
