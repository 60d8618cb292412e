// What a region's wall clock reads at an instant, and how far it is ahead of UTC: the one place Vigil
// turns instants into local times (emails, reports, the rally calendar all ask here).

export interface WallClock {
  /** YYYY-MM-DD */
  date: string
  /** HH:MM */
  time: string
  /** Minutes the zone is ahead of UTC at that instant (negative when behind). */
  offsetMinutes: number
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

function fieldsAt(instant: number, timeZone: string): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const part of formatter(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') fields[part.type] = part.value
  }
  return fields
}

/** How far the zone's wall clock is ahead of UTC at `instant`, in milliseconds. */
export function zoneOffset(instant: number, timeZone: string): number {
  const f = fieldsAt(instant, timeZone)
  const wall = Date.UTC(
    Number(f.year),
    Number(f.month) - 1,
    Number(f.day),
    Number(f.hour),
    Number(f.minute),
    Number(f.second),
  )
  return wall - Math.floor(instant / 1000) * 1000
}

export function wallClock(at: Date, timeZone: string): WallClock {
  const f = fieldsAt(at.getTime(), timeZone)
  return {
    date: `${f.year}-${f.month}-${f.day}`,
    time: `${f.hour}:${f.minute}`,
    offsetMinutes: Math.round(zoneOffset(at.getTime(), timeZone) / 60_000),
  }
}
