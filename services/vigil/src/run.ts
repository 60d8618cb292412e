// Wires the services of one Vigil process: store, migrations, what the config declares, the api. Each
// service is started here and stopped here, in reverse order.

import { createAlerter } from '@vigil/alerter'
import { buildApp } from '@vigil/api'
import { createCertwatch } from '@vigil/certwatch'
import type { VigilConfig } from '@vigil/config'
import { createMetricsRegistry, type Registry } from '@vigil/metrics'
import { createNewswatch } from '@vigil/newswatch'
import { createNotifier } from '@vigil/notify'
import { createOoniPoller } from '@vigil/observatories'
import { createProber } from '@vigil/prober'
import {
  BufferedWriter,
  createWriteMetrics,
  insertMeasurements,
  insertTlsObservations,
  isDataError,
  migrate,
  type NewMeasurement,
  type NewTlsObservation,
  quarantineRows,
  type Sql,
  type Store,
} from '@vigil/store'
import type { Logger } from 'pino'
import { openChosenStore, type StoreChoice } from './commands/common.js'
import { registerConfiguredTargets } from './register.js'
import { VERSION } from './version.js'

export const SERVICE_NAMES = ['api', 'prober', 'certwatch', 'newswatch', 'alerter', 'notifier'] as const
export type ServiceName = (typeof SERVICE_NAMES)[number]

export interface StartOptions {
  config: VigilConfig
  configFile: string
  store: StoreChoice
  port?: number | undefined
  host?: string | undefined
  logger: Logger
  /** The services to run; all when absent. The HTTP server always runs for /metrics and health. */
  services?: ReadonlySet<ServiceName> | undefined
}

export interface RunningVigil {
  /** The api's base URL, e.g. http://127.0.0.1:8080 */
  url: string
  store: Store
  stop(): Promise<void>
}

export async function startVigil(options: StartOptions): Promise<RunningVigil> {
  const { config, logger } = options
  const stops: Array<{ name: string; stop: () => Promise<void> }> = []
  const stopAll = async () => {
    for (const { name, stop } of stops.reverse()) {
      try {
        await stop()
      } catch (error) {
        logger.error({ err: error, service: name }, 'error while stopping')
      }
    }
    stops.length = 0
  }

  try {
    const store = await openChosenStore(options.store)
    stops.push({ name: 'store', stop: () => store.close() })
    logger.info({ store: store.kind, location: store.location }, 'store open')

    const migrated = await migrate(store.sql)
    if (migrated.applied.length > 0) {
      logger.info({ applied: migrated.applied.map((m) => `${m.id}_${m.name}`) }, 'migrations applied')
    }
    await registerConfiguredTargets(store.sql, config)

    const registry = createMetricsRegistry({ version: VERSION })
    const runs = (name: ServiceName) => options.services === undefined || options.services.has(name)
    const started: string[] = []
    const run = (name: string, service: { start(): void; stop(): Promise<void> }) => {
      stops.push({ name, stop: () => service.stop() })
      service.start()
      started.push(name)
    }

    if (runs('prober')) {
      const measurements = storeWriter(
        { registry, logger, sql: store.sql, table: 'measurements', source: 'prober' },
        (batch: NewMeasurement[]) => insertMeasurements(store.sql, batch),
      )
      stops.push({ name: 'measurement writer', stop: () => measurements.close() })
      run(
        'prober',
        createProber({
          config,
          record: (measurement) => measurements.add(measurement),
          registry,
          logger: logger.child({ service: 'prober' }),
        }),
      )
    }
    if (runs('newswatch')) {
      run(
        'newswatch',
        createNewswatch({ config, sql: store.sql, registry, logger: logger.child({ service: 'newswatch' }) }),
      )
      // OONI's API is polled only when the config asks for it: it needs a network that reaches OONI.
      if (config.observatories.ooni.enabled) {
        const ooniLogger = logger.child({ service: 'ooni-poller' })
        run(
          'ooni-poller',
          createOoniPoller({
            settings: config.observatories.ooni,
            sql: store.sql,
            log: (event) =>
              event.error
                ? ooniLogger.warn(event, 'OONI poll failed')
                : ooniLogger.info(event, 'OONI poll done'),
          }),
        )
      }
    }
    if (runs('certwatch')) {
      const observations = storeWriter(
        { registry, logger, sql: store.sql, table: 'tls_observations', source: 'certwatch' },
        (batch: NewTlsObservation[]) => insertTlsObservations(store.sql, batch),
      )
      stops.push({ name: 'tls observation writer', stop: () => observations.close() })
      run(
        'certwatch',
        createCertwatch({
          config,
          sql: store.sql,
          record: (observation) => observations.add(observation),
          registry,
          logger: logger.child({ service: 'certwatch' }),
        }),
      )
    }
    if (runs('alerter')) {
      run(
        'alerter',
        createAlerter({ config, sql: store.sql, registry, logger: logger.child({ service: 'alerter' }) }),
      )
    }
    if (runs('notifier')) {
      // Reads the incidents the alerter keeps and delivers what they call for; it never decides incidents.
      run(
        'notifier',
        createNotifier({ config, sql: store.sql, registry, logger: logger.child({ service: 'notifier' }) }),
      )
    }

    const app = await buildApp({
      store,
      registry,
      version: VERSION,
      logger: logger.child({ service: 'api' }),
      ingest: { maxBytes: config.api.maxIngestBytes, ratePerMinute: config.api.ingestRateLimit },
      silenceAfterMs: config.thresholds.silenceAfter,
      config,
      routes: runs('api') ? 'all' : 'health',
    })
    stops.push({ name: 'api', stop: () => app.close() })
    if (runs('api')) started.unshift('api')
    const host = options.host ?? config.api.host
    const port = options.port ?? config.api.port
    await app.listen({ host, port })
    const address = app.server.address()
    const boundPort = typeof address === 'object' && address ? address.port : port
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`

    logger.info(
      {
        url,
        metrics: `${url}/metrics`,
        docs: `${url}/docs`,
        config: options.configFile,
        services: started,
      },
      `vigil is running; api at ${url}`,
    )
    return { url, store, stop: stopAll }
  } catch (error) {
    await stopAll()
    throw error
  }
}

interface WriterEdges {
  registry: Registry
  logger: Logger
  sql: Sql
  table: string
  /** Who produces the rows, as the quarantine records it. */
  source: string
}

/**
 * A buffered writer for one table, reporting to the store write metrics and the log. A row the database
 * refuses for its data goes to the quarantine table with its error, a log line and
 * `vigil_store_rows_quarantined_total`; the rest of its batch is written.
 */
function storeWriter<T>(
  { registry, logger, sql, table, source }: WriterEdges,
  write: (batch: T[]) => Promise<unknown>,
): BufferedWriter<T> {
  const metrics = createWriteMetrics(registry, table)
  const writer: BufferedWriter<T> = new BufferedWriter<T>({
    write: async (batch) => {
      await write(batch)
    },
    onWrite: (n) => {
      metrics.written(n)
      metrics.pending(writer.pending)
    },
    onError: (error, pending) => {
      metrics.error()
      metrics.pending(pending)
      logger.warn(
        { err: error, pending, table },
        'could not write to the store; keeping the rows and retrying',
      )
    },
    isDataError,
    quarantine: async (row, error) => {
      await quarantineRows(sql, [{ table, source, error, row }])
      metrics.quarantined(1)
      logger.error(
        { err: error, table, source },
        'the store refused a row for its data; quarantined it and writing the rest',
      )
    },
    onDrop: (n) => {
      metrics.dropped(n)
      logger.error(
        { dropped: n, table },
        'write buffer full during a long database outage; dropped the oldest rows',
      )
    },
  })
  return writer
}
