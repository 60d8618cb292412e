// The incidents table. Detection decides; these functions record the decision: raise (open or update the
// one open incident of an identity) and resolve.
import type { IncidentKind, IncidentLevel, IncidentScopeType, IncidentState } from '@vigil/model'
import type { Sql, TransactionSql } from './connect.js'

// Declared once, in the contracts package; re-exported for the store's readers.
export type { IncidentKind, IncidentLevel, IncidentScopeType, IncidentState }

export interface IncidentSignal {
  /** Stable identity of what is happening, e.g. `blackout|region|Almaty`; one open incident per identity. */
  identity: string
  kind: IncidentKind
  scopeType: IncidentScopeType
  scope: string
  region?: string | null
  vantageId?: string | null
  /** Set the open incident's region to this signal's too (an incident whose place grows, e.g. interception). */
  updateRegion?: boolean
  level: IncidentLevel
  state: Exclude<IncidentState, 'resolved'>
  summary: string
  evidence: Record<string, unknown>
  /** When the signal was observed. */
  at: Date
}

export interface Incident {
  id: number
  identity: string
  kind: IncidentKind
  scopeType: IncidentScopeType
  scope: string
  region: string | null
  vantageId: string | null
  level: IncidentLevel
  state: IncidentState
  summary: string
  evidence: Record<string, unknown>
  startedAt: Date
  firingAt: Date | null
  resolvedAt: Date | null
  lastSeenAt: Date
}

export interface RaiseResult {
  incident: Incident
  /** A new incident was opened. */
  opened: boolean
  /** It turned firing, or its level changed, with this signal. */
  escalated: boolean
}

/** Opens an incident for the signal's identity, or updates the open one (level, state, evidence, last seen). */
export async function raiseIncident(sql: Sql | TransactionSql, signal: IncidentSignal): Promise<RaiseResult> {
  const firingAt = signal.state === 'firing' ? signal.at : null
  const [existing] = await sql<IncidentRow[]>`
    select * from incidents where identity = ${signal.identity} and state <> 'resolved' for update`
  if (!existing) {
    const [row] = await sql<IncidentRow[]>`
      insert into incidents (identity, kind, scope_type, scope, region, vantage_id, level, state, summary, evidence,
                             started_at, firing_at, last_seen_at)
      values (${signal.identity}, ${signal.kind}, ${signal.scopeType}, ${signal.scope}, ${signal.region ?? null},
              ${signal.vantageId ?? null}, ${signal.level}, ${signal.state}, ${signal.summary},
              ${sql.json(signal.evidence as never)}, ${signal.at}, ${firingAt}, ${signal.at})
      on conflict (identity) where state <> 'resolved' do update set last_seen_at = excluded.last_seen_at
      returning *`
    return { incident: fromRow(row!), opened: true, escalated: signal.state === 'firing' }
  }
  const turnedFiring = existing.state === 'pending' && signal.state === 'firing'
  const [row] = await sql<IncidentRow[]>`
    update incidents set
      level = ${signal.level},
      state = case when state = 'firing' then 'firing' else ${signal.state} end,
      firing_at = coalesce(firing_at, ${firingAt}),
      summary = ${signal.summary},
      region = case when ${signal.updateRegion === true} then ${signal.region ?? null} else region end,
      evidence = ${sql.json(signal.evidence as never)},
      last_seen_at = greatest(last_seen_at, ${signal.at}),
      updated_at = now()
    where id = ${existing.id}
    returning *`
  return {
    incident: fromRow(row!),
    opened: false,
    escalated: turnedFiring || existing.level !== signal.level,
  }
}

// The first key of the two-key advisory locks taken per identity ("inc" in ASCII).
const IDENTITY_LOCK_CLASS = 0x696e63

/**
 * Waits for, and holds until the transaction ends, a lock on an incident identity: producers that merge
 * their evidence into the open incident (several vantages of one interception) read, merge and raise under
 * it, so no producer's part is lost to another's concurrent write. Returns the open incident, if any.
 */
export async function lockOpenIncident(tx: TransactionSql, identity: string): Promise<Incident | undefined> {
  await tx`select pg_advisory_xact_lock(${IDENTITY_LOCK_CLASS}::int, hashtext(${identity}))`
  const [row] = await tx<IncidentRow[]>`
    select * from incidents where identity = ${identity} and state <> 'resolved'`
  return row ? fromRow(row) : undefined
}

/** Resolves the open incident of this identity, if any. */
export async function resolveIncident(
  sql: Sql | TransactionSql,
  identity: string,
  at: Date,
  evidence?: Record<string, unknown>,
): Promise<Incident | undefined> {
  const [row] = await sql<IncidentRow[]>`
    update incidents set state = 'resolved', resolved_at = ${at}, updated_at = now(),
      evidence = case when ${evidence === undefined} then evidence else ${sql.json((evidence ?? {}) as never)} end
    where identity = ${identity} and state <> 'resolved'
    returning *`
  return row ? fromRow(row) : undefined
}

export interface IncidentFilter {
  from?: Date | undefined
  to?: Date | undefined
  kind?: IncidentKind | undefined
  region?: string | undefined
  state?: IncidentState | undefined
  limit: number
}

/** Incidents overlapping [from, to), newest first. */
export async function queryIncidents(sql: Sql | TransactionSql, filter: IncidentFilter): Promise<Incident[]> {
  const rows = await sql<IncidentRow[]>`
    select * from incidents
    where true
      ${filter.kind === undefined ? sql`` : sql`and kind = ${filter.kind}`}
      ${filter.region === undefined ? sql`` : sql`and region = ${filter.region}`}
      ${filter.state === undefined ? sql`` : sql`and state = ${filter.state}`}
      ${filter.to === undefined ? sql`` : sql`and started_at < ${filter.to}`}
      ${filter.from === undefined ? sql`` : sql`and (resolved_at is null or resolved_at >= ${filter.from})`}
    order by started_at desc, id desc
    limit ${filter.limit}`
  return rows.map(fromRow)
}

export async function openIncidents(sql: Sql | TransactionSql, kind?: IncidentKind): Promise<Incident[]> {
  const rows = await sql<IncidentRow[]>`
    select * from incidents where state <> 'resolved' ${kind === undefined ? sql`` : sql`and kind = ${kind}`}
    order by started_at`
  return rows.map(fromRow)
}

interface IncidentRow {
  id: number
  identity: string
  kind: IncidentKind
  scope_type: IncidentScopeType
  scope: string
  region: string | null
  vantage_id: string | null
  level: IncidentLevel
  state: IncidentState
  summary: string
  evidence: Record<string, unknown>
  started_at: Date
  firing_at: Date | null
  resolved_at: Date | null
  last_seen_at: Date
}

function fromRow(row: IncidentRow): Incident {
  return {
    id: row.id,
    identity: row.identity,
    kind: row.kind,
    scopeType: row.scope_type,
    scope: row.scope,
    region: row.region,
    vantageId: row.vantage_id,
    level: row.level,
    state: row.state,
    summary: row.summary,
    evidence: row.evidence,
    startedAt: row.started_at,
    firingAt: row.firing_at,
    resolvedAt: row.resolved_at,
    lastSeenAt: row.last_seen_at,
  }
}
