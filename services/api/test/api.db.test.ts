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
    ['limit=0', /^querystring\/limit Too small: expected number to be >=1$/],
    ['limit=abc', /^querystring\/limit expected an integer$/],
    ['limit=2.5', /^querystring\/limit expected an integer$/],
    ['limit=1000000', /^querystring\/limit Too big: expected number to be <=10000$/],
    ['from=yesterday', /^querystring\/from expected an RFC 3339 date-time/],
    // Kinds are Vigil's probe kinds or OONI test names: lowercase words.
    ['kind=FTP%20list', /^querystring\/kind .*must match pattern/],
    ['source=ripe', /^querystring\/source Invalid option: expected one of "vigil"\|"agent"\|"ooni"$/],
    ['colour=red', /^querystring\/colour is not accepted here$/],
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

describe('query validation of the other read routes', () => {
  it.each([
    ['/v1/incidents?kind=outage', /^querystring\/kind Invalid option/],
    ['/v1/incidents?state=open', /^querystring\/state Invalid option/],
    ['/v1/incidents?limit=10001', /^querystring\/limit Too big/],
    [
      '/v1/incidents?from=2019-07-07T00:00:00Z&to=2019-07-06T00:00:00Z',
      /from must be before querystring\/to/,
    ],
    ['/v1/reports?from=2019-02-30', /^querystring\/from 2019-02-30 is not a day of the calendar$/],
    ['/v1/reports?from=2019-07-07&to=2019-07-06', /from must not be after querystring\/to/],
    ['/v1/reports?city=', /^querystring\/city Too small/],
    ['/v1/export/measurements?from=2019-07-06T00:00:00Z', /^querystring\/to /],
    [
      '/v1/export/incidents?from=2019-07-06T00:00:00Z&to=9999-01-01T00:00:00Z',
      /^querystring\/to must lie between/,
    ],
    [
      '/v1/export/incidents?from=2019-07-06T00:00:00Z&to=2019-07-07T00:00:00Z&limit=5',
      /^querystring\/limit is not accepted here$/,
    ],
  ])('answers 400 naming the field for %s', async (url, message) => {
    const response = await inject(url)
    expect(response.statusCode).toBe(400)
    expect(response.json().error).toBe('bad_request')
    expect(response.json().message).toMatch(message)
  })

  it('describes each route in the OpenAPI document from the schemas it validates with', async () => {
    const spec = (await inject('/docs/json')).json()
    type Parameter = { name: string; in: string; required?: boolean; schema: Record<string, unknown> }
    const parameters = (path: string) =>
      Object.fromEntries(
        (spec.paths[path].get.parameters as Parameter[]).map((parameter) => [parameter.name, parameter]),
      )
    const measurements = parameters('/v1/measurements')
    expect(measurements.limit!.schema).toMatchObject({ minimum: 1, maximum: 10_000, default: 100 })
    expect(measurements.source!.schema.enum).toEqual(['vigil', 'agent', 'ooni'])
    expect(measurements.kind!.schema.pattern).toBe('^[a-z0-9_]{1,64}$')
    expect(parameters('/v1/incidents').kind!.schema.enum).toContain('blackout')
    expect(parameters('/v1/export/measurements').from!.required).toBe(true)
    expect(parameters('/v1/reports').limit!.schema).toMatchObject({ maximum: 10_000 })
    const silence = spec.paths['/v1/silences'].post.requestBody.content['application/json'].schema
    expect(silence.required).toEqual(['matchers', 'endsAt', 'comment'])
    expect(silence.additionalProperties).toBe(false)
    const token = spec.paths['/v1/agent-tokens'].post.requestBody.content['application/json'].schema
    expect(token.properties.vantage.pattern).toBe('^[^\\s:]+$')
    expect(spec.paths['/v1/api-keys/{id}'].delete.parameters[0]).toMatchObject({ name: 'id', in: 'path' })
  })
})
