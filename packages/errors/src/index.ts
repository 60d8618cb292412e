// One error class for the whole project: a stable code a caller can branch on, a hint a person can act
// on, and the cause kept for the logs. Credentials are redacted from every message.

export interface VigilErrorOptions {
  hint?: string
  cause?: unknown
}

export class VigilError extends Error {
  readonly code: string
  readonly hint: string | undefined

  constructor(code: string, message: string, options: VigilErrorOptions = {}) {
    super(redactCredentials(message), options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'VigilError'
    this.code = code
    this.hint = options.hint === undefined ? undefined : redactCredentials(options.hint)
  }
}

export function isVigilError(error: unknown, code?: string): error is VigilError {
  return error instanceof VigilError && (code === undefined || error.code === code)
}

/** Replaces the password in URLs such as postgres://user:secret@host/db with `***`. */
export function redactCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]+):[^@/\s]+@/gi, '$1:***@')
}

/** A one-line description of any thrown value, for logs and CLI output. */
export function describeError(error: unknown): string {
  if (error instanceof VigilError) {
    return error.hint ? `${error.message}\n  hint: ${error.hint}` : error.message
  }
  if (error instanceof Error) return redactCredentials(error.message)
  return redactCredentials(String(error))
}
