// What to do with an incident given this evaluation's signal: open it pending, fire it once the signal has
// held for the `for` duration, keep it firing through hysteresis, resolve it after it has stayed recovered
// long enough, unless it flaps. Pure: the alerter applies the decision to the store.
import type { Level, Signal } from './types.js'

export interface OpenIncidentView {
  state: 'pending' | 'firing'
  level: 'info' | 'warning' | 'critical'
  startedAt: Date
  evidence: Record<string, unknown>
}

export interface IncidentTiming {
  forMs: number
  resolveAfterMs: number
  /** The identity opened too many incidents recently: keep it firing rather than resolve and reopen. */
  flapping: boolean
}

export type IncidentDecision =
  | { action: 'none' }
  | { action: 'raise'; state: 'pending' | 'firing'; level: Level; evidence: Record<string, unknown> }
  | { action: 'resolve'; evidence: Record<string, unknown> }

export function decideIncident(
  open: OpenIncidentView | undefined,
  signal: Signal,
  now: Date,
  timing: IncidentTiming,
): IncidentDecision {
  if (signal.level !== null) {
    const heldMs = open ? now.getTime() - open.startedAt.getTime() : 0
    const firing = open?.state === 'firing' || heldMs >= timing.forMs
    return {
      action: 'raise',
      state: firing ? 'firing' : 'pending',
      level: signal.level,
      evidence: { ...signal.evidence },
    }
  }
  if (!open) return { action: 'none' }
  // A pending incident whose signal went away never fired: close it quietly.
  if (open.state === 'pending') return { action: 'resolve', evidence: { ...open.evidence, cancelled: true } }
  if (!signal.recovered) {
    // Between the firing and the resolving threshold: still firing, the recovery clock restarts.
    const level = open.level === 'info' ? 'warning' : open.level
    return {
      action: 'raise',
      state: 'firing',
      level,
      evidence: { ...signal.evidence, recoveringSince: null },
    }
  }
  const since =
    typeof open.evidence.recoveringSince === 'string' ? new Date(open.evidence.recoveringSince) : now
  if (now.getTime() - since.getTime() >= timing.resolveAfterMs && !timing.flapping) {
    return { action: 'resolve', evidence: { ...signal.evidence, recoveringSince: since.toISOString() } }
  }
  const level = open.level === 'info' ? 'warning' : open.level
  return {
    action: 'raise',
    state: 'firing',
    level,
    evidence: { ...open.evidence, ...signal.evidence, recoveringSince: since.toISOString() },
  }
}
