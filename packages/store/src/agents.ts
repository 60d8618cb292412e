// Agent tokens and heartbeats: who may upload for which vantage (a token is shown once and kept only as
// its SHA-256), and what each vantage last said about itself.
import { createHash, randomBytes } from 'node:crypto'
import type { Vantage } from '@vigil/model'
import type { Sql, TransactionSql } from './connect.js'
import type { VantageRecord } from './vantages.js'

export interface AgentTokenRecord {
  id: number
  vantageId: string
  createdAt: Date
  revokedAt: Date | null
  lastUsedAt: Date | null
}

export interface CreatedAgentToken extends AgentTokenRecord {
  /** The secret itself: returned this once, never stored. */
  token: string
}

/** 32 random bytes, URL-safe, with a prefix that makes a leaked token recognisable in logs and scanners. */
export function generateAgentToken(): string {
  return `vgl_${randomBytes(32).toString('base64url')}`
}

export function hashAgentToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/** Inserts the vantage unless it exists; an existing row is left as it is. Returns true when inserted. */
export async function ensureVantage(sql: Sql | TransactionSql, vantage: VantageRecord): Promise<boolean> {
  const result = await sql`
    insert into vantages (id, country, region, asn, network, role, network_type)
    values (${vantage.id}, ${vantage.country}, ${vantage.region}, ${vantage.asn}, ${vantage.network},
            ${vantage.role}, ${vantage.networkType ?? 'unknown'})
    on conflict (id) do nothing`
  return result.count === 1
}

export async function createAgentToken(
  sql: Sql | TransactionSql,
  vantageId: string,
): Promise<CreatedAgentToken> {
  const token = generateAgentToken()
  const [row] = await sql<AgentTokenDbRow[]>`
    insert into agent_tokens (vantage_id, token_hash)
    values (${vantageId}, ${hashAgentToken(token)})
    returning id, vantage_id, created_at, revoked_at, last_used_at`
  return { ...fromDbRow(row!), token }
}

export async function listAgentTokens(sql: Sql | TransactionSql): Promise<AgentTokenRecord[]> {
  const rows = await sql<AgentTokenDbRow[]>`
    select id, vantage_id, created_at, revoked_at, last_used_at from agent_tokens order by id`
  return rows.map(fromDbRow)
}

/** Revokes a token; false when there is no such token or it was already revoked. */
export async function revokeAgentToken(sql: Sql | TransactionSql, id: number): Promise<boolean> {
  const result = await sql`update agent_tokens set revoked_at = now() where id = ${id} and revoked_at is null`
  return result.count === 1
}

// Recording every use would write the token's row on every upload; a minute's precision is enough.
const LAST_USED_PRECISION_MS = 60_000

/** The vantage a live token writes for, or null for an unknown or revoked token. */
export async function authenticateAgentToken(
  sql: Sql | TransactionSql,
  token: string,
  now: Date = new Date(),
): Promise<{ tokenId: number; vantageId: string } | null> {
  const [row] = await sql<Array<{ id: number; vantage_id: string; last_used_at: Date | null }>>`
    select id, vantage_id, last_used_at from agent_tokens
    where token_hash = ${hashAgentToken(token)} and revoked_at is null`
  if (!row) return null
  if (row.last_used_at === null || now.getTime() - row.last_used_at.getTime() >= LAST_USED_PRECISION_MS) {
    await sql`update agent_tokens set last_used_at = ${now} where id = ${row.id}`
  }
  return { tokenId: row.id, vantageId: row.vantage_id }
}

export interface Heartbeat {
  vantageId: string
  /** The api's clock when the heartbeat arrived. */
  receivedAt: Date
  /** The agent's clock when it sent the heartbeat. */
  agentTime: Date
  spoolBacklog: number
  agentVersion: string
}

/** Stores a heartbeat on its vantage; returns the agent's clock skew (agent minus api) in milliseconds. */
export async function recordHeartbeat(sql: Sql | TransactionSql, heartbeat: Heartbeat): Promise<number> {
  const skew = heartbeat.agentTime.getTime() - heartbeat.receivedAt.getTime()
  await sql`
    update vantages set
      last_heartbeat_at = ${heartbeat.receivedAt},
      heartbeat_agent_time = ${heartbeat.agentTime},
      clock_skew_ms = ${skew},
      spool_backlog = ${heartbeat.spoolBacklog},
      agent_version = ${heartbeat.agentVersion},
      last_seen_at = greatest(last_seen_at, ${heartbeat.receivedAt})
    where id = ${heartbeat.vantageId}`
  return skew
}

export interface VantageHealth extends Vantage {
  lastSeenAt: Date | null
  /** The api's clock when the last heartbeat arrived. */
  lastHeartbeatAt: Date | null
  /** The newest measured_at stored for the vantage (the vantage's clock; never later than its receipt plus the tolerance). */
  lastMeasurementAt: Date | null
  /** The api's clock when the newest of its measurements measured in the last two days arrived. */
  lastReceivedAt: Date | null
  spoolBacklog: number | null
  clockSkewMs: number | null
  agentVersion: string | null
}

export async function listVantageHealth(
  sql: Sql | TransactionSql,
  now: Date = new Date(),
): Promise<VantageHealth[]> {
  // Index probes per vantage on (vantage_id, measured_at), not a scan of the measurements; receipt times
  // are read over the last two days only, which is all liveness needs.
  const recent = new Date(now.getTime() - 2 * 86_400_000)
  const rows = await sql<VantageHealthDbRow[]>`
    select v.id, v.country, v.region, v.asn, v.network, v.network_type, v.role, v.last_seen_at,
           v.last_heartbeat_at, v.spool_backlog, v.clock_skew_ms, v.agent_version,
           (select max(m.measured_at) from measurements m where m.vantage_id = v.id) as last_measurement_at,
           (select max(m.received_at) from measurements m
            where m.vantage_id = v.id and m.measured_at >= ${recent}) as last_received_at
    from vantages v
    order by v.id`
  return rows.map((row) => ({
    id: row.id,
    country: row.country,
    region: row.region,
    asn: row.asn,
    network: row.network,
    networkType: row.network_type,
    role: row.role,
    lastSeenAt: row.last_seen_at,
    lastHeartbeatAt: row.last_heartbeat_at,
    lastMeasurementAt: row.last_measurement_at,
    lastReceivedAt: row.last_received_at,
    spoolBacklog: row.spool_backlog,
    clockSkewMs: row.clock_skew_ms,
    agentVersion: row.agent_version,
  }))
}

export type VantageStatus = 'online' | 'silent' | 'never_seen'

/**
 * Online when heard from (a heartbeat or a measurement arriving) within `silenceAfterMs`; silent after
 * that. Only the api's receipt times count: a vantage's own clock (measuredAt) could keep it "online"
 * forever by claiming a time in the future.
 */
export function vantageStatus(vantage: VantageHealth, now: Date, silenceAfterMs: number): VantageStatus {
  const times = [vantage.lastHeartbeatAt, vantage.lastSeenAt, vantage.lastReceivedAt]
    .filter((time): time is Date => time !== null)
    .map((time) => time.getTime())
  if (times.length === 0) return 'never_seen'
  return now.getTime() - Math.max(...times) <= silenceAfterMs ? 'online' : 'silent'
}

interface AgentTokenDbRow {
  id: number
  vantage_id: string
  created_at: Date
  revoked_at: Date | null
  last_used_at: Date | null
}

interface VantageHealthDbRow {
  id: string
  country: string
  region: string | null
  asn: number | null
  network: string | null
  network_type: Vantage['networkType']
  role: Vantage['role']
  last_seen_at: Date | null
  last_heartbeat_at: Date | null
  last_measurement_at: Date | null
  last_received_at: Date | null
  spool_backlog: number | null
  clock_skew_ms: number | null
  agent_version: string | null
}

function fromDbRow(row: AgentTokenDbRow): AgentTokenRecord {
  return {
    id: row.id,
    vantageId: row.vantage_id,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  }
}
