// Retention: deletes what is older than the configured retention, table by table, in small batches, so
// that a month of history goes without one long transaction or lock, and other queries (on the embedded
// store's single connection too) run between batches. What an open incident still rests on is kept.
import type { Sql } from './connect.js'

/** The tables retention applies to, in the order they are pruned. */
export const RETENTION_TABLES = [
  'measurements',
  'tls_observations',
  'news_items',
  'notifications',
  'incidents',
] as const
export type RetentionTable = (typeof RETENTION_TABLES)[number]

/** How long each kind of row is kept, in milliseconds (the config's `store.retention`). */
export interface RetentionPolicy {
  measurements: number
  tlsObservations: number
  newsItems: number
  notifications: number
  incidents: number
}

export interface RetentionOptions {
  /** The present; rows older than `now` minus their retention go. */
  now?: Date
  /** Rows per DELETE statement; 1,000 unless given. */
  batchSize?: number
  /** Called after every batch that deleted rows. */
  onBatch?: (table: RetentionTable, deleted: number) => void
  /** Checked before every batch: when it returns true, the run ends early (a stopping process). */
  shouldStop?: () => boolean
}

export type RetentionResult = Record<RetentionTable, number>

const policyKey: Record<RetentionTable, keyof RetentionPolicy> = {
  measurements: 'measurements',
  tls_observations: 'tlsObservations',
  news_items: 'newsItems',
  notifications: 'notifications',
  incidents: 'incidents',
}

/**
 * Deletes, in batches of `batchSize`, every row older than its table's retention:
 * - measurements and TLS observations by `measured_at`;
 * - news items by `fetched_at`, except items of a report that an open (pending or firing) incident
 *   cites: the report keeps its sources while the incident about it is open;
 * - notifications by `created_at`, only once sent or failed (never one still to deliver), and never one
 *   about an open incident (the outbox reads them to know what the incident was already told about);
 * - incidents by `resolved_at`, only resolved ones (open incidents are never deleted), and never one a
 *   notification still to deliver is about.
 * Returns the rows deleted per table. Each batch is its own statement; a second process running the same
 * job at once skips the rows the first has locked rather than waiting for them.
 */
export async function deleteExpired(
  sql: Sql,
  policy: RetentionPolicy,
  options: RetentionOptions = {},
): Promise<RetentionResult> {
  const now = options.now ?? new Date()
  const batchSize = options.batchSize ?? 1_000
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`retention batch size must be a positive whole number, got ${batchSize}`)
  }
  const result: RetentionResult = {
    measurements: 0,
    tls_observations: 0,
    news_items: 0,
    notifications: 0,
    incidents: 0,
  }
  for (const table of RETENTION_TABLES) {
    const cutoff = new Date(now.getTime() - policy[policyKey[table]])
    for (;;) {
      if (options.shouldStop?.()) return result
      const deleted = await deleteBatch(sql, table, cutoff, batchSize)
      if (deleted > 0) {
        result[table] += deleted
        options.onBatch?.(table, deleted)
      }
      if (deleted < batchSize) break
    }
  }
  return result
}

async function deleteBatch(sql: Sql, table: RetentionTable, cutoff: Date, limit: number): Promise<number> {
  switch (table) {
    case 'measurements':
      return (
        await sql`
          delete from measurements where id in (
            select id from measurements where measured_at < ${cutoff}
            limit ${limit} for update skip locked)`
      ).count
    case 'tls_observations':
      return (
        await sql`
          delete from tls_observations where id in (
            select id from tls_observations where measured_at < ${cutoff}
            limit ${limit} for update skip locked)`
      ).count
    case 'news_items':
      return (
        await sql`
          delete from news_items where id in (
            select n.id from news_items n
            where n.fetched_at < ${cutoff}
              and not exists (
                select 1 from report_items ri
                join incidents i on i.scope_type = 'report' and i.scope = ri.report_id::text
                where ri.item_id = n.id and i.state <> 'resolved')
            limit ${limit} for update of n skip locked)`
      ).count
    case 'notifications':
      return (
        await sql`
          delete from notifications where id in (
            select n.id from notifications n
            where n.created_at < ${cutoff}
              and n.state in ('sent', 'failed')
              and not exists (
                select 1 from incidents i where i.state <> 'resolved' and i.id = any (n.incident_ids))
            limit ${limit} for update of n skip locked)`
      ).count
    case 'incidents':
      return (
        await sql`
          delete from incidents where id in (
            select i.id from incidents i
            where i.state = 'resolved' and i.resolved_at < ${cutoff}
              and not exists (
                select 1 from notifications n
                where n.state in ('pending', 'sending') and n.incident_ids @> array[i.id])
            limit ${limit} for update of i skip locked)`
      ).count
  }
}
