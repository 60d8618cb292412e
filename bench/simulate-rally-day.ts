// Writes a realistic rally day into a store: seven baseline days of Vigil's measurements in three cities
// (in-country vantages and outside-in probes), then 6 July 2019 with a blackout in Almaty and Nur-Sultan
// (each starting on the hour), throttling in Shymkent, an intercepted TLS chain, the incidents for them
// (opened by the real alerter replayed over the day with a controlled clock, or written directly as it
// would), detention reports in the news tables and IODA's country signals. Returns what was seeded, so a
// report can be checked against it.
// Run: node --import tsx bench/simulate-rally-day.ts [--data-dir DIR] [--alerter]   (or with DATABASE_URL)
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createAlerter } from '@vigil/alerter'
import { loadConfig, localTimeToInstant, type VigilConfig } from '@vigil/config'
import {
  createReport,
  insertMeasurements,
  insertNewsItems,
  insertObservatoryEvents,
  insertObservatorySignals,
  insertTlsObservations,
  migrate,
  type NewMeasurement,
  type ObservatorySignalPoint,
  openStore,
  raiseIncident,
  resolveIncident,
  rollUpDirtyHours,
  type Sql,
  upsertSources,
  upsertTargets,
  upsertVantage,
} from '@vigil/store'

const MINUTE = 60_000
const DAY = 86_400_000
export const RALLY_DATE = '2019-07-06'
const ZONE = 'Asia/Almaty'

export interface SeededCity {
  city: string
  vantageId: string
  /** Local wall-clock times of the disruption on the rally day. */
  kind: 'blackout' | 'throttling'
  from: string
  until: string
  startUtc: Date
  endUtc: Date
  durationMinutes: number
  /** Minutes from the announced 10:00. */
  minutesFromAnnounced: number
  detentionReports: number
  detained: number
}

export interface SimulationResult {
  date: string
  cities: SeededCity[]
  measurements: number
  detainedTotal: number
}

const TARGETS = [
  { id: 'social/facebook', group: 'social', purpose: 'service' as const, host: 'www.facebook.com' },
  { id: 'social/instagram', group: 'social', purpose: 'service' as const, host: 'www.instagram.com' },
  { id: 'control/wikipedia', group: 'control', purpose: 'control' as const, host: 'www.wikipedia.org' },
  { id: 'control/example', group: 'control', purpose: 'control' as const, host: 'www.example.org' },
]
const OUTSIDE_VANTAGE = 'sim-outside-1'
/** Endpoints in each city that the outside vantage probes: what confirms a blackout from abroad. */
const outsideTargets = (city: string) =>
  ['gov', 'isp'].map((name) => ({
    id: `kz-endpoints/${city.toLowerCase()}-${name}`,
    host: `${name}.${city.toLowerCase()}.example.kz`,
  }))

const CITIES: Array<
  Omit<
    SeededCity,
    'startUtc' | 'endUtc' | 'durationMinutes' | 'minutesFromAnnounced' | 'detentionReports' | 'detained'
  >
> = [
  { city: 'Almaty', vantageId: 'sim-almaty-1', kind: 'blackout', from: '10:00', until: '12:00' },
  { city: 'Nur-Sultan', vantageId: 'sim-nur-sultan-1', kind: 'blackout', from: '09:00', until: '11:30' },
  { city: 'Shymkent', vantageId: 'sim-shymkent-1', kind: 'throttling', from: '10:00', until: '13:00' },
]

const DETENTIONS = [
  {
    city: 'Almaty',
    at: '11:10',
    count: 70,
    qualifier: 'approx' as const,
    source: 'azattyq',
    title: 'Almaty police detain about 70 people at the rally on Astana Square',
  },
  {
    city: 'Almaty',
    at: '13:20',
    count: 30,
    qualifier: 'at_least' as const,
    source: 'vlast',
    title: 'At least 30 more protesters detained in Almaty',
  },
  {
    city: 'Nur-Sultan',
    at: '10:40',
    count: 100,
    qualifier: 'exact' as const,
    source: 'tengrinews',
    title: '100 detained at unsanctioned rally in Nur-Sultan',
  },
  {
    city: 'Shymkent',
    at: '12:05',
    count: 15,
    qualifier: 'exact' as const,
    source: 'azattyq',
    title: 'Fifteen detained in Shymkent as rally is dispersed',
  },
]

const local = (time: string, date = RALLY_DATE) => localTimeToInstant(`${date}T${time}`, ZONE)

/** A stable pseudo-random number in [0, 1) for a seed: the same seed always gives the same day. */
function noise(seed: number): number {
  const x = Math.sin(seed * 12.9898) * 43_758.5453
  return x - Math.floor(x)
}

export interface SimulationOptions {
  onProgress?: (message: string) => void
  /** 'alerter' replays the real alerter over the day; 'direct' (default, quicker) writes its incidents. */
  incidents?: 'alerter' | 'direct'
  /** The config the alerter runs with; the shipped one by default. */
  config?: VigilConfig
}

export async function simulateRallyDay(sql: Sql, options: SimulationOptions = {}): Promise<SimulationResult> {
  const progress = options.onProgress ?? (() => {})
  const dayStart = local('00:00')
  const seedStart = new Date(dayStart.getTime() - 7 * DAY)
  const seedEnd = new Date(dayStart.getTime() + DAY)

  for (const city of CITIES) {
    await upsertVantage(sql, {
      id: city.vantageId,
      country: 'KZ',
      region: city.city,
      asn: 9198,
      network: 'Kazakhtelecom',
      role: 'in_country',
    })
  }
  await upsertVantage(sql, {
    id: OUTSIDE_VANTAGE,
    country: 'DE',
    region: null,
    asn: 24940,
    network: null,
    role: 'outside',
  })
  await upsertTargets(
    sql,
    CITIES.flatMap((city) => outsideTargets(city.city)).map((t) => ({
      id: t.id,
      groupName: 'kz-endpoints',
      purpose: 'outside_in' as const,
      host: t.host,
      port: 443,
      url: `https://${t.host}/`,
      probes: ['https'],
      region: CITIES.find((city) => t.id.includes(city.city.toLowerCase()))!.city,
      asn: null,
    })),
  )
  await upsertTargets(
    sql,
    TARGETS.map((t) => ({
      id: t.id,
      groupName: t.group,
      purpose: t.purpose,
      host: t.host,
      port: 443,
      url: `https://${t.host}/`,
      probes: ['https'],
      region: null,
      asn: null,
    })),
  )

  const seeded: SeededCity[] = CITIES.map((city) => {
    const startUtc = local(city.from)
    const endUtc = local(city.until)
    const own = DETENTIONS.filter((d) => d.city === city.city)
    return {
      ...city,
      startUtc,
      endUtc,
      durationMinutes: (endUtc.getTime() - startUtc.getTime()) / MINUTE,
      minutesFromAnnounced: (startUtc.getTime() - local('10:00').getTime()) / MINUTE,
      detentionReports: own.length,
      detained: own.reduce((sum, d) => sum + d.count, 0),
    }
  })

  // Every target probed every five minutes on ordinary days and every two on the rally day, as the
  // prober speeds up inside rally windows.
  let measurements = 0
  let batch: NewMeasurement[] = []
  const flush = async () => {
    measurements += await insertMeasurements(sql, batch)
    batch = []
  }
  for (
    let at = seedStart.getTime();
    at < seedEnd.getTime();
    at += at < dayStart.getTime() ? 5 * MINUTE : 2 * MINUTE
  ) {
    const slot = (at - seedStart.getTime()) / MINUTE
    seeded.forEach((city, cityIndex) => {
      const down = city.kind === 'blackout' && at >= city.startUtc.getTime() && at < city.endUtc.getTime()
      outsideTargets(city.city).forEach((target, targetIndex) => {
        const failure = down
          ? 'generic_timeout_error'
          : noise(slot * 17 + cityIndex * 5 + targetIndex) < 0.02
            ? 'connection_reset'
            : null
        batch.push({
          measuredAt: new Date(at),
          vantageId: OUTSIDE_VANTAGE,
          targetId: target.id,
          kind: 'https',
          region: city.city,
          asn: null,
          ok: failure === null,
          failure,
          durationMs: down ? 10_000 : 180 + 40 * noise(slot + targetIndex),
          idempotencyKey: `sim:${OUTSIDE_VANTAGE}:${target.id}:${at}`,
        })
      })
      TARGETS.forEach((target, targetIndex) => {
        const r = noise(slot * 31 + cityIndex * 7 + targetIndex)
        const inEvent = at >= city.startUtc.getTime() && at < city.endUtc.getTime()
        const down = city.kind === 'blackout' && inEvent
        // About 3% failures on an ordinary day; no answer at all inside a blackout.
        const failure = down ? 'generic_timeout_error' : r < 0.03 ? 'connection_reset' : null
        const baseMs = 120 + 80 * r
        const slow = city.kind === 'throttling' && inEvent && target.group === 'social'
        batch.push({
          measuredAt: new Date(at),
          vantageId: city.vantageId,
          targetId: target.id,
          kind: 'https',
          region: city.city,
          asn: 9198,
          ok: failure === null,
          failure,
          durationMs: down ? 10_000 : slow ? baseMs * 6 : baseMs,
          idempotencyKey: `sim:${city.vantageId}:${target.id}:${at}`,
        })
      })
    })
    if (batch.length >= 6_000) {
      await flush()
      progress(`measurements: ${measurements}`)
    }
  }
  await flush()
  progress(`measurements: ${measurements}`)
  // As `vigil start`'s hourly job would have done over these days: closed hours rolled up.
  for (;;) {
    const step = await rollUpDirtyHours(sql, { now: seedEnd })
    if (step.remaining === 0 || step.hours === 0) break
  }
  progress('hourly rollups up to date')

  if (options.incidents === 'alerter') {
    await replayAlerter(sql, options.config ?? (await shippedConfig()), seeded, progress)
  } else {
    await writeIncidents(sql, seeded)
  }

  await insertTlsObservations(sql, [
    {
      measuredAt: local('10:30'),
      vantageId: 'sim-almaty-1',
      targetId: 'social/facebook',
      host: 'www.facebook.com',
      port: 443,
      sni: 'www.facebook.com',
      verdict: 'known_interception',
      failure: 'ssl_unknown_authority',
      verified: false,
      chain: [],
      protocol: 'TLSv1.2',
      cipher: null,
      evidence: [],
      knownMatch: 'Qaznet Trust Network',
      idempotencyKey: 'sim:tls:almaty',
    },
  ])

  await upsertSources(sql, [
    { name: 'azattyq', url: 'https://rus.azattyq.org/api/', type: 'rss' },
    { name: 'vlast', url: 'https://vlast.kz/novosti/', type: 'html' },
    { name: 'tengrinews', url: 'https://tengrinews.kz/news.rss', type: 'rss' },
  ])
  for (const [index, detention] of DETENTIONS.entries()) {
    const at = local(detention.at)
    const counts = [{ value: detention.count, qualifier: detention.qualifier }]
    const [item] = await insertNewsItems(sql, [
      {
        source: detention.source,
        guid: `sim-${index}`,
        canonicalUrl: `https://news.example/${detention.source}/${index}`,
        title: detention.title,
        link: `https://news.example/${detention.source}/${index}`,
        publishedAt: at,
        language: 'en',
        detention: true,
        score: 0.9,
        counts,
        cities: [detention.city],
        dates: [RALLY_DATE],
        people: [],
        evidence: detention.title,
        fetchedAt: at,
      },
    ])
    if (!item) continue
    await createReport(
      sql,
      {
        day: RALLY_DATE,
        cities: [detention.city],
        counts,
        language: 'en',
        title: detention.title,
        evidence: detention.title,
        people: [],
        at,
      },
      item.id,
    )
  }

  // IODA's country view: BGP barely moves, active probing dips while the two largest cities are dark.
  const points: ObservatorySignalPoint[] = []
  for (let at = dayStart.getTime(); at < seedEnd.getTime(); at += 10 * MINUTE) {
    const dark = seeded.filter(
      (c) => c.kind === 'blackout' && at >= c.startUtc.getTime() && at < c.endUtc.getTime(),
    ).length
    points.push({
      entityType: 'country',
      entityCode: 'KZ',
      datasource: 'bgp',
      at: new Date(at),
      step: 600,
      value: 2_400 - dark * 20,
    })
    points.push({
      entityType: 'country',
      entityCode: 'KZ',
      datasource: 'ping-slash24',
      at: new Date(at),
      step: 600,
      value: 9_000 - dark * 2_600,
    })
  }
  await insertObservatorySignals(sql, points)
  await insertObservatoryEvents(sql, [
    {
      kind: 'event',
      entityType: 'country',
      entityCode: 'KZ',
      entityName: 'Kazakhstan',
      datasource: 'ping-slash24',
      startedAt: local('09:10'),
      endedAt: local('11:50'),
      level: null,
      score: 4_200,
      details: { simulated: true },
    },
  ])

  return {
    date: RALLY_DATE,
    cities: seeded,
    measurements,
    detainedTotal: DETENTIONS.reduce((sum, d) => sum + d.count, 0),
  }
}

/**
 * Runs the real alerter with its clock set to the moments around each disruption's start and end (every
 * two minutes from just before to well past its `for` and `resolveAfter` durations), so it opens, fires and
 * resolves incidents as it would have live. Ticks in between would change nothing: an incident stays open.
 */
async function replayAlerter(
  sql: Sql,
  config: VigilConfig,
  seeded: SeededCity[],
  progress: (message: string) => void,
): Promise<void> {
  const ticks = new Set<number>()
  for (const city of seeded) {
    for (const boundary of [city.startUtc.getTime(), city.endUtc.getTime()]) {
      for (let k = -1; k <= 8; k++) ticks.add(boundary + k * 2 * MINUTE)
    }
  }
  let clock = new Date(0)
  const alerter = createAlerter({ config, sql, now: () => clock })
  const ordered = [...ticks].sort((a, b) => a - b)
  for (const [index, tick] of ordered.entries()) {
    clock = new Date(tick)
    await alerter.runOnce()
    if (index % 10 === 9) progress(`alerter: ${index + 1}/${ordered.length} evaluations`)
  }
  await alerter.stop()
}

/** The incidents the alerter opens for the seeded disruptions: pending at the start, firing after `for`. */
async function writeIncidents(sql: Sql, seeded: SeededCity[]): Promise<void> {
  for (const city of seeded) {
    const identity =
      city.kind === 'blackout'
        ? `blackout|region|${city.city}`
        : `throttling|vantage|${city.vantageId}|social`
    const signal = {
      identity,
      kind: city.kind,
      scopeType: city.kind === 'blackout' ? ('region' as const) : ('vantage' as const),
      scope: city.kind === 'blackout' ? city.city : city.vantageId,
      region: city.city,
      vantageId: city.kind === 'blackout' ? null : city.vantageId,
      level: city.kind === 'blackout' ? ('critical' as const) : ('warning' as const),
      summary: city.kind === 'blackout' ? `Internet blackout: ${city.city}` : 'Throttling: social',
      evidence: { simulated: true },
    }
    await raiseIncident(sql, { ...signal, state: 'pending', at: city.startUtc })
    await raiseIncident(sql, {
      ...signal,
      state: 'firing',
      at: new Date(city.startUtc.getTime() + 2 * MINUTE),
    })
    await resolveIncident(sql, identity, city.endUtc)
  }
}

/** The shipped configuration, whose rally calendar has the rallies of 6 July 2019. */
export function shippedConfig(): Promise<VigilConfig> {
  const file = fileURLToPath(new URL('../config/kazakhstan.yaml', import.meta.url))
  return loadConfig(file, {})
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dataDirIndex = process.argv.indexOf('--data-dir')
  const store = await openStore({
    databaseUrl: process.env.DATABASE_URL,
    dataDir: dataDirIndex >= 0 ? process.argv[dataDirIndex + 1] : './data',
  })
  try {
    await migrate(store.sql)
    const started = performance.now()
    const result = await simulateRallyDay(store.sql, {
      onProgress: (message) => process.stderr.write(`${message}\r`),
    })
    const seconds = (performance.now() - started) / 1000
    process.stderr.write('\n')
    process.stdout.write(
      `seeded ${result.measurements} measurements, ${result.cities.length} cities, ${result.detainedTotal} detained in ${seconds.toFixed(1)} s into ${store.location}\n` +
        `then: pnpm vigil report rally --date ${result.date} --format html --out rally.html\n`,
    )
  } finally {
    await store.close()
  }
}
