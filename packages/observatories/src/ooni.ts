// OONI measurements in Vigil's shape: the API's measurement list (`/api/v1/measurements`, metadata only)
// and raw measurements (with test_keys), as JSON or JSON Lines, mapped to one Vigil measurement each.
import type { NewMeasurement, TargetRecord, VantageRecord } from '@vigil/store'
import { isObject, type LocatedRecord, ObservatoryImportError, parseJsonOrLines } from './import-error.js'

export interface OoniMeasurement {
  measurement: NewMeasurement
  vantage: VantageRecord
  target: TargetRecord
}

/** Parses a whole file; throws ObservatoryImportError naming the line or record at fault. */
export function parseOoniFile(text: string): OoniMeasurement[] {
  const parsed = parseJsonOrLines(text)
  let records: LocatedRecord[]
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
  return records.map((record) => mapOoniRecord(record))
}

// Failures in the order that says most about what happened: DNS first, then a certificate the probe
// refused (interception shows up here), then the HTTP experiment's own failure.
const TLS_CERTIFICATE_FAILURE = /^ssl_/

function mapOoniRecord({ at, value }: LocatedRecord): OoniMeasurement {
  if (!isObject(value)) throw new ObservatoryImportError(at, 'expected an object')
  const fail = (message: string): never => {
    throw new ObservatoryImportError(at, message)
  }
  const cc = value.probe_cc
  if (typeof cc !== 'string' || !/^[A-Z]{2}$/.test(cc)) fail('probe_cc must be a two-letter country code')
  const asnText = value.probe_asn
  const asnMatch = typeof asnText === 'string' ? /^AS(\d+)$/.exec(asnText) : null
  if (!asnMatch) fail('probe_asn must look like AS9198')
  const testName = value.test_name
  if (typeof testName !== 'string' || testName === '') fail('test_name is missing')
  const measuredAt = parseOoniTime(value.measurement_start_time)
  if (!measuredAt) fail('measurement_start_time must be a UTC time like 2019-07-06 04:12:33')
  const input = typeof value.input === 'string' && value.input !== '' ? value.input : null
  const uid =
    typeof value.measurement_uid === 'string' && value.measurement_uid !== '' ? value.measurement_uid : null
  const reportId = typeof value.report_id === 'string' && value.report_id !== '' ? value.report_id : null
  if (!uid && !reportId) fail('neither measurement_uid nor report_id is given')
  if (value.test_keys !== undefined && value.test_keys !== null && !isObject(value.test_keys)) {
    fail('test_keys must be an object')
  }

  const asn = Number(asnMatch![1])
  const outcome = isObject(value.test_keys) ? rawOutcome(value.test_keys) : listOutcome(value)
  const host = input ? hostOf(input) : null
  const targetId = `ooni/${host ?? testName}`
  const vantageId = `ooni-AS${asn}-${cc}`
  const runtime = typeof value.test_runtime === 'number' ? value.test_runtime * 1000 : null
  return {
    measurement: {
      measuredAt: measuredAt!,
      vantageId,
      targetId,
      kind: testName as string,
      region: null,
      asn,
      ok: outcome.failure === null,
      failure: outcome.failure,
      durationMs: runtime,
      source: 'ooni',
      idempotencyKey: `ooni:${uid ?? `${reportId}:${input ?? ''}`}`,
      details: {
        ooni: {
          measurement_uid: uid,
          report_id: reportId,
          input,
          test_name: testName,
          probe_cc: cc,
          probe_asn: asnText,
          ...outcome.keys,
        },
      },
    },
    vantage: { id: vantageId, country: cc as string, region: null, asn, network: null, role: 'in_country' },
    target: {
      id: targetId,
      groupName: 'ooni',
      purpose: 'service',
      host: host ?? (testName as string),
      port: input?.startsWith('http://') ? 80 : 443,
      url: input,
      probes: [testName as string],
      region: null,
      asn: null,
    },
  }
}

interface Outcome {
  failure: string | null
  keys: Record<string, unknown>
}

/** A raw measurement: the failure strings of its experiments, its blocking verdict and accessibility. */
function rawOutcome(testKeys: Record<string, unknown>): Outcome {
  const text = (key: string) => (typeof testKeys[key] === 'string' ? (testKeys[key] as string) : null)
  const tlsFailures = Array.isArray(testKeys.tls_handshakes)
    ? testKeys.tls_handshakes
        .map((handshake) =>
          isObject(handshake) && typeof handshake.failure === 'string' ? handshake.failure : null,
        )
        .filter((failure): failure is string => failure !== null)
    : []
  const certificateFailure = tlsFailures.find((failure) => TLS_CERTIFICATE_FAILURE.test(failure)) ?? null
  const blocking = testKeys.blocking
  const accessible = testKeys.accessible
  const failure =
    text('dns_experiment_failure') ??
    certificateFailure ??
    text('http_experiment_failure') ??
    (typeof blocking === 'string' ? blocking : null) ??
    (accessible === false ? 'inaccessible' : null)
  return {
    failure,
    keys: {
      blocking: blocking ?? null,
      accessible: accessible ?? null,
      dns_experiment_failure: text('dns_experiment_failure'),
      http_experiment_failure: text('http_experiment_failure'),
      control_failure: text('control_failure'),
      tls_failures: tlsFailures,
    },
  }
}

/** An entry of the API's measurement list carries only flags; they become the failure. */
function listOutcome(value: Record<string, unknown>): Outcome {
  const failure =
    value.confirmed === true
      ? 'confirmed_blocking'
      : value.anomaly === true
        ? 'anomaly'
        : value.failure === true
          ? 'measurement_failed'
          : null
  return {
    failure,
    keys: {
      anomaly: value.anomaly ?? null,
      confirmed: value.confirmed ?? null,
      failure: value.failure ?? null,
      measurement_url: typeof value.measurement_url === 'string' ? value.measurement_url : null,
      scores: isObject(value.scores) ? value.scores : null,
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
    return new URL(input).hostname || null
  } catch {
    return null
  }
}
