// News sources as outlets really publish them: broken XML read as far as it goes, charset declarations
// that lie, local dates in Russian, Kazakh and English, relative links with their own bases, and counts
// given per city. Each kind with several inputs written for it.
import {
  analyzeItem,
  decodeBody,
  extractCityCounts,
  FeedParseError,
  fetchSource,
  findCityMentions,
  looksLikeMojibake,
  type NewsSource,
  parseFeedDocument,
  parseHtmlListing,
  parsePublished,
  parseSourceBody,
} from '@vigil/news'
import iconv from 'iconv-lite'
import { afterAll, describe, expect, it } from 'vitest'
import { closeAll, serve } from './serve.js'

afterAll(closeAll)

const rss = (items: string, channelAttributes = '') =>
  `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel${channelAttributes}><title>Лента</title><link>https://news.example.kz/</link>
${items}
</channel></rss>`

const item = (title: string, link: string, extra = '') =>
  `<item><title>${title}</title><link>${link}</link>${extra}</item>`

const detentionA = 'В Нур-Султане задержаны журналисты, освещавшие акцию протеста'
const detentionB = 'В Алматы задержаны более 100 участников митинга'

describe('broken feeds are read as far as they go, and marked degraded', () => {
  const cases: { name: string; text: string; line: number; titles: string[]; code?: string }[] = [
    {
      name: 'a bare & in a link',
      text: rss(
        `${item(detentionA, 'https://news.example.kz/index.php?id=77&lang=ru')}\n${item(detentionB, 'https://news.example.kz/78')}`,
      ),
      line: 3,
      titles: [detentionA, detentionB],
    },
    {
      name: 'a bare & in a title',
      text: rss(
        `${item(detentionB, 'https://news.example.kz/78')}\n${item('Акции протеста & задержания', 'https://news.example.kz/79')}`,
      ),
      line: 4,
      titles: [detentionB, 'Акции протеста & задержания'],
    },
    {
      name: 'an undeclared entity',
      text: rss(
        `${item(detentionA, 'https://news.example.kz/77')}\n${item('Митинг &unknown; в Алматы', 'https://news.example.kz/80')}`,
      ),
      line: 4,
      titles: [detentionA, 'Митинг &unknown; в Алматы'],
    },
    {
      name: 'control characters',
      text: rss(
        `${item(detentionA, 'https://news.example.kz/77')}\n${item(`${detentionB}\u0001\u000b`, 'https://news.example.kz/78')}`,
      ),
      line: 4,
      titles: [detentionA, detentionB],
    },
    {
      name: 'a body truncated in its last item',
      text: rss(
        `${item(detentionA, 'https://news.example.kz/77')}\n${item(detentionB, 'https://news.example.kz/78')}`,
      ).slice(0, -40),
      line: 4,
      titles: [detentionA, detentionB],
    },
    {
      name: 'two root elements',
      text: `${rss(item(detentionA, 'https://news.example.kz/77'))}\n<rss version="2.0"><channel>${item(detentionB, 'https://news.example.kz/78')}</channel></rss>`,
      line: 5,
      titles: [detentionA],
    },
    {
      name: 'a feed inside an HTML page',
      text: `<!DOCTYPE html><html><head><title>Ошибка</title></head><body><pre>\n<rss version="2.0"><channel>${item(detentionA, 'https://news.example.kz/77')}</channel></rss></pre></body></html>`,
      line: 2,
      titles: [detentionA],
      code: 'feed_is_html',
    },
  ]
  for (const example of cases) {
    it(`keeps every good item of ${example.name}`, () => {
      const document = parseFeedDocument(example.text, { baseUrl: 'https://news.example.kz/rss' })
      expect(document.items.map((entry) => entry.title)).toEqual(example.titles)
      expect(document.degraded).toMatchObject({
        code: example.code ?? 'feed_malformed',
        line: example.line,
        itemsRecovered: example.titles.length,
      })
    })
  }

  it('keeps the link with its bare & whole', () => {
    const document = parseFeedDocument(cases[0]!.text)
    expect(document.items[0]!.link).toBe('https://news.example.kz/index.php?id=77&lang=ru')
    expect(analyzeItem(document.items[0]!).detention).toBe(true)
  })

  it('reads a well-formed feed, HTML entities included, without a degraded mark', () => {
    const document = parseFeedDocument(
      rss(item('Митинг &laquo;Оян&raquo;&nbsp;в Алматы', 'https://news.example.kz/1')),
    )
    expect(document.degraded).toBeNull()
    expect(document.items[0]!.title).toBe('Митинг «Оян» в Алматы')
  })

  it('fails closed when nothing can be recovered', () => {
    const codeOf = (text: string) => {
      try {
        parseFeedDocument(text)
        return 'parsed'
      } catch (error) {
        return error instanceof FeedParseError ? error.code : String(error)
      }
    }
    expect(codeOf('<rss version="2.0"><channel><item></channel></rss>')).toBe('feed_malformed')
    expect(codeOf('<!DOCTYPE html><html><body><p>Новости & события</p></body></html>')).toBe('feed_is_html')
    expect(codeOf('<rss version="2.0"><chann')).toBe('feed_malformed')
  })
})

describe('declared charsets are checked against the bytes', () => {
  const text = (encoding: string) =>
    `<?xml version="1.0" encoding="${encoding}"?>
<rss version="2.0"><channel><title>Новости</title><item><title>В Шымкенте задержаны участники митинга</title>
<description>Полиция задержала участников несанкционированного митинга в центре города.</description></item></channel></rss>`

  it('reads UTF-8 bytes as UTF-8 whatever single-byte charset the prolog, header or config claims', () => {
    const bytes = Buffer.from(text('windows-1251'), 'utf8')
    for (const options of [
      {},
      { contentType: 'application/rss+xml; charset=koi8-r' },
      { charsetOverride: 'iso-8859-5' },
      { contentType: 'text/xml; charset=windows-1252' },
    ]) {
      const decoded = decodeBody(bytes, options)
      expect(decoded.charset).toBe('utf-8')
      expect(decoded.text).toContain('В Шымкенте задержаны участники митинга')
      expect(decoded.reason).toMatch(/valid UTF-8/)
      expect(decoded.rejected.length).toBeGreaterThan(0)
    }
  })

  it('reads Kazakh UTF-8 under a windows-1251 label', () => {
    const kazakh = Buffer.from(
      '<?xml version="1.0" encoding="windows-1251"?><rss><channel><item><title>Алматыда наразылық акциясына қатысқан 500-ге жуық адам ұсталды</title></item></channel></rss>',
    )
    const decoded = decodeBody(kazakh)
    expect(decoded.text).toContain('қатысқан 500-ге жуық адам ұсталды')
  })

  it('rejects a declaration whose decode looks like mojibake and falls through to the next', () => {
    // windows-1251 bytes under a KOI8-R header: KOI8-R would swap the case of every letter.
    const cp1251 = iconv.encode(text('windows-1251'), 'windows-1251')
    const swapped = decodeBody(cp1251, { contentType: 'text/xml; charset=koi8-r' })
    expect(swapped).toMatchObject({ charset: 'windows-1251', charsetSource: 'xml-prolog' })
    expect(swapped.rejected[0]).toMatchObject({ charset: 'koi8-r', source: 'http' })
    // KOI8-R bytes under a windows-1251 prolog and nothing else: the guess from the bytes wins.
    const koi = iconv.encode(text('windows-1251'), 'koi8-r')
    const guessed = decodeBody(koi)
    expect(guessed.charset).toBe('koi8-r')
    expect(guessed.text).toContain('В Шымкенте задержаны')
    // windows-1251 bytes that claim UTF-8.
    const claimsUtf8 = decodeBody(iconv.encode(text('utf-8'), 'windows-1251'))
    expect(claimsUtf8.charset).toBe('windows-1251')
    expect(claimsUtf8.rejected[0]!.reason).toMatch(/not valid UTF-8/)
  })

  it('reads an HTML meta declaration as browsers prescan it, comments and attribute order included', () => {
    const page = iconv.encode(
      '<html><head><!-- <meta charset="koi8-r"> --><meta content="text/html; charset=windows-1251" http-equiv="Content-Type"></head><body>В Шымкенте задержаны участники митинга</body></html>',
      'windows-1251',
    )
    const decoded = decodeBody(page)
    expect(decoded).toMatchObject({ charset: 'windows-1251', charsetSource: 'html-meta' })
    expect(decoded.text).toContain('В Шымкенте задержаны участники митинга')
  })

  it('tells mojibake from text', () => {
    const russian = 'Полиция задержала участников несанкционированного митинга в центре города.'
    expect(looksLikeMojibake(russian)).toBeNull()
    expect(looksLikeMojibake(iconv.decode(Buffer.from(russian), 'windows-1251'))).toMatch(/UTF-8/)
    expect(looksLikeMojibake(iconv.decode(iconv.encode(russian, 'windows-1251'), 'koi8-r'))).toMatch(
      /upper-case/,
    )
    expect(looksLikeMojibake(iconv.decode(iconv.encode(russian, 'windows-1251'), 'windows-1252'))).toMatch(
      /Latin/,
    )
    expect(looksLikeMojibake('Police detained dozens of protesters in Almaty on Sunday.')).toBeNull()
  })

  it('finds the detention report a lying prolog would have hidden, through the whole parse path', async () => {
    const source: NewsSource = { id: 'lying', url: 'https://news.example.kz/rss', kind: 'feed' }
    const parsed = await parseSourceBody(source, Buffer.from(text('windows-1251'), 'utf8'))
    expect(parsed.charset).toBe('utf-8')
    expect(analyzeItem(parsed.items[0]!)).toMatchObject({ detention: true, cities: ['Shymkent'] })
  })
})

describe('publication dates are read deliberately', () => {
  const fetchedAt = new Date('2019-06-10T12:00:00Z')
  const read = (text: string, timeZone = 'Asia/Almaty') => parsePublished(text, { timeZone, fetchedAt })
  const expected: [string, string][] = [
    ['вс, 9 июн. 2019 12:10:00 +0600', '2019-06-09T06:10:00.000Z'],
    ['Вс, 09 Июн 2019 12:10:00 +0600', '2019-06-09T06:10:00.000Z'],
    ['9 июня 2019 г., 12:10', '2019-06-09T06:10:00.000Z'],
    ['09 июнь 2019 12:10 MSK', '2019-06-09T09:10:00.000Z'],
    ['09.06.2019 13:40:00 +0600', '2019-06-09T07:40:00.000Z'],
    ['09.06.2019 13:40', '2019-06-09T07:40:00.000Z'],
    ['9/6/2019 13:40', '2019-06-09T07:40:00.000Z'],
    ['09-06-19 13:40', '2019-06-09T07:40:00.000Z'],
    ['Жексенбі, 09 Мау 2019 12:10:00 +0600', '2019-06-09T06:10:00.000Z'],
    ['2019 жылғы 9 маусым 12:10', '2019-06-09T06:10:00.000Z'],
    ['9 маусым 2019 ж. 12:10 ALMT', '2019-06-09T06:10:00.000Z'],
    ['Sun, 09 Jun 2019 12:10:00 GMT', '2019-06-09T12:10:00.000Z'],
    ['Sun, 9 June 2019 12:10:00 GMT+6', '2019-06-09T06:10:00.000Z'],
    ['June 9, 2019 12:10 PM', '2019-06-09T06:10:00.000Z'],
    ['2019-06-09T12:10:00+06:00', '2019-06-09T06:10:00.000Z'],
    ['2019-06-09 12:10', '2019-06-09T06:10:00.000Z'],
    ['сегодня, 09:30', '2019-06-10T03:30:00.000Z'],
    ['вчера, 18:00', '2019-06-09T12:00:00.000Z'],
  ]
  for (const [text, iso] of expected) {
    it(`reads "${text}"`, () => {
      expect(read(text)).toEqual({ iso, issue: null })
    })
  }

  it('takes a date without an offset in the source region’s zone, not the monitor’s', () => {
    expect(read('Sun, 09 Jun 2019 12:10:00', 'Asia/Almaty').iso).toBe('2019-06-09T06:10:00.000Z')
    expect(read('Sun, 09 Jun 2019 12:10:00', 'Asia/Aqtobe').iso).toBe('2019-06-09T07:10:00.000Z')
    expect(read('09.06.2019 12:10', 'Europe/Moscow').iso).toBe('2019-06-09T09:10:00.000Z')
  })

  it('never reads a day-first date month-first, and never guesses', () => {
    expect(read('10.06.2019').iso).toBe('2019-06-09T18:00:00.000Z')
    for (const text of ['31.06.2019', '2019-13-01', 'скоро', 'Mon, 32 Jun 2019', '12:10']) {
      expect(read(text), text).toEqual({ iso: null, issue: 'unparsed' })
    }
  })

  it('keeps a date in the future or before the web, flagged', () => {
    expect(read('2019-06-12T00:00:00+06:00')).toEqual({ iso: '2019-06-11T18:00:00.000Z', issue: 'future' })
    expect(read('01.01.1970 00:00 +0000')).toEqual({ iso: '1970-01-01T00:00:00.000Z', issue: 'too_early' })
    expect(read('2019-06-11T06:00:00Z').issue).toBeNull()
  })

  it('flags them on feed items too, in the source’s zone', () => {
    const { items } = parseFeedDocument(
      rss(
        [
          item(detentionA, 'https://news.example.kz/1', '<pubDate>09.06.2019 13:40:00</pubDate>'),
          item(detentionB, 'https://news.example.kz/2', '<pubDate>01.01.2030 10:00</pubDate>'),
          item('Погода', 'https://news.example.kz/3', '<pubDate>на днях</pubDate>'),
        ].join('\n'),
      ),
      { timeZone: 'Asia/Almaty', fetchedAt },
    )
    expect(items.map((entry) => [entry.published, entry.dateIssue])).toEqual([
      ['2019-06-09T07:40:00.000Z', undefined],
      // Almaty is UTC+5 since March 2024: the zone's rule for that date, not a fixed offset.
      ['2030-01-01T05:00:00.000Z', 'future'],
      [null, 'unparsed'],
    ])
  })
})

describe('relative links resolve against the document’s own base', () => {
  it('uses xml:base on the feed, then on the entry, each relative to the one outside it', () => {
    const { items } = parseFeedDocument(
      rss(
        [
          item('a', 'index.php?id=1&lang=ru'),
          `<item xml:base="/kk/"><title>b</title><link>2019/06/09/b</link></item>`,
          `<item xml:base="https://mirror.example.org/x/"><title>c</title><link>../c</link></item>`,
          item('d', 'https://elsewhere.example/d'),
        ].join('\n'),
        ' xml:base="https://news.example.kz/ru/"',
      ),
      { baseUrl: 'http://127.0.0.1:9/rss' },
    )
    expect(items.map((entry) => entry.link)).toEqual([
      'https://news.example.kz/ru/index.php?id=1&lang=ru',
      'https://news.example.kz/kk/2019/06/09/b',
      'https://mirror.example.org/c',
      'https://elsewhere.example/d',
    ])
  })

  it('reads Atom links by rel, with xml:base on the feed', () => {
    const { items } = parseFeedDocument(
      `<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://news.example.kz/en/"><title>t</title>
        <entry><title>Detentions in Almaty</title><link rel="self" href="/api/1"/><link href="2019/almaty"/><id>tag:1</id></entry>
      </feed>`,
    )
    expect(items[0]!.link).toBe('https://news.example.kz/en/2019/almaty')
  })

  it('keeps a link it cannot resolve as written, flagged, instead of inventing a host', () => {
    const { items } = parseFeedDocument(rss(item('a', '/news/1')), { baseUrl: 'file:///srv/saved/feed.xml' })
    expect(items[0]).toMatchObject({ link: '/news/1', linkUnresolved: true })
    const none = parseFeedDocument(rss(item('b', 'news/2')))
    expect(none.items[0]).toMatchObject({ link: 'news/2', linkUnresolved: true })
    const script = parseFeedDocument(rss(item('c', 'javascript:alert(1)')), {
      baseUrl: 'https://news.example.kz/',
    })
    expect(script.items[0]!.link).toBeNull()
  })

  it('uses the HTML <base href> of a listing page, then the page URL', () => {
    const page = (base: string) => `<html><head>${base}</head><body>
      <article><h2><a href="2019/06/09/a">Задержания в Алматы</a></h2></article></body></html>`
    const selectors = { item: 'article', title: 'h2' }
    expect(
      parseHtmlListing(
        page('<base href="https://news.example.kz/ru/">'),
        selectors,
        'https://cdn.example/x/',
      )[0]!.link,
    ).toBe('https://news.example.kz/ru/2019/06/09/a')
    expect(parseHtmlListing(page(''), selectors, 'https://news.example.kz/list/')[0]!.link).toBe(
      'https://news.example.kz/list/2019/06/09/a',
    )
    expect(parseHtmlListing(page(''), selectors, 'file:///srv/list.html')[0]).toMatchObject({
      link: '2019/06/09/a',
      linkUnresolved: true,
    })
  })

  it('resolves against the URL the feed was fetched from after redirects', async () => {
    const { url } = await serve((request, response) => {
      if (request.url === '/rss') {
        response.writeHead(301, { location: '/moved/feed.xml' }).end()
        return
      }
      response.writeHead(200, { 'content-type': 'application/rss+xml' })
      response.end(rss(item('a', 'story-1')))
    })
    const result = await fetchSource({ id: 'moved', url: `${url}/rss`, kind: 'feed' })
    expect(result.url).toBe(`${url}/moved/feed.xml`)
    expect(result.items[0]!.link).toBe(`${url}/moved/story-1`)
  })
})

describe('counts are attributed to the cities they are given for', () => {
  const cityCounts = (text: string) => analyzeItem({ title: text }).cityCounts

  it('reads a bracketed figure after each city, with its qualifier', () => {
    const text =
      'Police detained protesters across Kazakhstan. The largest number of detainees was in Nur-Sultan (over 300), Almaty (over 200), Aktobe (over 100) and Shymkent (over 50).'
    expect(cityCounts(text)).toEqual([
      { city: 'Astana', value: 300, qualifier: 'at_least' },
      { city: 'Almaty', value: 200, qualifier: 'at_least' },
      { city: 'Aktobe', value: 100, qualifier: 'at_least' },
      { city: 'Shymkent', value: 50, qualifier: 'at_least' },
    ])
    const russian =
      'На акциях протеста задержаны сотни человек. Больше всего задержанных в Нур-Султане (около 300 человек) и Алматы (более 200).'
    expect(cityCounts(russian)).toEqual([
      { city: 'Astana', value: 300, qualifier: 'approx' },
      { city: 'Almaty', value: 200, qualifier: 'at_least' },
    ])
  })

  it('reads a city and its count in one clause, in Russian, Kazakh and English word order', () => {
    expect(
      cityCounts('В Алматы задержаны более 200 человек, в Нур-Султане — около 300 участников митинга.'),
    ).toEqual([
      { city: 'Almaty', value: 200, qualifier: 'at_least' },
      { city: 'Astana', value: 300, qualifier: 'approx' },
    ])
    expect(
      cityCounts(
        'Алматыда 200-ден астам адам ұсталды. Нұр-Сұлтанда 300-ге жуық наразылық акциясына қатысушы ұсталды.',
      ),
    ).toEqual([
      { city: 'Almaty', value: 200, qualifier: 'at_least' },
      { city: 'Astana', value: 300, qualifier: 'approx' },
    ])
    expect(cityCounts('Police detained 57 protesters at the opposition rally in Almaty on June 9.')).toEqual([
      { city: 'Almaty', value: 57, qualifier: 'exact' },
    ])
  })

  it('keeps the total apart: a count for cities named together is no one city’s', () => {
    const analysis = analyzeItem({
      title: 'На митинге оппозиции полиция задержала 700 человек в Нур-Султане, Алматы и Шымкенте.',
    })
    expect(analysis.counts).toEqual([{ value: 700, qualifier: 'exact' }])
    expect(analysis.cityCounts).toEqual([])
    const total = analyzeItem({
      title: 'На акциях протеста задержаны около 500 человек, в том числе в Алматы — 200 участников митинга.',
    })
    expect(total.cityCounts).toEqual([{ city: 'Almaty', value: 200, qualifier: 'exact' }])
    expect(total.counts).toContainEqual({ value: 500, qualifier: 'approx' })
  })

  it('reads numbers written in words whole, in all three languages', () => {
    const counts = (text: string) => analyzeItem({ title: text }).counts
    expect(counts('Police detained more than two hundred protesters at the rally in Almaty.')).toEqual([
      { value: 200, qualifier: 'at_least' },
    ])
    expect(counts('В Алматы на митинге задержаны двести пятьдесят человек.')).toEqual([
      { value: 250, qualifier: 'exact' },
    ])
    expect(counts('Наразылық акциясында Шымкентте екі жүзден астам адам ұсталды.')).toEqual([
      { value: 200, qualifier: 'at_least' },
    ])
    expect(counts('Police detained one hundred and fifty protesters at the rally in Almaty.')).toEqual([
      { value: 150, qualifier: 'exact' },
    ])
  })

  it('never takes a date’s day for a count', () => {
    for (const text of [
      'Полиция задержала 9 июня в Алматы участников акции протеста.',
      'On June 9 police detained protesters at the rally in Almaty.',
      '9 маусымда Алматыда наразылық акциясына қатысушылар ұсталды.',
    ]) {
      const analysis = analyzeItem({ title: text })
      expect(analysis.detention, text).toBe(true)
      expect(analysis.counts, text).toEqual([])
      expect(analysis.cityCounts, text).toEqual([])
    }
  })

  it('attributes within one sentence given the places found in it', () => {
    const sentence = 'Almaty (up to 40), Shymkent (about 12 people)'
    expect(extractCityCounts(sentence, findCityMentions(sentence), { detentionSpans: [] })).toEqual([
      { city: 'Almaty', value: 40, qualifier: 'up_to' },
      { city: 'Shymkent', value: 12, qualifier: 'approx' },
    ])
  })
})
