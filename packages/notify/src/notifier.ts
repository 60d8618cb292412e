// The notifier: plans what incidents need telling into the outbox, then delivers due rows it has leased.
// `runOnce()` does one round (tests); `start()` loops with a cancellable sleep and `stop()` waits for the
// round in progress, so a process never exits halfway through recording a delivery.
import { randomUUID } from 'node:crypto'
import type { VigilConfig } from '@vigil/config'
import type { Registry } from '@vigil/metrics'
import type { WorkerLoop } from '@vigil/model'
import {
  countUndeliveredNotifications,
  leaseNotifications,
  markNotificationFailed,
  markNotificationSent,
  markReceiverFailing,
  markReceiverWorking,
  type Notification,
  type NotificationChannel,
  receiverStatuses,
  releaseNotification,
  type Sql,
  threadRootOf,
} from '@vigil/store'
import type { Logger } from 'pino'
import { createEmailChannel, createWebhookChannel, type DeliveryChannel, DeliveryError } from './channels.js'
import { isChatChannel } from './chat.js'
import { createChatChannels } from './chat-channels.js'
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
  /**
   * More planners run after the alert planning of every round, each inserting outbox rows and returning
   * how many were new (e.g. the status page's subscriber messages).
   */
  extraPlanners?: ReadonlyArray<(now: Date) => Promise<number>>
  /**
   * Replaces the SMTP and HTTP edges (a test that measures what a round does, not how it sends). Back-off
   * starts at `baseMs` and doubles up to `maxMs` (defaults 5 s and 10 min: a remote down for a minute is
   * retried at 5, 15, 35 and 75 s and so gets the message within about 15 s of coming back).
   */
  channels?: Partial<Record<NotificationChannel, DeliveryChannel>>
}

export interface RoundResult {
  planned: number
  sent: number
  failed: number
}

export interface Notifier extends WorkerLoop<RoundResult> {
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
  // The longest one send may take: the HTTP channels time out within 30 s, SMTP within its timeouts.
  const sendBudgetMs = Math.min(leaseMs / 2, Math.max(30_000, 2 * config.smtp.timeout))
  const backoff = deps.backoff ?? { baseMs: 5_000, maxMs: 10 * 60_000 }
  const maxAttempts = deps.maxAttempts ?? 200
  const metrics: NotifierMetrics | undefined = deps.registry
    ? createNotifierMetrics(deps.registry)
    : undefined
  const chat = createChatChannels(config)
  const channels: Record<NotificationChannel, DeliveryChannel> = {
    email: deps.channels?.email ?? createEmailChannel(config),
    webhook: deps.channels?.webhook ?? createWebhookChannel(config),
    telegram: deps.channels?.telegram ?? chat.telegram,
    matrix: deps.channels?.matrix ?? chat.matrix,
    signal: deps.channels?.signal ?? chat.signal,
    ntfy: deps.channels?.ntfy ?? chat.ntfy,
  }
  const log = deps.logger
  // Receiver and channel -> when the remote's rate limit ends (it asked this worker to wait).
  const rateLimited = new Map<string, number>()
  const limitKey = (row: Notification) => `${row.channel}\u0000${row.receiver}`

  // Replies thread under the first message about the same incidents, where the channel can.
  const contextOf = async (row: Notification) => {
    if (!isChatChannel(row.channel) || row.event === 'firing') return {}
    const thread = await threadRootOf(sql, {
      receiver: row.receiver,
      channel: row.channel,
      incidentIds: row.incidentIds,
      before: row.id,
    })
    return { thread }
  }

  let loop: Promise<void> | undefined
  let stopping: AbortController | undefined
  let current: Promise<unknown> = Promise.resolve()

  const deliverBatch = async (): Promise<{ sent: number; failed: number; leased: number }> => {
    const leased = await leaseNotifications(sql, { owner, now: now(), leaseMs, limit: batchSize })
    let sent = 0
    let failed = 0
    for (const row of leased) {
      // A row whose lease could run out during the send (the batch ran slow) is handed back to be leased
      // afresh: sent now, it could be sent a second time by a worker that took it over meanwhile.
      if (row.leaseUntil && row.leaseUntil.getTime() - now().getTime() < sendBudgetMs) {
        await releaseNotification(sql, row.id, owner, now())
        continue
      }
      const waitUntil = rateLimited.get(limitKey(row))
      if (waitUntil !== undefined && waitUntil > now().getTime()) {
        // The remote asked to wait: hand the row back untried rather than spend an attempt on it.
        await releaseNotification(sql, row.id, owner, new Date(waitUntil))
        continue
      }
      let remoteId: string | null
      try {
        const receipt = await channels[row.channel].send(row, await contextOf(row))
        remoteId = receipt?.remoteId ?? null
      } catch (error) {
        failed++
        metrics?.failed(row.channel)
        const refused = error instanceof DeliveryError && error.permanent
        const permanent = refused || row.attempts >= maxAttempts
        const retryAfterMs = error instanceof DeliveryError ? error.retryAfterMs : undefined
        if (retryAfterMs !== undefined) rateLimited.set(limitKey(row), now().getTime() + retryAfterMs)
        const retryAt = permanent
          ? null
          : new Date(now().getTime() + (retryAfterMs ?? retryDelay(row.attempts, backoff)))
        await markNotificationFailed(sql, row.id, owner, { error: (error as Error).message, retryAt })
        if (refused) {
          const reason = (error as DeliveryError).reason ?? 'rejected'
          metrics?.refused(row.channel, reason)
          metrics?.receiverFailing(row.receiver, row.channel, true)
          await markReceiverFailing(sql, {
            receiver: row.receiver,
            channel: row.channel,
            error: (error as Error).message,
            at: now(),
          })
          log?.error(
            { err: error, notification: row.id, channel: row.channel, receiver: row.receiver, reason },
            `receiver "${row.receiver}" is failing on ${row.channel} (${reason}): ${(error as Error).message}; notification given up${(error as DeliveryError).hint ? ` (${(error as DeliveryError).hint})` : ''}`,
          )
        } else {
          log?.warn(
            { err: error, notification: row.id, channel: row.channel, attempts: row.attempts, retryAt },
            permanent ? 'notification given up' : 'notification not delivered; will retry',
          )
        }
        continue
      }
      // Recorded at once: a repeat is possible only if this process dies before this line.
      if (!(await markNotificationSent(sql, row.id, owner, now(), remoteId))) {
        log?.warn(
          { notification: row.id },
          'delivered a notification whose lease had passed to another worker',
        )
      }
      sent++
      metrics?.sent(row.channel)
      if (await markReceiverWorking(sql, { receiver: row.receiver, channel: row.channel, at: now() })) {
        metrics?.receiverFailing(row.receiver, row.channel, false)
        log?.info({ channel: row.channel, receiver: row.receiver }, `receiver "${row.receiver}" works again`)
      }
      log?.info(
        { notification: row.id, channel: row.channel, receiver: row.receiver, remoteId },
        `sent: ${row.subject}`,
      )
    }
    return { sent, failed, leased: leased.length }
  }

  const notifier: Notifier = {
    owner,
    async plan() {
      let planned = await planNotifications(sql, config, now(), {
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
      })
      for (const planner of deps.extraPlanners ?? []) planned += await planner(now())
      return planned
    },
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
      if (metrics) {
        metrics.pending(await countUndeliveredNotifications(sql))
        // Other replicas record refusals too: the gauge follows the store.
        for (const status of await receiverStatuses(sql)) {
          metrics.receiverFailing(status.receiver, status.channel, status.failingSince !== null)
        }
      }
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
      for (const channel of Object.values(channels)) channel.close()
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
