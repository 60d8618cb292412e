// Browser sessions of the operator board: an API key presented once at the login form becomes a session
// token in an HttpOnly cookie. Only the token's SHA-256 is stored; revoking the key ends its sessions.
import { randomBytes } from 'node:crypto'
import type { ApiKeyScope } from './api-keys.js'
import { hashApiKey } from './api-keys.js'
import type { Sql, TransactionSql } from './connect.js'

type Db = Sql | TransactionSql

/** Opens a session for a live API key; returns the token (43 base64url characters) to put in the cookie. */
export async function createOperatorSession(
  sql: Db,
  apiKeyId: number,
  now: Date,
  lifetimeMs: number,
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url')
  const expiresAt = new Date(now.getTime() + lifetimeMs)
  // Expired sessions are dropped here rather than by a separate sweeper: logins are rare.
  await sql`delete from operator_sessions where expires_at <= ${now}`
  await sql`
    insert into operator_sessions (token_hash, api_key_id, created_at, expires_at)
    values (${hashApiKey(token)}, ${apiKeyId}, ${now}, ${expiresAt})`
  return { token, expiresAt }
}

/** The key behind a live session token, or null when unknown, expired or its key is revoked. */
export async function authenticateOperatorSession(
  sql: Db,
  token: string,
  now: Date,
): Promise<{ keyId: number; name: string; scope: ApiKeyScope } | null> {
  const [row] = await sql<Array<{ id: number; name: string; scope: ApiKeyScope }>>`
    select k.id, k.name, k.scope from operator_sessions s join api_keys k on k.id = s.api_key_id
    where s.token_hash = ${hashApiKey(token)} and s.expires_at > ${now} and k.revoked_at is null`
  return row ? { keyId: row.id, name: row.name, scope: row.scope } : null
}

/** Ends a session; false when there was none. */
export async function deleteOperatorSession(sql: Db, token: string): Promise<boolean> {
  const result = await sql`delete from operator_sessions where token_hash = ${hashApiKey(token)}`
  return result.count === 1
}
