// Times as people read them in a message: the wall clock of a region's zone with its UTC offset shown
// (`10:02 +06`), next to UTC, so a reader abroad and one in the city agree on what happened when.
import { wallClock } from '@vigil/config'

export interface LocalTime {
  date: string
  time: string
  /** `+06`, or `+05:30` for zones off the hour. */
  offset: string
}

export function localTime(at: Date, timeZone: string): LocalTime {
  const clock = wallClock(at, timeZone)
  const sign = clock.offsetMinutes < 0 ? '-' : '+'
  const hours = String(Math.floor(Math.abs(clock.offsetMinutes) / 60)).padStart(2, '0')
  const minutes = Math.abs(clock.offsetMinutes) % 60
  return {
    date: clock.date,
    time: clock.time,
    offset: minutes === 0 ? `${sign}${hours}` : `${sign}${hours}:${String(minutes).padStart(2, '0')}`,
  }
}

/** `2019-07-06 10:02 +06 (04:02 UTC)`; only UTC when the zone is UTC. */
export function describeTime(at: Date, timeZone: string): string {
  const utc = localTime(at, 'UTC')
  const local = localTime(at, timeZone)
  if (timeZone === 'UTC') return `${utc.date} ${utc.time} UTC`
  const utcPart = utc.date === local.date ? `${utc.time} UTC` : `${utc.date} ${utc.time} UTC`
  return `${local.date} ${local.time} ${local.offset} (${utcPart})`
}
