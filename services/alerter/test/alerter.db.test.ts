// The alerter over real stored measurements: a two-city blackout seen from abroad goes pending, fires,
// holds through hysteresis and resolves; one target down is not a blackout.
import { createAlerter } from '@vigil/alerter'
import { bearer, buildApp } from '@vigil/api'
import { parseConfig } from '@vigil/config'
import { createMetricsRegistry } from '@vigil/metrics'
import {
  createApiKey,
  insertMeasurements,
  type NewMeasurement,
  openIncidents,
  queryIncidents,
} from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { registerConfiguredTargets } from '../../vigil/src/register.js'

const yaml = `country: KZ
vantage:
  id: de-outside
  role: outside
  country: DE
  network:
    asn: 24940
regions:
  - name: Almaty
    timeZone: Asia/Almaty
  - name: Nur-Sultan
    timeZone: Asia/Almaty
targetGroups:
  - name: control
    purpose: control
    probes: [http]
    targets:
      - { name: wikipedia, url: 'http://127.0.0.1:1/' }
      - { name: example, url: 'http://127.0.0.1:2/' }
  - name: in-country
    purpose: outside_in
    probes: [http]
    targets:
      - { name: almaty-gov, url: 'http://127.0.0.1:3/', region: Almaty }
      - { name: almaty-news, url: 'http://127.0.0.1:4/', region: Almaty }
      - { name: almaty-isp, url: 'http://127.0.0.1:5/', region: Almaty }
      - { name: astana-gov, url: 'http://127.0.0.1:6/', region: Nur-Sultan }
      - { name: astana-news, url: 'http://127.0.0.1:7/', region: Nur-Sultan }
      - { name: astana-isp, url: 'http://127.0.0.1:8/', region: Nur-Sultan }
thresholds:
  blackout:
    window: 1m
    minSamples: 3
    minTargets: 2
  incident:
    for: 1m
    resolveAfter: 3m
`
const config = parseConfig(yaml, 'alerter.yaml', {})
const regionOf: Record<string, string | null> = {
  wikipedia: null,
  example: null,
  'almaty-gov': 'Almaty',
  'almaty-news': 'Almaty',
  'almaty-isp': 'Almaty',
  'astana-gov': 'Nur-Sultan',
  'astana-news': 'Nur-Sultan',
  'astana-isp': 'Nur-Sultan',
}

let store: TestStore
beforeEach(async () => {
  store = await openTestStore()
  await registerConfiguredTargets(store.sql, config)
})
afterEach(async () => {
  await store.close()
})

/** One round at `at`: every target measured, the ones in `down` failing. */
async function round(at: Date, down: string[] = []): Promise<void> {
  const rows: NewMeasurement[] = Object.entries(regionOf).map(([targetId, region]) => ({
    measuredAt: at,
    receivedAt: at,
    vantageId: 'de-outside',
    targetId,
    kind: 'http',
    region,
    ok: !down.includes(targetId),
    failure: down.includes(targetId) ? 'generic_timeout_error' : null,
    durationMs: 50,
  }))
  await insertMeasurements(store.sql, rows)
}

const start = Date.parse('2019-07-06T03:00:00Z')
const minutes = (n: number) => new Date(start + n * 60_000)

describe('the alerter', () => {
  it('takes a two-city blackout from pending to firing to resolved, with hysteresis', async () => {
    // Six hours of normal history every ten minutes make the baseline.
    for (let m = -360; m < 0; m += 10) await round(minutes(m))
    let clock = minutes(0)
    const registry = createMetricsRegistry({ version: 't', defaultMetrics: false })
    const alerter = createAlerter({ config, sql: store.sql, registry, now: () => clock })
    const dark = ['almaty-gov', 'almaty-news', 'almaty-isp', 'astana-gov', 'astana-news', 'astana-isp']

    await round(minutes(0), dark)
    let result = await alerter.runOnce()
    expect(result.changes.map((c) => `${c.action} ${c.identity}`).sort()).toEqual([
      'opened blackout|country|KZ',
      'opened blackout|region|Almaty',
      'opened blackout|region|Nur-Sultan',
    ])
    expect((await openIncidents(store.sql)).every((i) => i.state === 'pending')).toBe(true)

    clock = minutes(1)
    await round(minutes(1), dark)
    result = await alerter.runOnce()
    const firing = await openIncidents(store.sql)
    expect(firing.map((i) => [i.identity, i.state, i.level])).toContainEqual([
      'blackout|region|Almaty',
      'firing',
      'critical',
    ])
    const almaty = firing.find((i) => i.identity === 'blackout|region|Almaty')!
    expect(almaty.evidence).toMatchObject({
      share: 0,
      baseline: 1,
      failingTargets: ['almaty-gov', 'almaty-isp', 'almaty-news'],
    })
    expect(almaty.startedAt.toISOString()).toBe(minutes(0).toISOString())
    expect(await registry.metrics()).toContain(
      'vigil_incident_active{kind="blackout",region="Almaty",level="critical"} 1',
    )

    // Partly back (two of three up, 0.67 of baseline): below resolveAbove, so still firing.
    clock = minutes(2)
    await round(minutes(2), ['almaty-gov', 'astana-gov'])
    await alerter.runOnce()
    expect((await openIncidents(store.sql)).find((i) => i.identity === 'blackout|region|Almaty')?.state).toBe(
      'firing',
    )

    // Fully back: resolves only after staying recovered for resolveAfter (3 minutes).
    for (let m = 3; m <= 6; m++) {
      clock = minutes(m)
      await round(minutes(m))
      await alerter.runOnce()
    }
    const resolved = await queryIncidents(store.sql, { kind: 'blackout', region: 'Almaty', limit: 5 })
    expect(resolved[0]).toMatchObject({ state: 'resolved' })
    expect(resolved[0]!.resolvedAt!.toISOString()).toBe(minutes(6).toISOString())
    expect(await registry.metrics()).not.toContain('vigil_incident_active{kind="blackout",region="Almaty"')

    const app = await buildApp({
      store,
      registry: createMetricsRegistry({ version: 't', defaultMetrics: false }),
      version: 't',
    })
    const read = bearer((await createApiKey(store.sql, { name: 'test', scope: 'read' })).key)
    const listed = (
      await app.inject({ url: '/v1/incidents?kind=blackout&region=Almaty', headers: read })
    ).json()
    expect(listed.incidents[0]).toMatchObject({
      kind: 'blackout',
      region: 'Almaty',
      level: 'critical',
      state: 'resolved',
    })
    expect((await app.inject({ url: '/v1/incidents?state=burning', headers: read })).statusCode).toBe(400)
    await app.close()
  })

  it('does not open anything for a single target that goes down', async () => {
    for (let m = -120; m < 0; m += 10) await round(minutes(m))
    let clock = minutes(0)
    const alerter = createAlerter({ config, sql: store.sql, now: () => clock })
    for (let m = 0; m < 4; m++) {
      clock = minutes(m)
      await round(minutes(m), ['almaty-gov'])
      await alerter.runOnce()
    }
    expect(await openIncidents(store.sql)).toEqual([])
  })

  it('calls it monitor offline when the vantage loses its own control set and everything else', async () => {
    for (let m = -120; m < 0; m += 10) await round(minutes(m))
    const clock = minutes(0)
    const alerter = createAlerter({ config, sql: store.sql, now: () => clock })
    await round(minutes(0), Object.keys(regionOf))
    const { changes } = await alerter.runOnce()
    expect(changes.map((c) => c.identity)).toEqual(['monitor_offline|vantage|de-outside'])
  })
})
