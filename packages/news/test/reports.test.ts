// Decisions about stored detention reports, on items read by the real analysis: which report a new item
// joins (same event from another outlet, a higher count is an update), and the incident a report raises
// with every source as evidence.
import type { StoredDetentionReportWithItems, StoredNewsItem } from '@vigil/model'
import {
  analyzeItem,
  decideCluster,
  describeCount,
  reportIncident,
  reportLevel,
  toClusterCandidate,
} from '@vigil/news'
import { describe, expect, it } from 'vitest'

function storedItem(id: number, source: string, input: { title: string; published: string }): StoredNewsItem {
  const analysis = analyzeItem(input)
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
  const analysis = analyzeItem(input)
  return toClusterCandidate(input, analysis, { utcOffsetMinutes: 360 })
}

const almatyItem = storedItem(1, 'ru', {
  title: 'В Алматы задержаны около 700 участников митинга',
  published: '2019-07-06T06:00:00Z',
})
const almatyReport: StoredDetentionReportWithItems = {
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
