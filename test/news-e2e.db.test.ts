// End to end for a news source as outlets really publish them: a feed that is not well-formed (a bare `&`
// in a link), declares windows-1251 in its HTTP header and prolog over UTF-8 bytes, dates its items
// day-first without an offset or with Russian names, resolves its links through xml:base, and gives every
// item the same GUID. It grows by one item per poll, as a live feed does. `vigil start` must email one
// detention report per real report, each with its own link, day and per-city figures, and nothing else.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createTestDatabase } from '@vigil/store/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type SmtpSink, startSmtp } from '../packages/notify/test/support.js'
import { spawnVigil } from './support/vigil-process.js'
import { waitFor } from './support/wait.js'

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-news-e2e-'))
let smtp: SmtpSink
let database: Awaited<ReturnType<typeof createTestDatabase>>
let outlet: Server
let outletUrl: string
let requests = 0

// The CMS writes the site root as every item's GUID (feedbin/support#573).
const GUID = '<guid isPermaLink="false">https://news.example.kz/</guid>'
const ITEMS = [
  // Relative link with a bare `&`, resolved against the channel's xml:base; day-first date without an
  // offset, which is the outlet's local time (Aktobe, UTC+5 in 2019).
  `<item>
    <title>В Актобе задержаны участники митинга</title>
    <link>index.php?id=77&lang=ru</link>
    ${GUID}
    <description>9 июня в Актобе полиция задержала более 40 участников несанкционированного митинга.</description>
    <pubDate>09.06.2019 13:40:00</pubDate>
  </item>`,
  // Its own xml:base; a Russian date with an abbreviated day and month.
  `<item xml:base="https://regional.example.kz/news/">
    <title>В Караганде задержан журналист, снимавший акцию протеста</title>
    <link>karaganda-journalist</link>
    ${GUID}
    <description>Журналиста Ивана Петрова задержали в Караганде во время акции протеста.</description>
    <pubDate>вс, 9 июн. 2019 15:20:00 +0600</pubDate>
  </item>`,
  // Not a detention report: stored, never emailed.
  `<item>
    <title>Погода в Актобе: жара до плюс 35</title>
    <link>weather?day=10</link>
    ${GUID}
    <description>В понедельник в Актобе ожидается жаркая погода.</description>
    <pubDate>10.06.2019 08:00:00</pubDate>
  </item>`,
  // Counts per city, the next day.
  `<item>
    <title>Задержания на акциях протеста 10 июня</title>
    <link>2019/06/10/rallies</link>
    ${GUID}
    <description>Полиция задержала участников акций протеста в нескольких городах. Наибольшее число задержанных — в Нур-Султане (более 300), Алматы (более 200) и Шымкенте (более 50).</description>
    <pubDate>Mon, 10 Jun 2019 21:05:00 ALMT</pubDate>
  </item>`,
]

/** The feed after `count` items were published, newest first; the prolog lies about the charset. */
function feed(count: number): Buffer {
  const items = ITEMS.slice(0, count).reverse().join('\n')
  return Buffer.from(
    `<?xml version="1.0" encoding="windows-1251"?>
<rss version="2.0"><channel xml:base="https://news.example.kz/ru/">
<title>Региональные новости</title><link>https://news.example.kz/</link>
${items}
</channel></rss>`,
    'utf8',
  )
}

beforeAll(async () => {
  smtp = await startSmtp()
  database = await createTestDatabase({ migrated: false })
  outlet = createServer((request, response) => {
    if (request.url !== '/feed.xml') {
      response.writeHead(404).end()
      return
    }
    requests++
    response.writeHead(200, { 'content-type': 'application/rss+xml; charset=windows-1251' })
    response.end(feed(Math.min(requests, ITEMS.length)))
  })
  await new Promise<void>((resolve) => outlet.listen(0, '127.0.0.1', resolve))
  outletUrl = `http://127.0.0.1:${(outlet.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise<void>((resolve) => outlet.close(() => resolve()))
  await smtp.close()
  await database.drop()
  rmSync(dir, { recursive: true, force: true })
})

function config(): string {
  return [
    'country: KZ',
    'vantage: { id: de-outside, role: outside, country: DE, network: { asn: 24940 } }',
    'regions:',
    '  - { name: Aktobe, timeZone: Asia/Aqtobe }',
    '  - { name: Karaganda, timeZone: Asia/Almaty }',
    '  - { name: Nur-Sultan, timeZone: Asia/Almaty, aliases: [Astana, Нур-Султан, Астана] }',
    '  - { name: Almaty, timeZone: Asia/Almaty }',
    '  - { name: Shymkent, timeZone: Asia/Almaty }',
    'targetGroups:',
    '  - name: control',
    '    purpose: control',
    '    probes: [tcp]',
    '    interval: 1h',
    '    rallyInterval: 1h',
    '    targets:',
    `      - { name: outlet, url: '${outletUrl}/' }`,
    'news:',
    '  interval: 2s',
    '  rallyInterval: 2s',
    '  timeout: 2s',
    '  sources:',
    `    - { name: regional, type: rss, url: '${outletUrl}/feed.xml', language: ru, region: Aktobe }`,
    'alerts:',
    '  receivers:',
    '    - { name: press, email: [press@example.org] }',
    '  routes:',
    '    - { receiver: press, kinds: [detention_report], groupWait: 0s, rallyGroupWait: 0s, groupInterval: 5s, repeatInterval: 4h, sendResolved: false }',
    'smtp:',
    '  host: 127.0.0.1',
    `  port: ${smtp.port}`,
    '  secure: false',
    '  from: Vigil <vigil@example.org>',
    '',
  ].join('\n')
}

it('emails one detention report per real report from a broken, mislabelled, GUID-reusing feed', {
  timeout: 180_000,
}, async () => {
  const file = path.join(dir, 'vigil.yaml')
  writeFileSync(file, config())
  const vigil = await spawnVigil({
    args: ['start', '--config', file, '--port', '0'],
    connection: database.connection,
  })
  try {
    await waitFor('three detention emails', () => smtp.received.length >= 3, 120_000, 250)
    // Every item is out and the feed was read twice more: no fourth email comes (the weather item, the
    // items seen again under the same GUID).
    const servedAll = requests
    await waitFor('two more polls', () => requests >= Math.max(servedAll, ITEMS.length) + 2, 60_000, 250)
    await waitFor(
      'the api to list the source as read',
      async () => {
        const sources = (await (await vigil.get(`/v1/sources`)).json()) as {
          sources: Array<{ itemsSeen: number }>
        }
        return sources.sources[0]?.itemsSeen === ITEMS.length
      },
      30_000,
      250,
    )
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    expect(smtp.received.map((mail) => mail.subject)).toHaveLength(3)

    const bySubject = (pattern: RegExp) => {
      const mail = smtp.received.find((candidate) => pattern.test(candidate.subject))
      expect(mail, `an email matching ${pattern}; got ${smtp.received.map((m) => m.subject)}`).toBeDefined()
      return mail!
    }
    const aktobe = bySubject(/Detentions reported: at least 40 in Aktobe on 2019-06-09$/)
    expect(aktobe.text).toContain('<https://news.example.kz/ru/index.php?id=77&lang=ru>')
    expect(aktobe.text).toContain('  Date: 2019-06-09')
    expect(aktobe.text).toContain('  Per city: Aktobe: at least 40')

    const karaganda = bySubject(/Detentions reported: detentions in Karaganda on 2019-06-09$/)
    expect(karaganda.text).toContain('<https://regional.example.kz/news/karaganda-journalist>')
    expect(karaganda.text).not.toContain('Per city')

    const cities = bySubject(/Detentions reported: .* on 2019-06-10$/)
    expect(cities.text).toContain('<https://news.example.kz/ru/2019/06/10/rallies>')
    expect(cities.text).toContain('  Date: 2019-06-10')
    expect(cities.text).toContain(
      '  Per city: Nur-Sultan: at least 300; Almaty: at least 200; Shymkent: at least 50',
    )
    for (const mail of smtp.received) expect(mail.text).not.toContain('weather')

    // The source is flagged for what it is: read in part, GUIDs reused, charset taken from the bytes.
    const { sources } = (await (await vigil.get(`/v1/sources`)).json()) as {
      sources: Array<Record<string, unknown>>
    }
    expect(sources[0]).toMatchObject({
      name: 'regional',
      state: 'degraded',
      itemsSeen: ITEMS.length,
      degraded: { code: 'feed_malformed', itemsRecovered: ITEMS.length },
      guidCollisions: ITEMS.length - 1,
      guidsCollide: true,
      charset: { name: 'utf-8' },
    })
    expect(String((sources[0]!.charset as { reason: string }).reason)).toMatch(/valid UTF-8/)
    const metrics = await (await vigil.get('/metrics')).text()
    expect(metrics).toContain(
      `vigil_feed_dedup_decisions_total{source="regional",decision="guid_reused"} ${ITEMS.length - 1}`,
    )
    expect(metrics).toContain('vigil_feed_degraded{source="regional",reason="feed_malformed"} 1')
  } finally {
    expect(await vigil.stop('SIGTERM')).toBe(0)
  }
})
