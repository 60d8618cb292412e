// Acknowledgements of open incidents ("someone is on it"), as Alertmanager, PagerDuty and Grafana OnCall
// users know them. One per incident; the database removes it when the incident resolves or its level rises
// (migration 0015), so it never outlives the state it answered.
import { storableText } from '@vigil/outside-text'
import type { Sql, TransactionSql } from './connect.js'
import type { IncidentLevel, IncidentState } from './incidents.js'

type Db = Sql | TransactionSql

/** Longest comment kept, in UTF-16 code units (the column's check allows 2,000). */
export const ACK_COMMENT_MAX = 2000

export interface Acknowledgement {
  incidentId: number
  /** The name of the API key that acknowledged (never its secret), or `local administrator`. */
  by: string
  at: Date
  comment: string | null
  /** The incident's level when acknowledged; a higher level clears the acknowledgement. */
  level: IncidentLevel
}

export type AcknowledgeResult =
  | { outcome: 'acknowledged'; acknowledgement: Acknowledgement }
  | { outcome: 'not_found' }
  | { outcome: 'resolved' }

/**
 * Acknowledges an open incident, or replaces its acknowledgement (a second operator takes over, or the
 * comment changes). The comment is made storable (NUL and lone surrogates become U+FFFD) and cut to
 * ACK_COMMENT_MAX; an empty one is none. `not_found` for an unknown id, `resolved` for a resolved incident
 * (nothing left to acknowledge).
 */
export async function acknowledgeIncident(
  sql: Sql,
  ack: { incidentId: number; by: string; apiKeyId?: number | null; comment?: string | null; at: Date },
): Promise<AcknowledgeResult> {
  const comment = ack.comment ? storableText(ack.comment, ACK_COMMENT_MAX) : null
  const by = storableText(ack.by, 200)
  return sql.begin(async (tx) => {
    // The row lock orders this against a resolution or escalation in flight: either that update runs
    // first (and this sees it) or after (and its trigger clears what this writes).
    const [incident] = await tx<Array<{ state: IncidentState; level: IncidentLevel }>>`
      select state, level from incidents where id = ${ack.incidentId} for update`
    if (!incident) return { outcome: 'not_found' } as const
    if (incident.state === 'resolved') return { outcome: 'resolved' } as const
    const [row] = await tx<AckRow[]>`
      insert into incident_acknowledgements (incident_id, acknowledged_by, api_key_id, acknowledged_at, comment, level)
      values (${ack.incidentId}, ${by}, ${ack.apiKeyId ?? null}, ${ack.at}, ${comment}, ${incident.level})
      on conflict (incident_id) do update set acknowledged_by = excluded.acknowledged_by,
        api_key_id = excluded.api_key_id, acknowledged_at = excluded.acknowledged_at,
        comment = excluded.comment, level = excluded.level
      returning *`
    return { outcome: 'acknowledged', acknowledgement: fromRow(row!) } as const
  })
}

/**
 * Withdraws the acknowledgement of an incident. `not_found` for an unknown id, `resolved` for a resolved
 * incident; `removed` says whether there was one to withdraw.
 */
export async function unacknowledgeIncident(
  sql: Sql,
  incidentId: number,
): Promise<{ outcome: 'unacknowledged'; removed: boolean } | { outcome: 'not_found' | 'resolved' }> {
  return sql.begin(async (tx) => {
    const [incident] = await tx<Array<{ state: IncidentState }>>`
      select state from incidents where id = ${incidentId} for update`
    if (!incident) return { outcome: 'not_found' } as const
    if (incident.state === 'resolved') return { outcome: 'resolved' } as const
    const result = await tx`delete from incident_acknowledgements where incident_id = ${incidentId}`
    return { outcome: 'unacknowledged', removed: result.count === 1 } as const
  })
}

/** The acknowledgements of these incidents (those that have one), by incident id. */
export async function acknowledgementsOf(
  sql: Db,
  incidentIds: readonly number[],
): Promise<Map<number, Acknowledgement>> {
  if (incidentIds.length === 0) return new Map()
  const rows = await sql<AckRow[]>`
    select * from incident_acknowledgements where incident_id = any(${incidentIds as number[]}::bigint[])`
  return new Map(rows.map((row) => [Number(row.incident_id), fromRow(row)]))
}

interface AckRow {
  incident_id: number | string
  acknowledged_by: string
  acknowledged_at: Date
  comment: string | null
  level: IncidentLevel
}

function fromRow(row: AckRow): Acknowledgement {
  return {
    incidentId: Number(row.incident_id),
    by: row.acknowledged_by,
    at: row.acknowledged_at,
    comment: row.comment,
    level: row.level,
  }
}
