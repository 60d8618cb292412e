// Item identity when the publisher controls it: a GUID reused for different articles is several items,
// a GUID that comes back with its own link or title is the same item, the same article in two feeds is
// one; every decision is counted per source and a source whose GUIDs collide is flagged.
import { createMetricsRegistry, type Registry } from '@vigil/metrics'
import { createNewswatch } from '@vigil/newswatch'
import { listSources, queryReports } from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeAll, feedRoute, newsConfig, type Outlet, rss, startOutlet } from './support.js'

let store: TestStore
let outlet: Outlet
let registry: Registry

beforeAll(async () => {
  store = await openTestStore()
  outlet = await startOutlet()
  registry = createMetricsRegistry({ version: 'test', defaultMetrics: false })
})
afterAll(async () => {
  await closeAll()
  await store.close()
})

async function metricValue(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name)
  const value = (
    metric?.values as Array<{ labels: Record<string, string>; value: number }> | undefined
  )?.find((v) => Object.entries(labels).every(([key, wanted]) => String(v.labels[key]) === wanted))
  return value?.value
}

const aktobe = (base: string) => ({
  guid: 'https://regional.example.kz/',
  title: 'В Актобе задержаны участники митинга',
  link: `${base}/news/aktobe`,
  description: 'Полиция задержала более 40 участников несанкционированного митинга в Актобе.',
  pubDate: 'Sun, 09 Jun 2019 12:00:00 +0500',
})
const karaganda = (base: string) => ({
  guid: 'https://regional.example.kz/',
  title: 'В Караганде задержан журналист, снимавший акцию протеста',
  link: `${base}/news/karaganda`,
  description: 'Журналиста задержали в Караганде во время акции протеста.',
  pubDate: 'Sun, 09 Jun 2019 15:00:00 +0600',
})

describe('item identity', () => {
  it('keeps articles that share a GUID apart, and recognises each when it comes back', async () => {
    const base = outlet.url
    let edition = 1
    outlet.route('/regional.rss', (request, response) => {
      const items =
        edition === 1
          ? [aktobe(base), karaganda(base)]
          : // Next edition: Aktobe's title was edited (same link), Karaganda's link moved (same title).
            [
              { ...aktobe(base), title: 'В Актобе задержаны более 40 участников митинга' },
              { ...karaganda(base), link: `${base}/news/karaganda?amp=1` },
            ]
      feedRoute(rss('Региональные новости', items))(request, response)
    })
    // A wire that republishes the Aktobe article under its own GUID: the same article, by its URL.
    outlet.route(
      '/wire.rss',
      feedRoute(
        rss('Wire', [{ ...aktobe(base), guid: 'wire-1', link: `${base}/news/aktobe?utm_source=wire` }]),
      ),
    )
    const config = newsConfig([
      { name: 'regional', url: `${base}/regional.rss` },
      { name: 'wire', url: `${base}/wire.rss` },
    ])
    const newswatch = createNewswatch({ config, sql: store.sql, registry })
    const first = await newswatch.runOnce()
    edition = 2
    const second = await newswatch.runOnce()
    await newswatch.stop()

    const polls = Object.fromEntries(first.polls.map((poll) => [poll.source, poll.newItems]))
    expect(polls.regional).toBe(2)
    expect(second.polls.every((poll) => poll.newItems === 0)).toBe(true)
    expect(first.alerts).toHaveLength(2)
    expect(second.alerts).toEqual([])

    const reports = await queryReports(store.sql, { limit: 10 })
    expect(reports.map((report) => report.cities).sort()).toEqual([['Aktobe'], ['Karaganda']])

    const sources = Object.fromEntries((await listSources(store.sql)).map((source) => [source.name, source]))
    expect(sources.regional).toMatchObject({ itemsSeen: 2, guidCollisions: 1 })
    expect(sources.wire).toMatchObject({ itemsSeen: 0, guidCollisions: 0 })

    const decision = (source: string, name: string) =>
      metricValue('vigil_feed_dedup_decisions_total', { source, decision: name })
    expect(await decision('regional', 'new')).toBe(1)
    expect(await decision('regional', 'guid_reused')).toBe(1)
    expect(await decision('regional', 'same_guid')).toBe(2)
    // Sources of one round are stored in the config's order, so the regional feed stored the article first
    // and the wire's copy was recognised by its canonical URL, in both rounds.
    expect(await decision('wire', 'same_url')).toBe(2)
  })

  it('files an item dated in the future by its fetch time, keeping the date it gave, flagged', async () => {
    const base = outlet.url
    outlet.route(
      '/future.rss',
      feedRoute(
        rss('Future', [
          {
            guid: 'future-1',
            title: 'В Таразе задержаны участники митинга',
            link: `${base}/news/taraz`,
            description: 'Полиция задержала участников несанкционированного митинга в Таразе.',
            pubDate: '01.01.2031 10:00',
          },
        ]),
      ),
    )
    const config = newsConfig([{ name: 'future', url: `${base}/future.rss` }])
    const newswatch = createNewswatch({ config, sql: store.sql })
    const before = new Date()
    const run = await newswatch.runOnce()
    const after = new Date()
    await newswatch.stop()
    expect(run.alerts).toHaveLength(1)
    const [report] = await queryReports(store.sql, { limit: 1, city: 'Taraz' })
    // The local (Almaty) day of the fetch, not 2031.
    const localDay = (at: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Almaty' }).format(at)
    expect([localDay(before), localDay(after)]).toContain(report!.day)
    expect(report!.items[0]).toMatchObject({
      dateIssue: 'future',
      publishedAt: new Date('2031-01-01T05:00:00Z'),
    })
  })
})
