// The api as a Fastify instance that never listens: main code and tests both build it with its
// dependencies and either listen or inject.
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { VigilConfig } from '@vigil/config'
import {
  type Counter,
  type Histogram,
  Counter as PromCounter,
  Histogram as PromHistogram,
  type Registry,
  registerOnce,
} from '@vigil/metrics'
import { dayProblem, instantProblem } from '@vigil/model'
import type { Store } from '@vigil/store'
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
  LogController,
} from 'fastify'
import { jsonSchemaTransform } from 'fastify-type-provider-zod'
import { enforceAccess, SECURITY_SCHEMES } from './access.js'
import { adminRoutes } from './routes/admin.js'
import { boardRoutes } from './routes/board.js'
import { exportRoutes } from './routes/exports.js'
import { healthRoutes } from './routes/health.js'
import { incidentRoutes } from './routes/incidents.js'
import { ingestRoutes } from './routes/ingest.js'
import { measurementRoutes } from './routes/measurements.js'
import { newsRoutes } from './routes/news.js'
import { rallyReportRoutes } from './routes/rally-report.js'
import { silenceRoutes } from './routes/silences.js'
import { statusRoutes } from './routes/status.js'
import { vantageRoutes } from './routes/vantages.js'
import { registerVantageMetrics } from './vantage-metrics.js'
import { formatSchemaErrors } from './zod.js'

export interface ApiDeps {
  store: Store
  registry: Registry
  version: string
  /** A pino logger, `false` for none (tests), or Fastify's logger options. */
  logger?: FastifyBaseLogger | FastifyServerOptions['logger']
  /** Largest page a client may ask for. */
  maxPageSize?: number
  /** Agent uploads: largest body (also after gzip) and requests per minute per token. */
  ingest?: { maxBytes: number; ratePerMinute: number }
  /** A vantage not heard from for this long is silent in /v1/vantages. */
  silenceAfterMs?: number
  /**
   * The rally calendar and regions behind /v1/reports/rally (absent without it); the pins and known roots
   * uploaded TLS chains are judged with.
   */
  config?: VigilConfig
  /** `health`: only /healthz, /readyz and /metrics, for a process that runs another service alone. */
  routes?: 'all' | 'health'
  /** Failed authentications a client address may make per minute before it gets 429 (default 10). */
  authFailuresPerMinute?: number
  /**
   * Reverse proxies (addresses or CIDR blocks) whose X-Forwarded-For gives the client address; none by
   * default, so a header any client can write never decides the address.
   */
  trustProxy?: readonly string[]
  /** Open boards: how often the store is read (default 1 s) and a heartbeat sent when quiet (5 s). */
  board?: { pollMs?: number; heartbeatMs?: number; chartMaxAgeMs?: number }
}

export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(isLoggerInstance(deps.logger) ? { loggerInstance: deps.logger } : { logger: deps.logger ?? false }),
    ajv: {
      // Unknown query parameters are a client's mistake worth telling about, not something to drop silently.
      customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false },
      // Dates the store and the date arithmetic can hold, the same rule as the contracts' schemas: year 0000,
      // 9999 or a leap second is a 400 naming the field, not a 500 from PostgreSQL.
      // After ajv-formats, so these replace its date-time and date.
      onCreate: (ajv) => {
        ajv.addFormat('date-time', {
          type: 'string',
          validate: (value: string) => instantProblem(value) === null,
        })
        ajv.addFormat('date', { type: 'string', validate: (value: string) => dayProblem(value) === null })
      },
    },
    bodyLimit: 1024 * 1024,
    // Fastify's trustProxy with an explicit list (proxy-addr): X-Forwarded-For is read only when the
    // connection comes from a listed proxy, and then right to left up to the first untrusted hop.
    trustProxy: deps.trustProxy && deps.trustProxy.length > 0 ? [...deps.trustProxy] : false,
    schemaErrorFormatter: formatSchemaErrors,
    // Requests are counted in /metrics; a log line per scrape would drown what matters.
    logController: new LogController({ disableRequestLogging: true }),
  })

  instrument(app, deps.registry)
  // Before any route: every route is registered with its access, and every request is checked first.
  const failures = enforceAccess(app, {
    store: deps.store,
    failuresPerMinute: deps.authFailuresPerMinute ?? 10,
    publicUrl: deps.config?.api.publicUrl,
  })
  // Vantage liveness comes from the store; the process serving the api exports it, not every service.
  if (deps.routes !== 'health')
    registerVantageMetrics(deps.registry, deps.store, deps.silenceAfterMs ?? 5 * 60_000)
  app.setErrorHandler((error: Error & { validation?: unknown; statusCode?: number }, request, reply) => {
    if (error.validation) {
      return reply.code(400).send({ error: 'bad_request', message: error.message })
    }
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500
    if (status >= 500) request.log.error({ err: error }, 'request failed')
    return reply.code(status).send({
      error: status >= 500 ? 'internal_error' : 'bad_request',
      message: status >= 500 ? 'the server could not complete the request; see its log' : error.message,
    })
  })
  // Text PostgreSQL cannot hold (a NUL, an unpaired UTF-16 surrogate) is refused where it enters, naming
  // the parameter or the body's field, for every route. Agent uploads and imported files are the exception:
  // their text is made storable record by record (a spooled record refused would be sent again forever).
  app.addHook('preValidation', async (request, reply) => {
    const where =
      unstorableAt(request.query, 'querystring') ??
      unstorableAt(request.params, 'params') ??
      (MAKES_TEXT_STORABLE.test(request.routeOptions.url ?? '') ? null : unstorableAt(request.body, 'body'))
    if (where !== null) {
      return reply
        .code(400)
        .send({ error: 'bad_request', message: `${where} contains a NUL or an unpaired UTF-16 surrogate` })
    }
  })
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: 'not_found', message: `no route for ${request.method} ${request.url.split('?')[0]}` }),
  )

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      components: { securitySchemes: SECURITY_SCHEMES },
      info: {
        title: 'Vigil API',
        description: 'Measurements, incidents and reports of internet and media disruption.',
        version: deps.version,
      },
    },
    // Routes declared with zod schemas (every /v1 route but the board and the status page) get their
    // OpenAPI from them; the others keep their JSON Schema as written.
    transform: (document) => (usesZod(document.schema) ? jsonSchemaTransform(document) : document),
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  await app.register(healthRoutes, { store: deps.store, registry: deps.registry })
  if (deps.routes === 'health') return app
  await app.register(measurementRoutes, { store: deps.store, maxPageSize: deps.maxPageSize ?? 10_000 })
  await app.register(newsRoutes, { store: deps.store, maxPageSize: deps.maxPageSize ?? 10_000 })
  await app.register(incidentRoutes, { store: deps.store })
  await app.register(ingestRoutes, {
    store: deps.store,
    maxBytes: deps.ingest?.maxBytes ?? 16 * 1_048_576,
    ratePerMinute: deps.ingest?.ratePerMinute ?? 120,
    config: deps.config,
    registry: deps.registry,
  })
  await app.register(vantageRoutes, { store: deps.store, silenceAfterMs: deps.silenceAfterMs ?? 5 * 60_000 })
  await app.register(silenceRoutes, { store: deps.store })
  await app.register(exportRoutes, { store: deps.store })
  await app.register(adminRoutes, { store: deps.store, config: deps.config })
  if (deps.config) await app.register(rallyReportRoutes, { store: deps.store, config: deps.config })
  if (deps.config) {
    await app.register(boardRoutes, {
      store: deps.store,
      config: deps.config,
      silenceAfterMs: deps.silenceAfterMs ?? 5 * 60_000,
      failures,
      ...deps.board,
    })
    if (deps.config.status.enabled)
      await app.register(statusRoutes, { store: deps.store, config: deps.config })
  }
  return app
}

// Routes whose handlers make outside text storable themselves, record by record.
const MAKES_TEXT_STORABLE = /^\/v1\/(ingest|heartbeat|import\/)/

/**
 * The path (`body/comment`, `querystring/target`) of the first string in `value`, a key or a value at any
 * depth, that PostgreSQL could not store; null when every string can be stored. Bounded by the body limits.
 */
function unstorableAt(value: unknown, path: string): string | null {
  if (typeof value === 'string') return isStorableText(value) ? null : path
  if (value === null || typeof value !== 'object') return null
  for (const [key, inner] of Object.entries(value)) {
    if (!isStorableText(key)) return `${path}/${key}`
    const found = unstorableAt(inner, `${path}/${key}`)
    if (found !== null) return found
  }
  return null
}

function isStorableText(text: string): boolean {
  return !/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)
}

function usesZod(schema: unknown): boolean {
  if (!schema || typeof schema !== 'object') return false
  const { body, querystring, params, headers, response } = schema as Record<string, unknown>
  const parts = [body, querystring, params, headers, ...Object.values((response ?? {}) as object)]
  return parts.some((part) => typeof part === 'object' && part !== null && '_zod' in part)
}

function isLoggerInstance(logger: ApiDeps['logger']): logger is FastifyBaseLogger {
  return (
    typeof logger === 'object' && logger !== null && typeof (logger as FastifyBaseLogger).child === 'function'
  )
}

// Request counts and latencies by route pattern (never the raw URL: labels stay bounded).
function instrument(app: FastifyInstance, registry: Registry): void {
  const requests = registerOnce<Counter<string>>(
    registry,
    'vigil_http_requests_total',
    () =>
      new PromCounter({
        name: 'vigil_http_requests_total',
        help: 'HTTP requests answered by the api, by method, route pattern and status code.',
        labelNames: ['method', 'route', 'status_code'],
        registers: [registry],
      }),
  )
  const duration = registerOnce<Histogram<string>>(
    registry,
    'vigil_http_request_duration_seconds',
    () =>
      new PromHistogram({
        name: 'vigil_http_request_duration_seconds',
        help: 'Time to answer an HTTP request, by method and route pattern.',
        labelNames: ['method', 'route'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
      }),
  )
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    requests.inc({ method: request.method, route, status_code: String(reply.statusCode) })
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000)
  })
}
