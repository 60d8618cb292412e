// Detection reads every own vantage (the local prober's rows and agents' uploads) under its registered
// role, AS number and network type, and never imported OONI rows.
import {
  durationMedians,
  hourlyScopeShares,
  insertMeasurements,
  latestSeries,
  type NewMeasurement,
  regionAvailabilityBuckets,
  upsertVantage,
} from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'

let store: TestStore
const AT = new Date('2019-07-06T05:00:00Z')

beforeAll(async () => {
  store = await openTestStore()
  await upsertVantage(store.sql, {
    id: 'kz-almaty-1',
    country: 'KZ',
    region: 'Almaty',
    asn: 9198,
    network: null,
    role: 'in_country',
    networkType: 'fixed',
  })
  await upsertVantage(store.sql, {
    id: 'kz-almaty-agent',
    country: 'KZ',
    region: 'Almaty',
    asn: 4_200_000_000,
    network: null,
    role: 'in_country',
    networkType: 'mobile',
  })
  await upsertVantage(store.sql, {
    id: 'ooni-AS9198',
    country: 'KZ',
    region: 'Almaty',
    asn: 9198,
    network: null,
    role: 'in_country',
  })
  const row = (vantageId: string, source: string, minutesAgo: number, ok: boolean): NewMeasurement => ({
    measuredAt: new Date(AT.getTime() - minutesAgo * 60_000),
    vantageId,
    targetId: 'facebook',
    kind: 'https',
    region: 'Almaty',
    asn: 9198,
    ok,
    failure: ok ? null : 'connection_reset',
    durationMs: 10,
    source,
  })
  const rows: NewMeasurement[] = []
  for (let minutes = 1; minutes <= 120; minutes += 1) {
    rows.push(row('kz-almaty-1', 'vigil', minutes, true))
    rows.push(row('kz-almaty-agent', 'agent', minutes, minutes > 1))
    rows.push(row('ooni-AS9198', 'ooni', minutes, false))
  }
  await insertMeasurements(store.sql, rows)
})

afterAll(async () => {
  await store.close()
})

it("reads the local prober's and the agent's series, each under its registered network, and no OONI row", async () => {
  const series = await latestSeries(store.sql, new Date(AT.getTime() - 5 * 60_000), AT)
  expect(
    series.map((s) => ({ vantage: s.vantageId, ok: s.ok, asn: s.asn, networkType: s.networkType })),
  ).toEqual([
    { vantage: 'kz-almaty-1', ok: true, asn: 9198, networkType: 'fixed' },
    { vantage: 'kz-almaty-agent', ok: false, asn: 4_200_000_000, networkType: 'mobile' },
  ])
})

it('builds baselines and throttling medians from own vantages only', async () => {
  const shares = await hourlyScopeShares(store.sql, 'KZ', new Date(AT.getTime() - 3 * 3_600_000), AT)
  const almaty = shares.filter((s) => s.scope === 'region:Almaty')
  // Two own rows per minute, both ok but one; OONI's failing rows would halve the share.
  expect(almaty.reduce((n, s) => n + s.samples, 0)).toBe(240)
  expect(almaty.every((s) => s.share > 0.9)).toBe(true)
  expect(shares.some((s) => s.scope === 'network:AS4200000000')).toBe(true)
  const medians = await durationMedians(store.sql, new Date(AT.getTime() - 3 * 3_600_000), AT)
  expect(medians.map((m) => m.vantageId).sort()).toEqual(['kz-almaty-1', 'kz-almaty-agent'])
})

it("counts agents' rows in the rally report's availability and leaves OONI's out", async () => {
  const buckets = await regionAvailabilityBuckets(
    store.sql,
    ['Almaty'],
    new Date(AT.getTime() - 3 * 3_600_000),
    AT,
    3_600,
  )
  expect(buckets.reduce((n, b) => n + b.total, 0)).toBe(240)
})
