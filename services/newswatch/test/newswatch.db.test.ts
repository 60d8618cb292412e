// Newswatch against loopback outlets: the real feeds from the shared data and hand-written detention feeds
// (one of them windows-1251) are stored once, clustered into reports that raise incidents, updated when a
// later item raises the count; broken and hostile sources are recorded in health without stopping the rest;
// the api serves the reports and the sources' health.
import { readdirSync, readFileSync } from 'node:fs'
import { bearer, buildApp } from '@vigil/api'
import { createMetricsRegistry, type Registry } from '@vigil/metrics'
import { createNewswatch, type NewswatchRun } from '@vigil/newswatch'
import { createApiKey, getSource, listSources, queryIncidents, queryReports } from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  closeAll,
  encodeWindows1251,
  englishUpdate,
  feedRoute,
  kazakhDetentions,
  newsConfig,
  type Outlet,
  rss,
  russianDetentions,
  type SourceSpec,
  startOutlet,
} from './support.js'

const feedsDir = new URL('../../../../shared/data/feeds/', import.meta.url)
const realFeeds = readdirSync(feedsDir).sort()
const slug = (name: string) => `real-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`

const wheat = (base: string) => ({
  guid: 'en-wheat',
  title: 'Kazakhstan expects a record wheat harvest',
  link: `${base}/en/wheat`,
  description: 'Farmers in the north of the country expect a record harvest this autumn.',
  pubDate: 'Fri, 05 Jul 2019 08:00:00 +0600',
})

let store: TestStore
let outlet: Outlet
let registry: Registry

beforeAll(async () => {
  store = await openTestStore()
  outlet = await startOutlet()
  registry = createMetricsRegistry({ version: 'test', defaultMetrics: false })
  for (const name of realFeeds) {
    outlet.route(
      `/real/${name}`,
      feedRoute(readFileSync(new URL(name, feedsDir)), {
        contentType: name.endsWith('.atom') ? 'application/atom+xml' : 'application/rss+xml',
      }),
    )
  }
  // windows-1251 bytes, declared only in the XML prolog, as many Russian-language outlets serve them.
  outlet.route(
    '/ru.rss',
    feedRoute(encodeWindows1251(rss('Новости Казахстана', russianDetentions(outlet.url), 'windows-1251')), {
      etag: '"ru-1"',
      contentType: 'application/rss+xml',
    }),
  )
  outlet.route('/kk.rss', feedRoute(rss('Қазақстан жаңалықтары', kazakhDetentions(outlet.url))))
  outlet.route('/en.rss', feedRoute(rss('Steppe Times', [wheat(outlet.url)])))
})

afterAll(async () => {
  await closeAll()
  await store.close()
})

const detentionSources = (): SourceSpec[] => [
  { name: 'ru-outlet', url: `${outlet.url}/ru.rss` },
  { name: 'kk-outlet', url: `${outlet.url}/kk.rss` },
  { name: 'en-outlet', url: `${outlet.url}/en.rss` },
]

function mainNewswatch() {
  const config = newsConfig([
    ...realFeeds.map((name) => ({
      name: slug(name),
      url: `${outlet.url}/real/${name}`,
      type: name.endsWith('.atom') ? ('atom' as const) : ('rss' as const),
    })),
    ...detentionSources(),
  ])
  return createNewswatch({ config, sql: store.sql, registry, now: () => new Date('2019-07-07T06:00:00Z') })
}

const pollOf = (run: NewswatchRun, source: string) => run.polls.find((poll) => poll.source === source)!

async function metricValue(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name)
  const value = (
    metric?.values as Array<{ labels: Record<string, string>; value: number }> | undefined
  )?.find((v) => Object.entries(labels).every(([key, wanted]) => String(v.labels[key]) === wanted))
  return value?.value
}

describe('newswatch', () => {
  it('stores every item once and raises one incident per detention report', async () => {
    const newswatch = mainNewswatch()
    const run = await newswatch.runOnce()
    await newswatch.stop()

    for (const name of realFeeds) {
      const poll = pollOf(run, slug(name))
      expect(poll, name).toMatchObject({ status: 'ok', error: null })
      // The one entry of this feed is empty: nothing to recognise it by next time, so nothing stored.
      if (name !== 'incomplete-fields.atom') expect(poll.newItems, name).toBeGreaterThan(0)
    }
    expect(pollOf(run, 'ru-outlet')).toMatchObject({ status: 'ok', items: 4, newItems: 4 })
    expect(pollOf(run, 'kk-outlet')).toMatchObject({ status: 'ok', items: 1, newItems: 1 })

    // The Almaty rally (Russian and Kazakh outlets) and the Nur-Sultan one: two reports, two incidents.
    expect(run.alerts).toHaveLength(2)
    expect(run.alerts.every((alert) => !alert.update && alert.version === 1)).toBe(true)
    const reports = await queryReports(store.sql, { limit: 10 })
    expect(reports.map((report) => [report.day, report.cities])).toEqual([
      ['2019-07-06', ['Almaty']],
      ['2019-06-09', ['Nur-Sultan']],
    ])
    const almaty = reports[0]!
    expect(almaty.maxCount).toEqual({ value: 700, qualifier: 'approx' })
    expect(almaty.items.map((item) => item.source).sort()).toEqual(['kk-outlet', 'ru-outlet'])
    // Decoded from windows-1251, not garbled.
    expect(almaty.items.find((item) => item.source === 'ru-outlet')!.title).toBe(
      'В Алматы задержаны около 700 участников митинга',
    )

    const incidents = await queryIncidents(store.sql, { kind: 'detention_report', limit: 10 })
    expect(incidents).toHaveLength(2)
    const almatyIncident = incidents.find((incident) => incident.scope === String(almaty.id))!
    expect(almatyIncident).toMatchObject({
      identity: `detention_report|${almaty.id}`,
      scopeType: 'report',
      region: 'Almaty',
      level: 'critical',
      state: 'firing',
    })
    expect(almatyIncident.evidence).toMatchObject({
      version: 1,
      update: false,
      day: '2019-07-06',
      cities: ['Almaty'],
      count: { value: 700, qualifier: 'approx' },
    })
    const links = (almatyIncident.evidence.sources as Array<{ url: string; title: string }>).map((s) => s.url)
    expect(links.sort()).toEqual([
      `${outlet.url}/kk/2019/07/06/almaty?utm_source=rss`,
      `${outlet.url}/news/2019/07/06/almaty`,
    ])
    const nurSultan = incidents.find((incident) => incident.region === 'Nur-Sultan')!
    expect(nurSultan.level).toBe('warning')
    expect(nurSultan.evidence.count).toEqual({ value: 50, qualifier: 'at_least' })

    expect(await metricValue('vigil_feed_fetch_success', { source: 'ru-outlet' })).toBe(1)
    expect(await metricValue('vigil_feed_items_total', { source: 'ru-outlet' })).toBe(4)
    expect(await metricValue('vigil_detention_reports_total', { update: 'false' })).toBe(2)
  })

  it('stores nothing new on a 304 or the same items, and sends the validators it was given', async () => {
    const newswatch = mainNewswatch()
    const run = await newswatch.runOnce()
    await newswatch.stop()

    expect(pollOf(run, 'ru-outlet')).toMatchObject({ status: 'not_modified', newItems: 0 })
    expect(outlet.requests.filter((r) => r.path === '/ru.rss').map((r) => r.ifNoneMatch)).toEqual([
      undefined,
      '"ru-1"',
    ])
    expect(run.polls.every((poll) => poll.newItems === 0)).toBe(true)
    expect(run.alerts).toEqual([])
    expect(await queryIncidents(store.sql, { kind: 'detention_report', limit: 10 })).toHaveLength(2)
    expect(await getSource(store.sql, 'ru-outlet')).toMatchObject({
      state: 'ok',
      etag: '"ru-1"',
      consecutiveFailures: 0,
      itemsSeen: 4,
    })
  })

  it('updates a report when a later item raises the count, and re-raises its incident as an update', async () => {
    outlet.route('/en.rss', feedRoute(rss('Steppe Times', [englishUpdate(outlet.url), wheat(outlet.url)])))
    const newswatch = mainNewswatch()
    const run = await newswatch.runOnce()
    await newswatch.stop()

    expect(pollOf(run, 'en-outlet')).toMatchObject({ status: 'ok', newItems: 1 })
    expect(run.alerts).toHaveLength(1)
    expect(run.alerts[0]).toMatchObject({ update: true, version: 2 })

    const [almaty] = await queryReports(store.sql, { city: 'Almaty', limit: 10 })
    expect(almaty).toMatchObject({ version: 2, maxCount: { value: 1000, qualifier: 'approx' } })
    expect(almaty!.items.map((item) => item.source)).toEqual(['ru-outlet', 'kk-outlet', 'en-outlet'])

    const incidents = await queryIncidents(store.sql, { kind: 'detention_report', limit: 10 })
    expect(incidents).toHaveLength(2)
    const updated = incidents.find((incident) => incident.scope === String(almaty!.id))!
    expect(updated.id).toBe(run.alerts[0]!.incidentId)
    expect(updated.evidence).toMatchObject({
      version: 2,
      update: true,
      count: { value: 1000, qualifier: 'approx' },
      evidence: expect.stringContaining('nearly 1,000'),
    })
    expect(updated.evidence.sources).toHaveLength(3)
    expect(updated.summary).toMatch(/^Updated detention report: about 1000 detained in Almaty on 2019-07-06/)
    expect(await metricValue('vigil_detention_reports_total', { update: 'true' })).toBe(1)
  })

  it('records broken and hostile sources in their health and still reads the others', async () => {
    const huge = `<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>${'<item><title>x</title></item>'.repeat(20_000)}</channel></rss>`
    const laughs = `<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<rss version="2.0"><channel><title>&c;</title><item><title>&c;</title></item></channel></rss>`
    outlet.route('/broken', (_request, response) => {
      response.writeHead(500, { 'content-type': 'text/plain' })
      response.end('internal error')
    })
    outlet.route(
      '/malformed',
      feedRoute('<?xml version="1.0"?><rss version="2.0"><channel><item><title>x</title'),
    )
    outlet.route('/hanging', () => {})
    outlet.route(
      '/page',
      feedRoute('<!doctype html><html><head><title>News</title></head><body><p>Новости</p></body></html>', {
        contentType: 'text/html; charset=utf-8',
      }),
    )
    outlet.route('/huge', feedRoute(huge))
    outlet.route('/laughs', feedRoute(laughs))
    outlet.route(
      '/good',
      feedRoute(
        rss('Good news', [
          {
            title: 'Uralsk opens a new bridge',
            link: `${outlet.url}/good/bridge`,
            description: 'The bridge over the Ural river opened on Friday.',
            pubDate: 'Fri, 05 Jul 2019 08:00:00 +0500',
          },
        ]),
      ),
    )
    // A link too long to be an identity is not stored, and costs the source's other items nothing.
    outlet.route(
      '/long-links',
      feedRoute(
        rss('Long links', [
          {
            title: 'A link of five thousand characters',
            link: `${outlet.url}/long/${'x'.repeat(5000)}`,
            description: 'Nothing to see.',
            pubDate: 'Fri, 05 Jul 2019 08:00:00 +0600',
          },
          {
            title: 'An ordinary link',
            link: `${outlet.url}/long/ordinary`,
            description: 'Nothing to see either.',
            pubDate: 'Fri, 05 Jul 2019 09:00:00 +0600',
          },
        ]),
      ),
    )
    const config = newsConfig([
      { name: 'long-links', url: `${outlet.url}/long-links` },
      { name: 'broken', url: `${outlet.url}/broken` },
      { name: 'malformed', url: `${outlet.url}/malformed` },
      { name: 'hanging', url: `${outlet.url}/hanging`, timeout: '300ms' },
      { name: 'page', url: `${outlet.url}/page` },
      { name: 'huge', url: `${outlet.url}/huge`, maxBytes: '64kB' },
      { name: 'laughs', url: `${outlet.url}/laughs` },
      { name: 'good', url: `${outlet.url}/good` },
    ])
    const newswatch = createNewswatch({ config, sql: store.sql, registry })
    const first = await newswatch.runOnce()
    const codes = Object.fromEntries(
      first.polls.map((poll) => [poll.source, poll.error?.code ?? poll.status]),
    )
    expect(codes).toEqual({
      broken: 'http_status',
      // Truncated in its only item's title: read as far as it goes, the item kept, the source degraded.
      malformed: 'ok',
      hanging: 'timeout',
      page: 'feed_is_html',
      huge: 'too_large',
      laughs: 'feed_entity_declaration',
      good: 'ok',
      'long-links': 'ok',
    })
    expect(pollOf(first, 'good').newItems).toBe(1)
    expect(pollOf(first, 'long-links')).toMatchObject({ items: 2, newItems: 1 })
    await newswatch.runOnce()
    await newswatch.runOnce()
    await newswatch.stop()

    const health = Object.fromEntries((await listSources(store.sql)).map((source) => [source.name, source]))
    expect(health.broken).toMatchObject({
      state: 'down',
      consecutiveFailures: 3,
      lastErrorCode: 'http_status',
      lastSuccessAt: null,
    })
    expect(health.broken!.lastError).toContain('500')
    expect(health.hanging).toMatchObject({ state: 'down', lastErrorCode: 'timeout' })
    expect(health.good).toMatchObject({ state: 'ok', consecutiveFailures: 0, itemsSeen: 1 })
    expect(health.malformed).toMatchObject({
      state: 'degraded',
      // The recovered item has neither GUID nor link: nothing to recognise it by, so it is not stored.
      itemsSeen: 0,
      degraded: { code: 'feed_malformed', line: 1, itemsRecovered: 1 },
    })
    expect(await metricValue('vigil_feed_degraded', { source: 'malformed', reason: 'feed_malformed' })).toBe(
      1,
    )
    expect(await metricValue('vigil_feed_items_recovered', { source: 'malformed' })).toBe(1)
    expect(await metricValue('vigil_feed_degraded', { source: 'good', reason: 'none' })).toBe(0)
    expect(await metricValue('vigil_feed_fetch_success', { source: 'broken' })).toBe(0)
    expect(await metricValue('vigil_feed_fetch_errors_total', { source: 'huge', reason: 'too_large' })).toBe(
      3,
    )
  })

  it('polls on its schedule once started and stops cleanly', async () => {
    const config = newsConfig([{ name: 'kk-outlet', url: `${outlet.url}/kk.rss` }])
    const newswatch = createNewswatch({ config, sql: store.sql })
    const before = outlet.requests.filter((r) => r.path === '/kk.rss').length
    newswatch.start()
    await expect
      .poll(() => outlet.requests.filter((r) => r.path === '/kk.rss').length, { timeout: 5_000 })
      .toBe(before + 1)
    await newswatch.stop()
    expect((await getSource(store.sql, 'kk-outlet'))!.lastFetchAt).not.toBeNull()
  })
})

describe('the api', () => {
  it('serves reports by day and city, with their sources, and rejects bad queries', async () => {
    const app = await buildApp({
      store,
      registry: createMetricsRegistry({ version: 'test', defaultMetrics: false }),
      version: 'test',
      logger: false,
    })
    const read = bearer((await createApiKey(store.sql, { name: 'test', scope: 'read' })).key)
    try {
      const almaty = await app.inject({ url: '/v1/reports?city=Almaty', headers: read })
      expect(almaty.statusCode).toBe(200)
      const [report] = almaty.json().reports
      expect(report).toMatchObject({
        day: '2019-07-06',
        cities: ['Almaty'],
        count: { value: 1000, qualifier: 'approx' },
        version: 2,
      })
      expect(report.sources.map((s: { source: string }) => s.source)).toEqual([
        'ru-outlet',
        'kk-outlet',
        'en-outlet',
      ])

      const june = await app.inject({
        url: '/v1/reports?from=2019-06-01&to=2019-06-30&limit=5',
        headers: read,
      })
      expect(june.json().reports.map((r: { cities: string[] }) => r.cities)).toEqual([['Nur-Sultan']])
      const sameDay = await app.inject({ url: '/v1/reports?from=2019-07-06&to=2019-07-06', headers: read })
      expect(sameDay.json().reports).toHaveLength(1)

      for (const query of ['from=6.7.2019', 'from=2019-07-07&to=2019-07-06', 'limit=0', 'colour=red']) {
        const bad = await app.inject({ url: `/v1/reports?${query}`, headers: read })
        expect(bad.statusCode, query).toBe(400)
        expect(bad.json().error).toBe('bad_request')
      }

      const sources = await app.inject({ url: '/v1/sources', headers: read })
      expect(sources.statusCode).toBe(200)
      const byName = Object.fromEntries(
        sources.json().sources.map((source: { name: string }) => [source.name, source]),
      )
      expect(byName['ru-outlet']).toMatchObject({ state: 'ok', lastError: null, itemsSeen: 4, type: 'rss' })
      expect(byName.broken).toMatchObject({
        state: 'down',
        consecutiveFailures: 3,
        lastError: { code: 'http_status' },
      })
    } finally {
      await app.close()
    }
  })
})
