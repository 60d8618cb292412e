// POST, GET and DELETE /v1/silences: validated bodies, errors that name the field, silences stored for
// the notifier to read.
import { buildApp } from '@vigil/api'
import { createMetricsRegistry } from '@vigil/metrics'
import { activeSilences } from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Inject, injectWithKey } from './support.js'

let store: TestStore
let app: FastifyInstance
let inject: Inject

beforeAll(async () => {
  store = await openTestStore()
  app = await buildApp({
    store,
    registry: createMetricsRegistry({ version: 'test', defaultMetrics: false }),
    version: 'test',
  })
  inject = await injectWithKey(app, store.sql, 'operate')
})

afterAll(async () => {
  await app.close()
  await store.close()
})

const future = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString()

describe('/v1/silences', () => {
  it('creates, lists and lifts a silence', async () => {
    const created = await inject({
      method: 'POST',
      url: '/v1/silences',
      payload: {
        matchers: { kinds: ['blackout'], regions: ['Aktau'] },
        endsAt: future(2),
        comment: 'maintenance of the Aktau vantage',
        createdBy: 'duty@example.org',
      },
    })
    expect(created.statusCode).toBe(201)
    const silence = created.json()
    expect(silence).toMatchObject({
      matchers: { kinds: ['blackout'], regions: ['Aktau'], vantages: null },
      comment: 'maintenance of the Aktau vantage',
      createdBy: 'duty@example.org',
    })
    expect((await activeSilences(store.sql, new Date())).map((s) => s.id)).toEqual([silence.id])

    const listed = await inject('/v1/silences')
    expect(listed.json().silences.map((s: { id: number }) => s.id)).toContain(silence.id)

    expect((await inject({ method: 'DELETE', url: `/v1/silences/${silence.id}` })).statusCode).toBe(204)
    const again = await inject({ method: 'DELETE', url: `/v1/silences/${silence.id}` })
    expect(again.statusCode).toBe(404)
    expect(again.json().message).toBe(`no silence with id ${silence.id}`)
    expect((await inject('/v1/silences')).json().silences).toEqual([])
  })

  it('answers 400 naming the field that is wrong', async () => {
    const post = (payload: Record<string, unknown>) =>
      inject({ method: 'POST', url: '/v1/silences', payload })
    const valid = { matchers: {}, endsAt: future(1), comment: 'all quiet' }

    const badKind = await post({ ...valid, matchers: { kinds: ['outage'] } })
    expect(badKind.statusCode).toBe(400)
    expect(badKind.json().message).toContain('body/matchers/kinds/0')

    const missing = await post({ matchers: {}, endsAt: future(1) })
    expect(missing.statusCode).toBe(400)
    expect(missing.json().message).toContain('comment')

    const badTime = await post({ ...valid, endsAt: 'tomorrow' })
    expect(badTime.statusCode).toBe(400)
    expect(badTime.json().message).toContain('body/endsAt')

    const backwards = await post({ ...valid, startsAt: future(2), endsAt: future(1) })
    expect(backwards.statusCode).toBe(400)
    expect(backwards.json().message).toBe('body/endsAt must be after body/startsAt')

    const unknown = await post({ ...valid, matchers: { city: ['Almaty'] } })
    expect(unknown.statusCode).toBe(400)
    expect(unknown.json().message).toContain('body/matchers')

    expect((await inject({ method: 'DELETE', url: '/v1/silences/abc' })).statusCode).toBe(400)
  })
})
