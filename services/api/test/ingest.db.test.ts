// POST /v1/ingest and /v1/heartbeat as an agent sees them: a good batch is stored once, every bad request
// gets its status and stores nothing; GET /v1/vantages tells which vantages are alive.
import { gzipSync } from 'node:zlib'
import { buildApp } from '@vigil/api'
import { createMetricsRegistry } from '@vigil/metrics'
import { createAgentToken, ensureVantage, revokeAgentToken } from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { injectWithKey } from './support.js'

let store: TestStore
let app: FastifyInstance
let token: string
let otherToken: string
let revokedToken: string
let limitedApp: FastifyInstance

const MAX_BYTES = 64 * 1024
// Uploads are measured an hour ago (whole minutes), well inside the retention of measurements.
const BASE = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000

function measurement(vantage: string, n: number, overrides: Record<string, unknown> = {}) {
  return {
    id: `${vantage}:m-${n}`,
    measuredAt: new Date(BASE + n * 1_000).toISOString(),
    vantage,
    target: n % 2 === 0 ? 'social/facebook' : 'control/wikipedia',
    kind: 'https',
    region: 'Almaty',
    asn: 9198,
    ok: false,
    failure: 'connection_reset',
    durationMs: 12.5,
    details: { statusCode: null },
    ...overrides,
  }
}

const ingest = (target: FastifyInstance, bearer: string | undefined, body: unknown, headers = {}) =>
  target.inject({
    method: 'POST',
    url: '/v1/ingest',
    headers: {
      'content-type': 'application/json',
      ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
      ...headers,
    },
    payload: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  })

const count = async () =>
  (await store.sql<{ n: number }[]>`select count(*)::int as n from measurements`)[0]!.n

beforeAll(async () => {
  store = await openTestStore()
  for (const id of ['kz-almaty-1', 'kz-aktau-1', 'kz-never']) {
    await ensureVantage(store.sql, {
      id,
      country: 'KZ',
      region: id === 'kz-aktau-1' ? 'Aktau' : 'Almaty',
      asn: 9198,
      network: null,
      role: 'in_country',
    })
  }
  token = (await createAgentToken(store.sql, 'kz-almaty-1')).token
  otherToken = (await createAgentToken(store.sql, 'kz-aktau-1')).token
  const revoked = await createAgentToken(store.sql, 'kz-almaty-1')
  await revokeAgentToken(store.sql, revoked.id)
  revokedToken = revoked.token
  const registry = createMetricsRegistry({ version: 'test', defaultMetrics: false })
  app = await buildApp({
    store,
    registry,
    version: 'test',
    ingest: { maxBytes: MAX_BYTES, ratePerMinute: 1_000 },
    silenceAfterMs: 60_000,
  })
  limitedApp = await buildApp({
    store,
    registry: createMetricsRegistry({ version: 'test', defaultMetrics: false }),
    version: 'test',
    ingest: { maxBytes: MAX_BYTES, ratePerMinute: 2 },
  })
})

afterAll(async () => {
  await app.close()
  await limitedApp.close()
  await store.close()
})

describe('POST /v1/ingest', () => {
  it('stores a batch whole, once: a repeated batch adds nothing', async () => {
    const batch = {
      sentAt: new Date().toISOString(),
      measurements: [0, 1, 2].map((n) => measurement('kz-almaty-1', n)),
    }
    const first = await ingest(app, token, batch)
    expect(first.statusCode).toBe(200)
    expect(first.json()).toEqual({ received: 3, new: 3, duplicates: 0, clamped: 0, quarantined: 0 })
    const again = await ingest(app, token, gzipSync(JSON.stringify(batch)), { 'content-encoding': 'gzip' })
    expect(again.statusCode).toBe(200)
    expect(again.json()).toEqual({ received: 3, new: 0, duplicates: 3, clamped: 0, quarantined: 0 })
    const rows = await store.sql<
      { idempotency_key: string; source: string; received_at: Date; measured_at: Date }[]
    >`
      select idempotency_key, source, received_at, measured_at from measurements order by id`
    expect(rows.map((row) => row.idempotency_key)).toEqual([
      'kz-almaty-1:m-0',
      'kz-almaty-1:m-1',
      'kz-almaty-1:m-2',
    ])
    expect(rows[0]!.source).toBe('agent')
    expect(rows[0]!.measured_at.toISOString()).toBe(new Date(BASE).toISOString())
    expect(rows[0]!.received_at.getTime()).toBeGreaterThan(Date.now() - 60_000)
  })

  it('stores a measurement repeated within one batch once', async () => {
    const twice = measurement('kz-almaty-1', 40)
    const response = await ingest(app, token, { measurements: [twice, twice] })
    expect(response.json()).toEqual({ received: 2, new: 1, duplicates: 1, clamped: 0, quarantined: 0 })
  })

  it('flags measurements from an agent whose clock is far off', async () => {
    const sentAt = new Date(Date.now() - 3_600_000).toISOString()
    const response = await ingest(app, token, { sentAt, measurements: [measurement('kz-almaty-1', 50)] })
    expect(response.statusCode).toBe(200)
    const [row] = await store.sql<{ details: { clockSkewMs?: number } }[]>`
      select details from measurements where idempotency_key = 'kz-almaty-1:m-50'`
    expect(row!.details.clockSkewMs).toBeLessThan(-3_500_000)
  })

  const bad: Array<{
    name: string
    status: number
    send: () => ReturnType<typeof ingest>
    message?: RegExp
  }> = [
    {
      name: 'no token',
      status: 401,
      send: () => ingest(app, undefined, { measurements: [measurement('kz-almaty-1', 10)] }),
    },
    {
      name: 'a wrong token',
      status: 401,
      send: () => ingest(app, 'vgl_not-a-token', { measurements: [measurement('kz-almaty-1', 11)] }),
    },
    {
      name: 'a revoked token',
      status: 401,
      send: () => ingest(app, revokedToken, { measurements: [measurement('kz-almaty-1', 12)] }),
    },
    {
      name: "another vantage's measurement in the batch",
      status: 403,
      send: () =>
        ingest(app, otherToken, {
          measurements: [measurement('kz-aktau-1', 13), measurement('kz-almaty-1', 14)],
        }),
      message: /body\/measurements\/1\/vantage/,
    },
    {
      name: 'a malformed field',
      status: 400,
      send: () =>
        ingest(app, token, {
          measurements: [
            measurement('kz-almaty-1', 15),
            measurement('kz-almaty-1', 16, { measuredAt: 'yesterday' }),
          ],
        }),
      message: /measurements\/1\/measuredAt/,
    },
    {
      name: 'ok and failure that disagree',
      status: 400,
      send: () => ingest(app, token, { measurements: [measurement('kz-almaty-1', 17, { ok: true })] }),
      message: /measurements\/0\/failure/,
    },
    {
      name: 'a body over the limit',
      status: 413,
      send: () =>
        ingest(app, token, {
          measurements: Array.from({ length: 400 }, (_, n) => measurement('kz-almaty-1', 1_000 + n)),
        }),
    },
    {
      name: 'a gzip bomb (small on the wire, over the limit unpacked)',
      status: 413,
      send: () => {
        const padding = ' '.repeat(MAX_BYTES * 20)
        const body = gzipSync(
          `{"measurements":[${JSON.stringify(measurement('kz-almaty-1', 18))}]${padding}}`,
        )
        expect(body.length).toBeLessThan(MAX_BYTES)
        return ingest(app, token, body, { 'content-encoding': 'gzip' })
      },
    },
    {
      name: 'a broken gzip body',
      status: 400,
      send: () => ingest(app, token, Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' }),
    },
  ]

  for (const { name, status, send, message } of bad) {
    it(`answers ${status} to ${name} and stores nothing`, async () => {
      const before = await count()
      const response = await send()
      expect(response.statusCode).toBe(status)
      if (message) expect(response.json().message).toMatch(message)
      if (status === 401) expect(response.headers['www-authenticate']).toBe('Bearer')
      expect(await count()).toBe(before)
    })
  }

  it('answers 429 with Retry-After once a token used up its rate, and stores nothing', async () => {
    const batch = (n: number) => ({ measurements: [measurement('kz-almaty-1', n)] })
    expect((await ingest(limitedApp, token, batch(20))).statusCode).toBe(200)
    expect((await ingest(limitedApp, token, batch(21))).statusCode).toBe(200)
    const before = await count()
    const limited = await ingest(limitedApp, token, batch(22))
    expect(limited.statusCode).toBe(429)
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(30)
    expect(await count()).toBe(before)
    // Another token has a bucket of its own.
    expect(
      (await ingest(limitedApp, otherToken, { measurements: [measurement('kz-aktau-1', 23)] })).statusCode,
    ).toBe(200)
  })
})

describe('heartbeats and GET /v1/vantages', () => {
  it('records the heartbeat with the clock skew and backlog, and reports each vantage status', async () => {
    const agentTime = new Date(Date.now() + 90_000)
    const heartbeat = await app.inject({
      method: 'POST',
      url: '/v1/heartbeat',
      headers: { authorization: `Bearer ${token}` },
      payload: { agentTime: agentTime.toISOString(), spoolBacklog: 42, version: '0.1.0' },
    })
    expect(heartbeat.statusCode).toBe(200)
    expect(heartbeat.json().clockSkewMs).toBeGreaterThan(80_000)
    const unauthenticated = await app.inject({
      method: 'POST',
      url: '/v1/heartbeat',
      payload: { agentTime: agentTime.toISOString(), spoolBacklog: 0, version: '0.1.0' },
    })
    expect(unauthenticated.statusCode).toBe(401)
    const badField = await app.inject({
      method: 'POST',
      url: '/v1/heartbeat',
      headers: { authorization: `Bearer ${token}` },
      payload: { agentTime: agentTime.toISOString(), spoolBacklog: -1, version: '0.1.0' },
    })
    expect(badField.statusCode).toBe(400)
    expect(badField.json().message).toMatch(/spoolBacklog/)

    await store.sql`update vantages set last_seen_at = now() - interval '2 hours' where id = 'kz-aktau-1'`
    await store.sql`update measurements set received_at = now() - interval '2 hours' where vantage_id = 'kz-aktau-1'`
    const response = await (await injectWithKey(app, store.sql, 'read'))('/v1/vantages')
    expect(response.statusCode).toBe(200)
    const byId = Object.fromEntries(
      (response.json().vantages as Array<{ id: string }>).map((vantage) => [vantage.id, vantage]),
    )
    expect(byId['kz-almaty-1']).toMatchObject({
      status: 'online',
      spoolBacklog: 42,
      agentVersion: '0.1.0',
      lastMeasurementAt: new Date(BASE + 50_000).toISOString(),
    })
    expect((byId['kz-almaty-1'] as unknown as { clockSkewMs: number }).clockSkewMs).toBeGreaterThan(80_000)
    expect(byId['kz-aktau-1']).toMatchObject({ status: 'silent', lastHeartbeatAt: null })
    expect(byId['kz-never']).toMatchObject({ status: 'never_seen', lastMeasurementAt: null })
  })
})

describe('measurements older than their retention', () => {
  it('are quarantined with an error naming each, counted, and the rest of the batch stored', async () => {
    await store.sql`delete from measurements`
    await store.sql`delete from quarantine`
    const batch = {
      measurements: [
        measurement('kz-almaty-1', 70),
        measurement('kz-almaty-1', 71, { measuredAt: '2016-12-16T12:00:00Z' }),
        measurement('kz-almaty-1', 72, { measuredAt: new Date(Date.now() - 181 * 86_400_000).toISOString() }),
      ],
    }
    const response = await ingest(app, token, batch)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ received: 3, new: 1, duplicates: 0, clamped: 0, quarantined: 2 })
    const stored = await store.sql<{ idempotency_key: string }[]>`select idempotency_key from measurements`
    expect(stored.map((row) => row.idempotency_key)).toEqual(['kz-almaty-1:m-70'])
    const quarantined = await store.sql<{ source: string; error_message: string; payload: string }[]>`
      select source, error_message, payload from quarantine order by id`
    expect(quarantined).toHaveLength(1)
    expect(quarantined[0]).toMatchObject({ source: 'agent:kz-almaty-1' })
    expect(quarantined[0]!.error_message).toMatch(
      /^body\/measurements\/1 \(id kz-almaty-1:m-71, measuredAt 2016-12-16T12:00:00Z\), body\/measurements\/2 \(id kz-almaty-1:m-72, measuredAt \S+\): older than the 180 days measurements are kept/,
    )
    expect((JSON.parse(quarantined[0]!.payload) as Array<{ id: string }>).map((m) => m.id)).toEqual([
      'kz-almaty-1:m-71',
      'kz-almaty-1:m-72',
    ])
    // Sent again, it is counted the same way and still not stored.
    const again = await ingest(app, token, batch)
    expect(again.json()).toMatchObject({ new: 0, duplicates: 1, quarantined: 2 })
    expect(await count()).toBe(1)
  })
})
