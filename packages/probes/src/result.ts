// Builds the result every probe returns, so `ok`, `durationMs` and `startedAt` mean the same for every kind.
import type { ProbedMeasurement } from '@vigil/model'
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
): ProbedMeasurement<K, D> & { failure: FailureString | null } {
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
