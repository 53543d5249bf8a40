// report.json as data: the shape a run writes (documented by
// schema/report.schema.json) and its reading back, checked against that
// schema, for "dnsparity report" and "dnsparity merge".
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as AjvModule from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { BaselineSummary } from '../baseline.js';
import { InputError } from '../errors.js';
import { REPORT_VERSION, type ScenarioResult } from '../run.js';
import type { Shard } from '../shard.js';
import type { RunError, RunSummary } from './types.js';

export interface StoredReport {
  readonly dnsparity: { readonly reportVersion: number; readonly version: string };
  readonly generatedAt: string;
  readonly exitCode: number;
  readonly wallMs: number;
  readonly verdict: 'pass' | 'fail' | 'error';
  readonly shard?: Shard;
  readonly jobs?: number;
  readonly sources?: readonly string[];
  readonly baseline?: BaselineSummary;
  readonly errors: readonly RunError[];
  readonly scenarios: readonly ScenarioResult[];
}

/** A file at the package root, found from the sources (tests) and from dist/ alike. */
function packageFile(rel: string): string {
  for (const up of ['../../', '../../../']) {
    const p = fileURLToPath(new URL(up + rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error(`${rel} not found in the package`);
}

export const schemaPath = (): string => packageFile('schema/report.schema.json');

let validator: ValidateFunction | undefined;
function validate(): ValidateFunction {
  // Loaded on first use, as only report, merge and --baseline read a report back.
  const { Ajv } = createRequire(import.meta.url)('ajv') as typeof AjvModule;
  validator ??= new Ajv({ allErrors: false, strict: true }).compile(JSON.parse(readFileSync(schemaPath(), 'utf8')) as object);
  return validator;
}

/** Checks a parsed report against the schema; the first problem, in words, or undefined. */
export function schemaProblem(data: unknown): { path: string; message: string } | undefined {
  const v = validate();
  if (v(data)) return undefined;
  const e = v.errors![0] as ErrorObject;
  const extra = e.keyword === 'additionalProperties' ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"` : e.keyword === 'enum' ? `: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` : '';
  return { path: e.instancePath || '/', message: `${e.message ?? 'invalid'}${extra}` };
}

export function readReport(file: string): StoredReport {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new InputError({ file }, err.code ? `cannot read the report: ${err.code}` : `not JSON: ${err.message}`, 'give a report.json written by dnsparity run --reporter json');
  }
  const version = (data as { dnsparity?: { reportVersion?: unknown } } | null)?.dnsparity?.reportVersion;
  if (version !== REPORT_VERSION) {
    throw new InputError({ file, field: 'dnsparity.reportVersion' }, `expected report version ${REPORT_VERSION}, got ${JSON.stringify(version)}`, 'produce it again with this version of dnsparity');
  }
  const problem = schemaProblem(data);
  if (problem) throw new InputError({ file, field: problem.path }, `does not match schema/report.schema.json: ${problem.message}`, 'give a report.json written by dnsparity run --reporter json');
  return data as StoredReport;
}

const PACKAGE_VERSION = (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }).version;

export function toStored(summary: RunSummary): StoredReport {
  return {
    dnsparity: { reportVersion: REPORT_VERSION, version: PACKAGE_VERSION },
    generatedAt: summary.generatedAt ?? new Date().toISOString(),
    exitCode: summary.exitCode,
    wallMs: summary.wallMs,
    verdict: summary.exitCode === 0 ? 'pass' : summary.exitCode === 1 ? 'fail' : 'error',
    ...(summary.shard ? { shard: summary.shard } : {}),
    ...(summary.jobs ? { jobs: summary.jobs } : {}),
    ...(summary.sources ? { sources: summary.sources } : {}),
    ...(summary.baseline ? { baseline: summary.baseline } : {}),
    errors: summary.errors,
    scenarios: summary.results,
  };
}
