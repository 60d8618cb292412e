// POST /v1/ingest and POST /v1/heartbeat: what in-country agents push. Each request carries an agent token
// that writes for one vantage (checked in access.ts); a batch is stored whole in one transaction, and a
// repeated batch adds nothing (each record's id becomes its idempotency key). Uploaded text is made
// storable as it arrives; a record the database still refuses for its data is quarantined and the rest of
// the batch stored, so one spooled record can never make an agent's uploads fail forever. Uploaded TLS
// chains are classified here against the control, since an agent has no database to read the control from.
import type { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import {
  applyInterceptionFindings,
  classifyUploadedObservations,
  knownListFromConfig,
  type UploadedTlsObservation,
} from '@vigil/chain-verdicts'
import type { VigilConfig } from '@vigil/config'
import type { Registry } from '@vigil/metrics'
import {
  apiErrorSchema,
  contradictedField,
  FUTURE_TOLERANCE_MS,
  type HeartbeatBody,
  heartbeatBodySchema,
  heartbeatResponseSchema,
  type IngestBatch,
  type IngestMeasurement,
  type IngestResponse,
  type IngestTlsObservation,
  ingestBatchSchema,
  ingestResponseSchema,
  MAX_INGEST_RECORDS,
  type Vantage,
} from '@vigil/model'
import { storableJson, storableText } from '@vigil/outside-text'
import {
  createWriteMetrics,
  getVantage,
  insertMeasurementBatch,
  insertTlsObservations,
  isDataError,
  type JsonObject,
  type NewMeasurement,
  type NewTlsObservation,
  quarantineRows,
  recordHeartbeat,
  type Sql,
  type Store,
  writeIsolatingBadRows,
} from '@vigil/store'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import { RateLimiter } from '../rate-limit.js'

export type { HeartbeatBody, IngestBatch, IngestMeasurement, IngestResponse, IngestTlsObservation }

export interface IngestOptions {
  store: Store
  /** Largest request body, before and after gzip decompression. */
  maxBytes: number
  /** Ingest requests per minute per token. */
  ratePerMinute: number
  /** Pins, known roots and the certwatch interval the uploaded chains are judged with. */
  config?: VigilConfig | undefined
  /** Where `vigil_store_rows_quarantined_total` is counted. */
  registry?: Registry | undefined
  now?: () => Date
}

// Beyond this, an agent's clock is too far from the api's for its measured_at to be trusted as is.
export const CLOCK_SKEW_TOLERANCE_MS = 30_000

// The config's default `store.retention.measurements`, for an api built without a config.
const DEFAULT_MEASUREMENT_RETENTION_MS = 180 * 24 * 3_600_000
// Stale records named one by one in the quarantine's error; the rest are counted.
const STALE_NAMED = 10

export const ingestRoutes: FastifyPluginAsync<IngestOptions> = async (fastify, options) => {
  const { store } = options
  // The request bodies are validated with the contracts' zod schemas (the OpenAPI document is generated
  // from the same schemas); a failure is a 400 that names the field.
  fastify.setValidatorCompiler(validatorCompiler)
  fastify.setSerializerCompiler(serializerCompiler)
  const app = fastify.withTypeProvider<ZodTypeProvider>()
  const now = options.now ?? (() => new Date())
  const limiter = new RateLimiter(options.ratePerMinute)
  const known = knownListFromConfig(options.config)
  const registry = options.registry
  // The tables an upload can quarantine into have their counters at 0 from the start (see write-metrics).
  if (registry) for (const table of ['measurements', 'tls_observations']) createWriteMetrics(registry, table)

  // The agent token is checked by the access hook (access.ts) before the body is read: an unauthenticated
  // request costs no decompression. request.agent is the token's vantage.

  app.post(
    '/v1/ingest',
    {
      bodyLimit: options.maxBytes,
      schema: {
        summary: 'Upload a batch of measurements from an agent (gzip accepted)',
        body: ingestBatchSchema,
        response: {
          200: ingestResponseSchema,
          400: apiErrorSchema,
          403: apiErrorSchema,
          409: apiErrorSchema,
          413: apiErrorSchema,
          429: apiErrorSchema,
        },
      },
      onRequest: async (request, reply) => {
        const decision = limiter.take(request.agent!.tokenId, now().getTime())
        if (!decision.allowed) {
          return reply
            .code(429)
            .header('retry-after', String(decision.retryAfterSeconds))
            .send({
              error: 'rate_limited',
              message: `too many uploads; retry in ${decision.retryAfterSeconds} s`,
            })
        }
      },
      preParsing: async (request, _reply, payload) => decodeContent(request, payload),
      preValidation: async (request, reply) => {
        const body = request.body as { measurements?: unknown; tlsObservations?: unknown } | undefined
        const records =
          (Array.isArray(body?.measurements) ? body.measurements.length : 0) +
          (Array.isArray(body?.tlsObservations) ? body.tlsObservations.length : 0)
        if (records > MAX_INGEST_RECORDS) {
          return reply.code(413).send({
            error: 'payload_too_large',
            message: `body holds ${records} records; one batch carries at most ${MAX_INGEST_RECORDS}`,
          })
        }
      },
    },
    async (request, reply) => {
      const vantageId = request.agent!.vantageId
      const receivedAt = now()
      const batch = request.body
      const rejection = checkBatch(batch, vantageId)
      if (rejection) {
        return reply
          .code(rejection.status)
          .send({ error: rejection.status === 403 ? 'forbidden' : 'bad_request', message: rejection.message })
      }
      const skew = batch.sentAt === undefined ? null : Date.parse(batch.sentAt) - receivedAt.getTime()
      // What a measurement speaks for comes from the registry, never from the upload.
      const vantage = await getVantage(store.sql, vantageId)
      if (!vantage) {
        return reply.code(409).send({
          error: 'conflict',
          message: `vantage ${vantageId} is not registered; run vigil agent-token create --vantage ${vantageId} --role ...`,
        })
      }
      const outsideIn = await outsideInRegions(store.sql, batch.measurements)
      // A measurement older than the retention of measurements is history the store no longer keeps: stored,
      // it would rewrite a past already reported and the baselines built on it (and the retention job would
      // delete it). It is counted as quarantined, so the agent does not send it again, and the request's
      // stale records go to the quarantine as one row (one per request, not per record: a flood of them
      // costs a bounded number of rows) whose error names them.
      const retentionMs = options.config?.store.retention.measurements ?? DEFAULT_MEASUREMENT_RETENTION_MS
      const oldest = receivedAt.getTime() - retentionMs
      const stale = batch.measurements.flatMap((m, index) =>
        Date.parse(m.measuredAt) < oldest ? [{ m, index }] : [],
      )
      if (stale.length > 0) {
        const named = stale
          .slice(0, STALE_NAMED)
          .map(
            ({ m, index }) =>
              `body/measurements/${index} (id ${storableText(m.id, 200)}, measuredAt ${m.measuredAt})`,
          )
        const more = stale.length > STALE_NAMED ? ` and ${stale.length - STALE_NAMED} more` : ''
        await quarantineRows(store.sql, [
          {
            table: 'measurements',
            source: `agent:${vantageId}`,
            error: new Error(
              `${named.join(', ')}${more}: older than the ${Math.round(retentionMs / 86_400_000)} days measurements are kept (store.retention.measurements); not stored`,
            ),
            row: stale.map(({ m }) => m),
          },
        ])
        if (registry) createWriteMetrics(registry, 'measurements').quarantined(stale.length)
        request.log.warn(
          { vantageId, stale: stale.length, first: storableText(stale[0]!.m.id, 200) },
          'measurements older than their retention; quarantined',
        )
      }
      const staleIds = new Set(stale.map(({ m }) => m))
      const rows = batch.measurements
        .filter((m) => !staleIds.has(m))
        .map((m) => toNewMeasurement(m, vantage, outsideIn, receivedAt, skew))
      const clamped = rows.filter((row) => row.details?.measuredAtClamped === true).length
      if (clamped > 0)
        request.log.warn({ vantageId, clamped }, 'measuredAt in the future; stored at the time of receipt')
      const uploaded = (batch.tlsObservations ?? []).map((o) => toUploadedTlsObservation(o, receivedAt))
      // Verdicts are given before the transaction: they only read the control's chains.
      const classified =
        uploaded.length === 0
          ? undefined
          : await classifyUploadedObservations(store.sql, {
              config: options.config,
              vantageId,
              observations: uploaded,
              known,
            })
      // The batch is stored whole in one transaction for both tables (or, for measurements alone, one
      // statement). Refused for its data, it is stored again piece by piece and the refused records are
      // quarantined: the agent gets its answer and stops re-sending a record that can never be stored.
      let stored: StoredCounts
      try {
        stored = classified
          ? await store.sql.begin(async (tx) => ({
              measurements: { new: await insertMeasurementBatch(tx, rows), quarantined: 0 },
              tls: { new: await insertTlsObservations(tx, classified.observations), quarantined: 0 },
            }))
          : {
              measurements: { new: await insertMeasurementBatch(store.sql, rows), quarantined: 0 },
              tls: { new: 0, quarantined: 0 },
            }
      } catch (error) {
        if (!isDataError(error)) throw error
        request.log.warn(
          { err: error, vantage: vantageId },
          'upload refused for its data; isolating the records',
        )
        stored = await storeIsolating(store.sql, rows, classified?.observations ?? [], `agent:${vantageId}`, {
          onQuarantine: (table, quarantineError) => {
            if (registry) createWriteMetrics(registry, table).quarantined(1)
            request.log.error(
              { err: quarantineError, vantage: vantageId, table },
              'an uploaded record was refused by the store; quarantined it and stored the rest',
            )
          },
        })
      }
      stored.measurements.quarantined += stale.length
      const inserted = stored.measurements.new
      const insertedTls = stored.tls.new
      // Also for a repeated batch: its incidents may not have been raised if the api stopped after the
      // commit, and raising the same incident again only updates it.
      for (const round of classified?.rounds ?? [])
        await applyInterceptionFindings(store.sql, round, request.log)
      const response: IngestResponse = {
        received: batch.measurements.length,
        new: inserted,
        duplicates: batch.measurements.length - inserted - stored.measurements.quarantined,
        clamped,
        quarantined: stored.measurements.quarantined,
        ...(batch.tlsObservations === undefined
          ? {}
          : {
              tlsObservations: {
                received: uploaded.length,
                new: insertedTls,
                duplicates: uploaded.length - insertedTls - stored.tls.quarantined,
                quarantined: stored.tls.quarantined,
              },
            }),
      }
      return response
    },
  )

  app.post(
    '/v1/heartbeat',
    {
      schema: {
        summary: "An agent's sign of life: its clock, its spool backlog, its version, what it says it is",
        body: heartbeatBodySchema,
        response: { 200: heartbeatResponseSchema, 409: apiErrorSchema },
      },
    },
    async (request, reply) => {
      const receivedAt = now()
      const vantage = await getVantage(store.sql, request.agent!.vantageId)
      const contradiction =
        vantage && request.body.vantage ? contradictedField(vantage, request.body.vantage) : null
      if (contradiction) {
        return reply.code(409).send({
          error: 'conflict',
          field: `vantage.${contradiction.field}`,
          message: `body/vantage/${contradiction.field} is ${JSON.stringify(contradiction.claimed)}, but vantage ${vantage!.id} is registered with ${JSON.stringify(contradiction.registered)}`,
        })
      }
      const clockSkewMs = await recordHeartbeat(store.sql, {
        vantageId: request.agent!.vantageId,
        receivedAt,
        agentTime: new Date(request.body.agentTime),
        spoolBacklog: request.body.spoolBacklog,
        // Text from the agent, made storable as it arrives.
        agentVersion: storableText(request.body.version, 100),
      })
      return { receivedAt: receivedAt.toISOString(), clockSkewMs }
    },
  )
}

/** Gunzips a gzip body; Fastify's body limit then applies to the decompressed bytes as well. */
function decodeContent(request: FastifyRequest, payload: Readable): Readable {
  const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase().trim()
  if (encoding === 'identity') return payload
  if (encoding !== 'gzip') {
    throw Object.assign(new Error(`Content-Encoding ${encoding} is not supported; send gzip or identity`), {
      statusCode: 415,
    })
  }
  const gunzip = createGunzip()
  let encodedLength = 0
  payload.on('data', (chunk: Buffer) => {
    encodedLength += chunk.length
    ;(gunzip as Readable & { receivedEncodedLength?: number }).receivedEncodedLength = encodedLength
  })
  payload.on('error', (error) => gunzip.destroy(error))
  gunzip.on('error', (error: Error & { statusCode?: number }) => {
    error.statusCode ??= 400
  })
  return payload.pipe(gunzip)
}

export interface BatchRejection {
  status: 400 | 403
  message: string
}

/** What the schema cannot say: every record is the token's vantage's, keyed under it, and consistent. */
export function checkBatch(batch: IngestBatch, vantageId: string): BatchRejection | null {
  for (const [index, o] of (batch.tlsObservations ?? []).entries()) {
    const at = `body/tlsObservations/${index}`
    if (o.vantage !== vantageId) {
      return { status: 403, message: `${at}/vantage is ${o.vantage}, but this token writes for ${vantageId}` }
    }
    if (!o.id.startsWith(`${vantageId}:`)) {
      return { status: 400, message: `${at}/id must start with the vantage id and a colon (${vantageId}:)` }
    }
    if (o.verified !== (o.failure === null)) {
      return { status: 400, message: `${at}/failure must be null exactly when verified is true` }
    }
  }
  for (const [index, m] of batch.measurements.entries()) {
    const at = `body/measurements/${index}`
    if (m.vantage !== vantageId) {
      return { status: 403, message: `${at}/vantage is ${m.vantage}, but this token writes for ${vantageId}` }
    }
    if (!m.id.startsWith(`${vantageId}:`)) {
      return { status: 400, message: `${at}/id must start with the vantage id and a colon (${vantageId}:)` }
    }
    if (m.ok !== (m.failure === null)) {
      return { status: 400, message: `${at}/failure must be null exactly when ok is true` }
    }
  }
  return null
}

/** The regions of the outside-in targets among the batch's, as the config declared them. */
async function outsideInRegions(
  sql: Sql,
  measurements: readonly IngestMeasurement[],
): Promise<Map<string, string>> {
  // Raw upload text: only names the store can hold are looked up (a NUL cannot name a configured target).
  const targets = [...new Set(measurements.map((m) => m.target))].filter(
    (target) => storableText(target, 200) === target,
  )
  if (targets.length === 0) return new Map()
  const rows = await sql<Array<{ id: string; region: string }>>`
    select id, region from targets where purpose = 'outside_in' and region is not null and id in ${sql(targets)}`
  return new Map(rows.map((row) => [row.id, row.region]))
}

interface StoredCounts {
  measurements: { new: number; quarantined: number }
  tls: { new: number; quarantined: number }
}

/**
 * Stores a refused upload piece by piece (each piece its own statement; the idempotency keys make a piece
 * stored twice harmless) and quarantines each record the database refuses on its own.
 */
async function storeIsolating(
  sql: Sql,
  rows: NewMeasurement[],
  observations: NewTlsObservation[],
  source: string,
  hooks: { onQuarantine(table: string, error: unknown): void },
): Promise<StoredCounts> {
  const quarantine = (table: string) => async (row: unknown, error: unknown) => {
    await quarantineRows(sql, [{ table, source, error, row }])
    hooks.onQuarantine(table, error)
  }
  const measurements = await writeIsolatingBadRows(
    rows,
    (batch) => insertMeasurementBatch(sql, batch),
    quarantine('measurements'),
  )
  const tls = await writeIsolatingBadRows(
    observations,
    (batch) => insertTlsObservations(sql, batch),
    quarantine('tls_observations'),
  )
  return {
    measurements: { new: measurements.written, quarantined: measurements.refused },
    tls: { new: tls.written, quarantined: tls.refused },
  }
}

/**
 * The stored form of an uploaded measurement. Its region is the outside-in target's region, else its
 * registered vantage's; its AS number the vantage's: what the upload says about either is ignored. A
 * measuredAt more than FUTURE_TOLERANCE_MS ahead of the api's clock cannot be true: it is stored at the
 * time of receipt and the claimed time is kept in details. Its text is made storable (NUL, lone
 * surrogates, lengths).
 */
export function toNewMeasurement(
  m: IngestMeasurement,
  vantage: Vantage,
  outsideIn: ReadonlyMap<string, string>,
  receivedAt: Date,
  skew: number | null,
): NewMeasurement {
  return storableJson(uploadedMeasurement(m, vantage, outsideIn, receivedAt, skew))
}

function uploadedMeasurement(
  m: IngestMeasurement,
  vantage: Vantage,
  outsideIn: ReadonlyMap<string, string>,
  receivedAt: Date,
  skew: number | null,
): NewMeasurement {
  const details: Record<string, unknown> = { ...m.details }
  // measured_at is the agent's clock; a large skew is recorded beside it so readers can correct for it.
  if (skew !== null && Math.abs(skew) > CLOCK_SKEW_TOLERANCE_MS) details.clockSkewMs = skew
  let measuredAt = new Date(m.measuredAt)
  if (measuredAt.getTime() > receivedAt.getTime() + FUTURE_TOLERANCE_MS) {
    details.measuredAtClaimed = m.measuredAt
    details.measuredAtClamped = true
    measuredAt = receivedAt
  }
  return {
    measuredAt,
    receivedAt,
    vantageId: m.vantage,
    targetId: m.target,
    kind: m.kind,
    region: outsideIn.get(m.target) ?? vantage.region,
    asn: vantage.asn,
    ok: m.ok,
    failure: m.failure,
    durationMs: m.durationMs ?? null,
    details,
    source: 'agent',
    idempotencyKey: m.id,
  }
}

/** An uploaded chain in the shape certwatch judges; its text made storable as it arrives. */
function toUploadedTlsObservation(o: IngestTlsObservation, receivedAt: Date): UploadedTlsObservation {
  return {
    round: o.round,
    observation: storableJson({
      measuredAt: new Date(o.measuredAt),
      receivedAt,
      vantageId: o.vantage,
      targetId: o.target,
      host: o.host,
      port: o.port,
      sni: o.sni,
      // Replaced by the central verdict before it is stored.
      verdict: 'unclassified',
      failure: o.failure,
      verified: o.verified,
      chain: o.chain as JsonObject[],
      protocol: o.protocol,
      cipher: o.cipher,
      evidence: [],
      knownMatch: null,
      idempotencyKey: o.id,
    } satisfies NewTlsObservation),
  }
}
