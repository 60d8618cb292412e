// Operator API keys: a key is shown once and kept only as its SHA-256, with a scope (read, operate, admin)
// that decides which api routes it reaches. Agent tokens live in agents.ts; the two never mix.
import { createHash, randomBytes } from 'node:crypto'
import type { Sql, TransactionSql } from './connect.js'

/** The scopes an API key may hold, lowest first: each includes the ones before it. */
export const API_KEY_SCOPES = ['read', 'operate', 'admin'] as const
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number]

/** True when a key of scope `held` may do what `required` allows (admin includes operate includes read). */
export function scopeIncludes(held: ApiKeyScope, required: ApiKeyScope): boolean {
  return API_KEY_SCOPES.indexOf(held) >= API_KEY_SCOPES.indexOf(required)
}

export function isApiKeyScope(value: unknown): value is ApiKeyScope {
  return typeof value === 'string' && (API_KEY_SCOPES as readonly string[]).includes(value)
}

export interface ApiKeyRecord {
  id: number
  name: string
  scope: ApiKeyScope
  createdAt: Date
  revokedAt: Date | null
  lastUsedAt: Date | null
}

export interface CreatedApiKey extends ApiKeyRecord {
  /** The secret itself: returned this once, never stored. */
  key: string
}

/** Prefix of every API key; agent tokens start with `vgl_`, so a leaked secret tells which kind it is. */
export const API_KEY_PREFIX = 'vgk_'

/** 32 random bytes (256 bits), URL-safe, after the `vgk_` prefix. */
export function generateApiKey(): string {
  return `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`
}

/**
 * SHA-256 of a key, hex. A fast hash is enough: keys are 256 random bits, not passwords, so there is no
 * dictionary to slow down.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex')
}

export async function createApiKey(
  sql: Sql | TransactionSql,
  key: { name: string; scope: ApiKeyScope },
): Promise<CreatedApiKey> {
  const secret = generateApiKey()
  const [row] = await sql<ApiKeyDbRow[]>`
    insert into api_keys (name, scope, key_hash)
    values (${key.name}, ${key.scope}, ${hashApiKey(secret)})
    returning id, name, scope, created_at, revoked_at, last_used_at`
  return { ...fromDbRow(row!), key: secret }
}

export async function listApiKeys(sql: Sql | TransactionSql): Promise<ApiKeyRecord[]> {
  const rows = await sql<ApiKeyDbRow[]>`
    select id, name, scope, created_at, revoked_at, last_used_at from api_keys order by id`
  return rows.map(fromDbRow)
}

/** Revokes a key; false when there is no such key or it was already revoked. */
export async function revokeApiKey(sql: Sql | TransactionSql, id: number): Promise<boolean> {
  const result = await sql`update api_keys set revoked_at = now() where id = ${id} and revoked_at is null`
  return result.count === 1
}

// Recording every use would write the key's row on every request; a minute's precision is enough.
const LAST_USED_PRECISION_MS = 60_000

/** The live key a secret belongs to, or null for an unknown or revoked key. */
export async function authenticateApiKey(
  sql: Sql | TransactionSql,
  key: string,
  now: Date = new Date(),
): Promise<{ keyId: number; name: string; scope: ApiKeyScope } | null> {
  const [row] = await sql<Array<{ id: number; name: string; scope: ApiKeyScope; last_used_at: Date | null }>>`
    select id, name, scope, last_used_at from api_keys
    where key_hash = ${hashApiKey(key)} and revoked_at is null`
  if (!row) return null
  if (row.last_used_at === null || now.getTime() - row.last_used_at.getTime() >= LAST_USED_PRECISION_MS) {
    await sql`update api_keys set last_used_at = ${now} where id = ${row.id}`
  }
  return { keyId: row.id, name: row.name, scope: row.scope }
}

interface ApiKeyDbRow {
  id: number
  name: string
  scope: ApiKeyScope
  created_at: Date
  revoked_at: Date | null
  last_used_at: Date | null
}

function fromDbRow(row: ApiKeyDbRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  }
}
