// Database errors are classified by SQLSTATE, never by message text.

export const SqlState = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  notNullViolation: '23502',
  invalidTextRepresentation: '22P02',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  undefinedTable: '42P01',
} as const

export function sqlState(error: unknown): string | undefined {
  if (error && typeof error === 'object' && 'code' in error) {
    const code = (error as { code: unknown }).code
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code
  }
  return undefined
}

/** Errors worth retrying: the transaction lost a race, or the connection went away. */
export function isTransient(error: unknown): boolean {
  const state = sqlState(error)
  if (state === SqlState.serializationFailure || state === SqlState.deadlockDetected) return true
  if (state?.startsWith('08')) return true
  const code = (error as { code?: unknown } | undefined)?.code
  return (
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'CONNECTION_CLOSED' ||
    code === 'CONNECT_TIMEOUT'
  )
}
