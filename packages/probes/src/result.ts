// Builds the result every probe returns, so `ok`, `durationMs` and `startedAt` mean the same for every kind.
import { since } from './dial.js'
import type { FailureString } from './failures.js'
import type { ProbeKind } from './types.js'

export interface Clock {
  startedAt: Date
  t0: number
}

export function startClock(): Clock {
  return { startedAt: new Date(), t0: performance.now() }
}

export function settle<K extends ProbeKind, D>(
  target: { name: string; kind: K },
  clock: Clock,
  details: D,
  failure: FailureString | null,
): {
  target: string
  kind: K
  ok: boolean
  failure: FailureString | null
  durationMs: number
  startedAt: Date
  details: D
} {
  return {
    target: target.name,
    kind: target.kind,
    ok: failure === null,
    failure,
    durationMs: since(clock.t0),
    startedAt: clock.startedAt,
    details,
  }
}
