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
  migrate,
  type NewMeasurement,
  type NewTlsObservation,
  type Store,
} from '@vigil/store'
import type { Logger } from 'pino'
import { openChosenStore, type StoreChoice } from './commands/common.js'
import { registerConfiguredTargets } from './register.js'
import { VERSION } from './version.js'

export interface StartOptions {
  config: VigilConfig
  configFile: string
  store: StoreChoice
  port?: number | undefined
  host?: string | undefined
  logger: Logger
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
    const measurements = measurementWriter(store, registry, logger)
    stops.push({ name: 'measurement writer', stop: () => measurements.close() })

    const prober = createProber({
      config,
      record: (measurement) => measurements.add(measurement),
      registry,
      logger: logger.child({ service: 'prober' }),
    })
    stops.push({ name: 'prober', stop: () => prober.stop() })
    prober.start()

    const newswatch = createNewswatch({
      config,
      sql: store.sql,
      registry,
      logger: logger.child({ service: 'newswatch' }),
    })
    stops.push({ name: 'newswatch', stop: () => newswatch.stop() })
    newswatch.start()

    const tlsObservations = tlsObservationWriter(store, registry, logger)
    stops.push({ name: 'tls observation writer', stop: () => tlsObservations.close() })
    const certwatch = createCertwatch({
      config,
      sql: store.sql,
      record: (observation) => tlsObservations.add(observation),
      registry,
      logger: logger.child({ service: 'certwatch' }),
    })
    stops.push({ name: 'certwatch', stop: () => certwatch.stop() })
    certwatch.start()

    const alerter = createAlerter({
      config,
      sql: store.sql,
      registry,
      logger: logger.child({ service: 'alerter' }),
    })
    stops.push({ name: 'alerter', stop: () => alerter.stop() })
    alerter.start()

    // OONI's API is polled only when the config asks for it: it needs a network that reaches OONI.
    if (config.observatories.ooni.enabled) {
      const ooniLogger = logger.child({ service: 'ooni-poller' })
      const ooni = createOoniPoller({
        settings: config.observatories.ooni,
        sql: store.sql,
        log: (event) =>
          event.error ? ooniLogger.warn(event, 'OONI poll failed') : ooniLogger.info(event, 'OONI poll done'),
      })
      stops.push({ name: 'ooni-poller', stop: () => ooni.stop() })
      ooni.start()
    }

    // Reads the incidents the alerter keeps and delivers what they call for; it never decides incidents.
    const notifier = createNotifier({
      config,
      sql: store.sql,
      registry,
      logger: logger.child({ service: 'notifier' }),
    })
    stops.push({ name: 'notifier', stop: () => notifier.stop() })
    notifier.start()

    const app = await buildApp({
      store,
      registry,
      version: VERSION,
      logger: logger.child({ service: 'api' }),
      ingest: { maxBytes: config.api.maxIngestBytes, ratePerMinute: config.api.ingestRateLimit },
      silenceAfterMs: config.thresholds.silenceAfter,
      config,
    })
    stops.push({ name: 'api', stop: () => app.close() })
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
        services: ['api', 'prober', 'newswatch', 'certwatch', 'alerter', 'notifier'],
      },
      `vigil is running; api at ${url}`,
    )
    return { url, store, stop: stopAll }
  } catch (error) {
    await stopAll()
    throw error
  }
}

function measurementWriter(store: Store, registry: Registry, logger: Logger): BufferedWriter<NewMeasurement> {
  const metrics = createWriteMetrics(registry, 'measurements')
  const writer: BufferedWriter<NewMeasurement> = new BufferedWriter<NewMeasurement>({
    write: async (batch) => {
      await insertMeasurements(store.sql, batch)
    },
    onWrite: (n) => {
      metrics.written(n)
      metrics.pending(writer.pending)
    },
    onError: (error, pending) => {
      metrics.error()
      metrics.pending(pending)
      logger.warn({ err: error, pending }, 'could not write measurements; keeping them and retrying')
    },
    onDrop: (n) => {
      metrics.dropped(n)
      logger.error(
        { dropped: n },
        'measurement buffer full during a long database outage; dropped the oldest',
      )
    },
  })
  return writer
}

function tlsObservationWriter(
  store: Store,
  registry: Registry,
  logger: Logger,
): BufferedWriter<NewTlsObservation> {
  const metrics = createWriteMetrics(registry, 'tls_observations')
  const writer: BufferedWriter<NewTlsObservation> = new BufferedWriter<NewTlsObservation>({
    write: async (batch) => {
      await insertTlsObservations(store.sql, batch)
    },
    onWrite: (n) => {
      metrics.written(n)
      metrics.pending(writer.pending)
    },
    onError: (error, pending) => {
      metrics.error()
      metrics.pending(pending)
      logger.warn({ err: error, pending }, 'could not write TLS observations; keeping them and retrying')
    },
    onDrop: (n) => {
      metrics.dropped(n)
      logger.error(
        { dropped: n },
        'TLS observation buffer full during a long database outage; dropped the oldest',
      )
    },
  })
  return writer
}
