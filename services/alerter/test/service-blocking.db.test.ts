// Service blocking over stored measurements, minute by minute: a block page opens the service's incident at
// once, the whole group on block pages opens one incident for the group, and everything resolves when the
// services answer again; refused connections count once they repeat.
import { createAlerter } from '@vigil/alerter'
import { parseConfig } from '@vigil/config'
import { insertMeasurements, type NewMeasurement, openIncidents, queryIncidents } from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { registerConfiguredTargets } from '../../vigil/src/register.js'

const SOCIAL = ['facebook', 'instagram', 'twitter', 'youtube']
const CONTROL = ['wikipedia', 'example']
const config = parseConfig(
  `country: KZ
vantage: { id: kz-almaty-1, role: in_country, country: KZ, region: Almaty, network: { asn: 9198 } }
regions:
  - { name: Almaty, timeZone: Asia/Almaty }
targetGroups:
  - name: social
    purpose: service
    probes: [dns, http]
    targets:
${SOCIAL.map((name) => `      - { name: ${name}, url: 'https://${name}.example/' }`).join('\n')}
  - name: control
    purpose: control
    probes: [dns, http]
    targets:
${CONTROL.map((name) => `      - { name: ${name}, url: 'https://${name}.example/' }`).join('\n')}
thresholds:
  blackout: { window: 2m }
  incident: { for: 1m, resolveAfter: 3m }
`,
  'blocking.yaml',
  {},
)

let store: TestStore
beforeEach(async () => {
  store = await openTestStore()
  await registerConfiguredTargets(store.sql, config)
})
afterEach(async () => {
  await store.close()
})

const start = Date.parse('2019-07-06T04:00:00Z')
const minutes = (n: number) => new Date(start + n * 60_000)

type Outcome = 'ok' | 'blockpage' | 'refused'

/** One round at `at`: every target's dns and http probes, http as `outcomes` says (ok by default). */
async function round(at: Date, outcomes: Record<string, Outcome> = {}): Promise<void> {
  const rows: NewMeasurement[] = [...SOCIAL, ...CONTROL].flatMap((targetId) => {
    const outcome = outcomes[targetId] ?? 'ok'
    const common = { measuredAt: at, receivedAt: at, vantageId: 'kz-almaty-1', targetId, region: 'Almaty' }
    return [
      { ...common, kind: 'dns', ok: true, failure: null, durationMs: 5 },
      {
        ...common,
        kind: 'http',
        ok: outcome === 'ok',
        failure: outcome === 'ok' ? null : outcome === 'blockpage' ? 'http_blockpage' : 'connection_refused',
        durationMs: 40,
        details: outcome === 'blockpage' ? { statusCode: 200, blockPage: 'access-restricted-ru' } : {},
      },
    ]
  })
  await insertMeasurements(store.sql, rows)
}

const states = async () =>
  Object.fromEntries((await openIncidents(store.sql)).map((i) => [i.identity, `${i.state} ${i.level}`]))

describe('service blocking in the alerter', () => {
  it('opens the service on a block page, then one incident for the whole group, and resolves both', async () => {
    let clock = minutes(0)
    const alerter = createAlerter({ config, sql: store.sql, now: () => clock })
    const tick = async (m: number, outcomes: Record<string, Outcome> = {}) => {
      clock = minutes(m)
      await round(clock, outcomes)
      return alerter.runOnce()
    }
    const allBlocked = Object.fromEntries(SOCIAL.map((name) => [name, 'blockpage' as const]))

    await tick(0, { facebook: 'blockpage' })
    expect(await states()).toEqual({
      'service_blocking|vantage|kz-almaty-1|social|facebook': 'pending warning',
    })
    await tick(1, { facebook: 'blockpage' })
    expect(await states()).toEqual({
      'service_blocking|vantage|kz-almaty-1|social|facebook': 'firing warning',
    })

    // The whole group: one new incident naming the group, not three more per service.
    await tick(2, allBlocked)
    await tick(3, allBlocked)
    expect(await states()).toEqual({
      'service_blocking|vantage|kz-almaty-1|social|facebook': 'firing warning',
      'service_blocking|vantage|kz-almaty-1|social': 'firing critical',
    })
    const group = (await openIncidents(store.sql)).find(
      (i) => i.identity === 'service_blocking|vantage|kz-almaty-1|social',
    )!
    expect(group.evidence).toMatchObject({
      scope: 'group',
      blockedTargets: SOCIAL,
      failures: { http_blockpage: 4 },
      failureShare: 1,
    })

    // Back: both resolve once they stayed recovered for resolveAfter (3 minutes).
    for (let m = 4; m <= 7; m++) await tick(m)
    expect(await states()).toEqual({})
    const resolved = await queryIncidents(store.sql, { kind: 'service_blocking', limit: 10 })
    expect(resolved.map((i) => [i.identity, i.resolvedAt?.toISOString()]).sort()).toEqual([
      ['service_blocking|vantage|kz-almaty-1|social', minutes(7).toISOString()],
      ['service_blocking|vantage|kz-almaty-1|social|facebook', minutes(7).toISOString()],
    ])
    await alerter.stop()
  })

  it('counts refused connections once they repeat, and never one refused site alone', async () => {
    let clock = minutes(0)
    const alerter = createAlerter({ config, sql: store.sql, now: () => clock })
    clock = minutes(0)
    await round(clock, { twitter: 'refused', youtube: 'refused' })
    await alerter.runOnce()
    expect(await states()).toEqual({})
    clock = minutes(1)
    await round(clock, { twitter: 'refused', youtube: 'refused' })
    await alerter.runOnce()
    expect(await states()).toEqual({
      'service_blocking|vantage|kz-almaty-1|social|twitter': 'pending warning',
      'service_blocking|vantage|kz-almaty-1|social|youtube': 'pending warning',
    })
    // youtube answers again; twitter alone, with no control vantage to compare, is not called blocked.
    for (let m = 2; m <= 3; m++) {
      clock = minutes(m)
      await round(clock, { twitter: 'refused' })
      await alerter.runOnce()
    }
    expect(await states()).toEqual({})
    await alerter.stop()
  })
})
