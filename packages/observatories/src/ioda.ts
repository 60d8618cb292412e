// IODA data in Vigil's shape: raw signals (`/v2/signals/raw`: nested arrays of series, each with from,
// until, step and values) become one point per step; outage alerts (`/v2/outages/alerts`) and events
// (`/v2/outages/events`) become observatory events.
import type { ObservatoryEvent, ObservatorySignalPoint } from '@vigil/store'
import { isObject, ObservatoryImportError, parseJsonOrLines } from './import-error.js'

export interface IodaFile {
  points: ObservatorySignalPoint[]
  events: ObservatoryEvent[]
}

/** Parses a whole file of either kind; throws ObservatoryImportError naming the record at fault. */
export function parseIodaFile(text: string): IodaFile {
  const parsed = parseJsonOrLines(text)
  if ('lines' in parsed)
    throw new ObservatoryImportError('line 1', 'IODA answers are one JSON document, not JSON Lines')
  const document = parsed.document
  if (!isObject(document) || !Array.isArray(document.data)) {
    throw new ObservatoryImportError('the document', 'expected an IODA answer: {"data": [...]}')
  }
  const points: ObservatorySignalPoint[] = []
  const events: ObservatoryEvent[] = []
  document.data.forEach((entry, index) => {
    const at = `data[${index}]`
    if (Array.isArray(entry)) {
      // A loop, not push(...points): a year of 5-minute points is more arguments than a call takes.
      entry.forEach((series, inner) => {
        for (const point of seriesPoints(series, `${at}[${inner}]`)) points.push(point)
      })
    } else if (isObject(entry) && Array.isArray(entry.values)) {
      for (const point of seriesPoints(entry, at)) points.push(point)
    } else if (isObject(entry) && 'time' in entry && 'level' in entry) {
      events.push(alertEvent(entry, at))
    } else if (isObject(entry) && 'start' in entry && 'duration' in entry) {
      events.push(outageEvent(entry, at))
    } else {
      throw new ObservatoryImportError(at, 'neither a signal series, an alert nor an outage event')
    }
  })
  return { points, events }
}

function seriesPoints(series: unknown, at: string): ObservatorySignalPoint[] {
  if (!isObject(series)) throw new ObservatoryImportError(at, 'expected a signal series object')
  const entityType = requireText(series.entityType, at, 'entityType')
  const entityCode = requireText(series.entityCode, at, 'entityCode')
  const datasource = requireText(series.datasource, at, 'datasource')
  const from = requireSeconds(series.from, at, 'from')
  const until = requireSeconds(series.until, at, 'until')
  const step = requireSeconds(series.step, at, 'step')
  if (step <= 0) throw new ObservatoryImportError(`${at}.step`, 'must be positive')
  if (until < from) throw new ObservatoryImportError(`${at}.until`, 'is before from')
  const values = series.values as unknown[]
  if (values.length > Math.ceil((until - from) / step) + 1) {
    throw new ObservatoryImportError(
      `${at}.values`,
      `${values.length} values do not fit from..until at step ${step}`,
    )
  }
  return values.map((value, index) => {
    if (value !== null && (typeof value !== 'number' || !Number.isFinite(value))) {
      throw new ObservatoryImportError(`${at}.values[${index}]`, 'must be a number or null')
    }
    return { entityType, entityCode, datasource, at: new Date((from + index * step) * 1000), step, value }
  })
}

/** The entity an alert or event is about: `entity: {type, code, name}` or IODA's older `location: "type/code"`. */
function entityOf(
  record: Record<string, unknown>,
  at: string,
): { type: string; code: string; name: string | null } {
  if (isObject(record.entity)) {
    return {
      type: requireText(record.entity.type, `${at}.entity`, 'type'),
      code: requireText(record.entity.code, `${at}.entity`, 'code'),
      name: typeof record.entity.name === 'string' ? record.entity.name : null,
    }
  }
  if (typeof record.location === 'string' && /^[a-z]+\/.+$/.test(record.location)) {
    const [type, ...code] = record.location.split('/')
    return {
      type: type!,
      code: code.join('/'),
      name: typeof record.location_name === 'string' ? record.location_name : null,
    }
  }
  throw new ObservatoryImportError(at, 'names no entity (entity {type, code} or location "type/code")')
}

function alertEvent(record: Record<string, unknown>, at: string): ObservatoryEvent {
  const entity = entityOf(record, at)
  const time = requireSeconds(record.time, at, 'time')
  const level = requireText(record.level, at, 'level')
  return {
    kind: 'alert',
    entityType: entity.type,
    entityCode: entity.code,
    entityName: entity.name,
    datasource: typeof record.datasource === 'string' ? record.datasource : '',
    startedAt: new Date(time * 1000),
    endedAt: null,
    level,
    score: null,
    details: pick(record, ['condition', 'value', 'historyValue', 'method']),
  }
}

function outageEvent(record: Record<string, unknown>, at: string): ObservatoryEvent {
  const entity = entityOf(record, at)
  const start = requireSeconds(record.start, at, 'start')
  const duration = requireSeconds(record.duration, at, 'duration')
  if (duration < 0) throw new ObservatoryImportError(`${at}.duration`, 'must not be negative')
  const score = record.score
  if (score !== undefined && score !== null && typeof score !== 'number') {
    throw new ObservatoryImportError(`${at}.score`, 'must be a number')
  }
  return {
    kind: 'event',
    entityType: entity.type,
    entityCode: entity.code,
    entityName: entity.name,
    datasource: typeof record.datasource === 'string' ? record.datasource : '',
    startedAt: new Date(start * 1000),
    endedAt: new Date((start + duration) * 1000),
    level: null,
    score: typeof score === 'number' ? score : null,
    details: pick(record, ['duration', 'uncertainty', 'status', 'fraction', 'overlaps_window', 'method']),
  }
}

function requireText(value: unknown, at: string, key: string): string {
  if (typeof value !== 'string' || value === '')
    throw new ObservatoryImportError(`${at}.${key}`, 'must be a non-empty string')
  return value
}

function requireSeconds(value: unknown, at: string, key: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ObservatoryImportError(`${at}.${key}`, 'must be whole seconds since the epoch')
  }
  return value
}

function pick(record: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {}
  for (const key of keys) if (record[key] !== undefined) picked[key] = record[key]
  return picked
}
