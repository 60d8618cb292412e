// Records as a probe gives them and as the store holds them: a measurement as probed (what
// packages/probes returns), as stored (a row of the measurements table), a stored TLS observation and a
// stored detention report with its news items. The store's row types are these types, so a column added
// on one side is a compile error on the other.
import { z } from 'zod'
import { asnSchema, countSchema, jsonObject, nameText } from './bounds.js'
import { MAX_DURATION_MS } from './ingest.js'
import { PROBE_KINDS, type ProbeKind } from './vocabulary.js'

// An OONI failure string (`connection_reset`, `unknown_failure: ...`); a probe bounds the free part.
const failureString = () => z.string().min(1).max(1_000)

/**
 * One probe's result as packages/probes returns it: `ok` exactly when `failure` is null, `durationMs`
 * from the probe's start (milliseconds, at most a day), `startedAt` the vantage's clock at the start,
 * `details` the kind's JSON-ready facts (DNS answers, connection attempts, chain, HTTP hops).
 */
export const probedMeasurementSchema = z
  .object({
    target: nameText(),
    kind: z.enum(PROBE_KINDS),
    ok: z.boolean(),
    failure: failureString().nullable(),
    durationMs: z.number().min(0).max(MAX_DURATION_MS),
    startedAt: z.date(),
    details: jsonObject(),
  })
  .refine((probed) => probed.ok === (probed.failure === null), {
    message: 'ok must be true exactly when failure is null',
    path: ['ok'],
  })

/**
 * A probed measurement of kind `K` whose details have the probe's own type `D` (an interface, not a
 * record): the prober's results are this type with their kind and details narrowed.
 */
export type ProbedMeasurement<K extends ProbeKind = ProbeKind, D = Record<string, unknown>> = Omit<
  z.infer<typeof probedMeasurementSchema>,
  'kind' | 'details' | 'failure'
> & { kind: K; details: D; failure: string | null }

/**
 * A row of the measurements table. `kind` is a Vigil probe kind or an imported OONI test name; `source`
 * says who measured (`vigil` the local prober, `agent` an upload, `ooni` an import); `region` and `asn`
 * are those the measurement speaks for (the registered vantage's, or an outside-in target's region).
 */
export const storedMeasurementSchema = z.object({
  id: countSchema(),
  measuredAt: z.date(),
  receivedAt: z.date(),
  vantageId: z.string(),
  targetId: z.string(),
  kind: z.string(),
  region: z.string().nullable(),
  asn: asnSchema().nullable(),
  ok: z.boolean(),
  failure: z.string().nullable(),
  durationMs: z.number().nullable(),
  details: z.record(z.string(), z.unknown()),
  source: z.string(),
  idempotencyKey: z.string().nullable(),
})
export type StoredMeasurement = z.infer<typeof storedMeasurementSchema>

/**
 * A row of the tls_observations table: the chain one vantage was shown for `host`:`port` with `sni`,
 * leaf first (each certificate's facts with its DER in base64), and the verdict it was given
 * (packages/chain-verdicts) with its evidence.
 */
export const storedTlsObservationSchema = z.object({
  id: countSchema(),
  measuredAt: z.date(),
  receivedAt: z.date(),
  vantageId: z.string(),
  targetId: z.string(),
  host: z.string(),
  port: z.number().int(),
  sni: z.string(),
  verdict: z.string(),
  /** An OONI failure string; null when the chain verified. */
  failure: z.string().nullable(),
  verified: z.boolean(),
  chain: z.array(z.record(z.string(), z.unknown())),
  protocol: z.string().nullable(),
  cipher: z.string().nullable(),
  evidence: z.array(z.record(z.string(), z.unknown())),
  /** Name of the known-interception entry the chain matched, if any. */
  knownMatch: z.string().nullable(),
  idempotencyKey: z.string().nullable(),
})
export type StoredTlsObservation = z.infer<typeof storedTlsObservationSchema>

/** How a count was given: `exact` (12), `approx` (about 12), `at_least` (more than 12), `up_to` (up to 12). */
export const COUNT_QUALIFIERS = ['exact', 'approx', 'at_least', 'up_to'] as const
export type CountQualifier = (typeof COUNT_QUALIFIERS)[number]

/** A number of people a report gives, with how it was given. */
export const reportCountSchema = z.object({
  value: z.number().int().min(0),
  qualifier: z.enum(COUNT_QUALIFIERS),
})
export type ReportCount = z.infer<typeof reportCountSchema>

/** A count the text gives for one city, kept apart from the total. */
export const cityCountSchema = reportCountSchema.extend({ city: z.string() })
export type CityCount = z.infer<typeof cityCountSchema>

/** A news item as stored: what the source said (title, link, date) and what was read from its text. */
export const storedNewsItemSchema = z.object({
  id: countSchema(),
  source: z.string(),
  /** At least one of guid and canonicalUrl identifies the item. */
  guid: z.string().nullable(),
  canonicalUrl: z.string().nullable(),
  title: z.string(),
  /** The article's address as the source gave it. */
  link: z.string().nullable(),
  publishedAt: z.date().nullable(),
  language: z.string(),
  detention: z.boolean(),
  score: z.number(),
  counts: z.array(reportCountSchema),
  cityCounts: z.array(cityCountSchema).optional(),
  cities: z.array(z.string()),
  /** Event days the text names, YYYY-MM-DD. */
  dates: z.array(z.string()),
  people: z.array(z.string()),
  /** The sentence the detention was read from. */
  evidence: z.string(),
  fetchedAt: z.date(),
  /** Why `publishedAt` is doubtful; null or absent when it is sound. */
  dateIssue: z.enum(['unparsed', 'future', 'too_early']).nullable().optional(),
  /** The link is kept as the source wrote it: no base made it absolute. */
  linkUnresolved: z.boolean().optional(),
})
export type StoredNewsItem = z.infer<typeof storedNewsItemSchema>

/**
 * A stored detention report: one event (a day and its cities) as every source reported it. `maxCount`
 * is the largest count reported so far; `version` is 1 when created and one more with every change of
 * the count.
 */
export const storedDetentionReportSchema = z.object({
  id: countSchema(),
  /** The event's local day, YYYY-MM-DD; null when no source gave one. */
  day: z.string().nullable(),
  cities: z.array(z.string()),
  maxCount: reportCountSchema.nullable(),
  counts: z.array(reportCountSchema),
  /** The largest figure given for each city, apart from the total in `maxCount`. */
  cityCounts: z.array(cityCountSchema),
  language: z.string(),
  title: z.string(),
  evidence: z.string(),
  people: z.array(z.string()),
  firstSeenAt: z.date(),
  updatedAt: z.date(),
  version: z.number().int().min(1),
})
export type StoredDetentionReport = z.infer<typeof storedDetentionReportSchema>

/** A stored detention report with its items, in the order they joined it. */
export const storedDetentionReportWithItemsSchema = storedDetentionReportSchema.extend({
  items: z.array(storedNewsItemSchema),
})
export type StoredDetentionReportWithItems = z.infer<typeof storedDetentionReportWithItemsSchema>

/**
 * What a news item joining a stored detention report changes in it (packages/news decides, the store
 * records): the merged cities, counts and people; `countUpdate` when the count went up, which raises the
 * report's version and makes the item's title and sentence the report's.
 */
export const detentionReportChangeSchema = z.object({
  cities: z.array(z.string()),
  counts: z.array(reportCountSchema),
  /** The tally after the change; left as it was when undefined. */
  cityCounts: z.array(cityCountSchema).optional(),
  people: z.array(z.string()),
  countUpdate: z.boolean(),
  title: z.string(),
  evidence: z.string(),
  at: z.date(),
})
export type DetentionReportChange = z.infer<typeof detentionReportChangeSchema>
