// POST /v1/ingest and POST /v1/heartbeat: what in-country agents push. Each request carries an agent token
// that writes for one vantage; a batch is stored whole in one transaction, and a repeated batch adds
// nothing (each record's id becomes its idempotency key). Uploaded text is made storable as it arrives; a
// record the database still refuses for its data is quarantined and the rest of the batch stored, so one
// spooled record can never make an agent's uploads fail forever. Uploaded TLS chains are classified here
// against the control, since an agent has no database to read the control from.
import type { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import {
  applyInterceptionFindings,
  classifyUploadedObservations,
  knownListFromConfig,
  type UploadedTlsObservation,
} from '@vigil/certwatch'
import type { VigilConfig } from '@vigil/config'
import type { Registry } from '@vigil/metrics'
import { storableJson, storableText } from '@vigil/outside-text'
import {
  authenticateAgentToken,
  createWriteMetrics,
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
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { RateLimiter } from '../rate-limit.js'

/** One measurement as an agent uploads it. */
export interface IngestMeasurement {
  /** The agent's id for the measurement, `<vantage>:<unique>`; stored as the idempotency key. */
  id: string
  measuredAt: string
  vantage: string
  target: string
  kind: string
  region?: string | null
  asn?: number | null
  ok: boolean
  failure: string | null
  durationMs?: number | null
  details?: Record<string, unknown>
}

/** One TLS chain capture as an agent's certwatch took it; the api gives it its verdict. */
export interface IngestTlsObservation {
  /** `<vantage>:<unique>`, stored as the idempotency key. */
  id: string
  measuredAt: string
  /** The certwatch round it was taken in (the round's start); a round's chains are judged together. */
  round: string
  vantage: string
  target: string
  host: string
  port: number
  sni: string
  verified: boolean
  /** The OONI failure string of the handshake or the verification; null when the chain verified. */
  failure: string | null
  /** Per-certificate facts, leaf first, each with its DER in base64. */
  chain: Record<string, unknown>[]
  protocol: string | null
  cipher: string | null
}

export interface IngestBatch {
  /** The agent's clock when it sent the batch, for clock-skew flags. */
  sentAt?: string
  measurements: IngestMeasurement[]
  tlsObservations?: IngestTlsObservation[]
}

export interface IngestResponse {
  received: number
  new: number
  duplicates: number
  /** Records the database refused for their data, kept in the quarantine table; not retried. */
  quarantined: number
  /** Present when the batch carried TLS observations. */
  tlsObservations?: { received: number; new: number; duplicates: number; quarantined: number }
}

export interface HeartbeatBody {
  agentTime: string
  spoolBacklog: number
  version: string
}

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

declare module 'fastify' {
  interface FastifyRequest {
    agent: { tokenId: number; vantageId: string } | null
  }
}

const name = { type: 'string', minLength: 1, maxLength: 200 } as const

const measurementSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'measuredAt', 'vantage', 'target', 'kind', 'ok', 'failure'],
  properties: {
    id: name,
    measuredAt: { type: 'string', format: 'date-time' },
    vantage: name,
    target: name,
    kind: { type: 'string', minLength: 1, maxLength: 32 },
    region: { type: ['string', 'null'], maxLength: 200 },
    asn: { type: ['integer', 'null'], minimum: 0, maximum: 4_294_967_295 },
    ok: { type: 'boolean' },
    failure: { type: ['string', 'null'], minLength: 1, maxLength: 100 },
    durationMs: { type: ['number', 'null'], minimum: 0 },
    details: { type: 'object' },
  },
} as const

const certificateSchema = {
  type: 'object',
  required: ['sha256', 'spkiSha256', 'subject', 'issuer', 'der'],
  properties: {
    sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    spkiSha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    subject: { type: 'string', maxLength: 4096 },
    issuer: { type: 'string', maxLength: 4096 },
    der: { type: 'string', minLength: 1, maxLength: 65_536 },
  },
} as const

const tlsObservationSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'id',
    'measuredAt',
    'round',
    'vantage',
    'target',
    'host',
    'port',
    'sni',
    'verified',
    'failure',
    'chain',
    'protocol',
    'cipher',
  ],
  properties: {
    id: name,
    measuredAt: { type: 'string', format: 'date-time' },
    round: { type: 'string', format: 'date-time' },
    vantage: name,
    target: name,
    host: { type: 'string', minLength: 1, maxLength: 253 },
    port: { type: 'integer', minimum: 1, maximum: 65_535 },
    sni: { type: 'string', minLength: 1, maxLength: 253 },
    verified: { type: 'boolean' },
    failure: { type: ['string', 'null'], minLength: 1, maxLength: 100 },
    chain: { type: 'array', maxItems: 16, items: certificateSchema },
    protocol: { type: ['string', 'null'], maxLength: 32 },
    cipher: { type: ['string', 'null'], maxLength: 200 },
  },
} as const

export const ingestRoutes: FastifyPluginAsync<IngestOptions> = async (app, options) => {
  const { store } = options
  const now = options.now ?? (() => new Date())
  const limiter = new RateLimiter(options.ratePerMinute)
  const known = knownListFromConfig(options.config)
  const registry = options.registry

  app.decorateRequest('agent', null)
  // Authentication comes before the body is read: an unauthenticated request costs no decompression.
  app.addHook('onRequest', async (request, reply) => {
    const token = bearerToken(request.headers.authorization)
    if (token === undefined) {
      return unauthorized(reply, 'an Authorization: Bearer <agent token> header is required')
    }
    const agent = await authenticateAgentToken(store.sql, token, now())
    if (!agent) return unauthorized(reply, 'the agent token is unknown or revoked')
    request.agent = agent
  })

  app.post<{ Body: IngestBatch }>(
    '/v1/ingest',
    {
      bodyLimit: options.maxBytes,
      schema: {
        summary: 'Upload a batch of measurements from an agent (gzip accepted)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['measurements'],
          properties: {
            sentAt: { type: 'string', format: 'date-time' },
            measurements: { type: 'array', items: measurementSchema },
            tlsObservations: { type: 'array', items: tlsObservationSchema },
          },
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
      const rows = batch.measurements.map((m) => toNewMeasurement(m, receivedAt, skew))
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
      const inserted = stored.measurements.new
      const insertedTls = stored.tls.new
      // Also for a repeated batch: its incidents may not have been raised if the api stopped after the
      // commit, and raising the same incident again only updates it.
      for (const round of classified?.rounds ?? [])
        await applyInterceptionFindings(store.sql, round, request.log)
      const response: IngestResponse = {
        received: rows.length,
        new: inserted,
        duplicates: rows.length - inserted - stored.measurements.quarantined,
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

  app.post<{ Body: HeartbeatBody }>(
    '/v1/heartbeat',
    {
      schema: {
        summary: "An agent's sign of life: its clock, its spool backlog, its version",
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['agentTime', 'spoolBacklog', 'version'],
          properties: {
            agentTime: { type: 'string', format: 'date-time' },
            spoolBacklog: { type: 'integer', minimum: 0 },
            version: { type: 'string', minLength: 1, maxLength: 100 },
          },
        },
      },
    },
    async (request) => {
      const receivedAt = now()
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

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')
  return match?.[1]
}

function unauthorized(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message })
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

/** The stored row of an uploaded measurement; its text made storable (NUL, lone surrogates, lengths). */
function toNewMeasurement(m: IngestMeasurement, receivedAt: Date, skew: number | null): NewMeasurement {
  return storableJson(uploadedMeasurement(m, receivedAt, skew))
}

function uploadedMeasurement(m: IngestMeasurement, receivedAt: Date, skew: number | null): NewMeasurement {
  const flagged = skew !== null && Math.abs(skew) > CLOCK_SKEW_TOLERANCE_MS
  return {
    measuredAt: new Date(m.measuredAt),
    receivedAt,
    vantageId: m.vantage,
    targetId: m.target,
    kind: m.kind,
    region: m.region ?? null,
    asn: m.asn ?? null,
    ok: m.ok,
    failure: m.failure,
    durationMs: m.durationMs ?? null,
    // measured_at is the agent's clock; a large skew is recorded beside it so readers can correct for it.
    details: flagged ? { ...m.details, clockSkewMs: skew } : (m.details ?? {}),
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
