// OONI and IODA files in their documented formats map into Vigil's shapes; a file that is not JSON is
// refused, a malformed record is left out with the line or JSON path at fault and the others are kept.
import { readFileSync } from 'node:fs'
import { ObservatoryImportError, parseIodaFile, parseOoniFile, parseOoniTime } from '@vigil/observatories'
import { describe, expect, it } from 'vitest'

const fixture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/observatories/${name}`, import.meta.url), 'utf8')

function rejection(parse: () => unknown): ObservatoryImportError {
  try {
    parse()
  } catch (error) {
    if (error instanceof ObservatoryImportError) return error
    throw error
  }
  throw new Error('expected the file to be rejected')
}

describe('OONI', () => {
  it("maps the API's measurement list by its flags, one vantage per probe network", () => {
    const { records, rejected } = parseOoniFile(fixture('ooni-api-measurements.json'))
    expect(rejected).toEqual([])
    expect(records).toHaveLength(3)
    const [facebook, wikipedia, rferl] = records.map((record) => record.measurement)
    expect(facebook).toMatchObject({
      vantageId: 'ooni-AS9198-KZ',
      targetId: 'ooni/www.facebook.com',
      kind: 'web_connectivity',
      source: 'ooni',
      asn: 9198,
      ok: false,
      failure: 'anomaly',
      idempotencyKey: 'ooni:20190706041233.512344_KZ_webconnectivity_3a1c1e7d0b2f4a9c',
    })
    expect(facebook!.measuredAt.toISOString()).toBe('2019-07-06T04:12:33.000Z')
    expect(wikipedia).toMatchObject({ ok: true, failure: null })
    expect(rferl).toMatchObject({ vantageId: 'ooni-AS206026-KZ', failure: 'confirmed_blocking' })
    expect(records[0]!.vantage).toEqual({
      id: 'ooni-AS9198-KZ',
      country: 'KZ',
      region: null,
      asn: 9198,
      network: null,
      role: 'in_country',
    })
  })

  it('maps raw measurements: DNS failures, certificate errors, blocking and accessibility, raw keys kept', () => {
    const records = parseOoniFile(fixture('ooni-raw.jsonl')).records.map((record) => record.measurement)
    expect(records.map((m) => [m.targetId, m.ok, m.failure])).toEqual([
      ['ooni/www.instagram.com', false, 'dns_nxdomain_error'],
      ['ooni/www.facebook.com', false, 'ssl_unknown_authority'],
      ['ooni/www.wikipedia.org', true, null],
      ['ooni/telegram', false, 'generic_timeout_error'],
    ])
    expect(records[1]!.details).toMatchObject({
      ooni: {
        verdict: 'anomaly',
        keys: { blocking: 'http-failure', accessible: false, tls_failures: ['ssl_unknown_authority'] },
      },
    })
    expect(records[0]!.idempotencyKey).toBe(
      'ooni:20190706T041500Z_AS9198_aB3cD5eF7gH9iJ1kL3mN5oP7qR9sT1uV3wX5yZ7aB9c:https://www.instagram.com/',
    )
    expect(records[0]!.durationMs).toBe(12_500)
  })

  it('leaves out a malformed JSONL line, naming it, and keeps the others', () => {
    const { records, rejected } = parseOoniFile(fixture('ooni-malformed.jsonl'))
    expect(records).toHaveLength(2)
    expect(rejected).toHaveLength(1)
    expect(rejected[0]!.at).toBe('line 3')
    expect(rejected[0]!.message).toContain('probe_asn')
  })

  it('names the index of a bad record of a list, and refuses text that is not JSON at all', () => {
    const list = JSON.stringify({ results: [{ probe_cc: 'KZ' }] })
    expect(parseOoniFile(list).rejected.map((record) => record.at)).toEqual(['results[0]'])
    expect(rejection(() => parseOoniFile('{"probe_cc": ')).at).toBe('line 1')
    expect(rejection(() => parseOoniFile('{\n  "probe_cc": "KZ",\n  oops\n}\n')).at).toBe('line 1')
    const lines = parseOoniFile('{"a":1}\n{oops}\n')
    expect(lines.rejected.map((record) => [record.at, record.message.slice(0, 8)])).toEqual([
      ['line 1', 'probe_cc'],
      ['line 2', 'not JSON'],
    ])
  })

  it("reads both of OONI's time notations as UTC", () => {
    expect(parseOoniTime('2019-07-06 04:12:33')?.toISOString()).toBe('2019-07-06T04:12:33.000Z')
    expect(parseOoniTime('2019-07-06T04:12:33Z')?.toISOString()).toBe('2019-07-06T04:12:33.000Z')
    expect(parseOoniTime('06/07/2019')).toBeUndefined()
  })
})

describe('IODA', () => {
  it('turns raw signal series into one point per step', () => {
    const { points, events, rejected } = parseIodaFile(fixture('ioda-signals-raw.json'))
    expect(rejected).toEqual([])
    expect(events).toEqual([])
    expect(points).toHaveLength(24)
    const ping = points.filter((point) => point.datasource === 'ping-slash24')
    expect(ping[4]).toMatchObject({ entityType: 'country', entityCode: 'KZ', step: 1800, value: 3950 })
    expect(ping[4]!.at.toISOString()).toBe('2019-07-06T06:00:00.000Z')
    expect(ping[5]!.value).toBeNull()
  })

  it('reads outage alerts and events, with the entity given either way', () => {
    const alerts = parseIodaFile(fixture('ioda-alerts.json')).events
    expect(alerts).toHaveLength(2)
    expect(alerts[0]).toMatchObject({
      kind: 'alert',
      entityCode: 'KZ',
      datasource: 'ping-slash24',
      level: 'critical',
    })
    const [event] = parseIodaFile(fixture('ioda-events.json')).events
    expect(event).toMatchObject({ kind: 'event', entityType: 'country', entityCode: 'KZ', score: 4213.5 })
    expect(event!.endedAt!.getTime() - event!.startedAt.getTime()).toBe(6_000_000)
  })

  it('leaves out a malformed value naming its JSON path, keeping the rest of the file', () => {
    const { points, rejected } = parseIodaFile(fixture('ioda-malformed.json'))
    expect(rejected).toEqual([
      { at: 'data[0][1].values[1]', message: 'must be a number, null or a list of {agg_values} objects' },
    ])
    expect(points.map((point) => [point.datasource, point.value])).toEqual([
      ['bgp', 2412],
      ['bgp', 2409],
      ['ping-slash24', 9120],
    ])
    expect(rejection(() => parseIodaFile('{"results": []}')).at).toBe('the document')
    expect(rejection(() => parseIodaFile('{"data": null, "error": "Invalid entity type"}')).at).toBe('error')
  })
})
