// Reporters by name, as --reporter takes them.
import { InputError } from '../errors.js';
import { HtmlReporter } from './html.js';
import { JsonReporter } from './json.js';
import { JunitReporter } from './junit.js';
import { MarkdownReporter } from './markdown.js';
import { PrettyReporter } from './pretty.js';
import type { Reporter, ReporterContext } from './types.js';

export const REPORTERS: Record<string, (ctx: ReporterContext) => Reporter> = {
  pretty: (ctx) => new PrettyReporter(ctx),
  json: (ctx) => new JsonReporter(ctx),
  junit: (ctx) => new JunitReporter(ctx),
  markdown: (ctx) => new MarkdownReporter(ctx),
  html: (ctx) => new HtmlReporter(ctx),
};

export function makeReporters(names: readonly string[], ctx: ReporterContext): Reporter[] {
  return [...new Set(names)].map((n) => {
    const make = REPORTERS[n];
    if (!make) throw new InputError({ file: 'command line', field: '--reporter' }, `unknown reporter "${n}"`, `expected one of ${Object.keys(REPORTERS).join(', ')}`);
    return make(ctx);
  });
}
