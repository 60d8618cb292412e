// Pure decisions the newswatch service builds on: clustering items into reports, count updates, item
// identity and per-source health.
import {
  type AnalyzeInput,
  analyzeItem,
  canonicalUrl,
  clusterKeys,
  eventSimilarity,
  type FetchResult,
  INITIAL_HEALTH,
  isCountUpdate,
  itemKey,
  nextHealth,
  sameEvent,
  toClusterCandidate,
} from '@vigil/news'
import { describe, expect, it } from 'vitest'

function candidate(item: AnalyzeInput) {
  return toClusterCandidate(item, analyzeItem(item))
}

const almatyRu = candidate({
  title: 'В Алматы задержаны более 100 участников митинга',
  summary: 'Полиция задерживала участников несанкционированного митинга на площади.',
  published: '2019-07-06T08:00:00Z',
})
const almatyRu2 = candidate({
  title: 'Задержания на митинге в Алматы: число задержанных растёт',
  summary: 'Около 300 участников митинга задержаны, сообщают очевидцы.',
  published: '2019-07-06T12:00:00Z',
})
const almatyEn = candidate({
  title: 'About 300 detained at Almaty protest',
  summary: 'Police detained about 300 protesters in Almaty on Saturday.',
  published: '2019-07-06T13:00:00Z',
})
const astanaRu = candidate({
  title: 'В Нур-Султане задержаны участники митинга',
  summary: 'Полиция задержала около 200 человек.',
  published: '2019-07-06T09:00:00Z',
})
const almatyNextDay = candidate({
  title: 'В Алматы задержаны участники пикета',
  summary: 'Полиция задержала пятерых пикетчиков.',
  published: '2019-07-08T09:00:00Z',
})

describe('clustering', () => {
  it('files a report under one key per city and day', () => {
    expect(clusterKeys(almatyRu)).toEqual(['2019-07-06|Almaty'])
    expect(clusterKeys({ day: '2019-07-06', cities: ['Astana', 'Almaty'] })).toEqual([
      '2019-07-06|Astana',
      '2019-07-06|Almaty',
    ])
    expect(clusterKeys({ day: null, cities: [] })).toEqual(['undated|*'])
  })

  it('joins items about the same city and day, in one language or across languages', () => {
    expect(sameEvent(almatyRu, almatyRu2)).toBe(true)
    expect(sameEvent(almatyRu2, almatyEn)).toBe(true)
  })

  it('keeps other cities and other days apart', () => {
    expect(sameEvent(almatyRu, astanaRu)).toBe(false)
    expect(sameEvent(almatyRu, almatyNextDay)).toBe(false)
  })

  it('keeps apart two items that name different detained people', () => {
    const a = candidate({
      title: 'В Алматы задержан журналист Иван Петров на митинге',
      published: '2019-07-06T08:00:00Z',
    })
    const b = candidate({
      title: 'В Алматы задержана активистка Динара Есенова на митинге',
      published: '2019-07-06T09:00:00Z',
    })
    const aAgain = candidate({
      title: 'Журналиста Ивана Петрова задержали на митинге в Алматы',
      published: '2019-07-06T10:00:00Z',
    })
    expect(sameEvent(a, b)).toBe(false)
    expect(sameEvent(a, aAgain)).toBe(true)
  })

  it('keeps apart unrelated text in one language on the same city and day', () => {
    const court = candidate({
      title: 'Суд в Алматы арестовал блогера за пост в Facebook',
      published: '2019-07-06T15:00:00Z',
    })
    expect(eventSimilarity(almatyRu, court)).toBeLessThan(0.12)
    expect(sameEvent(almatyRu, court)).toBe(false)
  })

  it('dates a report by the day its evidence names, not the morning it was published', () => {
    const morningAfter = candidate({
      title: '6 июля в Алматы задержаны около 700 участников митинга',
      published: '2019-07-07T02:00:00Z',
    })
    expect(morningAfter.day).toBe('2019-07-06')
    expect(sameEvent(morningAfter, almatyRu)).toBe(true)
  })

  it('uses the local day of publication when told the offset', () => {
    const lateEvening = { title: 'В Алматы задержаны участники митинга', published: '2019-07-06T19:30:00Z' }
    expect(toClusterCandidate(lateEvening, analyzeItem(lateEvening)).day).toBe('2019-07-06')
    expect(toClusterCandidate(lateEvening, analyzeItem(lateEvening), { utcOffsetMinutes: 360 }).day).toBe(
      '2019-07-07',
    )
  })

  it('treats a higher head count as an update and a subset count as not', () => {
    expect(
      isCountUpdate([{ value: 100, qualifier: 'at_least' }], [{ value: 300, qualifier: 'approx' }]),
    ).toBe(true)
    expect(isCountUpdate([{ value: 700, qualifier: 'approx' }], [{ value: 10, qualifier: 'exact' }])).toBe(
      false,
    )
    expect(isCountUpdate([], [{ value: 10, qualifier: 'exact' }])).toBe(true)
    expect(isCountUpdate([{ value: 10, qualifier: 'exact' }], [])).toBe(false)
  })
})

describe('item identity', () => {
  it('canonicalises URLs', () => {
    expect(canonicalUrl('HTTPS://News.Example.KZ:443/a/b/?utm_source=tg&id=2&fbclid=x&a=1#comments')).toBe(
      'https://news.example.kz/a/b?a=1&id=2',
    )
    expect(canonicalUrl('mailto:x@example.kz')).toBeNull()
    expect(canonicalUrl('not a url')).toBeNull()
  })

  it('keys an item by GUID, or by canonical URL when the GUID is the link or missing', () => {
    expect(itemKey('azattyq', { guid: 'kz-1', link: 'https://x.kz/1' })).toBe('guid:azattyq:kz-1')
    expect(
      itemKey('azattyq', { guid: 'https://x.kz/1?utm_medium=rss', link: 'https://x.kz/1?utm_medium=rss' }),
    ).toBe('url:https://x.kz/1')
    expect(itemKey('azattyq', { guid: null, link: 'https://x.kz/1/' })).toBe('url:https://x.kz/1')
    expect(itemKey('azattyq', { guid: null, link: null })).toBeNull()
  })
})

describe('nextHealth', () => {
  const failure = (code: 'timeout' | 'feed_malformed'): Pick<FetchResult, 'status' | 'error'> => ({
    status: 'error',
    error: { code, message: code },
  })
  const t = (minute: number) => new Date(Date.UTC(2019, 6, 6, 6, minute))

  it('counts failures in a row, marks a source down at three and recovers on success or 304', () => {
    let health = nextHealth(null, { status: 'ok', error: null }, t(0))
    expect(health).toEqual({
      lastSuccessAt: t(0).toISOString(),
      lastErrorAt: null,
      lastError: null,
      consecutiveFailures: 0,
      state: 'ok',
      degraded: null,
    })
    health = nextHealth(health, failure('timeout'), t(1))
    expect(health).toMatchObject({
      consecutiveFailures: 1,
      state: 'failing',
      lastErrorAt: t(1).toISOString(),
    })
    health = nextHealth(health, failure('timeout'), t(2))
    health = nextHealth(health, failure('feed_malformed'), t(3))
    expect(health).toMatchObject({
      consecutiveFailures: 3,
      state: 'down',
      lastError: { code: 'feed_malformed' },
      lastSuccessAt: t(0).toISOString(),
    })
    health = nextHealth(health, { status: 'not_modified', error: null }, t(4))
    expect(health).toMatchObject({
      consecutiveFailures: 0,
      state: 'ok',
      lastSuccessAt: t(4).toISOString(),
      lastError: { code: 'feed_malformed' },
    })
  })

  it('starts from the initial health', () => {
    expect(INITIAL_HEALTH.state).toBe('unknown')
    expect(nextHealth(INITIAL_HEALTH, failure('timeout'), t(0)).state).toBe('failing')
  })
})
