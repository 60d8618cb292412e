// Times as people read them in a message: the wall clock of a region's zone with its UTC offset shown
// (`10:02 +06`), next to UTC, so a reader abroad and one in the city agree on what happened when.

export interface LocalTime {
  date: string
  time: string
  /** `+06`, or `+05:30` for zones off the hour. */
  offset: string
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(timeZone: string): Intl.DateTimeFormat {
  let found = formatters.get(timeZone)
  if (!found) {
    found = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    formatters.set(timeZone, found)
  }
  return found
}

export function localTime(at: Date, timeZone: string): LocalTime {
  const fields: Record<string, string> = {}
  for (const part of formatter(timeZone).formatToParts(at)) {
    if (part.type !== 'literal') fields[part.type] = part.value
  }
  const wall = Date.UTC(
    Number(fields.year),
    Number(fields.month) - 1,
    Number(fields.day),
    Number(fields.hour),
    Number(fields.minute),
    Number(fields.second),
  )
  const offsetMinutes = Math.round((wall - Math.floor(at.getTime() / 1000) * 1000) / 60_000)
  const sign = offsetMinutes < 0 ? '-' : '+'
  const hours = String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, '0')
  const minutes = Math.abs(offsetMinutes) % 60
  return {
    date: `${fields.year}-${fields.month}-${fields.day}`,
    time: `${fields.hour}:${fields.minute}`,
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
