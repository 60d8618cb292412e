// `vigil news scan` in-process on saved files: a windows-1251 feed, an HTML listing read with selectors
// given on the command line or by a configured source, and a page given where a feed was expected.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { runCli } from '@vigil/vigil'
import { afterAll, describe, expect, it } from 'vitest'
import {
  closeAll,
  encodeWindows1251,
  feedRoute,
  kazakhDetentions,
  rss,
  russianDetentions,
  startOutlet,
} from './support.js'

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-news-scan-'))
afterAll(async () => {
  await closeAll()
  rmSync(dir, { recursive: true, force: true })
})

const base = 'https://outlet.example'
const feedFile = path.join(dir, 'ru.xml')
writeFileSync(feedFile, encodeWindows1251(rss('Новости', russianDetentions(base), 'windows-1251')))
const pageFile = path.join(dir, 'listing.html')
writeFileSync(
  pageFile,
  `<!doctype html><html><head><meta charset="utf-8"><title>Новости</title></head><body>
<article><h2>${kazakhDetentions(base)[0]!.title}</h2><a href="/kk/1">толығырақ</a>
  <time datetime="2019-07-06T14:00:00+06:00">6 шілде</time><p>${kazakhDetentions(base)[0]!.description}</p></article>
<article><h3>Көкөніс бағасы төмендеді</h3><a href="/kk/2">толығырақ</a><p>Базарда көкөніс арзандады.</p></article>
</body></html>`,
)

async function run(...argv: string[]) {
  let stdout = ''
  let stderr = ''
  const code = await runCli(
    argv,
    {},
    { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) },
  )
  return { code, stdout, stderr }
}

const lines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))

describe('vigil news scan', () => {
  it('prints one JSON object per item of a windows-1251 feed, cities in the config’s names', async () => {
    const result = await run('news', 'scan', feedFile, '--json')
    expect(result.code).toBe(0)
    const items = lines(result.stdout)
    expect(items).toHaveLength(4)
    expect(items[0]).toMatchObject({
      title: 'В Алматы задержаны около 700 участников митинга',
      link: `${base}/news/2019/07/06/almaty`,
      published: '2019-07-06T06:00:00.000Z',
      language: 'ru',
      detention: true,
      counts: [{ value: 700, qualifier: 'approx' }],
      cities: ['Almaty'],
    })
    expect(items[0].score).toBeGreaterThanOrEqual(0.5)
    expect(items[0].evidence).toMatch(/задерж/)
    // "Астане" is reported under the shipped config's canonical name.
    expect(items[1]).toMatchObject({ detention: true, cities: ['Nur-Sultan'] })
    expect(items[2]).toMatchObject({ detention: false, counts: [] })
    // Crime news with "задержала" is not a detention report.
    expect(items[3]).toMatchObject({ detention: false })
  })

  it('fetches a feed given by URL', async () => {
    const outlet = await startOutlet()
    outlet.route(
      '/ru.rss',
      // No charset in the header: the prolog's windows-1251 decides.
      feedRoute(encodeWindows1251(rss('Новости', russianDetentions(base), 'windows-1251')), {
        contentType: 'application/rss+xml',
      }),
    )
    const result = await run('news', 'scan', `${outlet.url}/ru.rss`, '--json')
    expect(result.code).toBe(0)
    expect(lines(result.stdout).map((item) => item.detention)).toEqual([true, true, false, false])
    const missing = await run('news', 'scan', `${outlet.url}/gone.rss`)
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('http_status: HTTP 404')
  })

  it('reads an HTML listing with selectors from the command line or from a configured source', async () => {
    const given = await run('news', 'scan', pageFile, '--json', '--selectors', 'item=article,title=h2,link=a')
    expect(given.code).toBe(0)
    const [first] = lines(given.stdout)
    expect(first).toMatchObject({ language: 'kk', detention: true, cities: ['Almaty'] })
    expect(first.counts).toEqual([{ value: 500, qualifier: 'approx' }])

    // The shipped config's vlast source: article items, h2 or h3 titles, links resolved against its site.
    const configured = await run('news', 'scan', pageFile, '--source', 'vlast')
    expect(configured.code).toBe(0)
    expect(configured.stdout.split('\n')[0]).toMatch(/^DETENTION .* kk .*\[Almaty; about 500\]$/)
    expect(configured.stdout).toContain('Көкөніс бағасы төмендеді')
    expect(configured.stderr).toContain('2 items, 1 detention reports')
  })

  it('names the problem when a page is given where a feed was expected, or the command is incomplete', async () => {
    const page = await run('news', 'scan', pageFile)
    expect(page.code).toBe(1)
    expect(page.stderr).toContain('feed_is_html')
    expect((await run('news')).code).toBe(2)
    expect((await run('news', 'scan')).code).toBe(2)
    const unknown = await run('news', 'scan', pageFile, '--source', 'nowhere')
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('no news source "nowhere"')
  })
})
