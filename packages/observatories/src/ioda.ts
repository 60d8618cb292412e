// IODA data in Vigil's shape, from every answer shape IODA's API documents (CAIDA/ioda-api):
// - `/signals/raw`: series `{entityType, entityCode, datasource, subtype, from, until, step, values}`,
//   nested one list per entity. `values` are numbers or null for most datasources; for some
//   (ping-slash24-loss, ping-slash24-latency, gtr-sarima) each bucket is a list of objects with
//   `agg_values: {name: number}`, stored as one point per aggregate (`metric`).
// - `/outages/alerts`: `{datasource, entity, time, level, condition, value, historyValue}`.
// - `/outages/events` (default `codf` format): `{location: "type/code", start, duration, score, ...}`.
// - `/outages/events?format=ioda`: `{entity, from, until, score, datasource, alerts?}`.
// A malformed series, value or event is rejected with its JSON path; the rest of the file is kept.
import type { ObservatoryEvent, ObservatorySignalPoint } from '@vigil/store'
import {
  isObject,
  ObservatoryImportError,
  parseJsonOrLines,
  RecordFault,
  type RejectedRecord,
} from './import-error.js'
import { optionalText, storableText } from './storable.js'

export interface IodaFile {
  points: ObservatorySignalPoint[]
  events: ObservatoryEvent[]
  rejected: RejectedRecord[]
  /** Records of a documented shape Vigil does not store (outage summaries), by shape. */
  skipped: Record<string, number>
}

// Bounds on names coming from the file (IODA's own are far shorter).
const NAME_MAX = 128
const ENTITY_NAME_MAX = 256
/** More than this many points in one series is not an IODA answer (a year of 1-minute buckets is ~525k). */
const SERIES_POINTS_MAX = 600_000

/**
 * Parses one IODA answer. Throws ObservatoryImportError when the file is not JSON, not an IODA envelope
 * (`{"data": [...]}`), or carries IODA's `error`; malformed records are returned in `rejected`.
 */
export function parseIodaFile(text: string): IodaFile {
  const parsed = parseJsonOrLines(text)
  if ('lines' in parsed)
    throw new ObservatoryImportError('line 1', 'IODA answers are one JSON document, not JSON Lines')
  const document = parsed.document
  if (isObject(document) && typeof document.error === 'string' && document.error !== '') {
    throw new ObservatoryImportError(
      'error',
      `IODA answered with an error: ${storableText(document.error, 300)}`,
    )
  }
  if (!isObject(document) || !Array.isArray(document.data)) {
    throw new ObservatoryImportError('the document', 'expected an IODA answer: {"data": [...]}')
  }
  const file: IodaFile = { points: [], events: [], rejected: [], skipped: {} }
  const guarded = (read: () => void) => {
    try {
      read()
    } catch (error) {
      if (!(error instanceof RecordFault)) throw error
      file.rejected.push({ at: error.at, message: error.message })
    }
  }
  document.data.forEach((entry, index) => {
    const at = `data[${index}]`
    if (Array.isArray(entry)) {
      entry.forEach((series, inner) => {
        guarded(() => readSeries(series, `${at}[${inner}]`, file))
      })
      return
    }
    guarded(() => readEntry(entry, at, file))
  })
  return file
}

function readEntry(entry: unknown, at: string, file: IodaFile): void {
  if (!isObject(entry)) throw new RecordFault(at, 'expected an object or a list of signal series')
  if (Array.isArray(entry.values)) {
    readSeries(entry, at, file)
  } else if ('time' in entry && 'level' in entry) {
    file.events.push(alertEvent(entry, at))
  } else if ('start' in entry && 'duration' in entry) {
    file.events.push(codfEvent(entry, at))
  } else if (isObject(entry.entity) && 'scores' in entry) {
    file.skipped['outage summary'] = (file.skipped['outage summary'] ?? 0) + 1
  } else if (isObject(entry.entity) && ('from' in entry || 'until' in entry || 'score' in entry)) {
    file.events.push(iodaEvent(entry, at))
    // format=ioda with includeAlerts: the alerts behind the event, each in the alerts' own shape.
    if (Array.isArray(entry.alerts)) {
      entry.alerts.forEach((alert, index) => {
        const alertAt = `${at}.alerts[${index}]`
        try {
          if (!isObject(alert)) throw new RecordFault(alertAt, 'expected an alert object')
          file.events.push(alertEvent(alert, alertAt))
        } catch (error) {
          if (!(error instanceof RecordFault)) throw error
          file.rejected.push({ at: error.at, message: error.message })
        }
      })
    }
  } else {
    throw new RecordFault(at, 'neither a signal series, an alert nor an outage event')
  }
}

function readSeries(series: unknown, at: string, file: IodaFile): void {
  if (!isObject(series)) throw new RecordFault(at, 'expected a signal series object')
  const entityType = requireName(series.entityType, at, 'entityType')
  const entityCode = requireName(series.entityCode, at, 'entityCode')
  const datasource = requireName(series.datasource, at, 'datasource')
  const subtype = optionalText(series.subtype, NAME_MAX) ?? ''
  const from = requireSeconds(series.from, at, 'from')
  const until = requireSeconds(series.until, at, 'until')
  const step = requireSeconds(series.step, at, 'step')
  if (step <= 0) throw new RecordFault(`${at}.step`, 'must be positive')
  if (until < from) throw new RecordFault(`${at}.until`, 'is before from')
  if (!Array.isArray(series.values)) throw new RecordFault(`${at}.values`, 'must be a list')
  const values = series.values as unknown[]
  if (values.length > Math.ceil((until - from) / step) + 1 || values.length > SERIES_POINTS_MAX) {
    throw new RecordFault(`${at}.values`, `${values.length} values do not fit from..until at step ${step}`)
  }
  const base = { entityType, entityCode, datasource, subtype, step }
  values.forEach((value, index) => {
    const pointAt = new Date((from + index * step) * 1000)
    const valueAt = `${at}.values[${index}]`
    if (value === null || (typeof value === 'number' && Number.isFinite(value))) {
      file.points.push({ ...base, metric: '', at: pointAt, value })
      return
    }
    // Per-bucket aggregates: a list of `{agg_values: {...}}` objects, or one such object.
    const objects = Array.isArray(value) ? value : isObject(value) ? [value] : undefined
    if (!objects) {
      file.rejected.push({ at: valueAt, message: 'must be a number, null or a list of {agg_values} objects' })
      return
    }
    objects.forEach((object, position) => {
      const objectAt = Array.isArray(value) ? `${valueAt}[${position}]` : valueAt
      if (!isObject(object) || !isObject(object.agg_values)) {
        file.rejected.push({ at: objectAt, message: 'expected an object with agg_values' })
        return
      }
      // Several objects in one bucket are told apart by their other keys, or by position.
      const label = objects.length > 1 ? `${objectLabel(object, position)}.` : ''
      for (const [name, aggregate] of Object.entries(object.agg_values)) {
        if (aggregate !== null && (typeof aggregate !== 'number' || !Number.isFinite(aggregate))) {
          file.rejected.push({ at: `${objectAt}.agg_values.${name}`, message: 'must be a number or null' })
          continue
        }
        file.points.push({
          ...base,
          metric: storableText(`${label}${name}`, NAME_MAX),
          at: pointAt,
          value: aggregate,
        })
      }
    })
  })
}

function objectLabel(object: Record<string, unknown>, position: number): string {
  const identity = Object.entries(object)
    .filter(
      ([key, value]) => key !== 'agg_values' && (typeof value === 'string' || typeof value === 'number'),
    )
    .map(([key, value]) => `${key}=${value}`)
  return identity.length > 0 ? identity.join(',') : String(position)
}

interface Entity {
  type: string
  code: string
  name: string | null
}

/** The entity an alert or event is about: `entity: {type, code, name}` or the codf `location: "type/code"`. */
function entityOf(record: Record<string, unknown>, at: string): Entity {
  if (isObject(record.entity)) {
    return {
      type: requireName(record.entity.type, `${at}.entity`, 'type'),
      code: requireName(String(record.entity.code ?? ''), `${at}.entity`, 'code'),
      name: optionalText(record.entity.name, ENTITY_NAME_MAX),
    }
  }
  if (typeof record.location === 'string' && /^[a-z]+\/.+$/.test(record.location)) {
    const [type, ...code] = record.location.split('/')
    return {
      type: requireName(type, at, 'location'),
      code: requireName(code.join('/'), at, 'location'),
      name: optionalText(record.location_name, ENTITY_NAME_MAX),
    }
  }
  throw new RecordFault(at, 'names no entity (entity {type, code} or location "type/code")')
}

function alertEvent(record: Record<string, unknown>, at: string): ObservatoryEvent {
  const entity = entityOf(record, at)
  const time = requireSeconds(record.time, at, 'time')
  const level = requireName(record.level, at, 'level')
  return {
    kind: 'alert',
    entityType: entity.type,
    entityCode: entity.code,
    entityName: entity.name,
    datasource: optionalText(record.datasource, NAME_MAX) ?? '',
    startedAt: new Date(time * 1000),
    endedAt: null,
    level,
    score: null,
    details: pick(record, ['condition', 'value', 'historyValue', 'method']),
  }
}

function codfEvent(record: Record<string, unknown>, at: string): ObservatoryEvent {
  const entity = entityOf(record, at)
  const start = requireSeconds(record.start, at, 'start')
  const duration = requireSeconds(record.duration, at, 'duration')
  if (duration < 0) throw new RecordFault(`${at}.duration`, 'must not be negative')
  return {
    kind: 'event',
    entityType: entity.type,
    entityCode: entity.code,
    entityName: entity.name,
    datasource: optionalText(record.datasource, NAME_MAX) ?? '',
    startedAt: new Date(start * 1000),
    endedAt: new Date((start + duration) * 1000),
    level: null,
    score: optionalScore(record.score, at),
    details: pick(record, ['duration', 'uncertainty', 'status', 'fraction', 'overlaps_window', 'method']),
  }
}

/** format=ioda: `from` and `until` in seconds; IODA leaves a zero `until` out while the outage goes on. */
function iodaEvent(record: Record<string, unknown>, at: string): ObservatoryEvent {
  const entity = entityOf(record, at)
  if (record.from === undefined) throw new RecordFault(`${at}.from`, 'is missing: the event has no start')
  const from = requireSeconds(record.from, at, 'from')
  const until =
    record.until === undefined || record.until === null ? null : requireSeconds(record.until, at, 'until')
  if (until !== null && until < from) throw new RecordFault(`${at}.until`, 'is before from')
  return {
    kind: 'event',
    entityType: entity.type,
    entityCode: entity.code,
    entityName: entity.name,
    datasource: optionalText(record.datasource, NAME_MAX) ?? '',
    startedAt: new Date(from * 1000),
    endedAt: until === null ? null : new Date(until * 1000),
    level: null,
    score: optionalScore(record.score, at),
    details: { format: 'ioda', ...(Array.isArray(record.alerts) ? { alerts: record.alerts.length } : {}) },
  }
}

function optionalScore(score: unknown, at: string): number | null {
  if (score === undefined || score === null) return null
  if (typeof score !== 'number' || !Number.isFinite(score))
    throw new RecordFault(`${at}.score`, 'must be a number')
  return score
}

function requireName(value: unknown, at: string, key: string): string {
  const text = typeof value === 'number' && Number.isInteger(value) ? String(value) : value
  if (typeof text !== 'string' || text === '')
    throw new RecordFault(`${at}.${key}`, 'must be a non-empty string')
  return storableText(text, NAME_MAX)
}

function requireSeconds(value: unknown, at: string, key: string): number {
  // IODA writes seconds as numbers; some envelopes echo them as digit strings.
  const seconds = typeof value === 'string' && /^\d{1,11}$/.test(value) ? Number(value) : value
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0 || seconds > 32_503_680_000) {
    throw new RecordFault(`${at}.${key}`, 'must be whole seconds since the epoch')
  }
  return seconds
}

/** Scalar details only, bounded: what the alert or event said besides its time and entity. */
function pick(record: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {}
  for (const key of keys) {
    const value = record[key]
    if (value === null || typeof value === 'boolean') picked[key] = value
    else if (typeof value === 'number' && Number.isFinite(value)) picked[key] = value
    else if (typeof value === 'string') picked[key] = storableText(value, 200)
  }
  return picked
}
