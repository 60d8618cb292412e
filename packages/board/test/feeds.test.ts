// Feeds and pages from hostile text: markup and control characters in titles never break out.
import Parser from 'rss-parser'
import { describe, expect, it } from 'vitest'
import { renderAtom, renderRss } from '../src/feeds.js'
import type { PublicEntry } from '../src/public-status.js'
import { renderBoardMain } from '../src/render.js'
import { safeLink } from '../src/snapshot.js'

const HOSTILE = [
  '</title><script>alert(1)</script>',
  'Tom & Jerry "quoted" \'single\'',
  'bell\u0007 and form feed\u000c in a title',
  ']]> <![CDATA[ x',
]

function entry(title: string, index: number): PublicEntry {
  return {
    id: `urn:uuid:00000000-0000-5000-8000-00000000000${index}`,
    anchor: `report-${index}`,
    type: 'detention_report',
    title,
    regions: ['Almaty'],
    country: 'KZ',
    published: '2019-06-09T04:00:00.000Z',
    updated: `2019-06-09T0${index}:00:00.000Z`,
    resolved: null,
    lines: [title],
    links: [{ title, url: 'https://example.org/a?b=1&c=2' }],
  }
}

const info = {
  title: 'Status & <feeds>',
  selfUrl: 'https://status.example.org/status/feeds/country/KZ.atom',
  pageUrl: 'https://status.example.org/status',
  generatedAt: '2019-06-09T10:00:00.000Z',
}

describe('feeds', () => {
  it('keep hostile titles as text in Atom and RSS', async () => {
    const entries = HOSTILE.map(entry)
    const parser = new Parser()
    const atom = await parser.parseString(renderAtom(info, entries))
    const rss = await parser.parseString(renderRss(info, entries))
    expect(atom.title).toBe('Status & <feeds>')
    expect(atom.items.map((item) => item.title)).toEqual(
      HOSTILE.map((title) => title.replace(/[\u0007\u000c]/g, '')),
    )
    expect(rss.items.map((item) => item.title)).toEqual(
      HOSTILE.map((title) => title.replace(/[\u0007\u000c]/g, '')),
    )
  })

  it('give the newest entry time as the Atom feed update, and the build time when empty', () => {
    expect(renderAtom(info, HOSTILE.map(entry))).toContain(
      '<updated>2019-06-09T03:00:00.000Z</updated>\n<author>',
    )
    expect(renderAtom(info, [])).toContain('<updated>2019-06-09T10:00:00.000Z</updated>')
  })
})

describe('links from feeds shown on the board', () => {
  it('keep only http and https links', () => {
    expect(safeLink('javascript:alert(1)')).toBeNull()
    expect(safeLink('data:text/html,<b>x</b>')).toBeNull()
    expect(safeLink('not a url')).toBeNull()
    expect(safeLink('https://vlast.kz/news/1')).toBe('https://vlast.kz/news/1')
  })

  it('escape hostile report titles and sources on the board', () => {
    const html = renderBoardMain({
      name: 'x',
      country: 'KZ',
      generatedAt: '2019-06-09T10:00:00.000Z',
      regions: [],
      incidents: [],
      reports: [
        {
          id: 1,
          day: null,
          title: HOSTILE[0]!,
          cities: ['<img src=x onerror=alert(1)>'],
          count: null,
          version: 1,
          updatedAt: '2019-06-09T10:00:00.000Z',
          history: [
            { source: '<b>src</b>', title: 't', url: null, count: null, at: '2019-06-09T10:00:00.000Z' },
          ],
        },
      ],
      sources: [],
      vantages: [],
      rallies: [],
    })
    expect(html).not.toContain('<script>')
    expect(html).not.toContain('<img')
    expect(html).not.toContain('<b>src')
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;')
  })
})
