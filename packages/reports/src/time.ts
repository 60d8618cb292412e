// Times as a rally report shows them: UTC and a city's wall clock, and minutes relative to an announced start.
import { wallClock as zoneWallClock } from '@vigil/config'

export interface WallClock {
  /** YYYY-MM-DD */
  date: string
  /** HH:MM */
  time: string
  /** e.g. UTC+6, UTC+5:30, UTC */
  offset: string
}

export function wallClock(at: Date, timeZone: string): WallClock {
  const clock = zoneWallClock(at, timeZone)
  const minutes = Math.abs(clock.offsetMinutes)
  const sign = clock.offsetMinutes < 0 ? '-' : '+'
  const offset =
    minutes === 0
      ? 'UTC'
      : `UTC${sign}${Math.floor(minutes / 60)}${minutes % 60 === 0 ? '' : `:${String(minutes % 60).padStart(2, '0')}`}`
  return { date: clock.date, time: clock.time, offset }
}

/** `04:00 UTC` */
export function utcTime(at: Date): string {
  return `${at.toISOString().slice(11, 16)} UTC`
}

/** `10:00 UTC+6` */
export function localTime(at: Date, timeZone: string): string {
  const clock = wallClock(at, timeZone)
  return `${clock.time} ${clock.offset}`
}

/** `10:00 UTC+6 (04:00 UTC)` */
export function bothTimes(at: Date, timeZone: string): string {
  return `${localTime(at, timeZone)} (${utcTime(at)})`
}

/** `2 h 5 min`, `45 min` */
export function formatMinutes(minutes: number): string {
  const whole = Math.round(minutes)
  if (whole < 60) return `${whole} min`
  return `${Math.floor(whole / 60)} h ${whole % 60} min`
}

/** `−12 min before the announced 10:00`, `+5 min after the announced 10:00`, `at the announced 10:00` */
export function relativeToAnnounced(minutes: number, announced: string): string {
  const whole = Math.round(minutes)
  if (whole === 0) return `at the announced ${announced}`
  return whole < 0
    ? `\u2212${formatMinutes(-whole)} before the announced ${announced}`
    : `+${formatMinutes(whole)} after the announced ${announced}`
}
