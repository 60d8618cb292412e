// GET /v1/reports/rally over a simulated rally day, and /v1/measurements and /v1/incidents as CSV streamed
// from a cursor, paged like their JSON.
import { buildApp } from '@vigil/api'
import type { VigilConfig } from '@vigil/config'
import { createMetricsRegistry } from '@vigil/metrics'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type SimulationResult, shippedConfig, simulateRallyDay } from '../../../bench/simulate-rally-day.js'
import { type Inject, injectWithKey } from './support.js'

let store: TestStore
let app: FastifyInstance
let inject: Inject
let config: VigilConfig
let seed: SimulationResult

beforeAll(async () => {
  store = await openTestStore()
  config = await shippedConfig()
  seed = await simulateRallyDay(store.sql)
  app = await buildApp({
    store,
    registry: createMetricsRegistry({ version: 'test', defaultMetrics: false }),
    version: 'test',
    config,
  })
  inject = await injectWithKey(app, store.sql, 'read')
}, 120_000)

afterAll(async () => {
  await app?.close()
  await store?.close()
})

describe('GET /v1/reports/rally', () => {
  it('answers JSON by default with the seeded numbers', async () => {
    const response = await inject({ url: '/v1/reports/rally?date=2019-07-06' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toContain('application/json')
    const report = response.json()
    for (const seeded of seed.cities) {
      const city = report.cities.find((entry: { city: string }) => entry.city === seeded.city)
      expect(city.detentions.detained).toBe(seeded.detained)
      if (seeded.kind === 'blackout') {
        expect(city.drop.start).toBe(seeded.startUtc.toISOString())
        expect(city.drop.durationMinutes).toBe(seeded.durationMinutes)
      }
    }
  })

  it('renders one city as HTML, Markdown or CSV', async () => {
    const html = await inject({ url: '/v1/reports/rally?date=2019-07-06&city=Nur-Sultan&format=html' })
    expect(html.headers['content-type']).toContain('text/html')
    expect(html.body).toContain('data-city="Nur-Sultan"')
    expect(html.body).not.toContain('data-city="Almaty"')
    const md = await inject({ url: '/v1/reports/rally?date=2019-07-06&city=Astana&format=md' })
    expect(md.body).toContain('\u22121 h 0 min before the announced 10:00')
    const csv = await inject({ url: '/v1/reports/rally?date=2019-07-06&format=csv&resolution=1' })
    expect(csv.headers['content-type']).toContain('text/csv')
    expect(csv.body.split('\n').filter((line) => line.startsWith('detention,'))).toHaveLength(4)
  })

  it('refuses a bad date, an unknown city and an unknown format', async () => {
    expect((await inject({ url: '/v1/reports/rally?date=06.07.2019' })).statusCode).toBe(400)
    expect((await inject({ url: '/v1/reports/rally' })).statusCode).toBe(400)
    const city = await inject({ url: '/v1/reports/rally?date=2019-07-06&city=Paris' })
    expect(city.statusCode).toBe(400)
    expect(city.json().message).toContain('Paris')
    expect((await inject({ url: '/v1/reports/rally?date=2019-07-06&format=pdf' })).statusCode).toBe(400)
  })
})

describe('CSV exports', () => {
  const range = 'from=2019-07-06T04:00:00Z&to=2019-07-06T05:00:00Z'

  it('pages measurements as CSV with the next cursor in the Link header', async () => {
    const seen = new Set<string>()
    let url: string | undefined = `/v1/measurements?${range}&limit=100&format=csv`
    let pages = 0
    while (url) {
      const response = await inject({ url })
      expect(response.statusCode).toBe(200)
      expect(response.headers['content-type']).toContain('text/csv')
      const lines = response.body.trimEnd().split('\n')
      expect(lines[0]).toBe(
        'id,measured_at,received_at,vantage,target,kind,region,asn,ok,failure,duration_ms,source,details',
      )
      for (const line of lines.slice(1)) seen.add(line.split(',')[0]!)
      pages += 1
      const link = response.headers.link as string | undefined
      url = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1] : undefined
    }
    expect(pages).toBe(6)
    expect(seen.size).toBe(540)
  })

  it('answers CSV to Accept: text/csv, and JSON when format=json says so', async () => {
    const csv = await inject({
      url: `/v1/measurements?${range}&limit=5`,
      headers: { accept: 'text/csv' },
    })
    expect(csv.body.trimEnd().split('\n')).toHaveLength(6)
    expect(csv.headers['vigil-next-cursor']).toBeTruthy()
    const json = await inject({
      url: `/v1/measurements?${range}&limit=5&format=json`,
      headers: { accept: 'text/csv' },
    })
    expect(json.json().measurements).toHaveLength(5)
  })

  it('streams incidents as CSV', async () => {
    const response = await inject({
      url: '/v1/incidents?from=2019-07-06T00:00:00Z&to=2019-07-07T00:00:00Z&format=csv',
    })
    const lines = response.body.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^id,kind,scope_type,scope,region/)
    expect(
      lines
        .slice(1)
        .map((line) => line.split(',')[1])
        .sort(),
    ).toEqual(['blackout', 'blackout', 'throttling'])
  })
})
