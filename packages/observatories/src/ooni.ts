// OONI measurements in Vigil's shape: the API's measurement list (`/api/v1/measurements`, metadata and
// OONI's own anomaly flags) and raw measurements (df-000-base with test_keys, read per test by
// ooni-verdicts.ts), as JSON or JSON Lines, mapped to one Vigil measurement each. A malformed record is
// rejected with its line or index; the others are kept.
import type { NewMeasurement, TargetRecord, VantageRecord } from '@vigil/store'
import {
  isObject,
  type LocatedRecord,
  ObservatoryImportError,
  parseJsonOrLines,
  RecordFault,
  type RejectedRecord,
} from './import-error.js'
import { type OoniVerdict, type OoniVerdictStatus, ooniListVerdict, ooniVerdict } from './ooni-verdicts.js'
import { optionalText, storableText } from './storable.js'

export interface OoniMeasurement {
  measurement: NewMeasurement
  vantage: VantageRecord
  target: TargetRecord
  verdict: OoniVerdictStatus
  testName: string
  /** `raw`: read from test_keys; `list`: from the flags of an API list entry. */
  shape: 'raw' | 'list'
}

export interface OoniFile {
  records: OoniMeasurement[]
  rejected: RejectedRecord[]
}

// Bounds on what one record may put into keys and rows (OONI's own ids are far shorter).
const ID_MAX = 160
const INPUT_MAX = 2_048
const TEST_NAME = /^[a-z0-9_]{1,64}$/

/**
 * Parses a whole file: a raw measurement, a list of them, JSON Lines, or the API's `{results: [...]}`.
 * Throws ObservatoryImportError only when the file is not JSON or not one of those shapes; a malformed
 * record is returned in `rejected` with its location.
 */
export function parseOoniFile(text: string): OoniFile {
  const parsed = parseJsonOrLines(text)
  let records: LocatedRecord[]
  const rejected: RejectedRecord[] = 'lines' in parsed ? [...parsed.rejected] : []
  if ('lines' in parsed) {
    records = parsed.lines
  } else if (Array.isArray(parsed.document)) {
    records = parsed.document.map((value, index) => ({ at: `[${index}]`, value }))
  } else if (isObject(parsed.document) && Array.isArray(parsed.document.results)) {
    records = parsed.document.results.map((value, index) => ({ at: `results[${index}]`, value }))
  } else if (isObject(parsed.document)) {
    records = [{ at: 'the document', value: parsed.document }]
  } else {
    throw new ObservatoryImportError(
      'the document',
      'expected an OONI measurement, a list of them, or {results: [...]}',
    )
  }
  const mapped: OoniMeasurement[] = []
  for (const record of records) {
    try {
      mapped.push(mapOoniRecord(record))
    } catch (error) {
      if (!(error instanceof RecordFault)) throw error
      rejected.push({ at: error.at, message: error.message })
    }
  }
  // In file order: lines that were not JSON and records that were malformed interleave.
  if ('lines' in parsed) rejected.sort((a, b) => lineNumber(a.at) - lineNumber(b.at))
  return { records: mapped, rejected }
}

const lineNumber = (at: string) => Number(at.slice('line '.length))

/**
 * `/api/v1/measurement_meta?full=true` answers the list's metadata with the raw measurement as a JSON
 * string in `raw_measurement` and the AS number as a plain integer: read as that raw measurement, keeping
 * the metadata's measurement_uid so it is the same stored row as its list entry.
 */
function unwrapMeasurementMeta(value: Record<string, unknown>, at: string): Record<string, unknown> {
  const record =
    typeof value.probe_asn === 'number' && Number.isInteger(value.probe_asn)
      ? { ...value, probe_asn: `AS${value.probe_asn}` }
      : value
  if (typeof record.raw_measurement !== 'string' || record.raw_measurement === '') return record
  let raw: unknown
  try {
    raw = JSON.parse(record.raw_measurement)
  } catch (error) {
    throw new RecordFault(`${at}.raw_measurement`, `not JSON: ${(error as Error).message}`)
  }
  if (!isObject(raw)) throw new RecordFault(`${at}.raw_measurement`, 'expected a raw measurement object')
  return { ...raw, measurement_uid: record.measurement_uid ?? raw.measurement_uid }
}

function mapOoniRecord({ at, value: located }: LocatedRecord): OoniMeasurement {
  if (!isObject(located)) throw new RecordFault(at, 'expected an object')
  const value = unwrapMeasurementMeta(located, at)
  const fail = (message: string): never => {
    throw new RecordFault(at, message)
  }
  const cc = value.probe_cc
  if (typeof cc !== 'string' || !/^[A-Z]{2}$/.test(cc)) fail('probe_cc must be a two-letter country code')
  const asnText = value.probe_asn
  const asnMatch = typeof asnText === 'string' ? /^AS(\d{1,10})$/.exec(asnText) : null
  if (!asnMatch || Number(asnMatch[1]) > 4_294_967_295) fail('probe_asn must look like AS9198')
  const testName = value.test_name
  if (typeof testName !== 'string' || !TEST_NAME.test(testName)) {
    fail('test_name must be an OONI test name (lowercase letters, digits and _)')
  }
  const measuredAt = parseOoniTime(value.measurement_start_time)
  if (!measuredAt) fail('measurement_start_time must be a UTC time like 2019-07-06 04:12:33')
  const input = optionalText(value.input, INPUT_MAX)
  const uid = optionalText(value.measurement_uid, ID_MAX)
  const reportId = optionalText(value.report_id, ID_MAX)
  if (!uid && !reportId) fail('neither measurement_uid nor report_id is given')
  if (value.test_keys !== undefined && value.test_keys !== null && !isObject(value.test_keys)) {
    fail('test_keys must be an object')
  }

  const asn = Number(asnMatch![1])
  const name = testName as string
  const verdict: OoniVerdict = isObject(value.test_keys)
    ? ooniVerdict(name, value.test_keys, {
        testVersion: optionalText(value.test_version, 32),
        measuredAt: measuredAt!,
      })
    : 'anomaly' in value || 'confirmed' in value || 'failure' in value
      ? ooniListVerdict(value)
      : {
          status: 'unknown',
          failure: 'unknown',
          keys: {},
          reason: 'neither test_keys nor OONI anomaly flags',
        }
  const host = input ? hostOf(input) : null
  const targetId = `ooni/${host ?? name}`
  const vantageId = `ooni-AS${asn}-${cc}`
  const runtime =
    typeof value.test_runtime === 'number' && Number.isFinite(value.test_runtime) && value.test_runtime >= 0
      ? value.test_runtime * 1000
      : null
  const measurementUrl = optionalText(value.measurement_url, INPUT_MAX)
  return {
    verdict: verdict.status,
    testName: name,
    shape: isObject(value.test_keys) ? 'raw' : 'list',
    measurement: {
      measuredAt: measuredAt!,
      vantageId,
      targetId,
      kind: name,
      region: null,
      asn,
      ok: verdict.status === 'ok',
      failure: verdict.status === 'ok' ? null : (verdict.failure ?? 'unknown'),
      durationMs: runtime,
      source: 'ooni',
      idempotencyKey: `ooni:${uid ?? `${reportId}:${input ?? ''}`}`,
      details: {
        ooni: {
          measurement_uid: uid,
          report_id: reportId,
          input,
          test_name: name,
          test_version: optionalText(value.test_version, 32),
          probe_cc: cc,
          probe_asn: asnText,
          ...(measurementUrl ? { measurement_url: measurementUrl } : {}),
          verdict: verdict.status,
          ...(verdict.reason ? { reason: storableText(verdict.reason, 300) } : {}),
          keys: verdict.keys,
        },
      },
    },
    vantage: { id: vantageId, country: cc as string, region: null, asn, network: null, role: 'in_country' },
    target: {
      id: targetId,
      groupName: 'ooni',
      purpose: 'service',
      host: host ?? name,
      port: input?.startsWith('http://') ? 80 : 443,
      url: input,
      probes: [name],
      region: null,
      asn: null,
    },
  }
}

/** OONI writes `2019-07-06 04:12:33` (UTC) in raw data and ISO 8601 with `Z` in the API. */
export function parseOoniTime(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]00:?00)?$/.exec(value.trim())
  if (!match) return undefined
  const date = new Date(`${match[1]}T${match[2]}Z`)
  return Number.isNaN(date.getTime()) ? undefined : date
}

function hostOf(input: string): string | null {
  try {
    const host = new URL(input).hostname
    return host ? storableText(host, 253) : null
  } catch {
    return null
  }
}
