// Hourly rollups against the raw computation on generated data: two days of five-minute probes from three
// vantages (two in the country on different networks, one control), with OONI rows that must stay out,
// rows without a region, failures of several kinds, and durations over four orders of magnitude. Then a
// late upload into an hour already rolled up, and a batch with a row the database refuses (quarantined).
import {
  DURATION_PERCENTILE_RELATIVE_ERROR,
  durationBucket,
  durationMedians,
  hourlyScopeShares,
  insertMeasurements,
  type NewMeasurement,
  quarantineRows,
  queryQuarantine,
  regionAvailabilityBuckets,
  rollUpDirtyHours,
  upsertTargets,
  upsertVantage,
  writeIsolatingBadRows,
} from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'

const HOUR = 3_600_000
const START = new Date('2019-06-08T00:00:00Z')
const END = new Date(START.getTime() + 48 * HOUR)
// Not on hour boundaries, so the partial hours at either end come from raw rows.
const FROM = new Date(START.getTime() + 17 * 60_000)
const TO = new Date(END.getTime() - 23 * 60_000)
const FAILURES = ['connection_reset', 'generic_timeout_error', 'dns_nxdomain_error', 'http_blockpage']

let store: TestStore

// A small deterministic generator (mulberry32), so a failing run can be repeated.
function random(seed: number): () => number {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

function generate(from: Date, to: Date, seed: number): NewMeasurement[] {
  const next = random(seed)
  const rows: NewMeasurement[] = []
  const vantages = [
    { id: 'kz-almaty-1', region: 'Almaty', source: 'vigil' },
    { id: 'kz-almaty-agent', region: 'Almaty', source: 'agent' },
    { id: 'control-1', region: null, source: 'vigil' },
    { id: 'ooni-AS9198', region: 'Almaty', source: 'ooni' },
  ]
  for (let at = from.getTime(); at < to.getTime(); at += 5 * 60_000) {
    for (const vantage of vantages) {
      for (const targetId of ['facebook', 'telegram', 'tengrinews']) {
        for (const kind of ['https', 'tcp', 'dns']) {
          const ok = next() > 0.3
          rows.push({
            measuredAt: new Date(at + Math.floor(next() * 290_000)),
            vantageId: vantage.id,
            targetId,
            kind,
            region: vantage.region,
            ok,
            failure: ok ? null : FAILURES[Math.floor(next() * FAILURES.length)]!,
            // 0.5 ms to 5 s, and now and then no duration at all.
            durationMs: next() < 0.05 ? null : 0.5 * 10 ** (next() * 4),
            source: vantage.source,
          })
        }
      }
    }
  }
  return rows
}

const byKey = <T extends object>(rows: T[], key: (row: T) => string) =>
  [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
const shareKey = (row: { scope: string; start: Date }) => `${row.scope}|${row.start.toISOString()}`
const bucketKey = (row: { region: string; start: Date }) => `${row.region}|${row.start.toISOString()}`
const seriesKey = (row: { vantageId: string; targetId: string; kind: string }) =>
  `${row.vantageId}|${row.targetId}|${row.kind}`

async function expectRollupReadsEqualRaw(): Promise<void> {
  const sql = store.sql
  const rolled = await hourlyScopeShares(sql, 'KZ', FROM, TO)
  const raw = await hourlyScopeShares(sql, 'KZ', FROM, TO, { rollups: false })
  expect(raw.length).toBeGreaterThan(100)
  expect(byKey(rolled, shareKey)).toEqual(byKey(raw, shareKey))

  for (const bucketSeconds of [300, 900, 3600, 86_400]) {
    const rolledBuckets = await regionAvailabilityBuckets(sql, ['Almaty'], FROM, TO, bucketSeconds)
    const rawBuckets = await regionAvailabilityBuckets(sql, ['Almaty'], FROM, TO, bucketSeconds, {
      rollups: false,
    })
    expect(rawBuckets.length).toBeGreaterThan(1)
    expect(byKey(rolledBuckets, bucketKey)).toEqual(byKey(rawBuckets, bucketKey))
  }

  const exact = byKey(await durationMedians(sql, FROM, TO), seriesKey)
  const histogram = byKey(await durationMedians(sql, FROM, TO, { rollups: true }), seriesKey)
  expect(exact.length).toBe(18)
  expect(histogram.map(({ medianMs: _, ...rest }) => rest)).toEqual(
    exact.map(({ medianMs: _, ...rest }) => rest),
  )
  for (const [i, row] of histogram.entries()) {
    const want = exact[i]!.medianMs
    expect(Math.abs(row.medianMs - want) / want).toBeLessThanOrEqual(DURATION_PERCENTILE_RELATIVE_ERROR)
  }
}

// The rollup tables themselves, hour by hour and series by series, against the raw rows of every hour not
// dirty, counted in TypeScript.
async function expectTablesEqualRaw(): Promise<void> {
  const sql = store.sql
  const raw = await sql<
    Array<{
      hour: Date
      vantage_id: string
      target_id: string
      kind: string
      region: string | null
      ok: boolean
      failure: string | null
      duration_ms: number | null
    }>
  >`
    select date_trunc('hour', measured_at, 'UTC') as hour, vantage_id, target_id, kind, region, ok, failure,
           duration_ms
    from measurements
    where source in ('vigil', 'agent')
      and date_trunc('hour', measured_at, 'UTC') not in (select hour from rollup_dirty_hours)`
  const want = new Map<
    string,
    { ok: number; total: number; failures: Record<string, number>; buckets: Map<number, number> }
  >()
  for (const row of raw) {
    const key = `${row.hour.toISOString()}|${row.vantage_id}|${row.target_id}|${row.kind}|${row.region}`
    const entry = want.get(key) ?? {
      ok: 0,
      total: 0,
      failures: {} as Record<string, number>,
      buckets: new Map<number, number>(),
    }
    entry.total++
    if (row.ok) entry.ok++
    if (row.failure !== null) entry.failures[row.failure] = (entry.failures[row.failure] ?? 0) + 1
    if (row.ok && row.duration_ms !== null) {
      const bucket = durationBucket(row.duration_ms)
      entry.buckets.set(bucket, (entry.buckets.get(bucket) ?? 0) + 1)
    }
    want.set(key, entry)
  }
  const stored = await sql<
    Array<{
      hour: Date
      vantage_id: string
      target_id: string
      kind: string
      region: string | null
      ok: number
      total: number
      failures: Record<string, number>
      duration_buckets: number[]
      duration_counts: number[]
    }>
  >`select * from rollup_series_hourly`
  const got = new Map(
    stored.map((row) => [
      `${row.hour.toISOString()}|${row.vantage_id}|${row.target_id}|${row.kind}|${row.region}`,
      {
        ok: row.ok,
        total: row.total,
        failures: row.failures,
        buckets: new Map(row.duration_buckets.map((bucket, i) => [bucket, row.duration_counts[i]!])),
      },
    ]),
  )
  expect(got.size).toBe(want.size)
  expect(got).toEqual(want)
  const [vantageSums] = await sql<Array<{ n: number }>>`
    select count(*)::int as n from (
      select hour, vantage_id, region, sum(ok) as ok, sum(total) as total from rollup_series_hourly group by 1, 2, 3
      except
      select hour, vantage_id, region, sum(ok), sum(total) from rollup_vantage_hourly group by 1, 2, 3) d`
  expect(vantageSums!.n).toBe(0)
}

beforeAll(async () => {
  store = await openTestStore()
  for (const [id, asn, role] of [
    ['kz-almaty-1', 9198, 'in_country'],
    ['kz-almaty-agent', 4_200_000_000, 'in_country'],
    ['control-1', 16509, 'control'],
    ['ooni-AS9198', 9198, 'in_country'],
  ] as const) {
    await upsertVantage(store.sql, { id, country: 'KZ', region: 'Almaty', asn, network: null, role })
  }
  await upsertTargets(
    store.sql,
    ['facebook', 'telegram', 'tengrinews'].map((id) => ({
      id,
      groupName: id === 'tengrinews' ? 'news' : 'social',
      purpose: 'service' as const,
      host: `${id}.example`,
      port: 443,
      url: null,
      probes: ['https', 'tcp', 'dns'],
      region: null,
      asn: null,
    })),
  )
  await insertMeasurements(store.sql, generate(START, END, 1))
}, 120_000)

afterAll(async () => {
  await store.close()
})

it('rolls up every closed hour, leaves the current one dirty, and reads back what the raw rows say', async () => {
  // The present is inside the last generated hour: that hour is still open.
  const result = await rollUpDirtyHours(store.sql, {
    now: new Date(END.getTime() - 30 * 60_000),
    maxHours: 1000,
  })
  expect(result).toEqual({ hours: 47, remaining: 0 })
  const dirty = await store.sql<Array<{ hour: Date }>>`select hour from rollup_dirty_hours`
  expect(dirty.map((row) => row.hour.toISOString())).toEqual([new Date(END.getTime() - HOUR).toISOString()])
  await expectTablesEqualRaw()
  await expectRollupReadsEqualRaw()
}, 120_000)

it('rolls an hour up again after a late upload into it, and reads raw rows for it until then', async () => {
  const lateHour = new Date(START.getTime() + 5 * HOUR)
  const late = generate(lateHour, new Date(lateHour.getTime() + 20 * 60_000), 2).map((row, i) => ({
    ...row,
    idempotencyKey: `late-${i}`,
  }))
  expect(await insertMeasurements(store.sql, late)).toBe(late.length)
  const dirty = await store.sql<Array<{ hour: Date }>>`select hour from rollup_dirty_hours order by hour`
  expect(dirty.map((row) => row.hour.toISOString())).toContain(lateHour.toISOString())
  // Before the job runs again, the dirty hour is read from raw rows: still equal.
  await expectRollupReadsEqualRaw()
  const result = await rollUpDirtyHours(store.sql, { now: END, maxHours: 1000 })
  expect(result).toEqual({ hours: 2, remaining: 0 })
  await expectTablesEqualRaw()
  await expectRollupReadsEqualRaw()
}, 120_000)

it('counts none of a quarantined row and all of the rest of its batch', async () => {
  const hour = new Date(START.getTime() + 9 * HOUR)
  const batch = generate(hour, new Date(hour.getTime() + 10 * 60_000), 3).map((row, i) => ({
    ...row,
    idempotencyKey: `batch-${i}`,
  }))
  // ok with a failure breaks the table's check: the database refuses this one row.
  batch.splice(7, 0, { ...batch[0]!, ok: true, failure: 'connection_reset', idempotencyKey: 'bad' })
  const outcome = await writeIsolatingBadRows(
    batch,
    (rows) => insertMeasurements(store.sql, rows),
    (row, error) => quarantineRows(store.sql, [{ table: 'measurements', source: 'agent:test', error, row }]),
  )
  expect(outcome).toEqual({ written: batch.length - 1, refused: 1 })
  expect(await queryQuarantine(store.sql, { table: 'measurements', limit: 10 })).toHaveLength(1)
  await rollUpDirtyHours(store.sql, { now: END, maxHours: 1000 })
  await expectTablesEqualRaw()
  await expectRollupReadsEqualRaw()
}, 120_000)

it('keeps the mark of an hour an insert touched while it was being rolled up', async () => {
  const hour = new Date(START.getTime() + 12 * HOUR)
  await insertMeasurements(store.sql, generate(hour, new Date(hour.getTime() + 5 * 60_000), 4))
  const [before] = await store.sql<Array<{ version: string }>>`
    select version::text from rollup_dirty_hours where hour = ${hour}`
  // A second insert after the job read the mark raises its version; the job's delete then keeps it.
  await insertMeasurements(store.sql, generate(hour, new Date(hour.getTime() + 5 * 60_000), 5))
  await store.sql`delete from rollup_dirty_hours where hour = ${hour} and version = ${before!.version}::bigint`
  expect(await store.sql`select 1 from rollup_dirty_hours where hour = ${hour}`).toHaveLength(1)
  await rollUpDirtyHours(store.sql, { now: END, maxHours: 1000 })
  await expectTablesEqualRaw()
})
