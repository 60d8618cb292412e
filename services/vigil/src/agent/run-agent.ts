// Wires an in-country agent: the prober and certwatch measure for this vantage with no database, every
// result goes to the local spool, and the uploader drains the spool to the api. Started and stopped here.

import { type Certwatch, type CertwatchCheck, createCertwatch } from '@vigil/certwatch'
import type { VigilConfig } from '@vigil/config'
import type { Registry } from '@vigil/metrics'
import type { IngestMeasurement, IngestTlsObservation } from '@vigil/model'
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

/**
 * One spooled result. Spools written before the agent ran certwatch hold bare measurements without `type`;
 * they are still read as measurements.
 */
export type SpooledRecord =
  | IngestMeasurement
  | ({ type: 'measurement' } & IngestMeasurement)
  | ({ type: 'tls_observation' } & IngestTlsObservation)

export interface RunningAgent {
  spool: Spool<SpooledRecord>
  prober: Prober
  certwatch: Certwatch
  uploader: Uploader
  /** Writes results received so far to the spool (they are batched per tick of the event loop). */
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
    kind: measurement.kind as IngestMeasurement['kind'],
    region: measurement.region ?? null,
    asn: measurement.asn ?? null,
    ok: measurement.ok,
    failure: measurement.failure,
    durationMs: measurement.durationMs ?? null,
    details: measurement.details ?? {},
  }
}

/** The form a certwatch check is spooled and uploaded in: the capture, for the api to judge. */
export function toIngestTlsObservation(check: CertwatchCheck): IngestTlsObservation {
  const { observation, stored } = check
  return {
    id: stored.idempotencyKey ?? '',
    measuredAt: observation.capturedAt,
    round: check.verdict.round ?? observation.capturedAt,
    vantage: stored.vantageId,
    target: stored.targetId,
    host: observation.host,
    port: observation.port,
    sni: observation.servername,
    verified: observation.verified,
    failure: observation.failure,
    chain: observation.chain as unknown as IngestTlsObservation['chain'],
    protocol: observation.protocol,
    cipher: observation.cipher,
  }
}

export function startAgent(options: AgentOptions): RunningAgent {
  const { config } = options
  const logger = options.logger ?? pino({ level: 'silent' })
  const spool = Spool.open<SpooledRecord>({
    dir: options.spoolDir ?? config.agent.spoolDir,
    maxBytes: config.agent.spoolMaxBytes,
    fullPolicy: config.agent.spoolFullPolicy,
    onWarning: (message, details) => logger.warn({ spool: details }, message),
  })
  const opened = spool.stats()
  logger.info({ backlog: opened.backlog, bytes: opened.bytes }, 'spool open')

  // Results of one round arrive together; one append (one fsync) per event-loop turn covers them all.
  let pending: SpooledRecord[] = []
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
        logger.error({ dropped: result.dropped }, 'spool full; dropped the oldest unsent results')
      }
      if (result.refused > 0) {
        logger.error({ refused: result.refused }, 'spool full; new results are not kept')
      }
    } catch (error) {
      logger.error({ err: error, lost: batch.length }, 'could not write results to the spool')
    }
  }

  const keep = (record: SpooledRecord) => {
    pending.push(record)
    scheduled ??= setImmediate(flush)
  }
  const prober = createProber({
    config,
    record: (measurement) => keep({ type: 'measurement', ...toIngestMeasurement(measurement) }),
    ...(options.registry ? { registry: options.registry } : {}),
    ...(options.ca ? { ca: options.ca } : {}),
    logger: logger.child({ service: 'prober' }),
  })
  // No database here: the chains are judged against the control by the api when they arrive.
  const certwatch = createCertwatch({
    config,
    record: (_observation, check) => keep({ type: 'tls_observation', ...toIngestTlsObservation(check) }),
    ...(options.registry ? { registry: options.registry } : {}),
    ...(options.ca ? { ca: options.ca } : {}),
    logger: logger.child({ service: 'certwatch' }),
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
    vantage: {
      role: config.vantage.role,
      region: config.vantage.region ?? null,
      asn: config.vantage.network.asn,
      // An agent that does not know its network type claims nothing about it.
      ...(config.vantage.network.type === 'unknown' ? {} : { networkType: config.vantage.network.type }),
    },
    logger: logger.child({ service: 'uploader' }),
  })
  prober.start()
  certwatch.start()
  uploader.start()

  let stopped: Promise<void> | undefined
  return {
    spool,
    prober,
    certwatch,
    uploader,
    flush,
    stop() {
      stopped ??= (async () => {
        await Promise.all([prober.stop(), certwatch.stop()])
        flush()
        await uploader.stop()
        spool.close()
      })()
      return stopped
    },
  }
}
