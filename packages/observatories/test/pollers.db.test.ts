// The OONI and IODA pollers against HTTP servers on loopback that answer like those APIs (responses
// written after OONI's API and IODA's v2 documentation): pages followed on the API's origin only, raw
// measurements fetched for flagged entries, resumption, conditional requests, back-off with Retry-After,
// health recorded per poller, and a clean stop.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createIodaPoller, createOoniPoller } from '@vigil/observatories'
import { getPoller, listPollers } from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

let store: TestStore
let server: Server
let base: string
const requests: Array<{ url: URL; headers: IncomingMessage['headers'] }> = []
let route: (url: URL, request: IncomingMessage, response: ServerResponse) => void = (
  _url,
  _request,
  response,
) => {
  response.writeHead(404).end()
}

const json = (response: ServerResponse, body: unknown, headers: Record<string, string> = {}) =>
  response.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))

beforeAll(async () => {
  store = await openTestStore()
  server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', base)
    requests.push({ url, headers: request.headers })
    route(url, request, response)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  await store.close()
})

const HOUR = 3_600_000

/** An entry of OONI's /api/v1/measurements list. */
const listEntry = (
  uid: string,
  testName: string,
  at: string,
  flags: Record<string, boolean>,
  input: string | null = null,
) => ({
  anomaly: false,
  confirmed: false,
  failure: false,
  ...flags,
  input,
  measurement_start_time: at,
  measurement_uid: uid,
  measurement_url: `https://api.ooni.io/api/v1/raw_measurement?measurement_uid=${uid}`,
  probe_asn: 'AS9198',
  probe_cc: 'KZ',
  report_id: `report-${uid}`,
  scores: {},
  test_name: testName,
})

const rawMeasurement = (
  testName: string,
  at: string,
  testKeys: Record<string, unknown>,
  input: string | null = null,
) => ({
  data_format_version: '0.2.0',
  input,
  measurement_start_time: at.replace('T', ' ').replace('Z', ''),
  probe_asn: 'AS9198',
  probe_cc: 'KZ',
  report_id: 'raw-report',
  software_name: 'ooniprobe-android',
  software_version: '3.8.0',
  test_name: testName,
  test_runtime: 4.2,
  test_version: '0.2.0',
  test_keys: testKeys,
})

describe('OONI poller', () => {
  const listPage = (url: URL) => {
    const offset = url.searchParams.get('offset')
    const since = url.searchParams.get('since')
    if (since && since >= '2019-07-06T06:00:00') {
      return { metadata: { count: 0, next_url: null }, results: [] }
    }
    if (offset === null) {
      const next = new URL(url)
      next.searchParams.set('offset', '1000')
      return {
        metadata: {
          count: -1,
          current_page: 1,
          limit: 1000,
          offset: 0,
          pages: -1,
          next_url: next.toString(),
        },
        results: [
          listEntry(
            'u-facebook',
            'web_connectivity',
            '2019-07-06T04:12:33Z',
            { anomaly: true },
            'https://www.facebook.com/',
          ),
          listEntry(
            'u-wikipedia',
            'web_connectivity',
            '2019-07-06T04:13:02Z',
            {},
            'https://www.wikipedia.org/',
          ),
          listEntry(
            'u-rferl',
            'web_connectivity',
            '2019-07-06T05:01:40Z',
            { confirmed: true },
            'https://www.rferl.org/',
          ),
          listEntry('u-telegram', 'telegram', '2019-07-06T05:10:00Z', { anomaly: true }),
        ],
      }
    }
    return {
      // A next_url on another origin is never followed.
      metadata: {
        count: 5,
        current_page: 2,
        next_url: 'http://ooni.invalid/api/v1/measurements?offset=2000',
      },
      results: [listEntry('u-signal', 'signal', '2019-07-06T06:00:00Z', {})],
    }
  }

  beforeAll(() => {
    route = (url, _request, response) => {
      if (url.pathname === '/api/v1/measurements') {
        // An API that accepts the request and never answers.
        if (url.searchParams.get('probe_cc') === 'TJ') return
        if (url.searchParams.get('probe_cc') === 'XX') {
          response.writeHead(429, { 'retry-after': '900' }).end('slow down')
          return
        }
        json(response, listPage(url))
        return
      }
      if (url.pathname === '/api/v1/raw_measurement') {
        const uid = url.searchParams.get('measurement_uid')
        if (uid === 'u-facebook') {
          json(
            response,
            rawMeasurement(
              'web_connectivity',
              '2019-07-06T04:12:33Z',
              {
                blocking: 'http-failure',
                accessible: false,
                http_experiment_failure: 'ssl_unknown_authority',
                tls_handshakes: [{ failure: 'ssl_unknown_authority', server_name: 'www.facebook.com' }],
              },
              'https://www.facebook.com/',
            ),
          )
        } else if (uid === 'u-telegram') {
          json(
            response,
            rawMeasurement('telegram', '2019-07-06T05:10:00Z', {
              telegram_tcp_blocking: true,
              telegram_http_blocking: true,
              telegram_web_status: 'blocked',
              telegram_web_failure: 'generic_timeout_error',
            }),
          )
        } else {
          response.writeHead(500).end()
        }
        return
      }
      response.writeHead(404).end()
    }
  })

  it('follows pages on its own origin, reads flagged entries from their raw measurements, backs off on 429', async () => {
    requests.length = 0
    let now = new Date('2019-07-06T12:00:00Z')
    const poller = createOoniPoller({
      settings: { apiUrl: `${base}/`, countries: ['KZ', 'XX'], interval: HOUR, maxBackoff: 6 * HOUR },
      sql: store.sql,
      now: () => now,
    })
    const [kz, xx] = await poller.runOnce()
    expect(kz).toMatchObject({
      name: 'ooni:KZ',
      status: 'ok',
      result: { pages: 2, records: 5, inserted: 5, raw: 3, rawFailed: 1 },
    })
    expect(xx).toMatchObject({ name: 'ooni:XX', status: 'failed' })
    // Retry-After: 900 s is longer than the first back-off step.
    expect(xx!.status === 'failed' && xx!.retryInMs).toBe(900_000)
    expect(requests.some((request) => request.url.hostname === 'ooni.invalid')).toBe(false)
    const first = requests[0]!.url
    expect(first.searchParams.get('since')).toBe('2019-07-05T12:00:00')
    expect(first.searchParams.get('until')).toBe('2019-07-06T12:00:00')

    const stored = await store.sql<
      Array<{ target_id: string; ok: boolean; failure: string | null; verdict: string }>
    >`
      select target_id, ok, failure, details #>> '{ooni,verdict}' as verdict
      from measurements where source = 'ooni' order by measured_at`
    expect(stored.map((row) => [row.target_id, row.ok, row.failure])).toEqual([
      ['ooni/www.facebook.com', false, 'ssl_unknown_authority'],
      ['ooni/www.wikipedia.org', true, null],
      // Its raw measurement could not be fetched: OONI's confirmed flag stays the verdict.
      ['ooni/www.rferl.org', false, 'confirmed_blocking'],
      ['ooni/telegram', false, 'generic_timeout_error'],
      ['ooni/signal', true, null],
    ])

    const health = await getPoller(store.sql, 'ooni:XX')
    expect(health).toMatchObject({ state: 'failing', consecutiveFailures: 1 })
    expect(health!.lastError).toContain('429')
    expect(health!.nextPollAt!.toISOString()).toBe('2019-07-06T12:15:00.000Z')

    // Not due yet: nothing is asked.
    requests.length = 0
    const early = await poller.runOnce()
    expect(early.map((report) => report.status)).toEqual(['not_due', 'not_due'])
    expect(requests).toHaveLength(0)

    // An hour on: KZ resumes after its newest measurement; XX fails again and counts up.
    now = new Date(now.getTime() + HOUR)
    const [again, xxAgain] = await poller.runOnce()
    expect(again).toMatchObject({ status: 'ok', result: { pages: 1, records: 0, inserted: 0 } })
    expect(requests[0]!.url.searchParams.get('since')).toBe('2019-07-06T06:00:00')
    expect(xxAgain!.status).toBe('failed')
    expect(await getPoller(store.sql, 'ooni:XX')).toMatchObject({ consecutiveFailures: 2 })
    expect(await getPoller(store.sql, 'ooni:KZ')).toMatchObject({
      state: 'ok',
      consecutiveFailures: 0,
      recordsSeen: 5,
    })
  })

  it('polls at start, then waits, and stops cleanly', async () => {
    requests.length = 0
    const poller = createOoniPoller({
      settings: { apiUrl: base, countries: ['KG'], interval: HOUR },
      sql: store.sql,
    })
    poller.start()
    await vi.waitFor(() => expect(requests.length).toBeGreaterThanOrEqual(1))
    await poller.stop()
    const seen = requests.length
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(requests).toHaveLength(seen)
    expect(await getPoller(store.sql, 'ooni:KG')).toMatchObject({ state: 'ok' })
  })

  it('aborts a request in flight on stop, without counting it against the API', async () => {
    requests.length = 0
    const poller = createOoniPoller({
      settings: { apiUrl: base, countries: ['TJ'], interval: HOUR },
      sql: store.sql,
    })
    poller.start()
    await vi.waitFor(() => expect(requests.length).toBeGreaterThanOrEqual(1))
    await poller.stop()
    expect(await getPoller(store.sql, 'ooni:TJ')).toBeUndefined()
  })
})

describe('IODA poller', () => {
  const T0 = Date.parse('2019-06-09T00:00:00Z') / 1000
  const envelope = (type: string, data: unknown[]) => ({
    type,
    metadata: { requestTime: '2019-06-09T12:00:00', responseTime: '2019-06-09T12:00:01' },
    error: null,
    perf: null,
    data,
    copyright: 'IODA',
  })
  const series = (datasource: string, values: unknown[]) => ({
    entityType: 'country',
    entityCode: 'KZ',
    entityName: 'Kazakhstan',
    datasource,
    subtype: '',
    from: T0,
    until: T0 + 600 * values.length,
    step: 600,
    nativeStep: 600,
    values,
  })
  const entity = { type: 'country', code: 'KZ', name: 'Kazakhstan' }

  beforeAll(() => {
    route = (url, request, response) => {
      const path = url.pathname
      if (path.startsWith('/v2/signals/raw/country/KZ')) {
        if (request.headers['if-none-match'] === '"signals-1"') {
          response.writeHead(304, { etag: '"signals-1"' }).end()
          return
        }
        json(
          response,
          envelope('signals', [
            [
              series('bgp', [1480, 1479, 900, 880]),
              series('ping-slash24-loss', [
                [{ agg_values: { loss_pct: 2 } }],
                [{ agg_values: { loss_pct: 55 } }],
                'n/a',
              ]),
            ],
          ]),
          { etag: '"signals-1"' },
        )
      } else if (path.startsWith('/v2/outages/events/country/KZ')) {
        json(
          response,
          envelope('outages.events', [
            {
              entity,
              from: T0 + 1200,
              until: T0 + 3000,
              score: 3100.2,
              datasource: 'overall',
              alerts: [
                {
                  datasource: 'bgp',
                  entity,
                  time: T0 + 1200,
                  level: 'critical',
                  condition: '< 0.8',
                  value: 900,
                  historyValue: 1480,
                },
              ],
            },
          ]),
        )
      } else if (path.startsWith('/v2/outages/alerts/country/KZ')) {
        json(
          response,
          envelope('outages.alerts', [
            {
              datasource: 'bgp',
              entity,
              time: T0 + 1200,
              level: 'critical',
              condition: '< 0.8',
              value: 900,
              historyValue: 1480,
            },
            {
              datasource: 'bgp',
              entity,
              time: T0 + 3000,
              level: 'normal',
              condition: '> 0.8',
              value: 1470,
              historyValue: 1480,
            },
          ]),
        )
      } else if (path.startsWith('/v2/signals/raw/region/1473')) {
        json(response, { type: 'signals', error: 'Invalid entity code', data: null })
      } else {
        response.writeHead(503, { 'retry-after': 'Sun, 09 Jun 2019 13:00:00 GMT' }).end()
      }
    }
  })

  it('stores signals, events and alerts per entity, asks again conditionally, and records each entity’s health', async () => {
    requests.length = 0
    let now = new Date('2019-06-09T12:02:00Z')
    const poller = createIodaPoller({
      settings: {
        apiUrl: `${base}/v2/`,
        entities: [
          { type: 'country', code: 'KZ' },
          { type: 'region', code: '1473' },
          { type: 'asn', code: '9198' },
        ],
        interval: 60_000,
      },
      sql: store.sql,
      now: () => now,
    })
    const [kz, region, asn] = await poller.runOnce()
    expect(kz).toMatchObject({
      status: 'ok',
      result: { points: 6, pointsInserted: 6, events: 4, eventsInserted: 3, rejected: 1, notModified: 0 },
    })
    const signalsUrl = requests.find((request) => request.url.pathname === '/v2/signals/raw/country/KZ')!.url
    expect(signalsUrl.searchParams.get('until')).toBe(String(Date.parse('2019-06-09T12:00:00Z') / 1000))
    expect(signalsUrl.searchParams.get('from')).toBe(String(Date.parse('2019-06-08T12:00:00Z') / 1000))
    const eventsUrl = requests.find(
      (request) => request.url.pathname === '/v2/outages/events/country/KZ',
    )!.url
    expect(eventsUrl.searchParams.get('format')).toBe('ioda')
    expect(eventsUrl.searchParams.get('includeAlerts')).toBe('true')
    expect(region).toMatchObject({ status: 'failed', error: expect.stringContaining('Invalid entity code') })
    // 503 with Retry-After as an HTTP date an hour ahead.
    expect(asn!.status === 'failed' && asn!.retryInMs).toBe(58 * 60_000)

    // A minute later, inside the same 5-minute window: the same URLs, the signals asked conditionally.
    now = new Date('2019-06-09T12:03:30Z')
    requests.length = 0
    const [kzAgain] = await poller.runOnce()
    expect(kzAgain).toMatchObject({
      status: 'ok',
      result: { notModified: 1, pointsInserted: 0, eventsInserted: 0 },
    })
    const conditional = requests.find((request) => request.url.pathname === '/v2/signals/raw/country/KZ')!
    expect(conditional.headers['if-none-match']).toBe('"signals-1"')
    expect(conditional.url.searchParams.get('from')).toBe(signalsUrl.searchParams.get('from'))

    const [{ n }] = await store.sql<[{ n: number }]>`select count(*)::int as n from observatory_signals`
    expect(n).toBe(6)
    const lines = await listPollers(store.sql)
    expect(lines.filter((line) => line.kind === 'ioda').map((line) => [line.name, line.state])).toEqual([
      ['ioda:asn/9198', 'failing'],
      ['ioda:country/KZ', 'ok'],
      ['ioda:region/1473', 'failing'],
    ])
  })
})
