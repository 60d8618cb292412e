// Access control as a stranger, an agent and each kind of operator meets it: anonymous and read-scoped
// silences refused, agent tokens kept to ingest and heartbeat, API keys kept off ingest, failed
// authentication limited per address and logged without the secret, the OpenAPI document showing it all.
import { Writable } from 'node:stream'
import { bearer, buildApp, ROUTE_ACCESS } from '@vigil/api'
import { createMetricsRegistry } from '@vigil/metrics'
import {
  createAgentToken,
  createApiKey,
  ensureVantage,
  insertMeasurements,
  listSilences,
  revokeApiKey,
} from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import type { FastifyInstance } from 'fastify'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let store: TestStore
let app: FastifyInstance
const logLines: string[] = []
const keys = { read: '', operate: '', admin: '' }
let agentToken = ''

let logger: ReturnType<typeof pino>
const lines = () => logLines.map((line) => JSON.parse(line) as Record<string, unknown>)

beforeAll(async () => {
  store = await openTestStore()
  logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk))
        done()
      },
    }),
  )
  app = await buildApp({
    store,
    registry: createMetricsRegistry({ version: 'test', defaultMetrics: false }),
    version: 'test',
    logger,
    authFailuresPerMinute: 5,
  })
  for (const scope of ['read', 'operate', 'admin'] as const) {
    keys[scope] = (await createApiKey(store.sql, { name: `${scope} holder`, scope })).key
  }
  await ensureVantage(store.sql, {
    id: 'kz-almaty-1',
    country: 'KZ',
    region: 'Almaty',
    asn: null,
    network: null,
    role: 'in_country',
  })
  agentToken = (await createAgentToken(store.sql, 'kz-almaty-1')).token
  await insertMeasurements(store.sql, [
    {
      measuredAt: new Date('2019-07-06T04:00:00Z'),
      vantageId: 'kz-almaty-1',
      targetId: 'social/facebook',
      kind: 'https',
      ok: false,
      failure: 'connection_reset',
    },
  ])
})

afterAll(async () => {
  await app.close()
  await store.close()
})

const silence = () => ({
  matchers: {},
  endsAt: new Date(Date.now() + 3_600_000).toISOString(),
  comment: 'silence everything',
})

// Each test that fails authentication on purpose comes from its own address, so the limit of one test
// does not decide another's.
let nextAddress = 1
const newAddress = () => `192.0.2.${nextAddress++}`

describe('operator routes', () => {
  it('refuses an anonymous silence with 401 and a read key with 403; an operate key creates it', async () => {
    const remoteAddress = newAddress()
    const post = (headers: Record<string, string>) =>
      app.inject({ method: 'POST', url: '/v1/silences', payload: silence(), headers, remoteAddress })

    const anonymous = await post({})
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.headers['www-authenticate']).toBe('Bearer')
    expect(anonymous.json().message).toContain('scope operate')

    const reader = await post(bearer(keys.read))
    expect(reader.statusCode).toBe(403)
    expect(reader.json().message).toBe('this API key has scope read; POST needs operate')
    expect(await listSilences(store.sql, { notEndedAt: new Date() })).toEqual([])

    const operator = await post(bearer(keys.operate))
    expect(operator.statusCode).toBe(201)
    const admin = await post(bearer(keys.admin))
    expect(admin.statusCode).toBe(201)
    expect(await listSilences(store.sql, { notEndedAt: new Date() })).toHaveLength(2)

    const lift = (headers: Record<string, string>) =>
      app.inject({ method: 'DELETE', url: `/v1/silences/${operator.json().id}`, headers, remoteAddress })
    expect((await lift({})).statusCode).toBe(401)
    expect((await lift(bearer(keys.read))).statusCode).toBe(403)
    expect((await lift(bearer(keys.operate))).statusCode).toBe(204)
  })

  it('lets a read key read every read route, and a higher scope read too', async () => {
    for (const [route, access] of Object.entries(ROUTE_ACCESS)) {
      const [method, url] = route.split(' ') as [string, string]
      // The rally report and the board need a config, which this app has not; board.db.test.ts covers
      // the board's access (a session cookie, the login form).
      const needsConfig = url === '/v1/reports/rally' || url === '/' || url.startsWith('/v1/board')
      if (method !== 'GET' || access !== 'read' || needsConfig) continue
      const query = url.startsWith('/v1/export/') ? '?from=2019-07-01T00:00:00Z&to=2019-08-01T00:00:00Z' : ''
      for (const key of [keys.read, keys.operate, keys.admin]) {
        const response = await app.inject({ url: `${url}${query}`, headers: bearer(key) })
        expect(response.statusCode, `${url}`).toBe(200)
      }
      const anonymous = await app.inject({ url: `${url}${query}`, remoteAddress: newAddress() })
      expect(anonymous.statusCode, `${url} without a key`).toBe(401)
    }
  })

  it('keeps agent tokens, API keys and creation of keys in their places', async () => {
    const measurements = await app.inject({ url: '/v1/measurements', headers: bearer(agentToken) })
    expect(measurements.statusCode).toBe(403)
    expect(measurements.json().message).toBe('agent tokens reach only /v1/ingest and /v1/heartbeat')
    expect((await app.inject({ url: '/v1/vantages', headers: bearer(agentToken) })).statusCode).toBe(403)
    expect((await app.inject({ url: '/metrics', headers: bearer(agentToken) })).statusCode).toBe(403)

    const heartbeat = { agentTime: new Date().toISOString(), spoolBacklog: 0, version: 'test' }
    const byKey = await app.inject({
      method: 'POST',
      url: '/v1/heartbeat',
      payload: heartbeat,
      headers: bearer(keys.admin),
    })
    expect(byKey.statusCode).toBe(403)
    expect(byKey.json().message).toContain('API keys do not upload')
    const byToken = await app.inject({
      method: 'POST',
      url: '/v1/heartbeat',
      payload: heartbeat,
      headers: bearer(agentToken),
    })
    expect(byToken.statusCode).toBe(200)

    const create = (key: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/api-keys',
        payload: { name: 'new', scope: 'admin' },
        headers: bearer(key),
      })
    expect((await create(keys.operate)).statusCode).toBe(403)
    const created = await create(keys.admin)
    expect(created.statusCode).toBe(201)
    expect(created.json().key).toMatch(/^vgk_[A-Za-z0-9_-]{43}$/)
    const listed = await app.inject({ url: '/v1/api-keys', headers: bearer(created.json().key) })
    expect(listed.statusCode).toBe(200)
    expect(JSON.stringify(listed.json())).not.toContain('vgk_')

    await revokeApiKey(store.sql, created.json().id)
    const revoked = await app.inject({
      url: '/v1/api-keys',
      headers: bearer(created.json().key),
      remoteAddress: newAddress(),
    })
    expect(revoked.statusCode).toBe(401)
    expect(revoked.json().message).toBe('the API key is unknown or revoked')
  })

  it('leaves /healthz, /readyz and the API description open', async () => {
    expect((await app.inject('/healthz')).statusCode).toBe(200)
    expect((await app.inject('/readyz')).statusCode).toBe(200)
    expect((await app.inject('/docs/json')).statusCode).toBe(200)
    expect((await app.inject({ method: 'HEAD', url: '/healthz' })).statusCode).toBe(200)
    expect((await app.inject({ method: 'HEAD', url: '/v1/vantages' })).statusCode).toBe(401)
  })

  it('serves /metrics to a read key only', async () => {
    const remoteAddress = newAddress()
    expect((await app.inject({ url: '/metrics', remoteAddress })).statusCode).toBe(401)
    const scraped = await app.inject({ url: '/metrics', headers: bearer(keys.read) })
    expect(scraped.statusCode).toBe(200)
    expect(scraped.body).toContain('vigil_build_info')
  })
})

describe('failed authentication', () => {
  it('gets 429 after the limit from one address, while a good key and an agent there go on', async () => {
    const remoteAddress = newAddress()
    const secret = `vgk_${'x'.repeat(43)}`
    const statuses: number[] = []
    for (let attempt = 0; attempt < 7; attempt++) {
      const response = await app.inject({ url: '/v1/incidents', headers: bearer(secret), remoteAddress })
      statuses.push(response.statusCode)
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429])
    const limited = await app.inject({ url: '/v1/incidents', headers: bearer(secret), remoteAddress })
    expect(limited.statusCode).toBe(429)
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    expect(limited.json().error).toBe('rate_limited')
    // Whoever shares the address (a proxy, a carrier NAT) with a valid credential is not locked out.
    expect(
      (await app.inject({ url: '/v1/incidents', headers: bearer(keys.read), remoteAddress })).statusCode,
    ).toBe(200)
    const heartbeat = await app.inject({
      method: 'POST',
      url: '/v1/heartbeat',
      headers: bearer(agentToken),
      payload: { agentTime: new Date().toISOString(), spoolBacklog: 0, version: 'test' },
      remoteAddress,
    })
    expect(heartbeat.statusCode).not.toBe(429)
    expect(heartbeat.statusCode).not.toBe(401)
    // Another address is not held back by this one.
    expect((await app.inject({ url: '/v1/incidents', headers: bearer(keys.read) })).statusCode).toBe(200)

    const failures = logLines
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.address === remoteAddress)
    expect(failures.filter((entry) => entry.msg === 'authentication failed')).toHaveLength(5)
    expect(failures[0]).toMatchObject({ reason: 'unknown_credential', route: '/v1/incidents', method: 'GET' })
    expect(failures.some((entry) => entry.msg.startsWith('authentication refused'))).toBe(true)
    // No log line carries any secret: not the guessed one, not the good key, not a piece of either.
    const log = logLines.join('')
    for (const presented of [secret, keys.read, keys.operate, keys.admin, agentToken]) {
      expect(log).not.toContain(presented.slice(4, 20))
    }
  })

  it('counts the addresses of one IPv6 /64 together', async () => {
    const statuses: number[] = []
    for (let host = 1; host <= 6; host++) {
      const response = await app.inject({
        url: '/v1/vantages',
        headers: bearer('vgk_guess'),
        remoteAddress: `2001:db8:5:5::${host.toString(16)}`,
      })
      statuses.push(response.statusCode)
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429])
    const neighbour = await app.inject({
      url: '/v1/vantages',
      headers: bearer(keys.read),
      remoteAddress: '2001:db8:5:6::1',
    })
    expect(neighbour.statusCode).toBe(200)
  })

  it('counts malformed and missing credentials as failures too, on agent routes as on operator routes', async () => {
    const remoteAddress = newAddress()
    const statuses: number[] = []
    for (const authorization of [
      'Basic dXNlcjpwYXNz',
      'Bearer',
      undefined,
      'Bearer a b',
      'Bearer nope',
      'x',
    ]) {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/ingest',
        payload: { measurements: [] },
        headers: authorization === undefined ? {} : { authorization },
        remoteAddress,
      })
      statuses.push(response.statusCode)
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429])
    const reasons = logLines
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.address === remoteAddress && entry.reason)
      .map((entry) => entry.reason)
    expect(reasons).toEqual([
      'malformed_authorization',
      'malformed_authorization',
      'missing_credential',
      'malformed_authorization',
      'unknown_credential',
    ])
    expect(logLines.join('')).not.toContain('dXNlcjpwYXNz')
  })
})

describe('behind a reverse proxy', () => {
  const proxy = '198.51.100.10'
  const failFrom = (target: FastifyInstance, client: string) =>
    target.inject({
      url: '/v1/incidents',
      headers: { ...bearer('vgk_wrong'), 'x-forwarded-for': client },
      remoteAddress: proxy,
    })

  it('counts failures by X-Forwarded-For when the proxy is configured', async () => {
    const behind = await buildApp({
      store,
      registry: createMetricsRegistry({ version: 'test', defaultMetrics: false }),
      version: 'test',
      logger,
      authFailuresPerMinute: 5,
      trustProxy: ['198.51.100.0/24'],
    })
    try {
      const statuses = []
      for (let i = 0; i < 6; i++) statuses.push((await failFrom(behind, '203.0.113.1')).statusCode)
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429])
      // Another client behind the same proxy keeps its own budget.
      expect((await failFrom(behind, '203.0.113.2')).statusCode).toBe(401)
      // A spoofed header from a client that is no configured proxy is not believed.
      const direct = await behind.inject({
        url: '/v1/incidents',
        headers: { ...bearer('vgk_wrong'), 'x-forwarded-for': '203.0.113.3' },
        remoteAddress: '192.0.2.200',
      })
      expect(direct.statusCode).toBe(401)
      const logged = lines().filter((entry) => entry.reason)
      expect(logged.map((entry) => entry.address)).toContain('203.0.113.2')
      expect(logged.map((entry) => entry.address)).toContain('192.0.2.200')
      expect(logged.map((entry) => entry.address)).not.toContain('203.0.113.3')
    } finally {
      await behind.close()
    }
  })

  it('ignores X-Forwarded-For by default: every client behind the proxy shares its budget', async () => {
    const statuses = []
    for (let i = 0; i < 6; i++) statuses.push((await failFrom(app, `203.0.113.${20 + i}`)).statusCode)
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429])
    expect(lines().filter((entry) => entry.reason && entry.address === proxy)).toHaveLength(5)
  })
})

describe('the OpenAPI document', () => {
  it('declares the security schemes and every route its requirement with the scope', async () => {
    const document = (await app.inject('/docs/json')).json()
    expect(document.openapi).toBe('3.1.0')
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(['agentToken', 'apiKey'])
    const paths = document.paths as Record<
      string,
      Record<string, { security?: unknown; description?: string }>
    >
    expect(paths['/v1/silences']!.post!.security).toEqual([{ apiKey: ['operate'] }])
    expect(paths['/v1/silences']!.get!.security).toEqual([{ apiKey: ['read'] }])
    expect(paths['/v1/api-keys']!.post!.security).toEqual([{ apiKey: ['admin'] }])
    expect(paths['/v1/ingest']!.post!.security).toEqual([{ agentToken: [] }])
    expect(paths['/v1/measurements']!.get!.description).toContain('scope read or higher')
    for (const [url, operations] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        expect(operation.security, `${method} ${url}`).toBeDefined()
      }
    }
  })

  it('refuses to register a route that declares no access', async () => {
    const other = await buildApp({
      store,
      registry: createMetricsRegistry({ version: 'test', defaultMetrics: false }),
      version: 'test',
    })
    try {
      expect(() => other.get('/v1/undeclared', async () => ({}))).toThrow(/declares no access/)
    } finally {
      await other.close()
    }
  })
})
