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

/**
 * The health after one more fetch. A 304 is a success: the source answered and nothing changed. A body read
 * only in part (`result.degraded`) is a success with state `degraded`, so it is seen but not paged as down.
 */
export function nextHealth(
  prev: SourceHealth | null | undefined,
  result: Pick<FetchResult, 'status' | 'error'> & { degraded?: FetchResult['degraded'] },
  now: Date,
): SourceHealth {
  const base = prev ?? INITIAL_HEALTH
  const at = now.toISOString()
  if (result.status === 'not_modified') {
    // The body did not change, so neither did what was wrong with it.
    const degraded = base.degraded ?? null
    return {
      ...base,
      lastSuccessAt: at,
      consecutiveFailures: 0,
      state: degraded ? 'degraded' : 'ok',
      degraded,
    }
  }
  if (result.status === 'ok') {
    // The last error is kept for the record; the counter and state say it is over.
    const degraded = result.degraded ?? null
    return {
      ...base,
      lastSuccessAt: at,
      consecutiveFailures: 0,
      state: degraded ? 'degraded' : 'ok',
      degraded,
    }
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
