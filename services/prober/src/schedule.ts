// When a target group is due: its base interval, or its rally interval while a rally window is open in a
// region it speaks for. Pure, so the cadence change is tested without waiting for a window to open.
import { isInRallyWindow, type VigilConfig } from '@vigil/config'
import type { PlannedGroup } from './plan.js'

export function currentInterval(config: VigilConfig, planned: PlannedGroup, now: Date): number {
  const inRally =
    planned.regions.length === 0
      ? isInRallyWindow(config, now)
      : planned.regions.some((region) => isInRallyWindow(config, now, region))
  return inRally ? planned.group.rallyInterval : planned.group.interval
}

/** Spread of the probes' start times within a round: a fraction of the interval, at most half of it. */
export function roundJitter(config: VigilConfig, intervalMs: number): number {
  return Math.min(intervalMs / 2, Math.max(0, config.probing.jitter) * intervalMs)
}
