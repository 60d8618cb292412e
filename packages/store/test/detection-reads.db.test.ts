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

it('reads the block page, timeout phase and transfer rate from details, and counts failures in the window', async () => {
  const later = new Date(AT.getTime() + 86_400_000)
  const row = (
    targetId: string,
    minutesAgo: number,
    ok: boolean,
    details: Record<string, unknown>,
  ): NewMeasurement => ({
    measuredAt: new Date(later.getTime() - minutesAgo * 60_000),
    vantageId: 'kz-almaty-agent',
    targetId,
    kind: 'https',
    region: 'Almaty',
    asn: 9198,
    ok,
    failure: ok ? null : targetId === 'facebook' ? 'http_blockpage' : 'generic_timeout_error',
    durationMs: 10_000,
    details,
    source: 'agent',
  })
  await insertMeasurements(store.sql, [
    row('facebook', 1, false, { blockPage: 'access-restricted-ru', statusCode: 200 }),
    row('facebook', 3, true, {}),
    row('twitter', 1, false, { timeoutPhase: 'body', transferBytesPerSecond: 16_000 }),
    row('twitter', 2, false, { timeoutPhase: 'body', transferBytesPerSecond: 15_000.5 }),
    // Uploaded details are hostile: wrong types and absurd figures are read as nothing or bounded.
    row('vk', 1, false, { blockPage: { name: 'x' }, timeoutPhase: 7, transferBytesPerSecond: '16000' }),
    row('ok-ru', 1, false, { blockPage: 'x'.repeat(5_000), transferBytesPerSecond: 1e300 }),
    row('mail-ru', 1, false, { transferBytesPerSecond: -5 }),
  ])
  const series = await latestSeries(store.sql, new Date(later.getTime() - 10 * 60_000), later)
  const of = (target: string) => series.find((s) => s.targetId === target)!
  expect(of('facebook')).toMatchObject({
    blockPage: 'access-restricted-ru',
    timeoutPhase: null,
    transferBytesPerSecond: null,
    windowSamples: 2,
    windowFailures: 1,
  })
  expect(of('twitter')).toMatchObject({
    timeoutPhase: 'body',
    transferBytesPerSecond: 16_000,
    windowSamples: 2,
    windowFailures: 2,
  })
  expect(of('vk')).toMatchObject({ blockPage: null, timeoutPhase: null, transferBytesPerSecond: null })
  expect(of('ok-ru').blockPage).toHaveLength(200)
  expect(of('ok-ru').transferBytesPerSecond).toBe(1e12)
  expect(of('mail-ru').transferBytesPerSecond).toBe(0)
})
