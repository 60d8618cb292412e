// Other observatories' data beside Vigil's own: IODA signal points and outage alerts/events, and the reads
// the rally report makes of them. OONI measurements live in the measurements table (source 'ooni').
import type { Sql, TransactionSql } from './connect.js'

type Db = Sql | TransactionSql

export interface ObservatorySignalPoint {
  source?: string
  entityType: string
  entityCode: string
  datasource: string
  /** IODA's series subtype (e.g. a gtr product); empty when the series has none. */
  subtype?: string
  /** The aggregate of a per-bucket datasource (`loss_pct`, ...); empty for a plain numeric series. */
  metric?: string
  at: Date
  /** Seconds between points of the series. */
  step: number
  value: number | null
}

export interface ObservatoryEvent {
  source?: string
  kind: 'alert' | 'event'
  entityType: string
  entityCode: string
  entityName: string | null
  /** Empty when the event summarises several datasources. */
  datasource: string
  startedAt: Date
  endedAt: Date | null
  level: string | null
  score: number | null
  details: Record<string, unknown>
}

export interface ObservatoryRange {
  from: Date
  to: Date
  /** Entities as `type/code` (e.g. `country/KZ`); all entities when absent. */
  entities?: string[] | undefined
}

// 9 columns a row: far below PostgreSQL's 65,535 parameters per statement.
const BATCH_ROWS = 5_000

/** Stores signal points; points already stored (same entity, datasource, subtype, metric and time) are skipped. Returns how many were new. */
export async function insertObservatorySignals(
  sql: Db,
  points: readonly ObservatorySignalPoint[],
): Promise<number> {
  let inserted = 0
  for (let start = 0; start < points.length; start += BATCH_ROWS) {
    const batch = points.slice(start, start + BATCH_ROWS).map((point) => ({
      source: point.source ?? 'ioda',
      entity_type: point.entityType,
      entity_code: point.entityCode,
      datasource: point.datasource,
      subtype: point.subtype ?? '',
      metric: point.metric ?? '',
      at: point.at,
      step: point.step,
      value: point.value,
    }))
    const result = await sql`insert into observatory_signals ${sql(batch as never)} on conflict do nothing`
    inserted += result.count
  }
  return inserted
}

/** Stores alerts and events; one already stored (same kind, entity, datasource and start) is skipped. */
export async function insertObservatoryEvents(sql: Db, events: readonly ObservatoryEvent[]): Promise<number> {
  let inserted = 0
  for (let start = 0; start < events.length; start += BATCH_ROWS) {
    const batch = events.slice(start, start + BATCH_ROWS).map((event) => ({
      source: event.source ?? 'ioda',
      kind: event.kind,
      entity_type: event.entityType,
      entity_code: event.entityCode,
      entity_name: event.entityName,
      datasource: event.datasource,
      started_at: event.startedAt,
      ended_at: event.endedAt,
      level: event.level,
      score: event.score,
      details: sql.json(event.details as never),
    }))
    const result = await sql`insert into observatory_events ${sql(batch as never)} on conflict do nothing`
    inserted += result.count
  }
  return inserted
}

function entityCondition(sql: Db, entities: string[] | undefined) {
  if (entities === undefined) return sql``
  if (entities.length === 0) return sql`and false`
  return sql`and (entity_type || '/' || entity_code) in ${sql(entities)}`
}

/** Signal points in [from, to), by entity, datasource and time. */
export async function queryObservatorySignals(
  sql: Db,
  range: ObservatoryRange,
): Promise<ObservatorySignalPoint[]> {
  return sql<ObservatorySignalPoint[]>`
    select source, entity_type as "entityType", entity_code as "entityCode", datasource, subtype, metric, at,
           step, value
    from observatory_signals
    where at >= ${range.from} and at < ${range.to} ${entityCondition(sql, range.entities)}
    order by entity_type, entity_code, datasource, subtype, metric, at`
}

/** Alerts and events overlapping [from, to), oldest first. */
export async function queryObservatoryEvents(sql: Db, range: ObservatoryRange): Promise<ObservatoryEvent[]> {
  return sql<ObservatoryEvent[]>`
    select source, kind, entity_type as "entityType", entity_code as "entityCode", entity_name as "entityName",
           datasource, started_at as "startedAt", ended_at as "endedAt", level, score, details
    from observatory_events
    where started_at < ${range.to} and coalesce(ended_at, started_at) >= ${range.from}
      ${entityCondition(sql, range.entities)}
    order by started_at, id`
}

/** When the newest OONI measurement from probes in `country` was taken: where a poller picks up again. */
export async function latestOoniMeasurementAt(sql: Db, country: string): Promise<Date | undefined> {
  const [row] = await sql<Array<{ at: Date | null }>>`
    select max(m.measured_at) as at
    from measurements m join vantages v on v.id = m.vantage_id
    where m.source = 'ooni' and v.country = ${country}`
  return row?.at ?? undefined
}

/** OONI measurements in [from, to) from probes in `country`, oldest first: the rally report's OONI lane. */
export interface OoniLaneRow {
  measuredAt: Date
  testName: string
  asn: number | null
  targetId: string
  ok: boolean
  failure: string | null
  /** `ok`, `anomaly`, `down` or `unknown`, as read at import. */
  verdict: string
}

export async function queryOoniMeasurements(
  sql: Db,
  range: { from: Date; to: Date; country: string; limit?: number },
): Promise<OoniLaneRow[]> {
  return sql<OoniLaneRow[]>`
    select m.measured_at as "measuredAt", m.kind as "testName", m.asn, m.target_id as "targetId", m.ok, m.failure,
           coalesce(m.details #>> '{ooni,verdict}', case when m.ok then 'ok' else 'anomaly' end) as verdict
    from measurements m join vantages v on v.id = m.vantage_id
    where m.source = 'ooni' and v.country = ${range.country}
      and m.measured_at >= ${range.from} and m.measured_at < ${range.to}
    order by m.measured_at, m.id
    limit ${range.limit ?? 50_000}`
}
