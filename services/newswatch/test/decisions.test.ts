// Newswatch's pure decisions on data: what it takes from the config (gazetteer in the config's names,
// vocabulary, cadence around rallies), which report an item joins, and the incident a report raises.
import { parseConfig } from '@vigil/config'
import { analyzeItem, findCities, toClusterCandidate } from '@vigil/news'
import {
  configGazetteer,
  configVocabulary,
  decideCluster,
  describeCount,
  reportIncident,
  reportLevel,
  sourceInterval,
  toNewsSource,
  utcOffsetMinutes,
} from '@vigil/newswatch'
import type { NewsItemRecord, ReportWithItems } from '@vigil/store'
import { describe, expect, it } from 'vitest'
import { newsConfig, newsConfigYaml } from './support.js'

const config = newsConfig([
  { name: 'wire', url: 'https://wire.example/rss' },
  {
    name: 'listing',
    type: 'html',
    url: 'https://listing.example/news/',
    encoding: 'windows-1251',
    html: { item: 'article', title: 'h2', link: 'a', date: 'time', dateAttribute: 'datetime' },
  },
])

describe('what newswatch takes from the config', () => {
  it('reports cities under the config’s canonical names, with every inflected form of the package', () => {
    const gazetteer = configGazetteer(config)
    expect(findCities('Митинг в Астане и в Алматы', gazetteer)).toEqual(['Nur-Sultan', 'Almaty'])
    expect(findCities('Protest in Astana', gazetteer)).toEqual(['Nur-Sultan'])
    expect(findCities('Оралда наразылық', gazetteer)).toEqual(['Uralsk'])
    // Cities the config does not declare keep the package's names.
    expect(findCities('В Таразе задержали', gazetteer)).toEqual(['Taraz'])
    const withRegion = parseConfig(
      newsConfigYaml([]).replace(
        'regions:\n',
        'regions:\n  - name: Baikonur\n    timeZone: Asia/Qyzylorda\n    aliases: [Байконур]\n',
      ),
      'test.yaml',
      {},
    )
    expect(findCities('Акция в Байконуре', configGazetteer(withRegion))).toEqual(['Baikonur'])
  })

  it('maps sources and vocabulary to what the news package reads', () => {
    expect(toNewsSource(config.news.sources[0]!)).toEqual({
      id: 'wire',
      url: 'https://wire.example/rss',
      kind: 'feed',
      // No region given: the monitored country's first region's zone, never the monitor's own.
      timeZone: 'Asia/Almaty',
    })
    expect(toNewsSource(config.news.sources[1]!)).toEqual({
      id: 'listing',
      url: 'https://listing.example/news/',
      kind: 'html',
      charset: 'windows-1251',
      timeZone: 'Asia/Almaty',
      selectors: { item: 'article', title: 'h2', link: 'a', date: 'time' },
    })
    expect(configVocabulary(config)).toBeUndefined()
    const shipped = parseConfig(
      `${newsConfigYaml([])}  vocabulary:\n    ru:\n      detention: ['этапирован\\p{L}*']\n      context: ['ДВК']\n    en:\n      exclude: ['poach\\p{L}*']\n`,
      'test.yaml',
      {},
    )
    const vocabulary = configVocabulary(shipped)!
    expect(vocabulary).toEqual({
      detention: ['этапирован\\p{L}*'],
      eventContext: ['ДВК'],
      crime: ['poach\\p{L}*'],
    })
    // Neither the word nor the movement is in the built-in vocabulary: the config's patterns decide.
    const item = { title: 'Сторонник ДВК этапирован в Алматы' }
    expect(analyzeItem(item, { gazetteer: configGazetteer(shipped) }).detention).toBe(false)
    expect(
      analyzeItem(item, { extraVocabulary: vocabulary, gazetteer: configGazetteer(shipped) }).detention,
    ).toBe(true)
  })

  it('polls faster while any rally window is open, whatever city it is in', () => {
    const rally = parseConfig(
      `${newsConfigYaml([{ name: 'wire', url: 'https://wire.example/rss' }])}rallies:\n  - name: July 6\n    city: Almaty\n    start: 2019-07-06T10:00\n    end: 2019-07-06T18:00\n`,
      'test.yaml',
      {},
    )
    const source = rally.news.sources[0]!
    expect(sourceInterval(rally, source, new Date('2019-07-06T05:00:00Z'))).toBe(60_000)
    expect(sourceInterval(rally, source, new Date('2019-07-05T05:00:00Z'))).toBe(600_000)
  })

  it('knows the country’s UTC offset at the time of publication', () => {
    expect(utcOffsetMinutes('Asia/Almaty', new Date('2019-07-06T12:00:00Z'))).toBe(360)
    expect(utcOffsetMinutes('Asia/Almaty', new Date('2025-07-06T12:00:00Z'))).toBe(300)
    expect(utcOffsetMinutes('UTC', new Date('2019-07-06T12:00:00Z'))).toBe(0)
  })
})

function storedItem(id: number, source: string, input: { title: string; published: string }): NewsItemRecord {
  const analysis = analyzeItem(input, { gazetteer: configGazetteer(config) })
  return {
    id,
    source,
    guid: `${source}-${id}`,
    canonicalUrl: `https://${source}.example/${id}`,
    title: input.title,
    link: `https://${source}.example/${id}`,
    publishedAt: new Date(input.published),
    language: analysis.language,
    detention: analysis.detention,
    score: analysis.score,
    counts: analysis.counts,
    cities: analysis.cities,
    dates: analysis.dates,
    people: analysis.people,
    evidence: analysis.evidence,
    fetchedAt: new Date(input.published),
  }
}

function candidateOf(input: { title: string; published: string }) {
  const analysis = analyzeItem(input, { gazetteer: configGazetteer(config) })
  return toClusterCandidate(input, analysis, { utcOffsetMinutes: 360 })
}

const almatyItem = storedItem(1, 'ru', {
  title: 'В Алматы задержаны около 700 участников митинга',
  published: '2019-07-06T06:00:00Z',
})
const almatyReport: ReportWithItems = {
  id: 7,
  day: '2019-07-06',
  cities: ['Almaty'],
  maxCount: { value: 700, qualifier: 'approx' },
  counts: [{ value: 700, qualifier: 'approx' }],
  cityCounts: [],
  language: 'ru',
  title: almatyItem.title,
  evidence: almatyItem.evidence,
  people: [],
  firstSeenAt: new Date('2019-07-06T06:05:00Z'),
  updatedAt: new Date('2019-07-06T06:05:00Z'),
  version: 1,
  items: [almatyItem],
}

describe('clustering and incidents', () => {
  it('joins the same event from another outlet, and calls a higher count an update', () => {
    const lower = candidateOf({
      title: 'Алматыда 500-ге жуық адам митингте ұсталды',
      published: '2019-07-06T08:00:00Z',
    })
    expect(decideCluster(lower, [almatyReport])).toMatchObject({ kind: 'join', countUpdate: false })
    const higher = candidateOf({
      title: 'Almaty: nearly 1,000 protesters detained',
      published: '2019-07-06T12:00:00Z',
    })
    expect(decideCluster(higher, [almatyReport])).toMatchObject({ kind: 'join', countUpdate: true })
    const elsewhere = candidateOf({
      title: 'В Астане задержали 20 участников митинга',
      published: '2019-07-06T08:00:00Z',
    })
    expect(decideCluster(elsewhere, [almatyReport])).toEqual({ kind: 'new' })
    const otherDay = candidateOf({
      title: 'В Алматы задержали 30 участников митинга',
      published: '2019-06-09T08:00:00Z',
    })
    expect(decideCluster(otherDay, [almatyReport])).toEqual({ kind: 'new' })
  })

  it('raises a warning, or a critical incident from 100 detained, with every source as evidence', () => {
    expect(reportLevel({ maxCount: null })).toBe('warning')
    expect(reportLevel({ maxCount: { value: 99, qualifier: 'exact' } })).toBe('warning')
    expect(reportLevel({ maxCount: { value: 100, qualifier: 'at_least' } })).toBe('critical')
    expect(describeCount({ value: 300, qualifier: 'at_least' })).toBe('at least 300')
    expect(describeCount({ value: 40, qualifier: 'up_to' })).toBe('up to 40')

    const at = new Date('2019-07-07T00:00:00Z')
    const signal = reportIncident({ ...almatyReport, version: 2 }, at)
    expect(signal).toMatchObject({
      identity: 'detention_report|7',
      kind: 'detention_report',
      scopeType: 'report',
      scope: '7',
      region: 'Almaty',
      level: 'critical',
      state: 'firing',
      summary: 'Updated detention report: about 700 detained in Almaty on 2019-07-06 (1 source)',
      at,
    })
    expect(signal.evidence).toMatchObject({
      version: 2,
      update: true,
      counts: [{ value: 700, qualifier: 'approx' }],
      sources: [{ source: 'ru', url: 'https://ru.example/1', title: almatyItem.title }],
    })
  })
})
