// The scenario format: what a YAML file under scenarios/ may say. The zod
// schema is the single source of both validation and the TypeScript types.
import { isIPv4 } from 'node:net';
import { z } from 'zod';
import { DIFFERENCE_CLASSES, QUERY_TYPES } from '../model.js';
import { RESOLVER_KINDS } from '../resolver/kinds.js';
import { STUB_LIBRARIES } from '../resolver/search.js';
import { toALabels } from './idn.js';

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/i;

/** A name written in Unicode becomes its A-labels; one that cannot is refused with the reason. */
const aLabels = (s: string, ctx: z.RefinementCtx<string>): string => {
  const c = toALabels(s);
  if (c.ok) return c.name;
  ctx.addIssue({ code: 'custom', message: `"${s}" cannot be converted to A-labels: ${c.reason}` });
  return z.NEVER;
};

export const domainName = z
  .string()
  .trim()
  .transform((s) => s.replace(/\.$/, '').toLowerCase())
  .transform(aLabels)
  .refine((s) => s.length > 0 && s.length <= 253 && s.split('.').every((l) => LABEL.test(l)), {
    message: 'expected a domain name such as "www.example.io"',
  });

/**
 * A name as an application asks it: a short name is completed through the
 * search list; a trailing dot (kept) makes it absolute, asked only as it is.
 */
export const queryName = z
  .string()
  .trim()
  .transform((s) => s.toLowerCase())
  .transform((s, ctx) => (s.endsWith('.') ? `${aLabels(s.slice(0, -1), ctx)}.` : aLabels(s, ctx)))
  .refine((s) => {
    const bare = s.replace(/\.$/, '');
    return bare.length > 0 && bare.length <= 253 && bare.split('.').every((l) => LABEL.test(l));
  }, { message: 'expected a domain name such as "www.example.io", a short name such as "proxysql", or an absolute one such as "www.example.io."' });

/** A name, or a leading "*." meaning any name below the rest. */
const namePattern = z
  .string()
  .trim()
  .transform((s) => s.replace(/\.$/, '').toLowerCase())
  .transform((s, ctx) => (s.startsWith('*.') ? `*.${aLabels(s.slice(2), ctx)}` : aLabels(s, ctx)))
  .refine((s) => {
    const rest = s.startsWith('*.') ? s.slice(2) : s;
    return rest.length > 0 && rest.split('.').every((l) => LABEL.test(l));
  }, { message: 'expected a domain name, or "*." followed by one, such as "*.example.io"' });

const ipv4 = z.string().refine((s) => isIPv4(s), { message: 'expected an IPv4 address such as 192.0.2.1' });

export const ENV_NAME = /^[a-z][a-z0-9-]{0,23}$/;
const envName = z.string().regex(ENV_NAME, {
  message: 'expected a short lower-case name (letters, digits, dashes; at most 24 characters) such as "production"',
});

/**
 * A zone as users have it: an RFC 1035 master file, the JSON of
 * `aws route53 list-resource-record-sets` (file + format: route53), or
 * master-file lines inline (records:, $ORIGIN the zone's). Exactly one of
 * file and records.
 */
const zone = z.strictObject({
  origin: domainName.describe('the zone apex, such as internal.example.io'),
  file: z.string().min(1).optional().describe('an RFC 1035 master file (or, with format: route53, Route 53 JSON), relative to the scenario'),
  format: z.enum(['master', 'route53'], { message: 'expected master (an RFC 1035 master file) or route53 (the JSON of aws route53 list-resource-record-sets)' }).optional(),
  records: z.array(z.string({ message: 'expected a master-file line such as "www 300 IN A 192.0.2.1"' })).min(1, { message: 'expected at least one record' }).optional().describe('master-file lines, relative to the zone origin'),
});

/** A round trip added to every exchange with a server, in milliseconds (the network's, not the server's). */
const rttMs = z.number({ message: 'expected a number of milliseconds' }).refine(Number.isInteger, { message: 'expected a whole number of milliseconds' }).min(0, { message: 'expected 0 or more milliseconds' }).max(30_000, { message: 'expected at most 30000 ms (a round trip longer than any stub waits)' });
/** The share of packets (each way) a server's network loses. */
const lossPercent = z.number({ message: 'expected a percentage' }).min(0, { message: 'expected a percentage from 0 to 100' }).max(100, { message: 'expected a percentage from 0 to 100' });

/** A zone of the simulated Internet: signed with the run's keys unless the scenario says not. */
const publicZone = zone.extend({
  signed: z.boolean().default(true).describe('false serves the zone unsigned, an insecure delegation from its signed parent'),
  rttMs: rttMs.optional().describe("overrides network.public.rttMs for this zone's servers: a slow authoritative server"),
  lossPercent: lossPercent.optional().describe("packets to and from this zone's servers that are lost: a lossy authoritative server"),
});

/** A recursive resolver of the simulated Internet (8.8.8.8 and the like): it recurses from the simulated root. */
const publicResolver = z.strictObject({
  address: ipv4.describe('the address it answers at, such as 8.8.8.8'),
});

const queryType = z.enum(QUERY_TYPES, { message: `expected one of ${QUERY_TYPES.join(', ')}` });

const explicitQuery = z.union(
  [queryName, z.strictObject({ name: queryName, type: queryType.default('A') })],
  { message: 'expected a domain name, or { name, type }' },
);

const querySource = z.enum(['explicit', 'private-zone', 'public-zone']);

export const scenarioSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, { message: 'expected letters, digits, dots, dashes or underscores' }).optional(),
  description: z.string().optional(),
  backend: z.enum(['auto', 'netns', 'docker']).default('auto'),
  image: z.string().min(1).optional(),
  resolver: z.strictObject({
    kind: z.enum(RESOLVER_KINDS, { message: `expected one of ${RESOLVER_KINDS.join(', ')}` }).default('unbound'),
    /** Required unless the scenario names an image, whose own config is used then. */
    config: z.string().min(1).describe("the image's resolver config (unbound.conf for unbound), used as it is").optional(),
    configRoot: z.string().min(1).optional().describe("the directory standing for the image's config directory (/etc/unbound for unbound), against which include paths resolve; default: the config file's directory"),
  }),
  stub: z
    .strictObject({
      /** Required unless the scenario names an image, whose own resolv.conf is used then. */
      resolvConf: z.string().min(1).describe("the image's resolv.conf").optional(),
      /**
       * The application layer runs once per library, each compared with the
       * reference under the same library. Unset: glibc (on docker, an image
       * whose C library is not glibc must name it).
       */
      libraries: z
        .array(z.enum(STUB_LIBRARIES, { message: `expected one of ${STUB_LIBRARIES.join(', ')}` }))
        .min(1, { message: 'expected at least one stub library' })
        .refine((xs) => new Set(xs).size === xs.length, { message: 'each library at most once' })
        .optional(),
    })
    .default({}),
  network: z.strictObject({
    provider: z.strictObject({
      address: ipv4.default('169.254.169.253'),
      zones: z.array(zone).default([]),
      rttMs: rttMs.optional().describe("a round trip added to every exchange with the provider's resolver"),
    }),
    public: z.strictObject({
      zones: z.array(publicZone).default([]),
      rttMs: rttMs.optional().describe('a round trip added to every exchange with a server of the simulated Internet'),
    }).default({ zones: [] }),
    publicResolvers: z.array(publicResolver).default([]),
    /** Dual stack: every server of the simulated Internet also gets an address from 2001:db8::/32. */
    ipv6: z.boolean().default(false),
  }),
  environments: z
    .array(
      z.strictObject({
        name: envName,
        description: z.string().optional(),
        egress: z.enum(['allow', 'drop', 'reject'], { message: 'expected allow, drop or reject' }),
        /** IPv6 egress, with network.ipv6; default: the same as egress. */
        egress6: z.enum(['allow', 'drop', 'reject'], { message: 'expected allow, drop or reject' }).optional(),
        provider: z.enum(['reachable', 'drop', 'reject'], { message: 'expected reachable, drop or reject' }).default('reachable'),
        reference: z.boolean().default(false),
      }),
    )
    .min(2, { message: 'expected at least two environments to compare' }),
  queries: z
    .strictObject({
      names: z.array(explicitQuery).default([]),
      /** One "name [TYPE]" a line, # comments: the names an application really resolves. */
      file: z.string().min(1).optional().describe('a names file, relative to the scenario'),
      privateZones: z.boolean().default(false),
      publicZones: z.boolean().default(false),
    })
    .default({ names: [], privateZones: false, publicZones: false }),
  expect: z
    .strictObject({
      /** Default: half the stub's timeout, which no fallback's wait (whole timeouts) can sit on. */
      latencyThresholdMs: z.number().int().positive().optional(),
      differences: z
        .array(
          z.strictObject({
            name: namePattern.optional(),
            source: querySource.optional(),
            type: queryType.optional(),
            library: z.enum(STUB_LIBRARIES).optional(),
            environment: envName.optional(),
            class: z.enum(DIFFERENCE_CLASSES, { message: `expected one of ${DIFFERENCE_CLASSES.join(', ')}` }).optional(),
            reason: z.string().min(1, { message: 'say why this difference is expected' }),
          }),
        )
        .default([]),
      answers: z
        .array(
          z
            .strictObject({
              name: queryName,
              type: queryType.default('A'),
              environment: envName.optional(),
              addresses: z.array(z.string()).min(1).optional(),
              outcome: z.enum(['answer', 'not-found', 'failure']).optional(),
            })
            .refine((a) => a.addresses !== undefined || a.outcome !== undefined, {
              message: 'expected "addresses" or "outcome"',
            }),
        )
        .default([]),
    })
    .default({ differences: [], answers: [] }),
  /**
   * The directory tree every file the scenario makes the harness read must lie
   * in (zones and their $INCLUDEs, the resolver config and its includes,
   * resolv.conf), relative to the scenario file; default: the scenario's own directory.
   */
  files: z.strictObject({ root: z.string().min(1).describe('a directory, relative to the scenario file') }).optional(),
  /** Opting into the real Internet is possible only here, and tests never set it. */
  allowRealInternet: z.literal(false, { message: 'the real Internet is not supported; remove this field' }).optional(),
});

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ScenarioData = z.output<typeof scenarioSchema>;
export type EnvironmentData = ScenarioData['environments'][number];
export type ZoneRef = z.output<typeof zone>;
export type PublicZoneRef = z.output<typeof publicZone>;
export type PublicResolverRef = z.output<typeof publicResolver>;
export type ExpectedDifference = ScenarioData['expect']['differences'][number];
export type ExpectedAnswer = ScenarioData['expect']['answers'][number];
