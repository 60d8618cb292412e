import { buildApp } from '@vigil/api'
import { createMetricsRegistry } from '@vigil/metrics'
import { insertMeasurements, upsertVantage } from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Inject, injectWithKey } from './support.js'

let store: TestStore
let app: FastifyInstance
let inject: Inject

beforeAll(async () => {
  store = await openTestStore()
  app = await buildApp({ store, registry: createMetricsRegistry({ version: 'test' }), version: 'test' })
  inject = await injectWithKey(app, store.sql, 'read')
  await upsertVantage(store.sql, {
    id: 'kz-1',
    country: 'KZ',
    region: 'Almaty',
    asn: 9198,
    network: null,
    role: 'in_country',
  })
  await insertMeasurements(
    store.sql,
    Array.from({ length: 25 }, (_, minute) => ({
      measuredAt: new Date(Date.UTC(2019, 6, 6, 4, minute)),
      vantageId: 'kz-1',
      targetId: minute % 5 === 0 ? 'control/wikipedia' : 'social/facebook',
      kind: 'https',
      region: 'Almaty',
      ok: minute < 10,
      failure: minute < 10 ? null : 'connection_reset',
      durationMs: 100 + minute,
    })),
  )
})

afterAll(async () => {
  await app.close()
  await store.close()
})

describe('health', () => {
  it('answers /healthz and /readyz when the database answers', async () => {
    expect((await inject('/healthz')).json()).toEqual({ status: 'ok' })
    const ready = await inject('/readyz')
    expect(ready.statusCode).toBe(200)
    expect(ready.json().status).toBe('ready')
  })

  it('serves Prometheus text at /metrics, counting requests by route pattern', async () => {
    await inject('/v1/measurements?target=social/facebook')
    const response = await inject('/metrics')
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toContain('text/plain; version=0.0.4')
    expect(response.body).toContain('vigil_build_info{version="test"')
    expect(response.body).toMatch(
      /vigil_http_requests_total\{method="GET",route="\/v1\/measurements",status_code="200"\} \d/,
    )
    expect(response.body).not.toContain('social/facebook')
  })
})

describe('GET /v1/measurements', () => {
  it('filters by target, region and time, newest first', async () => {
    const response = await inject({
      url: '/v1/measurements',
      query: {
        target: 'social/facebook',
        region: 'Almaty',
        from: '2019-07-06T04:10:00Z',
        to: '2019-07-06T04:20:00Z',
      },
    })
    expect(response.statusCode).toBe(200)
    const body = response.json()
    expect(body.measurements.map((row: { measuredAt: string }) => row.measuredAt)).toEqual([
      '2019-07-06T04:19:00.000Z',
      '2019-07-06T04:18:00.000Z',
      '2019-07-06T04:17:00.000Z',
      '2019-07-06T04:16:00.000Z',
      '2019-07-06T04:14:00.000Z',
      '2019-07-06T04:13:00.000Z',
      '2019-07-06T04:12:00.000Z',
      '2019-07-06T04:11:00.000Z',
    ])
    expect(body.measurements[0]).toMatchObject({
      vantage: 'kz-1',
      target: 'social/facebook',
      ok: false,
      failure: 'connection_reset',
      region: 'Almaty',
      asn: 9198 === body.measurements[0].asn ? 9198 : null,
    })
    expect(body.next).toBeNull()
  })

  it('pages with the cursor it hands out until every row was seen once', async () => {
    const seen: number[] = []
    let cursor: string | undefined
    do {
      const response = await inject({
        url: '/v1/measurements',
        query: { vantage: 'kz-1', limit: '7', ...(cursor ? { cursor } : {}) },
      })
      expect(response.statusCode).toBe(200)
      const body = response.json()
      seen.push(...body.measurements.map((row: { id: number }) => row.id))
      cursor = body.next ?? undefined
    } while (cursor)
    expect(seen).toHaveLength(25)
    expect(new Set(seen).size).toBe(25)
  })

  it.each([
    ['limit=0', /limit must be >= 1/],
    ['limit=abc', /limit must be integer/],
    ['limit=1000000', /limit must be <= 10000/],
    ['from=yesterday', /from must match format "date-time"/],
    // Kinds are Vigil's probe kinds or OONI test names: lowercase words.
    ['kind=FTP%20list', /kind must match pattern/],
    ['source=ripe', /source must be equal to one of the allowed values/],
    ['colour=red', /must NOT have additional properties/],
    ['from=2019-07-07T00:00:00Z&to=2019-07-06T00:00:00Z', /from must be before querystring\/to/],
    ['cursor=bm9wZQ', /cursor is not a cursor this api gave out/],
  ])('answers 400 with a clear message for %s', async (query, message) => {
    const response = await inject(`/v1/measurements?${query}`)
    expect(response.statusCode).toBe(400)
    expect(response.json().error).toBe('bad_request')
    expect(response.json().message).toMatch(message)
  })

  it('answers 404 for unknown routes', async () => {
    const response = await inject('/v1/nothing')
    expect(response.statusCode).toBe(404)
    expect(response.json().message).toBe('no route for GET /v1/nothing')
  })
})

describe('docs', () => {
  it('serves the OpenAPI document and its page at /docs', async () => {
    const spec = (await inject('/docs/json')).json()
    expect(spec.openapi).toMatch(/^3\./)
    expect(Object.keys(spec.paths)).toContain('/v1/measurements')
    let url = '/docs'
    let page = await inject(url)
    for (let hops = 0; page.statusCode === 302 && hops < 3; hops++) {
      url = new URL(String(page.headers.location), `http://localhost${url}`).pathname
      page = await inject(url)
    }
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('swagger')
  })
})

describe('readiness', () => {
  it('answers 503 when the database is gone', async () => {
    const other = await openTestStore()
    const lonely = await buildApp({
      store: other,
      registry: createMetricsRegistry({ version: 't', defaultMetrics: false }),
      version: 't',
    })
    await other.sql.end()
    const response = await lonely.inject('/readyz')
    expect(response.statusCode).toBe(503)
    await lonely.close()
    await other.close()
  })
})
