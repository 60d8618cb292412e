// POST and DELETE /v1/incidents/:id/ack: scope operate (a read key gets 403, no key 401), 404 for an
// unknown incident, 409 for a resolved one, a bounded comment, the key's name as who, and the
// acknowledgement in GET /v1/incidents and in the OpenAPI document's security requirement.
import { buildApp } from '@vigil/api'
import { createMetricsRegistry } from '@vigil/metrics'
import { raiseIncident, resolveIncident } from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Inject, injectWithKey } from './support.js'

let store: TestStore
let app: FastifyInstance
let operate: Inject
let read: Inject
let admin: Inject

beforeAll(async () => {
  store = await openTestStore()
  app = await buildApp({
    store,
    registry: createMetricsRegistry({ version: 'test', defaultMetrics: false }),
    version: 'test',
  })
  operate = await injectWithKey(app, store.sql, 'operate')
  read = await injectWithKey(app, store.sql, 'read')
  admin = await injectWithKey(app, store.sql, 'admin')
})

afterAll(async () => {
  await app.close()
  await store.close()
})

async function openIncident(identity: string) {
  const { incident } = await raiseIncident(store.sql, {
    identity,
    kind: 'blackout',
    scopeType: 'region',
    scope: 'Almaty',
    region: 'Almaty',
    level: 'critical',
    state: 'firing',
    summary: 'Internet blackout: Almaty',
    evidence: {},
    at: new Date('2019-07-06T04:02:00Z'),
  })
  return incident.id
}

const listed = async (id: number) =>
  (await read('/v1/incidents?limit=1000'))
    .json()
    .incidents.find((incident: { id: number }) => incident.id === id)

describe('/v1/incidents/:id/ack', () => {
  it('acknowledges with the key name and a comment, shows it in the list, and withdraws it', async () => {
    const id = await openIncident('api-ack|one')
    expect((await listed(id)).acknowledgement).toBeNull()
    const before = Date.now()
    const acked = await operate({
      method: 'POST',
      url: `/v1/incidents/${id}/ack`,
      payload: { comment: 'calling the Almaty operator' },
    })
    expect(acked.statusCode).toBe(200)
    expect(acked.json()).toMatchObject({
      by: 'test operate',
      comment: 'calling the Almaty operator',
      level: 'critical',
    })
    expect(Date.parse(acked.json().at)).toBeGreaterThanOrEqual(before - 1000)
    expect((await listed(id)).acknowledgement).toEqual(acked.json())
    // The secret never appears: only the key's name.
    expect(JSON.stringify(acked.json())).not.toContain('vgk_')

    // A higher scope may too, and takes over; no body at all is an acknowledgement without comment.
    const takeover = await admin({ method: 'POST', url: `/v1/incidents/${id}/ack` })
    expect(takeover.statusCode).toBe(200)
    expect(takeover.json()).toMatchObject({ by: 'test admin', comment: null })

    expect((await operate({ method: 'DELETE', url: `/v1/incidents/${id}/ack` })).statusCode).toBe(204)
    expect((await listed(id)).acknowledgement).toBeNull()
    // Withdrawing what is not there is not an error.
    expect((await operate({ method: 'DELETE', url: `/v1/incidents/${id}/ack` })).statusCode).toBe(204)
  })

  it('needs scope operate: 403 for a read key, 401 without a key', async () => {
    const id = await openIncident('api-ack|scopes')
    const byRead = await read({ method: 'POST', url: `/v1/incidents/${id}/ack`, payload: {} })
    expect(byRead.statusCode).toBe(403)
    expect(byRead.json().message).toContain('needs operate')
    expect((await read({ method: 'DELETE', url: `/v1/incidents/${id}/ack` })).statusCode).toBe(403)
    const anonymous = await app.inject({ method: 'POST', url: `/v1/incidents/${id}/ack`, payload: {} })
    expect(anonymous.statusCode).toBe(401)
    expect((await app.inject({ method: 'DELETE', url: `/v1/incidents/${id}/ack` })).statusCode).toBe(401)
    expect((await listed(id)).acknowledgement).toBeNull()
  })

  it('answers 404 for an unknown incident and 409 for a resolved one', async () => {
    const unknown = await operate({ method: 'POST', url: '/v1/incidents/999999/ack', payload: {} })
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json()).toEqual({ error: 'not_found', message: 'no incident with id 999999' })
    expect((await operate({ method: 'DELETE', url: '/v1/incidents/999999/ack' })).statusCode).toBe(404)

    const id = await openIncident('api-ack|resolved')
    await resolveIncident(store.sql, 'api-ack|resolved', new Date('2019-07-06T06:00:00Z'))
    const resolved = await operate({ method: 'POST', url: `/v1/incidents/${id}/ack`, payload: {} })
    expect(resolved.statusCode).toBe(409)
    expect(resolved.json().message).toBe(`incident ${id} is resolved; there is nothing to acknowledge`)
    expect((await operate({ method: 'DELETE', url: `/v1/incidents/${id}/ack` })).statusCode).toBe(409)
  })

  it('bounds the body: 400 naming the field', async () => {
    const id = await openIncident('api-ack|bounds')
    const post = (payload: unknown) =>
      operate({ method: 'POST', url: `/v1/incidents/${id}/ack`, payload: payload as object })
    const long = await post({ comment: 'x'.repeat(2001) })
    expect(long.statusCode).toBe(400)
    expect(long.json().message).toContain('body/comment')
    expect((await post({ comment: 'x'.repeat(2000) })).statusCode).toBe(200)
    const empty = await post({ comment: '' })
    expect(empty.statusCode).toBe(400)
    expect(empty.json().message).toContain('body/comment')
    const unknown = await post({ comment: 'ok', by: 'someone else' })
    expect(unknown.statusCode).toBe(400)
    expect(unknown.json().message).toBe('body/by is not accepted here')
    const nul = await post({ comment: 'on it\u0000' })
    expect(nul.statusCode).toBe(400)
    expect(nul.json().message).toBe('body/comment contains a NUL or an unpaired UTF-16 surrogate')
    const wrongType = await post({ comment: 42 })
    expect(wrongType.statusCode).toBe(400)
    expect(wrongType.json().message).toContain('body/comment')
    const badId = await operate({ method: 'POST', url: '/v1/incidents/abc/ack', payload: {} })
    expect(badId.statusCode).toBe(400)
    expect(badId.json().message).toContain('params/id')
  })

  it('shows scope operate in the OpenAPI document', async () => {
    const document = (await app.inject('/docs/json')).json()
    const path = document.paths['/v1/incidents/{id}/ack']
    expect(path.post.security).toEqual([{ apiKey: ['operate'] }])
    expect(path.delete.security).toEqual([{ apiKey: ['operate'] }])
    expect(path.post.description).toContain('scope operate or higher')
    const body = path.post.requestBody.content['application/json'].schema
    expect(body.anyOf[0].properties.comment.maxLength).toBe(2000)
  })
})
