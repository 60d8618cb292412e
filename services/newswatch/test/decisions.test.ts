// Newswatch's pure decisions on data: what it takes from the config (gazetteer in the config's names,
// vocabulary, cadence around rallies). Which report an item joins and the incident a report raises are
// decided in packages/news (its reports tests).
import { parseConfig } from '@vigil/config'
import { analyzeItem, findCities } from '@vigil/news'
import {
  configGazetteer,
  configVocabulary,
  sourceInterval,
  toNewsSource,
  utcOffsetMinutes,
} from '@vigil/newswatch'
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
