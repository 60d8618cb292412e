// Wires the services of one Vigil process: store, migrations, what the config declares, the api. Each
// service is started here and stopped here, in reverse order.

import { createAlerter } from '@vigil/alerter'
import { buildApp, serveLocalControl, startMetricsListener } from '@vigil/api'
import { planSubscriberNotifications } from '@vigil/board'
import { createCertwatch } from '@vigil/certwatch'
import type { VigilConfig } from '@vigil/config'
import { createMetricsRegistry, type Registry } from '@vigil/metrics'
import type { WorkerLoop } from '@vigil/model'
import { createNewswatch } from '@vigil/newswatch'
import { createNotifier } from '@vigil/notify'
import { createIodaPoller, createOoniPoller } from '@vigil/observatories'
import { createProber } from '@vigil/prober'
import {
  announceInDataDirLock,
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
import { holdsEmbeddedStore, openChosenStore, type StoreChoice } from './commands/common.js'
import { registerConfiguredTargets } from './register.js'
import { createRetentionJob } from './retention-job.js'
import { VERSION } from './version.js'

export const SERVICE_NAMES = [
  'api',
  'prober',
  'certwatch',
  'newswatch',
  'observatories',
  'alerter',
  'notifier',
  'retention',
] as const
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
  /** Where GET /metrics is also served without a key; overrides the config's api.metricsListen. */
  metricsListen?: { host: string; port: number } | undefined
}

export interface RunningVigil {
  /** The api's base URL, e.g. http://127.0.0.1:8080 */
  url: string
  /** The metrics listener's address (host:port), when one was asked for. */
  metricsAddress: string | undefined
  /** The control socket other `vigil` commands reach this process by (embedded store only). */
  controlSocket: string | undefined
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
    const creating = !options.store.databaseUrl && !holdsEmbeddedStore(options.store.dataDir)
    if (creating) {
      logger.info(
        { location: options.store.dataDir },
        `no store in ${options.store.dataDir}; creating a new embedded store there`,
      )
    }
    const store = await openChosenStore(options.store, { create: true })
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
    const run = (name: string, service: WorkerLoop<unknown>) => {
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
    }
    if (runs('observatories')) {
      // OONI's and IODA's APIs are polled only when the config asks for it: it needs a network that
      // reaches them.
      const { ooni, ioda } = config.observatories
      if (ooni.enabled) {
        const ooniLogger = logger.child({ service: 'ooni-poller' })
        run(
          'ooni-poller',
          createOoniPoller({
            settings: ooni,
            sql: store.sql,
            firstLookBack: ooni.lookBack,
            log: (event) =>
              event.error
                ? ooniLogger.warn(event, 'OONI poll failed')
                : ooniLogger.info(event, 'OONI poll done'),
          }),
        )
      }
      if (ioda.enabled) {
        const iodaLogger = logger.child({ service: 'ioda-poller' })
        run(
          'ioda-poller',
          createIodaPoller({
            settings: {
              apiUrl: ioda.apiUrl,
              entities: [
                ...ioda.countries.map((code) => ({ type: 'country' as const, code })),
                ...ioda.regions.map((code) => ({ type: 'region' as const, code })),
                ...ioda.asns.map((asn) => ({ type: 'asn' as const, code: String(asn) })),
              ],
              interval: ioda.interval,
              maxBackoff: ioda.maxBackoff,
              lookBack: ioda.lookBack,
            },
            sql: store.sql,
            log: (event) =>
              event.error
                ? iodaLogger.warn(event, 'IODA poll failed')
                : iodaLogger.info(event, 'IODA poll done'),
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
        createNotifier({
          config,
          sql: store.sql,
          registry,
          logger: logger.child({ service: 'notifier' }),
          // Status page subscribers get their messages through the same outbox and delivery.
          extraPlanners: [(at) => planSubscriberNotifications(store.sql, config, at)],
        }),
      )
    }
    if (runs('retention')) {
      run(
        'retention',
        createRetentionJob({
          config,
          sql: store.sql,
          registry,
          logger: logger.child({ service: 'retention' }),
        }),
      )
    }

    const appDeps = {
      store,
      registry,
      version: VERSION,
      logger: logger.child({ service: 'api' }),
      ingest: { maxBytes: config.api.maxIngestBytes, ratePerMinute: config.api.ingestRateLimit },
      silenceAfterMs: config.thresholds.silenceAfter,
      config,
      authFailuresPerMinute: config.api.authFailuresPerMinute,
      trustProxy: config.api.trustProxy,
    }
    const app = await buildApp({ ...appDeps, routes: runs('api') ? 'all' : 'health' })
    stops.push({ name: 'api', stop: () => app.close() })
    if (runs('api')) started.unshift('api')
    const host = options.host ?? config.api.host
    const port = options.port ?? config.api.port
    await app.listen({ host, port })
    const address = app.server.address()
    const boundPort = typeof address === 'object' && address ? address.port : port
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`

    const metricsListen = options.metricsListen ?? config.api.metricsListen
    let metricsAddress: string | undefined
    if (metricsListen) {
      const listener = await startMetricsListener({
        registry,
        ...metricsListen,
        onError: (error) => logger.error({ err: error }, 'metrics could not be collected'),
      })
      stops.push({ name: 'metrics listener', stop: () => listener.close() })
      metricsAddress = listener.address
    }
    // Only this process may open the embedded database; other `vigil` commands (agent-token, api-key,
    // report, export, import) find this socket in the data directory's lock file and work through it.
    let controlSocket: string | undefined
    if (store.kind === 'embedded') {
      // The commands need every route, also when this process serves only health and metrics on TCP.
      const controlApp = runs('api') ? app : await buildApp({ ...appDeps, routes: 'all' })
      if (controlApp !== app) stops.push({ name: 'control api', stop: () => controlApp.close() })
      const control = await serveLocalControl(controlApp)
      stops.push({ name: 'control socket', stop: () => control.close() })
      announceInDataDirLock(store.location, { control: control.path, api: url })
      controlSocket = control.path
    }

    logger.info(
      {
        url,
        metrics: `${url}/metrics`,
        ...(metricsAddress ? { metricsListen: `http://${metricsAddress}/metrics` } : {}),
        ...(controlSocket ? { controlSocket } : {}),
        docs: `${url}/docs`,
        config: options.configFile,
        services: started,
      },
      `vigil is running; api at ${url}`,
    )
    return { url, metricsAddress, controlSocket, store, stop: stopAll }
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
