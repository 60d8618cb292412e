// `vigil start` with the OONI and IODA pollers enabled in the config, against one loopback server that
// answers like OONI's measurement API and IODA's v2 API: their data lands as its own source, each poller
// has a health line in /v1/sources, and the rally report shows OONI's and IODA's lanes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createTestDatabase } from '@vigil/store/testing'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { parse, stringify } from 'yaml'
import { REPO_ROOT, spawnVigil, type VigilProcess } from './support/vigil-process.js'

let database: Awaited<ReturnType<typeof createTestDatabase>>
let server: Server
let base: string
let dir: string
let vigil: VigilProcess | undefined

// 2019-06-09, the first rally day: Almaty's window runs from 07:00 local (01:00 UTC).
const T0 = Date.parse('2019-06-09T03:00:00Z') / 1000
const entity = { type: 'country', code: 'KZ', name: 'Kazakhstan' }

const listEntry = (uid: string, testName: string, at: string, flags: Record<string, boolean>) => ({
  anomaly: false,
  confirmed: false,
  failure: false,
  ...flags,
  input: null,
  measurement_start_time: at,
  measurement_uid: uid,
  measurement_url: `https://api.ooni.io/api/v1/raw_measurement?measurement_uid=${uid}`,
  probe_asn: 'AS9198',
  probe_cc: 'KZ',
  report_id: `report-${uid}`,
  scores: {},
  test_name: testName,
})

const raw: Record<string, unknown> = {
  'u-telegram': {
    data_format_version: '0.2.0',
    input: null,
    measurement_start_time: '2019-06-09 05:05:12',
    probe_asn: 'AS9198',
    probe_cc: 'KZ',
    report_id: '20190609T050512Z_telegram_KZ_9198_n1_e2e',
    software_name: 'ooniprobe-android',
    software_version: '2.1.0',
    test_name: 'telegram',
    test_version: '0.0.5',
    test_keys: {
      telegram_tcp_blocking: true,
      telegram_http_blocking: true,
      telegram_web_status: 'blocked',
      telegram_web_failure: 'generic_timeout_error',
    },
  },
  'u-ndt': {
    data_format_version: '0.2.0',
    input: null,
    measurement_start_time: '2019-06-09 05:30:00',
    probe_asn: 'AS9198',
    probe_cc: 'KZ',
    report_id: '20190609T053000Z_ndt_KZ_9198_n1_e2e',
    test_name: 'ndt',
    test_keys: { failure: null, summary: { avg_rtt: 900 } },
  },
}

const signals = {
  type: 'signals',
  error: null,
  data: [
    [
      {
        entityType: 'country',
        entityCode: 'KZ',
        entityName: 'Kazakhstan',
        datasource: 'bgp',
        subtype: '',
        from: T0,
        until: T0 + 4 * 1800,
        step: 1800,
        nativeStep: 300,
        values: [1480, 1200, 880, 1470],
      },
      {
        entityType: 'country',
        entityCode: 'KZ',
        entityName: 'Kazakhstan',
        datasource: 'ping-slash24-loss',
        subtype: '',
        from: T0,
        until: T0 + 2 * 1800,
        step: 1800,
        nativeStep: 600,
        values: [[{ agg_values: { loss_pct: 2.5 } }], [{ agg_values: { loss_pct: 48 } }]],
      },
    ],
  ],
}

beforeAll(async () => {
  database = await createTestDatabase()
  server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', base)
    const send = (body: unknown) =>
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    if (url.pathname === '/api/v1/measurements') {
      send({
        metadata: { count: 3, next_url: null },
        results: [
          listEntry('u-telegram', 'telegram', '2019-06-09T05:05:12Z', { anomaly: true }),
          listEntry('u-whatsapp', 'whatsapp', '2019-06-09T05:06:00Z', {}),
          listEntry('u-ndt', 'ndt', '2019-06-09T05:30:00Z', { anomaly: true }),
        ],
      })
    } else if (url.pathname === '/api/v1/raw_measurement') {
      send(raw[url.searchParams.get('measurement_uid') ?? ''] ?? {})
    } else if (url.pathname === '/v2/signals/raw/country/KZ') {
      send(signals)
    } else if (url.pathname === '/v2/outages/events/country/KZ') {
      send({
        type: 'outages.events',
        error: null,
        data: [{ entity, from: T0 + 1800, until: T0 + 5400, score: 2900, datasource: 'overall' }],
      })
    } else if (url.pathname === '/v2/outages/alerts/country/KZ') {
      send({
        type: 'outages.alerts',
        error: null,
        data: [
          {
            datasource: 'bgp',
            entity,
            time: T0 + 1800,
            level: 'critical',
            condition: '< 0.8',
            value: 880,
            historyValue: 1480,
          },
        ],
      })
    } else {
      response.writeHead(503).end('unavailable')
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  dir = mkdtempSync(path.join(tmpdir(), 'vigil-observatories-'))
  const config = parse(readFileSync(path.join(REPO_ROOT, 'config/kazakhstan.yaml'), 'utf8'))
  config.observatories = {
    ooni: { enabled: true, apiUrl: `${base}/`, countries: ['KZ'], interval: '1h' },
    ioda: { enabled: true, apiUrl: `${base}/v2/`, countries: ['KZ'], asns: [9198], interval: '1h' },
  }
  writeFileSync(path.join(dir, 'vigil.yaml'), stringify(config))
})

afterAll(async () => {
  if (vigil) await vigil.stop('SIGTERM')
  await new Promise((resolve) => server.close(resolve))
  await database.drop()
  rmSync(dir, { recursive: true, force: true })
})

describe('observatory pollers under vigil start', { timeout: 120_000 }, () => {
  it('polls both APIs, shows a health line per poller and the imported data as lanes of its own', async () => {
    vigil = await spawnVigil({
      args: ['start', '--port', '0', '--only', 'api,observatories', '--config', path.join(dir, 'vigil.yaml')],
      connection: database.connection,
    })
    type Line = {
      name: string
      type: string
      state: string
      itemsSeen: number
      lastError: { message: string } | null
    }
    let lines: Line[] = []
    await vi.waitFor(
      async () => {
        const body = (await (await vigil!.get(`/v1/sources`)).json()) as { sources: Line[] }
        lines = body.sources.filter((line) => line.type.endsWith('-poller'))
        expect(lines.map((line) => [line.name, line.state])).toEqual([
          ['ioda:asn/9198', 'failing'],
          ['ioda:country/KZ', 'ok'],
          ['ooni:KZ', 'ok'],
        ])
      },
      { timeout: 60_000, interval: 250 },
    )
    expect(lines.find((line) => line.name === 'ooni:KZ')!.itemsSeen).toBe(3)
    expect(lines.find((line) => line.name === 'ioda:asn/9198')!.lastError!.message).toContain('503')

    const ooni = (await (await vigil!.get(`/v1/measurements?source=ooni`)).json()) as {
      measurements: Array<{ kind: string; ok: boolean; failure: string | null; source: string }>
    }
    expect(ooni.measurements.map((row) => [row.kind, row.ok, row.failure, row.source])).toEqual([
      ['ndt', false, 'unknown', 'ooni'],
      ['whatsapp', true, null, 'ooni'],
      ['telegram', false, 'generic_timeout_error', 'ooni'],
    ])
    const own = (await (await vigil!.get(`/v1/measurements?source=vigil`)).json()) as {
      measurements: unknown[]
    }
    expect(own.measurements).toEqual([])

    const markdown = await (await vigil!.get(`/v1/reports/rally?date=2019-06-09&format=md`)).text()
    expect(markdown).toContain('## OONI (imported measurements from probes in KZ)')
    expect(markdown).toContain(
      '- OONI telegram: 1 measurement (1 anomaly); first anomaly 2019-06-09T05:05:12.000Z; generic_timeout_error ×1',
    )
    expect(markdown).toContain('- OONI ndt: 1 measurement (1 unknown); unknown ×1')
    expect(markdown).toContain('- IODA country/KZ bgp: 4 points, min 880, max 1480')
    expect(markdown).toContain('- IODA country/KZ ping-slash24-loss loss_pct: 2 points, min 2.5, max 48')
    expect(markdown).toContain(
      '- IODA event country/KZ overall: 2019-06-09T03:30:00.000Z to 2019-06-09T04:30:00.000Z score 2900',
    )
    const html = await (await vigil!.get(`/v1/reports/rally?date=2019-06-09&format=html`)).text()
    expect(html).toContain('data-city="OONI"')
    expect(html).toContain('data-city="IODA"')
    expect(html).toContain('class="ooni-anomaly"')
    const csv = await (await vigil!.get(`/v1/reports/rally?date=2019-06-09&format=csv`)).text()
    expect(csv.split('\n').filter((line) => line.startsWith('ooni_test,OONI,'))).toHaveLength(3)
    expect(csv).toContain('ioda_event,country/KZ,2019-06-09T03:30:00.000Z')
  })
})
