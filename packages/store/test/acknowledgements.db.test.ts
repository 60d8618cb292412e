// Acknowledgements against the real incident writers: raiseIncident (as detection calls it) and
// resolveIncident clear an acknowledgement exactly when the incident resolves or its level rises.
import {
  ACK_COMMENT_MAX,
  acknowledgeIncident,
  acknowledgementsOf,
  type IncidentSignal,
  raiseIncident,
  resolveIncident,
  unacknowledgeIncident,
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

const at = new Date('2019-07-06T04:10:00Z')
const signal = (identity: string, overrides: Partial<IncidentSignal> = {}): IncidentSignal => ({
  identity,
  kind: 'blackout',
  scopeType: 'region',
  scope: 'Almaty',
  region: 'Almaty',
  level: 'warning',
  state: 'firing',
  summary: 'Internet blackout: Almaty',
  evidence: {},
  at: new Date('2019-07-06T04:02:00Z'),
  ...overrides,
})

describe('incident acknowledgements', () => {
  it('record who, when, the level and a storable comment, and can be withdrawn', async () => {
    const { incident } = await raiseIncident(store.sql, signal('ack|one'))
    const result = await acknowledgeIncident(store.sql, {
      incidentId: incident.id,
      by: 'duty phone',
      comment: 'calling Kcell\u0000 now \uD800',
      at,
    })
    expect(result).toMatchObject({
      outcome: 'acknowledged',
      acknowledgement: {
        incidentId: incident.id,
        by: 'duty phone',
        comment: 'calling Kcell\uFFFD now \uFFFD',
        level: 'warning',
      },
    })
    expect((await acknowledgementsOf(store.sql, [incident.id])).get(incident.id)?.at.toISOString()).toBe(
      at.toISOString(),
    )
    const long = await acknowledgeIncident(store.sql, {
      incidentId: incident.id,
      by: 'night desk',
      comment: 'x'.repeat(5000),
      at,
    })
    expect(long.outcome === 'acknowledged' && long.acknowledgement.comment?.length).toBe(ACK_COMMENT_MAX)
    expect(long.outcome === 'acknowledged' && long.acknowledgement.by).toBe('night desk')

    expect(await unacknowledgeIncident(store.sql, incident.id)).toEqual({
      outcome: 'unacknowledged',
      removed: true,
    })
    expect(await unacknowledgeIncident(store.sql, incident.id)).toEqual({
      outcome: 'unacknowledged',
      removed: false,
    })
    expect((await acknowledgementsOf(store.sql, [incident.id])).size).toBe(0)
  })

  it('refuse an unknown incident and a resolved one', async () => {
    expect(await acknowledgeIncident(store.sql, { incidentId: 987_654, by: 'x', at })).toEqual({
      outcome: 'not_found',
    })
    const { incident } = await raiseIncident(store.sql, signal('ack|resolved'))
    await resolveIncident(store.sql, 'ack|resolved', at)
    expect(await acknowledgeIncident(store.sql, { incidentId: incident.id, by: 'x', at })).toEqual({
      outcome: 'resolved',
    })
    expect(await unacknowledgeIncident(store.sql, incident.id)).toEqual({ outcome: 'resolved' })
  })

  it('stay through new evidence and a lower level, and are cleared when the level rises', async () => {
    const { incident } = await raiseIncident(store.sql, signal('ack|escalate', { level: 'warning' }))
    await acknowledgeIncident(store.sql, { incidentId: incident.id, by: 'desk', at })
    // The same level with new evidence: still acknowledged.
    await raiseIncident(store.sql, signal('ack|escalate', { level: 'warning', evidence: { share: 0.5 } }))
    expect((await acknowledgementsOf(store.sql, [incident.id])).has(incident.id)).toBe(true)
    const escalated = await raiseIncident(store.sql, signal('ack|escalate', { level: 'critical' }))
    expect(escalated.escalated).toBe(true)
    expect((await acknowledgementsOf(store.sql, [incident.id])).has(incident.id)).toBe(false)

    // Acknowledged at critical, then down to warning: the acknowledgement holds.
    await acknowledgeIncident(store.sql, { incidentId: incident.id, by: 'desk', at })
    await raiseIncident(store.sql, signal('ack|escalate', { level: 'warning' }))
    expect((await acknowledgementsOf(store.sql, [incident.id])).get(incident.id)?.level).toBe('critical')
    // Any rise of the incident's own level clears it, also back to the level it was acknowledged at.
    await raiseIncident(store.sql, signal('ack|escalate', { level: 'critical' }))
    expect((await acknowledgementsOf(store.sql, [incident.id])).has(incident.id)).toBe(false)
  })

  it('are cleared when the incident resolves', async () => {
    const { incident } = await raiseIncident(store.sql, signal('ack|resolve'))
    await acknowledgeIncident(store.sql, { incidentId: incident.id, by: 'desk', at })
    await resolveIncident(store.sql, 'ack|resolve', new Date('2019-07-06T06:00:00Z'))
    expect((await acknowledgementsOf(store.sql, [incident.id])).has(incident.id)).toBe(false)
  })
})
