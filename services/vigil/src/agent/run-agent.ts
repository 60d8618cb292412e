// Wires an in-country agent: the prober measures for this vantage with no database, every measurement
// goes to the local spool, and the uploader drains the spool to the api. Started and stopped here.
import type { IngestMeasurement } from '@vigil/api'
import type { VigilConfig } from '@vigil/config'
import type { Registry } from '@vigil/metrics'
import { createProber, type Prober } from '@vigil/prober'
import type { CaList } from '@vigil/probes'
import { Spool } from '@vigil/spool'
import type { NewMeasurement } from '@vigil/store'
import { type Logger, pino } from 'pino'
import { VERSION } from '../version.js'
import { createUploader, type Uploader } from './uploader.js'

export interface AgentOptions {
  config: VigilConfig
  apiUrl: string
  token: string
  /** Overrides the config's spool directory. */
  spoolDir?: string | undefined
  /** Silent when absent. */
  logger?: Logger
  registry?: Registry
  /** Roots the probes trust instead of Node's bundled ones (tests). */
  ca?: CaList
}

export interface RunningAgent {
  spool: Spool<IngestMeasurement>
  prober: Prober
  uploader: Uploader
  /** Writes measurements received so far to the spool (they are batched per tick of the event loop). */
  flush(): void
  stop(): Promise<void>
}

/** The form a measurement is spooled and uploaded in. */
export function toIngestMeasurement(measurement: NewMeasurement): IngestMeasurement {
  return {
    id: measurement.idempotencyKey ?? '',
    measuredAt: measurement.measuredAt.toISOString(),
    vantage: measurement.vantageId,
    target: measurement.targetId,
    kind: measurement.kind,
    region: measurement.region ?? null,
    asn: measurement.asn ?? null,
    ok: measurement.ok,
    failure: measurement.failure,
    durationMs: measurement.durationMs ?? null,
    details: measurement.details ?? {},
  }
}

export function startAgent(options: AgentOptions): RunningAgent {
  const { config } = options
  const logger = options.logger ?? pino({ level: 'silent' })
  const spool = Spool.open<IngestMeasurement>({
    dir: options.spoolDir ?? config.agent.spoolDir,
    maxBytes: config.agent.spoolMaxBytes,
    fullPolicy: config.agent.spoolFullPolicy,
    onWarning: (message, details) => logger.warn({ spool: details }, message),
  })
  const opened = spool.stats()
  logger.info({ backlog: opened.backlog, bytes: opened.bytes }, 'spool open')

  // Results of one round arrive together; one append (one fsync) per event-loop turn covers them all.
  let pending: IngestMeasurement[] = []
  let scheduled: NodeJS.Immediate | undefined
  const flush = () => {
    if (scheduled) clearImmediate(scheduled)
    scheduled = undefined
    if (pending.length === 0) return
    const batch = pending
    pending = []
    try {
      const result = spool.append(batch)
      if (result.dropped > 0) {
        logger.error({ dropped: result.dropped }, 'spool full; dropped the oldest unsent measurements')
      }
      if (result.refused > 0) {
        logger.error({ refused: result.refused }, 'spool full; new measurements are not kept')
      }
    } catch (error) {
      logger.error({ err: error, lost: batch.length }, 'could not write measurements to the spool')
    }
  }

  const prober = createProber({
    config,
    record: (measurement) => {
      pending.push(toIngestMeasurement(measurement))
      scheduled ??= setImmediate(flush)
    },
    ...(options.registry ? { registry: options.registry } : {}),
    ...(options.ca ? { ca: options.ca } : {}),
    logger: logger.child({ service: 'prober' }),
  })
  const uploader = createUploader({
    spool,
    apiUrl: options.apiUrl,
    token: options.token,
    batchSize: config.agent.batchSize,
    uploadIntervalMs: config.agent.uploadInterval,
    heartbeatIntervalMs: config.agent.heartbeatInterval,
    maxBackoffMs: config.agent.maxBackoff,
    version: VERSION,
    logger: logger.child({ service: 'uploader' }),
  })
  prober.start()
  uploader.start()

  let stopped: Promise<void> | undefined
  return {
    spool,
    prober,
    uploader,
    flush,
    stop() {
      stopped ??= (async () => {
        await prober.stop()
        flush()
        await uploader.stop()
        spool.close()
      })()
      return stopped
    },
  }
}
