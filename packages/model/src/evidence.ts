// The evidence an incident carries, one schema per kind: detection, certwatch and newswatch build these
// types; the notifier, the api and the reports read them. Stored as jsonb beside the incident, so the
// schemas read older rows too (fields added later are optional, extra fields are kept).
import { z } from 'zod'
import type { IncidentKind } from './vocabulary.js'

const counts = z.record(z.string(), z.number())
const names = z.array(z.string())

/** Kept through every kind: hysteresis bookkeeping the incident state machine adds. */
const bookkeeping = {
  /** Set while the scope looks healthy again, until the incident resolves. */
  recoveringSince: z.string().nullable().optional(),
  /** Set when a pending incident was dropped before it fired. */
  cancelled: z.boolean().optional(),
}

/** Target counts of one purpose: how many of those probed failed. */
export const targetTallySchema = z.object({ failing: z.number(), total: z.number() })
export type TargetTally = z.infer<typeof targetTallySchema>

/**
 * Hours of history a scope needs before its baseline (the median share of those hours) is trusted. Fewer,
 * and detection has no baseline: it decides on evidence that needs none, and messages say so.
 */
export const MIN_BASELINE_HOURS = 3

export const blackoutEvidenceSchema = z.looseObject({
  /** Share of successful probe series in the window, 0..1. */
  share: z.number(),
  /**
   * The scope's usual share (median of past hours), 0..1; null while fewer than MIN_BASELINE_HOURS hours
   * of history exist (older incidents stored 1, an assumed full availability, with baselineHours below 3).
   */
  baseline: z.number().nullable(),
  /** Hours of history behind the baseline; 0 means none. */
  baselineHours: z.number(),
  /** share / baseline; null without a baseline. */
  ratio: z.number().nullable(),
  series: z.number(),
  failingSeries: z.number(),
  failingTargets: names,
  failingVantages: names,
  /** Whether most in-country control series failed; null when no in-country control was probed. */
  controlFailing: z.boolean().nullable(),
  /** In-country control targets: how many failed of how many probed. */
  controlTargets: targetTallySchema.optional(),
  /** Outside-in targets (endpoints in the scope probed from abroad) that failed. */
  outsideInFailing: z.number(),
  /** Outside-in targets probed in the scope. */
  outsideInTargets: z.number().optional(),
  /** Vantages in the scope with failing series, with their role, region and network type. */
  vantages: z
    .array(
      z.object({
        id: z.string(),
        role: z.string(),
        networkType: z.string(),
        failingSeries: z.number(),
        series: z.number(),
      }),
    )
    .optional(),
  failures: counts,
  confirmed: z.boolean(),
  silentVantages: names,
  /** The decision-table row behind the verdict (packages/detect REGION_DECISION_TABLE), e.g. `R2`. */
  verdict: z.string().optional(),
  /** The kinds of evidence that agree (in_country_dark, outside_in_failing, others_dark_or_silent, ...). */
  evidenceKinds: names.optional(),
  /** Kinds of evidence that speak against it (in_country_up, outside_in_answering). */
  contraryKinds: names.optional(),
  /** Set on a blackout of a region's mobile networks while its fixed networks stay up. */
  mobileOnly: z.boolean().optional(),
  /** The network type a blackout is limited to (`mobile`), when it is limited to one. */
  networkType: z.string().optional(),
  /** In-country vantages failing everything or silent, and those still up, as `id (ASn, type)`. */
  darkVantages: names.optional(),
  upVantages: names.optional(),
  /** Networks (`AS<n> <type>`) dark and still up in the scope. */
  darkNetworks: names.optional(),
  upNetworks: names.optional(),
  /** For a country-wide blackout: the regions with a confirmed blackout, and how many regions had data. */
  darkRegions: names.optional(),
  regionsWithData: z.number().optional(),
  ...bookkeeping,
})
export type BlackoutEvidence = z.infer<typeof blackoutEvidenceSchema>

/** One service as detection judged it from a vantage: the layer that failed, how, and what the control saw. */
export const blockedServiceSchema = z.object({
  target: z.string(),
  /** The shallowest failing probe kind (tcp, tls, http, https): where the connection was stopped. */
  kind: z.string(),
  /** OONI failure string, `http_blockpage` for a block page. */
  failure: z.string(),
  /** The block-page pattern that matched, when the probe recorded one. */
  blockPage: z.string().nullable(),
  /**
   * The same target from a control or outside vantage in the window: `ok` (it answers there: blocking
   * confirmed), `failing` (down there too: not blocking), `none` (no control measurement of this target).
   */
  control: z.enum(['ok', 'failing', 'none']),
})
export type BlockedService = z.infer<typeof blockedServiceSchema>

export const serviceBlockingEvidenceSchema = z.looseObject({
  group: z.string(),
  controlGroup: z.string(),
  /** Share of the group's judged targets blocked, 0..1 (incidents before per-target judging: of its probe series). */
  failureShare: z.number(),
  /** Share of the vantage's control targets that answer, 0..1. */
  controlSuccessShare: z.number(),
  blockedTargets: names,
  /** Failure string -> number of blocked targets. */
  failures: counts,
  /** `service` for one service's incident, `group` for the whole group's. */
  scope: z.enum(['service', 'group']).optional(),
  /** The service a `service` incident is about. */
  target: z.string().optional(),
  /** Each blocked service with its failing layer, failure, block page and control view. */
  services: z.array(blockedServiceSchema).optional(),
  /** Targets of the group judged from this vantage (those probed beyond DNS and not down everywhere). */
  judgedTargets: z.number().optional(),
  /** Targets failing from the control vantage too: down everywhere, not counted as blocked. */
  downEverywhere: names.optional(),
  ...bookkeeping,
})
export type ServiceBlockingEvidence = z.infer<typeof serviceBlockingEvidenceSchema>

export const slowTargetSchema = z.object({
  target: z.string(),
  kind: z.string(),
  /** Median duration in the window, ms (for a slow body: the probe's duration up to its timeout). */
  medianMs: z.number(),
  /** Median duration over the baseline period, ms; null when there is no baseline yet. */
  baselineMs: z.number().nullable(),
  /** medianMs / baselineMs; null without a baseline. */
  factor: z.number().nullable(),
  /** `latency` (slower than baseline by factor and margin) or `slow_body` (body still arriving at the timeout). */
  cause: z.enum(['latency', 'slow_body']).optional(),
  /** For a slow body: the measured transfer rate, bits per second. */
  transferBitsPerSecond: z.number().optional(),
})
export type SlowTarget = z.infer<typeof slowTargetSchema>

export const throttlingEvidenceSchema = z.looseObject({
  group: z.string(),
  factorThreshold: z.number(),
  /** The absolute margin, ms, a median must also exceed its baseline by. */
  minExtraMs: z.number().optional(),
  /** A body arriving below this rate (bits per second) when the probe timed out counts as slow. */
  slowBodyBelowBitsPerSecond: z.number().optional(),
  slow: z.array(slowTargetSchema),
  /** Series compared with a baseline of enough samples. */
  comparedSeries: z.number(),
  /** Series measured in the window whose baseline has too few samples yet: not compared. */
  withoutBaseline: z.number().optional(),
  ...bookkeeping,
})
export type ThrottlingEvidence = z.infer<typeof throttlingEvidenceSchema>

export const dnsTamperingEvidenceSchema = z.looseObject({
  tamperedTargets: names,
  dnsSeries: z.number(),
  ...bookkeeping,
})
export type DnsTamperingEvidence = z.infer<typeof dnsTamperingEvidenceSchema>

export const monitorOfflineEvidenceSchema = z.looseObject({
  controlGroup: z.string().nullable().optional(),
  controlFailing: z.number(),
  controlSeries: z.number(),
  /** The vantage's region, when it has one. */
  region: z.string().nullable().optional(),
  /**
   * Whether other evidence (outside-in probes of the region answering, another vantage there still up)
   * rules out a blackout of the region; false when nothing could tell either way.
   */
  blackoutRuledOut: z.boolean().optional(),
  /** The decision-table row and the reason in words. */
  verdict: z.string().optional(),
  why: z.string().optional(),
  ...bookkeeping,
})
export type MonitorOfflineEvidence = z.infer<typeof monitorOfflineEvidenceSchema>

export const interceptedLeafSchema = z.looseObject({
  host: z.string(),
  port: z.number(),
  servername: z.string(),
  verdict: z.string(),
  failure: z.string().nullable(),
  sha256: z.string(),
  subject: z.string(),
  issuer: z.string(),
})

/** One vantage that saw an interception: where it is, when it saw it, on which hosts. */
export const interceptionVantageSchema = z.looseObject({
  id: z.string(),
  region: z.string().nullable(),
  /** ISO 8601: the round in which this vantage first and last saw the interceptor. */
  firstSeen: z.string(),
  lastSeen: z.string(),
  hosts: names,
  /** ISO 8601: the round in which this vantage's chains agreed with the control again; null while it sees it. */
  clearedAt: z.string().nullable().optional(),
})
export type InterceptionVantageEntry = z.infer<typeof interceptionVantageSchema>

export const interceptionEvidenceSchema = z.looseObject({
  /** `known_interception` or `control_mismatch`. */
  verdict: z.string(),
  round: z.string().nullable().optional(),
  hosts: names,
  /** The endpoints whose chains were intercepted. */
  targets: z.array(z.object({ host: z.string(), port: z.number(), servername: z.string() })),
  interceptorSpki: z.string().nullable(),
  interceptorSubject: z.string().nullable(),
  interceptorIssuer: z.string().nullable().optional(),
  /** The known interception root the chain matched (e.g. Qaznet 2019), if any. */
  knownInterception: z.string().nullable(),
  leafTraits: names.optional(),
  evidenceKinds: names.optional(),
  leaves: z.array(interceptedLeafSchema).optional(),
  /**
   * Every vantage that saw this interceptor, first seen first. Incidents opened before one incident
   * covered several vantages lack it: their vantage is the incident's own `vantageId`.
   */
  vantages: z.array(interceptionVantageSchema).optional(),
  ...bookkeeping,
})
export type InterceptionEvidence = z.infer<typeof interceptionEvidenceSchema>

/** A detention count as a text gives it: `about 700` is `{ value: 700, qualifier: 'approx' }`. */
export const detentionCountSchema = z.object({
  value: z.number(),
  qualifier: z.enum(['exact', 'approx', 'at_least', 'up_to']),
})
export type DetentionCount = z.infer<typeof detentionCountSchema>

/**
 * One outlet's item behind a detention report. Older incidents wrote the address as `link`; it is read
 * into `url` so every reader sees one field.
 */
export const reportSourceSchema = z.preprocess(
  (value) => {
    if (value && typeof value === 'object' && !('url' in value) && 'link' in value) {
      const { link, ...rest } = value as Record<string, unknown>
      return { ...rest, url: link }
    }
    return value
  },
  z.object({
    /** The news source's configured name. */
    source: z.string(),
    title: z.string(),
    /** The item's address; null when the feed gave none. */
    url: z.string().nullable(),
    published: z.string().nullable().optional(),
    /** Set when the link was kept as written because nothing could make it absolute: read it with care. */
    linkUnresolved: z.boolean().optional(),
    /** Why the published date is not trusted for ordering (in the future, before the source existed). */
    publishedIssue: z.string().optional(),
    evidence: z.string().optional(),
  }),
)
export type ReportSource = z.infer<typeof reportSourceSchema>

export const detentionReportEvidenceSchema = z.looseObject({
  reportId: z.number(),
  version: z.number(),
  update: z.boolean(),
  /** The event's local day, YYYY-MM-DD, when known. */
  day: z.string().nullable(),
  cities: names,
  count: detentionCountSchema.nullable(),
  counts: z.array(detentionCountSchema).optional(),
  /** Per-city figures ("Almaty: at least 200"), apart from the total in count. */
  cityCounts: z.array(detentionCountSchema.extend({ city: z.string() })).optional(),
  people: names,
  language: z.string().optional(),
  title: z.string(),
  /** The sentence that says who was detained. */
  evidence: z.string(),
  sources: z.array(reportSourceSchema),
  ...bookkeeping,
})
export type DetentionReportEvidence = z.infer<typeof detentionReportEvidenceSchema>

/** The evidence schema of each incident kind. */
export const EVIDENCE_SCHEMAS = {
  blackout: blackoutEvidenceSchema,
  service_blocking: serviceBlockingEvidenceSchema,
  throttling: throttlingEvidenceSchema,
  dns_tampering: dnsTamperingEvidenceSchema,
  https_interception: interceptionEvidenceSchema,
  detention_report: detentionReportEvidenceSchema,
  monitor_offline: monitorOfflineEvidenceSchema,
} as const satisfies Record<IncidentKind, z.ZodType>

export type EvidenceOf<K extends IncidentKind> = z.infer<(typeof EVIDENCE_SCHEMAS)[K]>

/** An incident's kind with its evidence: narrow on `kind` to read the evidence's fields. */
export const incidentEvidenceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('blackout'), evidence: blackoutEvidenceSchema }),
  z.object({ kind: z.literal('service_blocking'), evidence: serviceBlockingEvidenceSchema }),
  z.object({ kind: z.literal('throttling'), evidence: throttlingEvidenceSchema }),
  z.object({ kind: z.literal('dns_tampering'), evidence: dnsTamperingEvidenceSchema }),
  z.object({ kind: z.literal('https_interception'), evidence: interceptionEvidenceSchema }),
  z.object({ kind: z.literal('detention_report'), evidence: detentionReportEvidenceSchema }),
  z.object({ kind: z.literal('monitor_offline'), evidence: monitorOfflineEvidenceSchema }),
])
export type KindedEvidence = z.infer<typeof incidentEvidenceSchema>

/**
 * Reads stored evidence as its kind's type. Fails closed: evidence that does not fit its kind's schema
 * comes back as `{ kind, evidence: null, problem }` (the problem names the field), never half-read.
 */
export function readEvidence(
  kind: IncidentKind,
  evidence: unknown,
): KindedEvidence | { kind: IncidentKind; evidence: null; problem: string } {
  const parsed = incidentEvidenceSchema.safeParse({ kind, evidence })
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  const at = issue?.path.slice(1).join('.') || 'evidence'
  return { kind, evidence: null, problem: `${at}: ${issue?.message ?? 'does not match'}` }
}

/** Checks evidence a producer built against its kind's schema; throws naming the field (a bug upstream). */
export function checkedEvidence<K extends IncidentKind>(kind: K, evidence: EvidenceOf<K>): EvidenceOf<K> {
  const parsed = EVIDENCE_SCHEMAS[kind].safeParse(evidence)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`${kind} evidence: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`)
  }
  return evidence
}
