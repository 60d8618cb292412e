// The retention job of `vigil start`: every hour (and shortly after start) rolls up the closed hours of
// measurements not yet rolled up, then applies the config's `store.retention`, logging what it deleted and
// counting it in metrics.
import type { VigilConfig } from '@vigil/config'
import { Counter, Gauge, type Registry, registerOnce } from '@vigil/metrics'
import type { WorkerLoop } from '@vigil/model'
import {
  deleteExpired,
  RETENTION_TABLES,
  type RetentionResult,
  rollUpDirtyHours,
  type Sql,
} from '@vigil/store'
import type { Logger } from 'pino'

export interface RetentionJobDeps {
  config: VigilConfig
  sql: Sql
  registry: Registry
  logger: Logger
  /** Between runs; one hour unless given. */
  intervalMs?: number
  /** Before the first run, so it does not compete with the start; one minute unless given. */
  firstRunAfterMs?: number
  /** Rows per DELETE statement. */
  batchSize?: number
  now?: () => Date
}

export interface RetentionJob extends WorkerLoop<RetentionResult> {
  /** One pass over every table; resolves with the rows deleted per table. */
  runOnce(): Promise<RetentionResult>
  start(): void
  /** Ends the loop; a run under way stops after its current batch. */
  stop(): Promise<void>
}

export function createRetentionJob(deps: RetentionJobDeps): RetentionJob {
  const { registry, logger } = deps
  const deletedRows = registerOnce(
    registry,
    'vigil_retention_deleted_rows_total',
    () =>
      new Counter({
        name: 'vigil_retention_deleted_rows_total',
        help: 'Rows deleted by the retention job because they were older than the configured retention.',
        labelNames: ['table'],
        registers: [registry],
      }),
  )
  for (const table of RETENTION_TABLES) deletedRows.inc({ table }, 0)
  const runs = registerOnce(
    registry,
    'vigil_retention_runs_total',
    () =>
      new Counter({
        name: 'vigil_retention_runs_total',
        help: 'Retention runs, by result (ok, error).',
        labelNames: ['result'],
        registers: [registry],
      }),
  )
  const lastSuccess = registerOnce(
    registry,
    'vigil_retention_last_success_timestamp_seconds',
    () =>
      new Gauge({
        name: 'vigil_retention_last_success_timestamp_seconds',
        help: 'When the retention job last completed a run (Unix time).',
        registers: [registry],
      }),
  )

  let stopping = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<unknown> | undefined

  const runOnce = async (): Promise<RetentionResult> => {
    const started = Date.now()
    try {
      // Closed hours are rolled up before their raw rows may go, so the hourly rollups outlive them.
      let rolled = 0
      for (;;) {
        if (stopping) break
        const step = await rollUpDirtyHours(deps.sql, { now: deps.now?.() })
        rolled += step.hours
        if (step.remaining === 0 || step.hours === 0) break
      }
      if (rolled > 0) logger.info({ hours: rolled }, 'hourly rollups brought up to date')
      const result = await deleteExpired(deps.sql, deps.config.store.retention, {
        now: deps.now?.(),
        batchSize: deps.batchSize,
        onBatch: (table, deleted) => deletedRows.inc({ table }, deleted),
        shouldStop: () => stopping,
      })
      runs.inc({ result: 'ok' })
      lastSuccess.set(Date.now() / 1000)
      const total = Object.values(result).reduce((sum, n) => sum + n, 0)
      logger[total > 0 ? 'info' : 'debug'](
        { deleted: result, durationMs: Date.now() - started },
        'retention applied',
      )
      return result
    } catch (error) {
      runs.inc({ result: 'error' })
      throw error
    }
  }

  const schedule = (delayMs: number) => {
    timer = setTimeout(() => {
      running = runOnce()
        .catch((error) => logger.error({ err: error }, 'retention failed; will try again'))
        .finally(() => {
          running = undefined
          if (!stopping) schedule(deps.intervalMs ?? 3_600_000)
        })
    }, delayMs)
  }

  return {
    runOnce,
    start() {
      if (timer) return
      stopping = false
      schedule(deps.firstRunAfterMs ?? 60_000)
      logger.info({ everySeconds: (deps.intervalMs ?? 3_600_000) / 1000 }, 'retention started')
    },
    async stop() {
      stopping = true
      clearTimeout(timer)
      await running
      timer = undefined
    },
  }
}
