// Times as a rally report shows them: UTC and a city's wall clock, and minutes relative to an announced start.

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(timeZone: string): Intl.DateTimeFormat {
  let found = formatters.get(timeZone)
  if (!found) {
    found = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'longOffset',
    })
    formatters.set(timeZone, found)
  }
  return found
}

export interface WallClock {
  /** YYYY-MM-DD */
  date: string
  /** HH:MM */
  time: string
  /** e.g. UTC+6, UTC+5:30, UTC */
  offset: string
}

export function wallClock(at: Date, timeZone: string): WallClock {
  const parts: Record<string, string> = {}
  for (const part of formatter(timeZone).formatToParts(at)) parts[part.type] = part.value
  const offset = (parts.timeZoneName ?? 'GMT').replace('GMT', 'UTC').replace(/([+-])0?(\d+)(?::00)?$/, '$1$2')
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}`, offset }
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
