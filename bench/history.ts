// A long measurement history and the reads that span it: seeds N days of five-minute probes (vantages ×
// targets × probe kinds) with generate_series, rolls the closed hours up, then times, with and without the
// hourly rollups: one detection round (the alerter's reads), the rally report of one day and a 30-day
// hourly availability query; then the retention job dropping the oldest days. On PostgreSQL and, smaller,
// on the embedded store. Targets: a detection round under 200 ms, a rally-day report under 1 s.
// Run: node --import tsx bench/history.ts [--vantages 20] [--targets 25] [--kinds 2] [--days 40]
//        [--drop-days 30] [--embedded-vantages 5] [--embedded-targets 10] [--embedded-days 14]
//        [--embedded-drop-days 7] [--skip-embedded]
// The full-size history (90 days of 20 vantages × 100 targets × 4 kinds, about 200 million rows) is
// `--targets 100 --kinds 4 --days 90`; it needs hours and tens of gigabytes. Uses DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/test) to create and drop a fresh database.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { loadConfig, type VigilConfig } from '@vigil/config'
import { loadRallyReportData } from '@vigil/reports'
import {
  deleteExpired,
  durationMedians,
  hourlyScopeShares,
  latestSeries,
  migrate,
  openStore,
  queryIncidents,
  regionAvailabilityBuckets,
  rollUpDirtyHours,
  type Sql,
  upsertTargets,
  upsertVantage,
  vantageLiveness,
} from '@vigil/store'
import postgres from 'postgres'

const { values } = parseArgs({
  options: {
    vantages: { type: 'string', default: '20' },
    targets: { type: 'string', default: '25' },
    kinds: { type: 'string', default: '2' },
    days: { type: 'string', default: '40' },
    'drop-days': { type: 'string', default: '30' },
    'embedded-vantages': { type: 'string', default: '5' },
    'embedded-targets': { type: 'string', default: '10' },
    'embedded-days': { type: 'string', default: '14' },
    'embedded-drop-days': { type: 'string', default: '7' },
    'skip-embedded': { type: 'boolean', default: false },
  },
})
function whole(name: keyof typeof values, max: number): number {
  const value = Number(values[name])
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw new Error(`--${name} needs a whole number 1..${max}`)
  return value
}

const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const HOUR = 3_600_000
const DAY = 24 * HOUR
// The rally day reported on: the second day of the June 2019 election protests in the shipped config.
const RALLY_DAY = '2019-06-10'
const NOW = new Date('2019-06-11T00:00:00Z')
const KINDS = ['https', 'tcp', 'tls', 'dns']
const TARGET_DETECTION_MS = 200
const TARGET_REPORT_MS = 1_000

interface Sizes {
  vantages: number
  targets: number
  kinds: number
  days: number
  dropDays: number
}

function rows(sizes: Sizes): number {
  return sizes.vantages * sizes.targets * sizes.kinds * sizes.days * 288
}

async function seed(sql: Sql, config: VigilConfig, sizes: Sizes): Promise<number> {
  const regions = config.regions.map((region) => region.name)
  for (let v = 0; v < sizes.vantages; v++) {
    await upsertVantage(sql, {
      id: `kz-${v}`,
      country: 'KZ',
      region: regions[v % regions.length]!,
      asn: 9198 + (v % 5),
      network: null,
      role: v === 0 ? 'control' : 'in_country',
      networkType: v % 2 === 0 ? 'fixed' : 'mobile',
    })
  }
  await upsertTargets(
    sql,
    Array.from({ length: sizes.targets }, (_, t) => ({
      id: `target-${t}`,
      groupName: t % 5 === 0 ? 'control' : 'social',
      purpose: t % 5 === 0 ? ('control' as const) : ('service' as const),
      host: `target-${t}.example`,
      port: 443,
      url: null,
      probes: KINDS.slice(0, sizes.kinds),
      region: null,
      asn: null,
    })),
  )
  const start = NOW.getTime() - sizes.days * DAY
  const started = performance.now()
  // One statement per day: every vantage, target and kind every five minutes, 10 % failing.
  for (let day = 0; day < sizes.days; day++) {
    const from = new Date(start + day * DAY)
    const to = new Date(start + (day + 1) * DAY)
    await sql`
      insert into measurements (measured_at, received_at, vantage_id, target_id, kind, region, asn, ok, failure,
                                duration_ms, details, source)
      select ts + make_interval(secs => (v * 7 + t * 3) % 290), ts, 'kz-' || v, 'target-' || t, k,
             (${sql.array(regions)}::text[])[1 + v % ${regions.length}], 9198 + v % 5, r > 0.1,
             case when r <= 0.05 then 'connection_reset' when r <= 0.1 then 'generic_timeout_error' end,
             case when r > 0.1 then 40 + 400 * random() end,
             case when r > 0.1 then '{"statusCode":200,"tlsVersion":"TLSv1.3"}'::jsonb else '{}'::jsonb end,
             case when v % 2 = 0 then 'vigil' else 'agent' end
      from generate_series(${from}::timestamptz, ${to}::timestamptz - interval '5 minutes', interval '5 minutes') ts,
           generate_series(0, ${sizes.vantages - 1}) v, generate_series(0, ${sizes.targets - 1}) t,
           unnest(${sql.array(KINDS.slice(0, sizes.kinds))}::text[]) k,
           lateral (select random() + 0 * v * t as r) x`
    if ((day + 1) % 10 === 0 || day + 1 === sizes.days) {
      process.stdout.write(
        `  seeded ${day + 1}/${sizes.days} days, ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
      )
    }
  }
  return (performance.now() - started) / 1000
}

async function timed<T>(run: () => Promise<T>): Promise<number> {
  await run() // warm the cache: the figure is a steady-state round, not the first after a restart
  const times: number[] = []
  for (let i = 0; i < 3; i++) {
    const started = performance.now()
    await run()
    times.push(performance.now() - started)
  }
  return times.sort((a, b) => a - b)[1]!
}

function detectionReads(
  sql: Sql,
  config: VigilConfig,
  rollups: boolean,
): Record<string, () => Promise<unknown>> {
  const t = config.thresholds
  const at = new Date(NOW.getTime() - 60_000)
  const windowStart = new Date(at.getTime() - t.blackout.window)
  const baselineStart = new Date(windowStart.getTime() - t.baselineDays * DAY)
  return {
    latestSeries: () => latestSeries(sql, windowStart, at),
    hourlyScopeShares: () => hourlyScopeShares(sql, config.country, baselineStart, windowStart, { rollups }),
    vantageLiveness: () => vantageLiveness(sql, baselineStart),
    'durationMedians (window)': () => durationMedians(sql, windowStart, at),
    'durationMedians (baseline)': () => durationMedians(sql, baselineStart, windowStart, { rollups }),
    queryIncidents: () =>
      queryIncidents(sql, { kind: 'blackout', from: baselineStart, to: windowStart, limit: 10_000 }),
  }
}

// The alerter's reads of one round, all at once as the alerter runs them.
function detectionRound(sql: Sql, config: VigilConfig, rollups: boolean) {
  const reads = Object.values(detectionReads(sql, config, rollups))
  return () => Promise.all(reads.map((read) => read()))
}

async function breakdown(sql: Sql, config: VigilConfig, rollups: boolean): Promise<string> {
  const parts: string[] = []
  for (const [name, read] of Object.entries(detectionReads(sql, config, rollups))) {
    const started = performance.now()
    await read()
    parts.push(`${name} ${(performance.now() - started).toFixed(0)}`)
  }
  return `    one by one (ms): ${parts.join(', ')}`
}

const line = (label: string, ms: number, target?: number) =>
  `  ${label.padEnd(48)} ${ms.toFixed(ms < 10 ? 1 : 0).padStart(8)} ms${
    target === undefined ? '' : `   target < ${target} ms: ${ms < target ? 'met' : 'NOT met'}`
  }`

async function measure(sql: Sql, config: VigilConfig, sizes: Sizes, label: string): Promise<void> {
  console.log(
    `${label}: ${sizes.vantages} vantages × ${sizes.targets} targets × ${sizes.kinds} kinds × ${sizes.days} days at 5 min = ${rows(sizes).toLocaleString('en')} measurements`,
  )
  const seconds = await seed(sql, config, sizes)
  console.log(
    `  seeding: ${seconds.toFixed(0)} s (${Math.round(rows(sizes) / seconds).toLocaleString('en')} rows/s)`,
  )
  let started = performance.now()
  let hours = 0
  for (;;) {
    const step = await rollUpDirtyHours(sql, { now: NOW, maxHours: 200 })
    hours += step.hours
    if (step.remaining === 0 || step.hours === 0) break
  }
  console.log(`  rolling up ${hours} hours: ${((performance.now() - started) / 1000).toFixed(1)} s`)
  await sql`analyze`

  const regions = config.regions.map((region) => region.name)
  const month = [new Date(NOW.getTime() - 30 * DAY), NOW] as const
  const report = await timed(() => loadRallyReportData(sql, config, { date: RALLY_DAY, now: NOW }))
  // The same report with its availability read from raw rows only: the dirty marks of every hour restored
  // for the time of the run, so the report's reads find no clean rolled-up hour.
  await sql`insert into rollup_dirty_hours (hour) select distinct hour from rollup_series_hourly`
  const reportRaw = await timed(() => loadRallyReportData(sql, config, { date: RALLY_DAY, now: NOW }))
  await sql`delete from rollup_dirty_hours`
  console.log(
    line('detection round, raw rows', await timed(detectionRound(sql, config, false)), TARGET_DETECTION_MS),
  )
  console.log(await breakdown(sql, config, false))
  console.log(
    line('detection round, rollups', await timed(detectionRound(sql, config, true)), TARGET_DETECTION_MS),
  )
  console.log(await breakdown(sql, config, true))
  console.log(line(`rally report of ${RALLY_DAY}, raw rows`, reportRaw, TARGET_REPORT_MS))
  console.log(line(`rally report of ${RALLY_DAY}, rollups`, report, TARGET_REPORT_MS))
  const availability = (rollups: boolean) => () =>
    regionAvailabilityBuckets(sql, regions, month[0], month[1], 3600, { rollups })
  console.log(line('30-day hourly availability, raw rows', await timed(availability(false))))
  console.log(line('30-day hourly availability, rollups', await timed(availability(true))))

  started = performance.now()
  const deleted = await deleteExpired(
    sql,
    {
      measurements: (sizes.days - sizes.dropDays) * DAY,
      tlsObservations: 1e12,
      newsItems: 1e12,
      notifications: 1e12,
      incidents: 1e12,
    },
    { now: NOW },
  )
  const dropMs = performance.now() - started
  console.log(
    `${line(`retention: drop the oldest ${sizes.dropDays} days`, dropMs)} (${deleted.measurements.toLocaleString('en')} rows)`,
  )
}

async function onServer(config: VigilConfig, sizes: Sizes): Promise<void> {
  const name = `vigil_bench_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  try {
    const store = await openStore({ databaseUrl: url.toString(), maxConnections: 6 })
    try {
      await migrate(store.sql)
      await measure(store.sql, config, sizes, 'PostgreSQL')
    } finally {
      await store.close()
    }
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`)
    await admin.end({ timeout: 5 })
  }
}

async function onEmbedded(config: VigilConfig, sizes: Sizes): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-'))
  try {
    const store = await openStore({ dataDir })
    try {
      await migrate(store.sql)
      await measure(store.sql, config, sizes, 'embedded (PGlite)')
    } finally {
      await store.close()
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

const config = await loadConfig(path.join(import.meta.dirname, '../config/kazakhstan.yaml'), {})
const server: Sizes = {
  vantages: whole('vantages', 1000),
  targets: whole('targets', 1000),
  kinds: whole('kinds', KINDS.length),
  days: whole('days', 365),
  dropDays: whole('drop-days', 365),
}
const embedded: Sizes = {
  vantages: whole('embedded-vantages', 1000),
  targets: whole('embedded-targets', 1000),
  kinds: whole('kinds', KINDS.length),
  days: whole('embedded-days', 365),
  dropDays: whole('embedded-drop-days', 365),
}
for (const sizes of [server, embedded]) {
  if (sizes.dropDays >= sizes.days) throw new Error('the days dropped must be fewer than the days seeded')
  if (sizes.days < 9)
    throw new Error('seed at least 9 days: the rally day and the week of baseline before it')
}
await onServer(config, server)
if (!values['skip-embedded']) await onEmbedded(config, embedded)
