// A scripted rally day with no earlier days in the store (no baseline): a five-minute outage on the bucket
// grid in Almaty and one across two buckets in Shymkent, an intercepted chain and an untrusted one, a
// throttling incident that fired and one cancelled while pending. The summary, the chart, the tables, the
// CSV and the JSON all come from one report and must say the same: the outages are drops, availability is
// shown against 100% with "no baseline", only the intercepted chain counts as interception, and the
// cancelled incident is no outage.
import { INCIDENT_VERDICTS } from '@vigil/certwatch'
import { localTimeToInstant, type VigilConfig } from '@vigil/config'
import {
  buildRallyReport,
  INTERCEPTION_VERDICTS,
  loadRallyReportData,
  type RallyReport,
  renderCsv,
  renderHtml,
  renderJson,
  renderMarkdown,
  renderTimelineSvg,
} from '@vigil/reports'
import {
  insertMeasurements,
  insertTlsObservations,
  type NewMeasurement,
  raiseIncident,
  resolveIncident,
  upsertTargets,
  upsertVantage,
} from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { shippedConfig } from '../../../bench/simulate-rally-day.js'

const DATE = '2019-07-06'
const MINUTE = 60_000
const TARGETS = ['social/facebook', 'social/instagram', 'control/wikipedia', 'control/example']
/** Almaty and Shymkent keep Asia/Almaty time (UTC+6) in 2019. */
const local = (time: string) => localTimeToInstant(`${DATE}T${time}`, 'Asia/Almaty')

let store: TestStore
let config: VigilConfig
let report: RallyReport
let minuteReport: RallyReport

/** Every target measured every minute from 07:00 to 13:00 local, all failing in [down, up). */
function day(vantageId: string, region: string, down: string, up: string): NewMeasurement[] {
  const rows: NewMeasurement[] = []
  for (let at = local('07:00').getTime(); at < local('13:00').getTime(); at += MINUTE) {
    const failing = at >= local(down).getTime() && at < local(up).getTime()
    for (const targetId of TARGETS) {
      rows.push({
        measuredAt: new Date(at + 7_000),
        vantageId,
        targetId,
        kind: 'https',
        region,
        asn: 9198,
        ok: !failing,
        failure: failing ? 'connection_reset' : null,
      })
    }
  }
  return rows
}

beforeAll(async () => {
  store = await openTestStore()
  config = await shippedConfig()
  for (const [id, region] of [
    ['kz-almaty-1', 'Almaty'],
    ['kz-shymkent-1', 'Shymkent'],
  ] as const) {
    await upsertVantage(store.sql, {
      id,
      country: 'KZ',
      region,
      asn: 9198,
      network: null,
      role: 'in_country',
    })
  }
  await upsertTargets(
    store.sql,
    TARGETS.map((id) => ({
      id,
      groupName: id.split('/')[0]!,
      purpose: id.startsWith('control') ? ('control' as const) : ('service' as const),
      host: `www.${id.split('/')[1]}.org`,
      port: 443,
      url: null,
      probes: ['https'],
      region: null,
      asn: null,
    })),
  )
  await insertMeasurements(store.sql, day('kz-almaty-1', 'Almaty', '10:30', '10:35'))
  await insertMeasurements(store.sql, day('kz-shymkent-1', 'Shymkent', '10:32', '10:37'))
  const tls = (host: string, verdict: string, knownMatch: string | null, at: string) => ({
    measuredAt: local(at),
    vantageId: 'kz-almaty-1',
    targetId: 'social/facebook',
    host,
    port: 443,
    sni: host,
    verdict,
    failure: 'ssl_unknown_authority',
    verified: false,
    chain: [],
    protocol: 'TLSv1.2',
    cipher: null,
    evidence: [],
    knownMatch,
    idempotencyKey: `test:${host}`,
  })
  await insertTlsObservations(store.sql, [
    tls('www.facebook.com', 'known_interception', 'Qaznet Trust Network', '10:40'),
    tls('self-signed.example.kz', 'untrusted_root', null, '10:41'),
  ])
  const throttling = (region: string, state: 'pending' | 'firing', at: string) => ({
    identity: `throttling|region|${region}|social`,
    kind: 'throttling' as const,
    scopeType: 'region' as const,
    scope: region,
    region,
    level: 'warning' as const,
    state,
    summary: `social slower in ${region}`,
    evidence: { group: 'social', factorThreshold: 3, slow: [], comparedSeries: 4 },
    at: local(at),
  })
  // Fired in Almaty for half an hour; pending in Shymkent and cancelled two minutes later, as the alerter
  // drops a pending incident whose signal went away (packages/detect incident-state).
  await raiseIncident(store.sql, throttling('Almaty', 'firing', '11:00'))
  await resolveIncident(store.sql, 'throttling|region|Almaty|social', local('11:30'))
  const pending = throttling('Shymkent', 'pending', '11:00')
  await raiseIncident(store.sql, pending)
  await resolveIncident(store.sql, pending.identity, local('11:02'), { ...pending.evidence, cancelled: true })

  const load = (resolutionMinutes: 1 | 5) =>
    loadRallyReportData(store.sql, config, {
      date: DATE,
      resolutionMinutes,
      now: new Date('2019-07-07T00:00:00Z'),
    })
  report = buildRallyReport(await load(5))
  minuteReport = buildRallyReport(await load(1))
}, 120_000)

afterAll(async () => {
  await store?.close()
})

const cityOf = (from: RallyReport, name: string) => {
  const found = from.cities.find((city) => city.city === name)
  if (!found) throw new Error(`no ${name} in the report`)
  return found
}

/** The `<g class="lane">` of one city in the SVG. */
function lane(svg: string, city: string): string {
  const start = svg.indexOf(`<g class="lane" data-city="${city}">`)
  expect(start).toBeGreaterThanOrEqual(0)
  return svg.slice(start, svg.indexOf('</g>', start))
}

function csvRecords(csv: string, record: string, city: string): string[] {
  return csv.split('\n').filter((line) => line.startsWith(`${record},${city},`))
}

describe('a rally day without a baseline', () => {
  it('finds a five-minute outage on the bucket grid, against full availability', () => {
    const almaty = cityOf(report, 'Almaty')
    expect(almaty.baseline).toBe('none')
    expect(almaty.drops).toHaveLength(1)
    expect(almaty.drop).toMatchObject({
      start: local('10:30'),
      end: local('10:35'),
      durationMinutes: 5,
      lowestShare: 0,
      lowestRatio: 0,
      noBaseline: true,
      level: 'critical',
    })
    expect(almaty.lowest).toMatchObject({ start: local('10:30'), share: 0, samples: 20 })
    expect(almaty.summary).toContain(
      'connectivity dropped at 10:30 UTC+6 (04:30 UTC), +30 min after the announced 10:00; down for 5 min (lowest 0% of full availability, no baseline, critical)',
    )
    expect(almaty.summary).not.toContain('no drop')
  })

  it('finds a five-minute outage across two buckets, and exactly at minute resolution', () => {
    const shymkent = cityOf(report, 'Shymkent')
    // 10:30–10:35 lost 3 of 5 minutes, 10:35–10:40 lost 2.
    expect(shymkent.drop).toMatchObject({ start: local('10:30'), durationMinutes: 10, lowestShare: 0.4 })
    expect(shymkent.summary).toContain('connectivity dropped at 10:30 UTC+6 (04:30 UTC)')
    expect(cityOf(minuteReport, 'Shymkent').drop).toMatchObject({
      start: local('10:32'),
      durationMinutes: 5,
      lowestShare: 0,
    })
  })

  it('draws availability and the drop in the chart and says there is no baseline', () => {
    const svg = renderTimelineSvg(report)
    for (const city of ['Almaty', 'Shymkent']) {
      const own = lane(svg, city)
      expect(own).toContain('class="availability"')
      expect(own).toContain('class="drop"')
      expect(own).toContain('no baseline: availability against 100%')
      expect(own).not.toContain('no measurements in this window')
    }
    // The outage bucket is drawn at 0: a point at the lane's bottom line.
    const almaty = lane(svg, 'Almaty')
    const polyline = /class="availability" points="([^"]+)"/.exec(almaty)![1]!
    const ys = polyline.split(' ').map((pair) => Number(pair.split(',')[1]))
    expect(Math.max(...ys) - Math.min(...ys)).toBeGreaterThan(40)
    // A city without measurements says so.
    expect(lane(svg, 'Nur-Sultan')).toContain('no measurements in this window')
  })

  it('counts only intercepted chains as interception and lists untrusted ones apart', () => {
    expect(INTERCEPTION_VERDICTS).toEqual([...INCIDENT_VERDICTS])
    const almaty = cityOf(report, 'Almaty')
    expect(almaty.interception.map((entry) => entry.host)).toEqual(['www.facebook.com'])
    expect(almaty.untrustedChains.map((entry) => entry.host)).toEqual(['self-signed.example.kz'])
    expect(almaty.summary).toContain('HTTPS interception seen for www.facebook.com;')
    expect(almaty.summary).toContain(
      'untrusted certificate chains (not judged interception) for self-signed.example.kz',
    )
  })

  it('lists the incident that fired and leaves out the one cancelled while pending', () => {
    const almaty = cityOf(report, 'Almaty')
    expect(almaty.throttling.map((incident) => incident.summary)).toEqual(['social slower in Almaty'])
    expect(almaty.summary).toContain(
      'throttling from 11:00 UTC+6 (05:00 UTC), +1 h 0 min after the announced 10:00, for 30 min',
    )
    const shymkent = cityOf(report, 'Shymkent')
    expect(shymkent.incidents).toEqual([])
    expect(shymkent.summary).not.toContain('throttling')
    expect(renderTimelineSvg(report)).not.toContain('social slower in Shymkent')
  })

  it('says the same in Markdown, HTML, CSV and JSON', () => {
    const markdown = renderMarkdown(report)
    const html = renderHtml(report)
    const csv = renderCsv(report)
    const json = JSON.parse(renderJson(report))
    for (const city of report.cities) {
      expect(markdown).toContain(`- ${city.summary}`)
      expect(html).toContain(`<li>${city.summary.replaceAll('&', '&amp;').replaceAll('<', '&lt;')}</li>`)
      expect(csv).toContain(city.summary)
      expect(json.cities.find((c: { city: string }) => c.city === city.city).summary).toBe(city.summary)
    }
    // Drops.
    expect(markdown).toContain('Drop: from 10:30 UTC+6 (04:30 UTC) to 10:35 UTC+6 (04:35 UTC), 5 min')
    expect(html).toContain('Drop from 10:30 UTC+6 (04:30 UTC) to 10:35 UTC+6 (04:35 UTC), 5 min')
    const [almatyDrop] = csvRecords(csv, 'drop', 'Almaty')
    expect(almatyDrop).toContain(`${local('10:30').toISOString()},${local('10:35').toISOString()}`)
    expect(almatyDrop).toContain(',critical,5,30,')
    expect(csvRecords(csv, 'drop', 'Shymkent')).toHaveLength(1)
    // Interception and untrusted chains, each under its own name.
    expect(
      csvRecords(csv, 'interception', 'Almaty').map((line) => line.includes('www.facebook.com')),
    ).toEqual([true])
    expect(csvRecords(csv, 'untrusted_chain', 'Almaty')).toHaveLength(1)
    expect(csvRecords(csv, 'interception', 'Almaty').join()).not.toContain('self-signed')
    expect(markdown).toContain('Untrusted certificate chains (not judged interception')
    expect(html).toContain('Untrusted certificate chains (not judged interception)')
    // Incidents: the fired one everywhere, the cancelled one nowhere.
    expect(csvRecords(csv, 'incident', 'Almaty')).toHaveLength(1)
    expect(csvRecords(csv, 'incident', 'Shymkent')).toHaveLength(0)
    for (const text of [markdown, html, csv]) {
      expect(text).toContain('social slower in Almaty')
      expect(text).not.toContain('social slower in Shymkent')
    }
    // No baseline, said in every rendering.
    expect(markdown).toContain(
      'Lowest availability: 0% at 10:30 UTC+6 (04:30 UTC) (20 measurements); no baseline.',
    )
    expect(html).toContain(
      'Lowest availability: 0% at 10:30 UTC+6 (04:30 UTC) (20 measurements); no baseline.',
    )
    expect(csvRecords(csv, 'lowest', 'Almaty')[0]).toContain('baseline: none')
  })
})
