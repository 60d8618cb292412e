// What an agent says about itself is checked against the vantage registry: its measurements speak for
// its registered region and network (or the outside-in target's region), a measuredAt in the future is
// stored at receipt and flagged, a contradicting heartbeat gets 409 naming the field, liveness follows
// the api's receipt clock, and values beyond what the store holds get a 400 naming the field.
import { buildApp } from '@vigil/api'
import { createMetricsRegistry } from '@vigil/metrics'
import { createAgentToken, upsertTargets, upsertVantage } from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Inject, injectWithKey } from './support.js'

let store: TestStore
let app: FastifyInstance
let almaty: string
let outside: string
// An operator's reads: every /v1 read needs an API key.
let read: Inject

const post = (url: string, bearer: string, body: unknown) =>
  app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    payload: JSON.stringify(body),
  })

function measurement(vantage: string, n: number, overrides: Record<string, unknown> = {}) {
  return {
    id: `${vantage}:r-${n}`,
    measuredAt: new Date(Date.now() - 60_000).toISOString(),
    vantage,
    target: 'control/wikipedia',
    kind: 'https',
    ok: true,
    failure: null,
    durationMs: 10,
    ...overrides,
  }
}

beforeAll(async () => {
  store = await openTestStore()
  await upsertVantage(store.sql, {
    id: 'kz-almaty-2',
    country: 'KZ',
    region: 'Almaty',
    asn: 4_200_000_000,
    network: 'Beeline',
    role: 'in_country',
    networkType: 'mobile',
  })
  await upsertVantage(store.sql, {
    id: 'nl-outside-1',
    country: 'NL',
    region: null,
    asn: 1136,
    network: null,
    role: 'outside',
    networkType: 'fixed',
  })
  await upsertTargets(store.sql, [
    {
      id: 'kz-endpoint/shymkent-akimat',
      groupName: 'kz-endpoint',
      purpose: 'outside_in',
      host: 'shymkent.example',
      port: 443,
      url: null,
      probes: ['tcp'],
      region: 'Shymkent',
      asn: null,
    },
  ])
  almaty = (await createAgentToken(store.sql, 'kz-almaty-2')).token
  outside = (await createAgentToken(store.sql, 'nl-outside-1')).token
  app = await buildApp({
    store,
    registry: createMetricsRegistry({ version: 'test', defaultMetrics: false }),
    version: 'test',
    silenceAfterMs: 60_000,
  })
  read = await injectWithKey(app, store.sql, 'read')
})

afterAll(async () => {
  await app.close()
  await store.close()
})

describe('measurements speak for the registered vantage', () => {
  it('stores the registered region and a 32-bit ASN, whatever the upload claims', async () => {
    const response = await post('/v1/ingest', almaty, {
      measurements: [
        measurement('kz-almaty-2', 1, { region: 'Shymkent', asn: 1 }),
        measurement('kz-almaty-2', 2, { region: null, asn: null }),
      ],
    })
    expect(response.statusCode).toBe(200)
    const rows = await store.sql<{ region: string; asn: number; source: string }[]>`
      select region, asn, source from measurements where vantage_id = 'kz-almaty-2' order by idempotency_key`
    expect(rows).toEqual([
      { region: 'Almaty', asn: 4_200_000_000, source: 'agent' },
      { region: 'Almaty', asn: 4_200_000_000, source: 'agent' },
    ])
  })

  it("gives an outside vantage's probe of an in-country endpoint the endpoint's region", async () => {
    const response = await post('/v1/ingest', outside, {
      measurements: [
        measurement('nl-outside-1', 1, {
          target: 'kz-endpoint/shymkent-akimat',
          kind: 'tcp',
          region: 'Almaty',
        }),
        measurement('nl-outside-1', 2, { region: 'Almaty' }),
      ],
    })
    expect(response.statusCode).toBe(200)
    const rows = await store.sql<{ target_id: string; region: string | null }[]>`
      select target_id, region from measurements where vantage_id = 'nl-outside-1' order by idempotency_key`
    expect(rows).toEqual([
      { target_id: 'kz-endpoint/shymkent-akimat', region: 'Shymkent' },
      { target_id: 'control/wikipedia', region: null },
    ])
  })
})

describe('times from agents', () => {
  it('stores a measuredAt in year 9999 at its receipt, flagged, and it keeps no vantage online', async () => {
    const before = Date.now()
    const response = await post('/v1/ingest', outside, {
      measurements: [
        measurement('nl-outside-1', 3, { measuredAt: '9999-12-31T23:59:59Z' }),
        measurement('nl-outside-1', 4, { measuredAt: new Date(Date.now() + 3_600_000).toISOString() }),
      ],
    })
    // 9999 is past the range the store and date arithmetic are kept to: refused, naming the field.
    expect(response.statusCode).toBe(400)
    expect(response.json().message).toContain('measurements/0/measuredAt')

    const ahead = await post('/v1/ingest', outside, {
      measurements: [
        measurement('nl-outside-1', 5, { measuredAt: new Date(Date.now() + 3_600_000).toISOString() }),
      ],
    })
    expect(ahead.statusCode).toBe(200)
    expect(ahead.json().clamped).toBe(1)
    const [row] = await store.sql<
      { measured_at: Date; received_at: Date; details: Record<string, unknown> }[]
    >`
      select measured_at, received_at, details from measurements where idempotency_key = 'nl-outside-1:r-5'`
    expect(row!.measured_at.getTime()).toBe(row!.received_at.getTime())
    expect(row!.measured_at.getTime()).toBeGreaterThanOrEqual(before - 1000)
    expect(row!.details.measuredAtClamped).toBe(true)
    expect(typeof row!.details.measuredAtClaimed).toBe('string')
  })

  it('counts liveness from receipt: a vantage whose rows arrived long ago is silent', async () => {
    await store.sql`update measurements set received_at = now() - interval '1 hour'
                    where vantage_id = 'kz-almaty-2'`
    await store.sql`update measurements set measured_at = now() + interval '4 minutes'
                    where vantage_id = 'kz-almaty-2'`
    const response = await read({ method: 'GET', url: '/v1/vantages' })
    const almatyRow = response.json().vantages.find((v: { id: string }) => v.id === 'kz-almaty-2')
    expect(almatyRow).toMatchObject({
      status: 'silent',
      region: 'Almaty',
      asn: 4_200_000_000,
      role: 'in_country',
      networkType: 'mobile',
      network: 'Beeline',
    })
  })
})

describe('heartbeats are checked against the registry', () => {
  const heartbeat = (vantage?: Record<string, unknown>) => ({
    agentTime: new Date().toISOString(),
    spoolBacklog: 0,
    version: 'test',
    ...(vantage ? { vantage } : {}),
  })

  it('accepts a heartbeat that agrees, or says nothing about itself', async () => {
    expect((await post('/v1/heartbeat', almaty, heartbeat())).statusCode).toBe(200)
    const agreeing = heartbeat({
      role: 'in_country',
      region: 'Almaty',
      asn: 4_200_000_000,
      networkType: 'mobile',
    })
    expect((await post('/v1/heartbeat', almaty, agreeing)).statusCode).toBe(200)
  })

  it.each([
    ['region', { region: 'Shymkent' }],
    ['asn', { asn: 9198 }],
    ['role', { role: 'control' }],
    ['networkType', { networkType: 'fixed' }],
  ])('refuses a heartbeat contradicting the registered %s with 409 naming it', async (field, claim) => {
    const response = await post('/v1/heartbeat', almaty, heartbeat(claim))
    expect(response.statusCode).toBe(409)
    expect(response.json()).toMatchObject({ error: 'conflict', field: `vantage.${field}` })
    expect(response.json().message).toContain(`body/vantage/${field}`)
  })
})

describe('values beyond what the store holds get a 400 naming the field', () => {
  it.each([
    ['a leap second', { measuredAt: '2019-06-30T23:59:60Z' }, 'measuredAt'],
    ['year 0000', { measuredAt: '0000-01-01T00:00:00Z' }, 'measuredAt'],
    ['year 9999', { measuredAt: '9999-01-01T00:00:00Z' }, 'measuredAt'],
    ['an ASN past 2^32', { asn: 4_294_967_296 }, 'asn'],
    ['a negative duration', { durationMs: -1 }, 'durationMs'],
    ['an unknown probe kind', { kind: 'ping' }, 'kind'],
  ])('%s', async (_name, overrides, field) => {
    const response = await post('/v1/ingest', almaty, {
      measurements: [measurement('kz-almaty-2', 99, overrides)],
    })
    expect(response.statusCode).toBe(400)
    expect(response.json().message).toContain(`measurements/0/${field}`)
  })

  it('details nested 10,000 deep', async () => {
    // Built as text: the test's own JSON.stringify would overflow the stack on such a value.
    const details = `${'{"a":'.repeat(10_000)}{}${'}'.repeat(10_000)}`
    const record = JSON.stringify(measurement('kz-almaty-2', 98)).replace(/}$/, `,"details":${details}}`)
    const response = await app.inject({
      method: 'POST',
      url: '/v1/ingest',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${almaty}` },
      payload: `{"measurements":[${record}]}`,
    })
    expect(response.statusCode).toBe(400)
    expect(response.json().message).toContain('measurements/0/details')
  })

  it('a spool backlog of 1e20', async () => {
    const response = await post('/v1/heartbeat', almaty, {
      agentTime: new Date().toISOString(),
      spoolBacklog: 1e20,
      version: 't',
    })
    expect(response.statusCode).toBe(400)
    expect(response.json().message).toContain('spoolBacklog')
  })

  it.each([
    ['/v1/measurements?from=0000-01-01T00:00:00Z', 'querystring/from'],
    ['/v1/measurements?to=9999-01-01T00:00:00Z', 'querystring/to'],
    ['/v1/incidents?from=2019-06-30T23:59:60Z', 'querystring/from'],
    ['/v1/measurements?target=a%00b', 'querystring/target'],
    ['/v1/incidents?region=Almaty%00', 'querystring/region'],
  ])('GET %s', async (url, field) => {
    const response = await read({ method: 'GET', url })
    expect(response.statusCode).toBe(400)
    expect(response.json().message).toContain(field)
  })

  it('documents ingest and heartbeat in OpenAPI from the same schemas', async () => {
    const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json()
    const body = document.paths['/v1/heartbeat'].post.requestBody.content['application/json'].schema
    expect(Object.keys(body.properties)).toEqual(['agentTime', 'spoolBacklog', 'version', 'vantage'])
    const ingest = document.paths['/v1/ingest'].post.requestBody.content['application/json'].schema
    expect(ingest.properties.measurements.items.properties.kind.enum).toEqual([
      'dns',
      'tcp',
      'tls',
      'http',
      'https',
    ])
  })
})

describe('names an operator sets over the api', () => {
  it.each([
    ['/v1/api-keys', { scope: 'read', name: 'board\u202Etxt.exe' }, 'body/name', 'U+202E'],
    ['/v1/agent-tokens', { vantage: 'kz-\u2066almaty' }, 'body/vantage', 'U+2066'],
    ['/v1/agent-tokens', { vantage: 'kz-alm\u200Baty' }, 'body/vantage', 'U+200B'],
    [
      '/v1/agent-tokens',
      { vantage: 'nl-new-2', registration: { role: 'outside', country: 'NL', network: 'Hetz\uFEFFner' } },
      'body/registration/network',
      'U+FEFF',
    ],
  ])('POST %s with %j is a 400 naming the field and the character', async (url, body, field, code) => {
    const admin = await injectWithKey(app, store.sql, 'admin')
    const response = await admin({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    })
    expect(response.statusCode).toBe(400)
    expect(response.json().message).toBe(
      `${field} holds the invisible or bidirectional control character ${code}`,
    )
  })
})

describe('text the store cannot hold, in any body', () => {
  it.each([
    [
      '/v1/silences',
      { matchers: { regions: ['Alma\u0000ty'] }, endsAt: '2030-01-01T00:00:00Z', comment: 'x' },
    ],
    ['/v1/silences', { matchers: {}, endsAt: '2030-01-01T00:00:00Z', comment: 'x\u0000y' }],
    ['/v1/api-keys', { scope: 'read', name: '\u0000x' }],
    ['/v1/api-keys', { scope: 'read', name: 'lone \ud800 half' }],
    ['/v1/agent-tokens', { vantage: 'a\u0000b' }],
    [
      '/v1/agent-tokens',
      { vantage: 'nl-new', registration: { role: 'outside', country: 'NL', network: 'a\u0000b' } },
    ],
  ])('POST %s with %j is a 400 naming the field, never a 500', async (url, body) => {
    const admin = await injectWithKey(app, store.sql, 'admin')
    const response = await admin({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    })
    expect(response.statusCode).toBe(400)
    expect(response.json().message).toMatch(/^body\/\S+ contains a NUL or an unpaired UTF-16 surrogate$/)
  })

  it('stores an upload whose target holds a NUL, as agents upload what they spooled', async () => {
    const response = await post('/v1/ingest', almaty, {
      measurements: [measurement('kz-almaty-2', 900, { target: 'face\u0000book' })],
    })
    expect(response.statusCode).toBe(200)
    const body = response.json()
    expect(body.received).toBe(1)
    expect(body.new + body.quarantined).toBe(1)
  })
})

describe('batch size', () => {
  it('answers 413 to a batch of more records than one transaction should hold, storing none', async () => {
    const measurements = Array.from({ length: 10_001 }, (_, n) => measurement('kz-almaty-2', 20_000 + n))
    const response = await post('/v1/ingest', almaty, { measurements })
    expect(response.statusCode).toBe(413)
    expect(response.json().message).toContain('at most 10000')
    const [row] = await store.sql<{ n: number }[]>`
      select count(*)::int as n from measurements where idempotency_key like 'kz-almaty-2:r-2____'`
    expect(row!.n).toBe(0)
  })
})
