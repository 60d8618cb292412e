// What agents upload (POST /v1/ingest): measurements and TLS chain captures, as spooled on the agent. The
// api validates every batch with these schemas; the agent builds its records as these types.
import { z } from 'zod'
import { asnSchema, instantString, jsonObject, nameText, portSchema } from './bounds.js'
import { PROBE_KINDS } from './vocabulary.js'

/** The longest a probe can have taken and still be stored: a day, in milliseconds. */
export const MAX_DURATION_MS = 86_400_000

/** One measurement as an agent uploads it. */
export const ingestMeasurementSchema = z.strictObject({
  /** The agent's id for the measurement, `<vantage>:<unique>`; stored as the idempotency key. */
  id: nameText(),
  /** The agent's clock when the probe started. */
  measuredAt: instantString(),
  vantage: nameText(),
  target: nameText(),
  kind: z.enum(PROBE_KINDS),
  /**
   * Ignored by the api: the region and network a measurement speaks for come from the registered
   * vantage (or the outside-in target's region), never from the upload. Kept for older agents.
   */
  region: nameText().nullable().optional(),
  asn: asnSchema().nullable().optional(),
  ok: z.boolean(),
  /** An OONI failure string; null exactly when ok. */
  failure: nameText(100).nullable(),
  durationMs: z.number().min(0).max(MAX_DURATION_MS).nullable().optional(),
  details: jsonObject().optional(),
})
export type IngestMeasurement = z.infer<typeof ingestMeasurementSchema>

/** One certificate of an uploaded chain, leaf first; further facts are kept as given. */
export const uploadedCertificateSchema = z.looseObject({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  spkiSha256: z.string().regex(/^[0-9a-f]{64}$/),
  subject: z.string().max(4096),
  issuer: z.string().max(4096),
  /** The certificate's DER, base64. */
  der: z.string().min(1).max(65_536),
})

/** One TLS chain capture as an agent's certwatch took it; the api gives it its verdict. */
export const ingestTlsObservationSchema = z.strictObject({
  /** `<vantage>:<unique>`, stored as the idempotency key. */
  id: nameText(),
  measuredAt: instantString(),
  /** The certwatch round it was taken in (the round's start); a round's chains are judged together. */
  round: instantString(),
  vantage: nameText(),
  target: nameText(),
  host: nameText(253),
  port: portSchema(),
  sni: nameText(253),
  verified: z.boolean(),
  /** The OONI failure string of the handshake or the verification; null when the chain verified. */
  failure: nameText(100).nullable(),
  chain: z.array(uploadedCertificateSchema).max(16),
  protocol: z.string().max(32).nullable(),
  cipher: z.string().max(200).nullable(),
})
export type IngestTlsObservation = z.infer<typeof ingestTlsObservationSchema>

/** POST /v1/ingest. */
export const ingestBatchSchema = z.strictObject({
  /** The agent's clock when it sent the batch, for clock-skew flags. */
  sentAt: instantString().optional(),
  measurements: z.array(ingestMeasurementSchema),
  tlsObservations: z.array(ingestTlsObservationSchema).optional(),
})
export type IngestBatch = z.infer<typeof ingestBatchSchema>

const counts = z.object({
  received: z.number(),
  new: z.number(),
  duplicates: z.number(),
  /** Records the database refused for their data, kept in the quarantine table; not retried. */
  quarantined: z.number(),
})

export const ingestResponseSchema = z.object({
  received: z.number(),
  new: z.number(),
  duplicates: z.number(),
  /** Measurements whose measuredAt lay too far ahead of the api's clock and were stored at receipt time. */
  clamped: z.number(),
  /** Records the database refused for their data, kept in the quarantine table; not retried. */
  quarantined: z.number(),
  /** Present when the batch carried TLS observations. */
  tlsObservations: counts.optional(),
})
export type IngestResponse = z.infer<typeof ingestResponseSchema>

/**
 * How far ahead of the api's clock an agent's measuredAt may be and still be stored as given: five
 * minutes covers ordinary clock drift; anything later cannot have been measured yet.
 */
export const FUTURE_TOLERANCE_MS = 5 * 60_000

/**
 * Most records one ingest batch may carry (measurements and TLS observations together). A batch is
 * stored in one transaction; past this, one upload would hold the api's event loop and the store for
 * seconds. An agent that is told 413 halves its batches, so it still drains any backlog.
 */
export const MAX_INGEST_RECORDS = 10_000

/** Every error the api answers with: a stable code, a message naming the input at fault, and the field. */
export const apiErrorSchema = z.object({
  error: z.string(),
  message: z.string(),
  /** The request field at fault, where one is, e.g. `vantage.region`. */
  field: z.string().optional(),
})
export type ApiError = z.infer<typeof apiErrorSchema>
