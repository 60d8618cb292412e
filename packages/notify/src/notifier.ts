// The notifier: plans what incidents need telling into the outbox, then delivers due rows it has leased.
// `runOnce()` does one round (tests); `start()` loops with a cancellable sleep and `stop()` waits for the
// round in progress, so a process never exits halfway through recording a delivery.
import { randomUUID } from 'node:crypto'
import type { VigilConfig } from '@vigil/config'
import type { Registry } from '@vigil/metrics'
import {
  countUndeliveredNotifications,
  leaseNotifications,
  markNotificationFailed,
  markNotificationSent,
  type NotificationChannel,
  type Sql,
} from '@vigil/store'
import type { Logger } from 'pino'
import { createEmailChannel, createWebhookChannel, type DeliveryChannel, DeliveryError } from './channels.js'
import { createNotifierMetrics, type NotifierMetrics } from './metrics.js'
import { planNotifications } from './plan.js'

export interface NotifierDeps {
  config: VigilConfig
  sql: Sql
  registry?: Registry | undefined
  logger?: Logger | undefined
  now?: () => Date
  /** Names this worker in leases; unique per process. */
  owner?: string
  /** Pause between rounds of `start()`. */
  pollIntervalMs?: number
  /** How long a leased row is this worker's before another may take it over. */
  leaseMs?: number
  batchSize?: number
  backoff?: { baseMs: number; maxMs: number }
  /** Attempts before a row is given up on. */
  maxAttempts?: number
  /** Replaces the SMTP and HTTP edges (a test that measures what a round does, not how it sends). */
  channels?: Partial<Record<NotificationChannel, DeliveryChannel>>
}

export interface RoundResult {
  planned: number
  sent: number
  failed: number
}

export interface Notifier {
  readonly owner: string
  /** Plans, then delivers everything due, batch after batch. */
  runOnce(): Promise<RoundResult>
  plan(): Promise<number>
  deliver(): Promise<{ sent: number; failed: number }>
  start(): void
  /** Stops the loop, waits for the round in progress and closes the SMTP transport. */
  stop(): Promise<void>
}

/** Exponential backoff: base, 2×base, 4×base... capped. */
export function retryDelay(attempts: number, backoff: { baseMs: number; maxMs: number }): number {
  return Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempts - 1))
}

export function createNotifier(deps: NotifierDeps): Notifier {
  const { config, sql } = deps
  const now = deps.now ?? (() => new Date())
  const owner = deps.owner ?? `notifier-${randomUUID()}`
  const pollIntervalMs = deps.pollIntervalMs ?? 2_000
  // Longer than any send can take, so a live worker never loses its lease mid-send.
  const leaseMs = deps.leaseMs ?? Math.max(60_000, 3 * config.smtp.timeout)
  const batchSize = deps.batchSize ?? 20
  const backoff = deps.backoff ?? { baseMs: 5_000, maxMs: 10 * 60_000 }
  const maxAttempts = deps.maxAttempts ?? 200
  const metrics: NotifierMetrics | undefined = deps.registry
    ? createNotifierMetrics(deps.registry)
    : undefined
  const channels: Record<NotificationChannel, DeliveryChannel> = {
    email: deps.channels?.email ?? createEmailChannel(config),
    webhook: deps.channels?.webhook ?? createWebhookChannel(config),
  }
  const log = deps.logger

  let loop: Promise<void> | undefined
  let stopping: AbortController | undefined
  let current: Promise<unknown> = Promise.resolve()

  const deliverBatch = async (): Promise<{ sent: number; failed: number; leased: number }> => {
    const leased = await leaseNotifications(sql, { owner, now: now(), leaseMs, limit: batchSize })
    let sent = 0
    let failed = 0
    for (const row of leased) {
      try {
        await channels[row.channel].send(row)
        if (!(await markNotificationSent(sql, row.id, owner, now()))) {
          log?.warn(
            { notification: row.id },
            'delivered a notification whose lease had passed to another worker',
          )
        }
        sent++
        metrics?.sent(row.channel)
        log?.info(
          { notification: row.id, channel: row.channel, receiver: row.receiver },
          `sent: ${row.subject}`,
        )
      } catch (error) {
        failed++
        metrics?.failed(row.channel)
        const permanent = (error instanceof DeliveryError && error.permanent) || row.attempts >= maxAttempts
        const retryAt = permanent ? null : new Date(now().getTime() + retryDelay(row.attempts, backoff))
        await markNotificationFailed(sql, row.id, owner, { error: (error as Error).message, retryAt })
        log?.warn(
          { err: error, notification: row.id, channel: row.channel, attempts: row.attempts, retryAt },
          permanent ? 'notification given up' : 'notification not delivered; will retry',
        )
      }
    }
    return { sent, failed, leased: leased.length }
  }

  const notifier: Notifier = {
    owner,
    plan: () =>
      planNotifications(sql, config, now(), {
        onGroupFailed: (bundle, error) => {
          metrics?.groupFailed()
          log?.error(
            {
              err: error,
              receiver: bundle.receiver,
              channel: bundle.channel,
              kind: bundle.kind,
              event: bundle.event,
              incidents: bundle.items.length,
            },
            'could not plan a notification group; planned the others',
          )
        },
      }),
    async deliver() {
      let sent = 0
      let failed = 0
      // Batch after batch until nothing is due; a failed row is due only later, so this ends.
      for (;;) {
        const batch = await deliverBatch()
        sent += batch.sent
        failed += batch.failed
        if (batch.leased < batchSize || stopping?.signal.aborted) break
      }
      metrics?.pending(await countUndeliveredNotifications(sql))
      return { sent, failed }
    },
    async runOnce() {
      const round = (async () => {
        const planned = await notifier.plan()
        const delivered = await notifier.deliver()
        return { planned, ...delivered }
      })()
      current = round.catch(() => {})
      return round
    },
    start() {
      if (loop) return
      stopping = new AbortController()
      const signal = stopping.signal
      loop = (async () => {
        while (!signal.aborted) {
          try {
            await notifier.runOnce()
          } catch (error) {
            log?.error({ err: error }, 'notifier round failed; trying again next round')
          }
          await sleep(pollIntervalMs, signal)
        }
      })()
    },
    async stop() {
      stopping?.abort()
      await loop
      await current
      loop = undefined
      channels.email.close()
      channels.webhook.close()
    },
  }
  return notifier
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}
