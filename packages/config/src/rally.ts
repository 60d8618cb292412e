// The rally calendar in absolute time: each rally becomes one window per city, from the announced local
// start minus the lead hours to the local end plus the tail hours, in that city's own time zone.
import { resolveRegion } from './regions.js'
import type { RallyWindow, VigilConfig } from './types.js'
import { zoneOffset } from './wall-clock.js'

const HOUR = 3_600_000

/**
 * The instant at which the wall clock in `timeZone` reads `local` (`YYYY-MM-DDTHH:MM[:SS]`). Uses the
 * zone's rules for that date, so 2019 dates in Asia/Almaty are UTC+6 even though the zone is UTC+5 since
 * 2024. A time skipped by a daylight-saving change is taken as the instant after the gap.
 */
export function localTimeToInstant(local: string, timeZone: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local)
  if (!match) throw new RangeError(`not a local date and time: ${local}`)
  const [year, month, day, hour, minute, second] = match.slice(1).map((part) => Number(part ?? 0))
  const wall = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!)
  // The offset at the wall time read as UTC is a first guess; the offset at the guess settles changes
  // of offset that fall between the two.
  const guess = wall - zoneOffset(wall, timeZone)
  return new Date(wall - zoneOffset(guess, timeZone))
}

const windowsByConfig = new WeakMap<VigilConfig, RallyWindow[]>()

/** Every rally window of the configuration, one per rally and city, ordered by start. */
export function rallyWindows(config: VigilConfig): RallyWindow[] {
  const cached = windowsByConfig.get(config)
  if (cached) return cached
  const windows: RallyWindow[] = []
  for (const rally of config.rallies) {
    for (const city of rally.cities) {
      const region = resolveRegion(config, city)
      // parseConfig guarantees every city is a declared region; a hand-built config may not.
      if (!region) throw new RangeError(`rally "${rally.name}" names an undeclared city: ${city}`)
      const start = localTimeToInstant(rally.start, region.timeZone).getTime() - rally.leadHours * HOUR
      const end = localTimeToInstant(rally.end, region.timeZone).getTime() + rally.tailHours * HOUR
      windows.push({ rally, region, start: new Date(start), end: new Date(end) })
    }
  }
  windows.sort((a, b) => a.start.getTime() - b.start.getTime() || a.region.name.localeCompare(b.region.name))
  windowsByConfig.set(config, windows)
  return windows
}

/**
 * The windows open at `at` (start inclusive, end exclusive), for one region (any of its names) or, when
 * none is given, for any region.
 */
export function activeRallyWindows(config: VigilConfig, at: Date, region?: string): RallyWindow[] {
  const wanted = region === undefined ? undefined : resolveRegion(config, region)
  if (region !== undefined && !wanted) return []
  const time = at.getTime()
  return rallyWindows(config).filter(
    (window) =>
      (wanted === undefined || window.region === wanted) &&
      window.start.getTime() <= time &&
      time < window.end.getTime(),
  )
}

/** Whether `at` falls inside a rally window (of `region`, when given): the prober's fast cadence. */
export function isInRallyWindow(config: VigilConfig, at: Date, region?: string): boolean {
  return activeRallyWindows(config, at, region).length > 0
}
