// A simulated rally day in a real database, its incidents opened by the real alerter replayed over the day,
// gives a rally report whose numbers match the seed, in every format, and whose HTML renders in headless
// Chromium with the timeline visible.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { VigilConfig } from '@vigil/config'
import {
  buildRallyReport,
  CSV_COLUMNS,
  loadRallyReportData,
  type RallyReport,
  renderCsv,
  renderHtml,
  renderJson,
  renderMarkdown,
  renderRallyReport,
} from '@vigil/reports'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type SimulationResult, shippedConfig, simulateRallyDay } from '../../../bench/simulate-rally-day.js'

let store: TestStore
let config: VigilConfig
let seed: SimulationResult
let report: RallyReport
const progress: string[] = []

beforeAll(async () => {
  store = await openTestStore()
  config = await shippedConfig()
  seed = await simulateRallyDay(store.sql, { incidents: 'alerter', config })
  const data = await loadRallyReportData(store.sql, config, {
    date: seed.date,
    now: new Date('2019-07-07T00:00:00Z'),
    onProgress: (message) => progress.push(message),
  })
  report = buildRallyReport(data)
}, 120_000)

afterAll(async () => {
  await store?.close()
})

function city(name: string) {
  const found = report.cities.find((entry) => entry.city === name)
  if (!found) throw new Error(`no ${name} in the report`)
  return found
}

describe('rally report of a simulated day', () => {
  it('has a window for every city of the rally and reports progress', () => {
    expect(report.cities.map((entry) => entry.city).sort()).toEqual(
      config.regions.map((region) => region.name).sort(),
    )
    expect(progress.some((line) => line.startsWith('baseline day 7/7'))).toBe(true)
  })

  it('finds each blackout on the hour it started, for as long as it lasted', () => {
    for (const seeded of seed.cities.filter((entry) => entry.kind === 'blackout')) {
      const drop = city(seeded.city).drop
      expect(drop, seeded.city).not.toBeNull()
      expect(drop!.start.toISOString()).toBe(seeded.startUtc.toISOString())
      expect(drop!.durationMinutes).toBe(seeded.durationMinutes)
      expect(drop!.minutesFromAnnounced).toBe(seeded.minutesFromAnnounced)
      expect(drop!.level).toBe('critical')
      const incident = city(seeded.city).incidents.find((entry) => entry.kind === 'blackout')!
      expect(incident).toMatchObject({ level: 'critical', state: 'resolved', scope: `region:${seeded.city}` })
      expect(incident.start.toISOString()).toBe(seeded.startUtc.toISOString())
      // The alerter resolves once the signal has stayed recovered for `resolveAfter` (10 minutes).
      expect(incident.end!.getTime() - seeded.endUtc.getTime()).toBe(10 * 60_000)
    }
    expect(report.countryIncidents.map((incident) => incident.scope)).toContain('country:KZ')
    expect(city('Nur-Sultan').summary).toContain('\u22121 h 0 min before the announced 10:00')
    expect(city('Almaty').summary).toContain('at the announced 10:00')
    expect(city('Almaty').summary).toContain('10:00 UTC+6 (04:00 UTC)')
  })

  it('shows throttling without a drop in availability', () => {
    const shymkent = city('Shymkent')
    const seeded = seed.cities.find((entry) => entry.city === 'Shymkent')!
    expect(shymkent.drop).toBeNull()
    expect(shymkent.throttling).toHaveLength(1)
    const [throttling] = shymkent.throttling
    // The median over the detection window turns slow a few probes after the throttling begins.
    const lag = (throttling!.start.getTime() - seeded.startUtc.getTime()) / 60_000
    expect(lag).toBeGreaterThanOrEqual(0)
    expect(lag).toBeLessThanOrEqual(15)
    expect(throttling!.end!.getTime()).toBeGreaterThan(seeded.endUtc.getTime())
    expect(shymkent.summary).toMatch(
      /throttling from 10:\d\d UTC\+6 \(04:\d\d UTC\), (at|\+\d+ min after) the announced 10:00, for 3 h/,
    )
  })

  it('counts the detention reports of each city and their sources', () => {
    for (const seeded of seed.cities) {
      expect(city(seeded.city).detentions.reports).toBe(seeded.detentionReports)
      expect(city(seeded.city).detentions.detained).toBe(seeded.detained)
    }
    expect(city('Almaty').detentions.sources).toEqual(['azattyq', 'vlast'])
    expect(report.detainedTotal).toBe(seed.detainedTotal)
  })

  it('carries the interception verdict and the IODA data', () => {
    expect(city('Almaty').interception).toMatchObject([
      { host: 'www.facebook.com', verdict: 'known_interception', knownMatch: 'Qaznet Trust Network' },
    ])
    expect(report.ioda.series.map((series) => series.datasource).sort()).toEqual(['bgp', 'ping-slash24'])
    expect(report.ioda.events).toHaveLength(1)
  })

  it('gives the same numbers in JSON', () => {
    const parsed = JSON.parse(renderJson(report))
    const almaty = parsed.cities.find((entry: { city: string }) => entry.city === 'Almaty')
    const seeded = seed.cities.find((entry) => entry.city === 'Almaty')!
    expect(almaty.drop.start).toBe(seeded.startUtc.toISOString())
    expect(almaty.drop.durationMinutes).toBe(seeded.durationMinutes)
    expect(almaty.detentions.detained).toBe(seeded.detained)
    expect(parsed.detainedTotal).toBe(seed.detainedTotal)
  })

  it('gives the same numbers in CSV', () => {
    const lines = renderCsv(report).trimEnd().split('\n')
    expect(lines[0]).toBe(CSV_COLUMNS.join(','))
    const rows = lines.slice(1).map((line) => parseCsvLine(line))
    const column = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name)
    for (const seeded of seed.cities) {
      const summary = rows.find((row) => row[0] === 'summary' && row[1] === seeded.city)!
      expect(Number(summary[column('detained')])).toBe(seeded.detained)
      if (seeded.kind !== 'blackout') continue
      const drop = rows.find((row) => row[0] === 'drop' && row[1] === seeded.city)!
      expect(drop[column('start_utc')]).toBe(seeded.startUtc.toISOString())
      expect(Number(drop[column('minutes')])).toBe(seeded.durationMinutes)
      expect(Number(drop[column('minutes_from_announced')])).toBe(seeded.minutesFromAnnounced)
    }
    expect(rows.filter((row) => row[0] === 'detention')).toHaveLength(4)
  })

  it('gives the same numbers in Markdown', () => {
    const markdown = renderMarkdown(report)
    for (const seeded of seed.cities) {
      const line = markdown.split('\n').find((entry) => entry.startsWith(`- ${seeded.city}:`))!
      expect(line).toContain(`${seeded.detentionReports} detention report`)
      expect(line).toContain(`${seeded.detained} detained`)
    }
    expect(markdown).toContain('down for 2 h 0 min')
    expect(markdown).toContain('down for 2 h 30 min')
    expect(markdown).toContain(`${report.detentions.length}, ${seed.detainedTotal} detained in all`)
  })

  it('renders the HTML in headless Chromium with a lane per city and the chart visible', async () => {
    const html = renderHtml(report)
    expect(html).toContain('down for 2 h 30 min')
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-report-'))
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    })
    try {
      const file = path.join(dir, 'rally.html')
      writeFileSync(file, html)
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } })
      await page.goto(`file://${file}`)
      const lanes = await page.$$eval('svg.timeline g.lane', (nodes) =>
        nodes.map((node) => node.getAttribute('data-city')),
      )
      expect(lanes).toEqual([...report.cities.map((entry) => entry.city), 'IODA'])
      const box = await page.locator('svg.timeline').boundingBox()
      expect(box!.width).toBeGreaterThan(500)
      expect(box!.height).toBeGreaterThan(300)
      const almaty = await page.locator('svg.timeline g.lane[data-city="Almaty"]').boundingBox()
      expect(almaty!.width).toBeGreaterThan(0)
      expect(await page.locator('g.lane[data-city="Almaty"] polyline.availability').count()).toBeGreaterThan(
        0,
      )
      expect(await page.locator('g.lane[data-city="Almaty"] g.detention').count()).toBe(2)
      expect(await page.locator('g.lane[data-city="Shymkent"] rect.throttling').count()).toBe(1)
      const screenshot = path.join(process.env.VIGIL_SCREENSHOT_DIR ?? dir, 'rally-report.png')
      await page.locator('svg.timeline').screenshot({ path: screenshot })
      expect(statSync(screenshot).size).toBeGreaterThan(10_000)
    } finally {
      await browser.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})

/** Splits one RFC 4180 line (no line breaks inside fields in these reports). */
function parseCsvLine(line: string): string[] {
  const fields: string[] = []
  let current = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        current += '"'
        i++
      } else if (char === '"') quoted = false
      else current += char
    } else if (char === '"') quoted = true
    else if (char === ',') {
      fields.push(current)
      current = ''
    } else current += char
  }
  fields.push(current)
  return fields
}

describe('text from outside in a rally report', () => {
  it('loses its bidirectional controls in every format', () => {
    // A headline that would show its count and city reversed: U+202E (RLO) ... U+202C (PDF), an isolate, a mark.
    const hostile: RallyReport = {
      ...report,
      detentions: report.detentions.map((entry, index) =>
        index === 0
          ? { ...entry, title: `Задержаны \u202E007 ,ытамлА\u202C \u2067x\u2069 \u200F${entry.title}` }
          : entry,
      ),
    }
    for (const format of ['md', 'json', 'csv', 'html'] as const) {
      const text = renderRallyReport(hostile, format)
      expect(text, format).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/)
      if (format !== 'json') expect(text, format).toContain('Задержаны 007 ,ытамлА x ')
    }
  })
})
