// The hook a resolver kind implements to propose its own fix for the
// incident's shape: private zones that only the provider's resolver serves,
// routed to it in the resolver's own config language. The harness applies the
// change to a copy of the config, runs the scenario again and reports the
// diff with the verdict it got (harness/suggest-fix.ts); a resolver kind only
// says what to change. A kind without a suggester gets no suggestion.
import { unboundFix } from './unbound-fix.js';

/** A config as the plan holds it: the main file and every file it includes. */
export interface ConfigFiles {
  readonly main: string;
  readonly files: readonly { readonly path: string; readonly text: string }[];
}

export interface FixTarget {
  /** Private zones (origins, lower case, no trailing dot) whose names resolve differently. */
  readonly zones: readonly string[];
  /** The provider's resolver, which serves them. */
  readonly provider: string;
}

export type FixProposal<C extends ConfigFiles> =
  | {
      readonly ok: true;
      /** The config with the change: a copy; the original is not touched. */
      readonly config: C;
      /** The zones the change routes (those of the target it could route). */
      readonly zones: readonly string[];
      /** One line: what the change does. */
      readonly summary: string;
    }
  | { readonly ok: false; readonly why: string };

export interface FixSuggester<C extends ConfigFiles = ConfigFiles> {
  suggestFix(config: C, target: FixTarget): FixProposal<C>;
}

/** Suggesters by resolver kind (resolver.kind). */
export const FIX_SUGGESTERS: Readonly<Record<string, FixSuggester>> = {
  unbound: unboundFix,
};
