// Per-source health as a pure fold over fetch results, so the service only stores what this returns.
import type { FetchResult, SourceHealth } from './types.js'

/** Failures in a row from which a source counts as down rather than flaky. */
export const DOWN_AFTER_FAILURES = 3

export const INITIAL_HEALTH: SourceHealth = {
  lastSuccessAt: null,
  lastErrorAt: null,
  lastError: null,
  consecutiveFailures: 0,
  state: 'unknown',
}

/** The health after one more fetch. A 304 is a success: the source answered and nothing changed. */
export function nextHealth(
  prev: SourceHealth | null | undefined,
  result: Pick<FetchResult, 'status' | 'error'>,
  now: Date,
): SourceHealth {
  const base = prev ?? INITIAL_HEALTH
  const at = now.toISOString()
  if (result.status === 'ok' || result.status === 'not_modified') {
    // The last error is kept for the record; the counter and state say it is over.
    return { ...base, lastSuccessAt: at, consecutiveFailures: 0, state: 'ok' }
  }
  const consecutiveFailures = base.consecutiveFailures + 1
  return {
    ...base,
    lastErrorAt: at,
    lastError: result.error ?? { code: 'network', message: 'unknown error' },
    consecutiveFailures,
    state: consecutiveFailures >= DOWN_AFTER_FAILURES ? 'down' : 'failing',
  }
}
