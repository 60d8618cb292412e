import {
  type IncidentSignal,
  openIncidents,
  queryIncidents,
  raiseIncident,
  resolveIncident,
} from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let store: TestStore
beforeAll(async () => {
  store = await openTestStore()
})
afterAll(async () => {
  await store.close()
})

const signal = (overrides: Partial<IncidentSignal> = {}): IncidentSignal => ({
  identity: 'blackout|region|Almaty',
  kind: 'blackout',
  scopeType: 'region',
  scope: 'Almaty',
  region: 'Almaty',
  level: 'warning',
  state: 'pending',
  summary: 'Internet blackout: Almaty',
  evidence: { share: 0.6 },
  at: new Date('2019-07-06T04:02:00Z'),
  ...overrides,
})

describe('incidents', () => {
  it('keep one open incident per identity that moves pending, firing, resolved', async () => {
    const first = await raiseIncident(store.sql, signal())
    expect(first).toMatchObject({
      opened: true,
      escalated: false,
      incident: { state: 'pending', level: 'warning' },
    })
    const second = await raiseIncident(
      store.sql,
      signal({
        state: 'firing',
        level: 'critical',
        evidence: { share: 0.1 },
        at: new Date('2019-07-06T04:05:00Z'),
      }),
    )
    expect(second.opened).toBe(false)
    expect(second.escalated).toBe(true)
    expect(second.incident).toMatchObject({
      id: first.incident.id,
      state: 'firing',
      level: 'critical',
      evidence: { share: 0.1 },
    })
    expect(second.incident.firingAt?.toISOString()).toBe('2019-07-06T04:05:00.000Z')
    expect(second.incident.startedAt.toISOString()).toBe('2019-07-06T04:02:00.000Z')
    // A later pending signal does not take a firing incident back to pending.
    const third = await raiseIncident(
      store.sql,
      signal({ state: 'pending', level: 'critical', at: new Date('2019-07-06T04:06:00Z') }),
    )
    expect(third).toMatchObject({ escalated: false, incident: { state: 'firing' } })

    const resolved = await resolveIncident(
      store.sql,
      'blackout|region|Almaty',
      new Date('2019-07-06T08:00:00Z'),
    )
    expect(resolved?.state).toBe('resolved')
    expect(await resolveIncident(store.sql, 'blackout|region|Almaty', new Date())).toBeUndefined()
    const again = await raiseIncident(store.sql, signal({ at: new Date('2019-07-06T09:00:00Z') }))
    expect(again.opened).toBe(true)
    expect(again.incident.id).not.toBe(first.incident.id)
  })

  it('are listed by time window, kind, region and state', async () => {
    await raiseIncident(
      store.sql,
      signal({
        identity: 'https_interception|vantage|kz-1',
        kind: 'https_interception',
        scopeType: 'vantage',
        scope: 'kz-1',
        region: 'Almaty',
        state: 'firing',
        level: 'critical',
        at: new Date('2019-07-17T06:00:00Z'),
      }),
    )
    const july6 = await queryIncidents(store.sql, {
      from: new Date('2019-07-06T00:00:00Z'),
      to: new Date('2019-07-07T00:00:00Z'),
      limit: 10,
    })
    expect(july6.map((i) => i.kind)).toEqual(['blackout', 'blackout'])
    const interception = await queryIncidents(store.sql, { kind: 'https_interception', limit: 10 })
    expect(interception).toHaveLength(1)
    expect((await openIncidents(store.sql)).map((i) => i.identity).sort()).toEqual([
      'blackout|region|Almaty',
      'https_interception|vantage|kz-1',
    ])
    expect(await queryIncidents(store.sql, { state: 'resolved', limit: 10 })).toHaveLength(1)
  })
})
