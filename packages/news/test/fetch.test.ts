// fetchSource against loopback servers: the real feeds from the shared data, Cyrillic single-byte charsets,
// conditional GET, compression, redirects, timeouts, size caps and hostile bodies.
import { readdirSync, readFileSync } from 'node:fs'
import zlib from 'node:zlib'
import { analyzeItem, fetchSource, type NewsSource, parseSourceBody } from '@vigil/news'
import iconv from 'iconv-lite'
import { afterEach, describe, expect, it } from 'vitest'
import { closeAll, serve } from './serve.js'

const feedsDir = new URL('../../../../shared/data/feeds/', import.meta.url)
const feedFiles = readdirSync(feedsDir).sort()

afterEach(closeAll)

const feed = (id: string, url: string): NewsSource => ({ id, url, kind: 'feed' })

function russianFeed(encoding: string, declared: string | null): string {
  return `<?xml version="1.0"${declared ? ` encoding="${declared}"` : ''}?>
<rss version="2.0"><channel><title>Новости Казахстана</title><link>http://news.example.kz/</link>
<item>
  <title>В Алматы задержаны около 700 участников митинга</title>
  <link>/news/2019/07/06/1</link>
  <guid isPermaLink="false">kz-1</guid>
  <description>Полиция задерживала участников несанкционированной акции 6 июля на площади; среди задержанных журналисты.</description>
  <pubDate>Sat, 06 Jul 2019 12:00:00 +0600</pubDate>
</item>
<item>
  <title>Погода: в Нур-Султане похолодает</title>
  <link>http://news.example.kz/news/2019/07/06/2</link>
  <description>Синоптики обещают дожди. Кодировка ${encoding}: ёЁ «кавычки».</description>
</item>
</channel></rss>`
}

describe('fetchSource with the real feeds', () => {
  it.each(feedFiles)('reads %s', async (name) => {
    const body = readFileSync(new URL(name, feedsDir))
    const { url } = await serve((_req, res) => {
      res.writeHead(200, {
        'content-type': name.endsWith('.atom') ? 'application/atom+xml' : 'application/rss+xml',
      })
      res.end(body)
    })
    const result = await fetchSource(feed(name, `${url}/${name}`))
    expect(result.error).toBeNull()
    expect(result.status).toBe('ok')
    expect(result.bytes).toBe(body.byteLength)
    if (name === 'incomplete-fields.atom') {
      // Its one entry is empty: nothing to read, nothing to link to.
      expect(result.items).toEqual([])
      return
    }
    expect(result.items.length).toBeGreaterThan(0)
    for (const item of result.items) {
      expect(item.title || item.link || item.summary).toBeTruthy()
      if (item.published) expect(Number.isNaN(Date.parse(item.published))).toBe(false)
    }
  })

  it('decodes the undeclared ISO-8859-1 feed without replacement characters', async () => {
    const body = readFileSync(new URL('uolNoticias.rss', feedsDir))
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/xml' })
      res.end(body)
    })
    const result = await fetchSource(feed('uol', `${url}/uol`))
    expect(result.status).toBe('ok')
    const text = result.items.map((item) => item.title + item.summary).join(' ')
    expect(text).not.toContain('\uFFFD')
    expect(text).toMatch(/[áéíóúãõç]/)
  })

  it('reads the ISO-8859-1 feed declared in its prolog', async () => {
    const body = readFileSync(new URL('heraldsun.rss', feedsDir))
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml' })
      res.end(body)
    })
    const result = await fetchSource(feed('herald', url))
    expect(result.charset).toBe('windows-1252')
    expect(result.items.map((item) => item.title)).toEqual(['The First Item', 'The Second Item'])
  })
})

describe('Cyrillic single-byte feeds', () => {
  it('decodes windows-1251 declared only in the XML prolog and finds the detention report', async () => {
    const body = iconv.encode(russianFeed('windows-1251', 'windows-1251'), 'windows-1251')
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml' })
      res.end(body)
    })
    const result = await fetchSource(feed('cp1251', `${url}/rss`))
    expect(result.status).toBe('ok')
    expect(result.charset).toBe('windows-1251')
    expect(result.items[0]!.title).toBe('В Алматы задержаны около 700 участников митинга')
    expect(result.items[0]!.link).toBe(`${url}/news/2019/07/06/1`)
    expect(result.items[0]!.guid).toBe('kz-1')
    expect(result.items[0]!.published).toBe('2019-07-06T06:00:00.000Z')
    expect(result.items[1]!.summary).toContain('ёЁ «кавычки»')
    const analysis = analyzeItem(result.items[0]!)
    expect(analysis).toMatchObject({
      language: 'ru',
      detention: true,
      cities: ['Almaty'],
      counts: [{ value: 700, qualifier: 'approx' }],
      dates: ['2019-07-06'],
    })
  })

  it('decodes KOI8-R named only by the HTTP header, which wins over a wrong prolog', async () => {
    const body = iconv.encode(russianFeed('koi8-r', 'utf-8'), 'koi8-r')
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/xml; charset=KOI8-R' })
      res.end(body)
    })
    const result = await fetchSource(feed('koi8', url))
    expect(result.charset).toBe('koi8-r')
    expect(result.items[0]!.title).toBe('В Алматы задержаны около 700 участников митинга')
  })

  it('guesses undeclared KOI8-R and windows-1251 from the bytes', async () => {
    for (const encoding of ['koi8-r', 'windows-1251']) {
      const body = iconv.encode(russianFeed(encoding, null), encoding)
      const { url } = await serve((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/xml' })
        res.end(body)
      })
      const result = await fetchSource(feed(encoding, url))
      expect(result.charset).toBe(encoding)
      expect(result.items[1]!.title).toBe('Погода: в Нур-Султане похолодает')
    }
  })

  it('uses the charset configured for a source that lies about it', async () => {
    const body = iconv.encode(russianFeed('windows-1251', 'utf-8'), 'windows-1251')
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' })
      res.end(body)
    })
    const result = await fetchSource({ ...feed('liar', url), charset: 'cp1251' })
    expect(result.items[0]!.title).toContain('задержаны')
  })
})

describe('HTTP behaviour', () => {
  it('sends the validators and returns not_modified on 304', async () => {
    const seen: (string | undefined)[][] = []
    const { url } = await serve((req, res) => {
      seen.push([req.headers['if-none-match'], req.headers['if-modified-since']])
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304, { etag: '"v1"' })
        res.end()
        return
      }
      res.writeHead(200, {
        'content-type': 'application/rss+xml',
        etag: '"v1"',
        'last-modified': 'Sat, 06 Jul 2019 06:00:00 GMT',
      })
      res.end(readFileSync(new URL('rss2sample.xml', feedsDir)))
    })
    const first = await fetchSource(feed('cond', url))
    expect(first).toMatchObject({ status: 'ok', etag: '"v1"', lastModified: 'Sat, 06 Jul 2019 06:00:00 GMT' })
    const second = await fetchSource(feed('cond', url), {
      etag: first.etag,
      lastModified: first.lastModified,
    })
    expect(second).toMatchObject({ status: 'not_modified', httpStatus: 304, items: [], error: null })
    // A 304 without Last-Modified keeps the one we sent.
    expect(second.lastModified).toBe('Sat, 06 Jul 2019 06:00:00 GMT')
    expect(seen).toEqual([
      [undefined, undefined],
      ['"v1"', 'Sat, 06 Jul 2019 06:00:00 GMT'],
    ])
  })

  it.each([
    ['gzip', zlib.gzipSync],
    ['deflate', zlib.deflateSync],
    ['br', zlib.brotliCompressSync],
  ] as const)('decompresses %s', async (encoding, compress) => {
    const raw = readFileSync(new URL('reddit.rss', feedsDir))
    let acceptEncoding: string | undefined
    const { url } = await serve((req, res) => {
      acceptEncoding = req.headers['accept-encoding']
      res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-encoding': encoding })
      res.end(compress(raw))
    })
    const result = await fetchSource(feed(encoding, url))
    expect(acceptEncoding).toContain(encoding)
    expect(result.status).toBe('ok')
    expect(result.bytes).toBe(raw.byteLength)
    expect(result.items).toHaveLength(24)
  })

  it('reports a corrupt compressed body', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' })
      res.end(Buffer.from('this is not gzip at all'))
    })
    const result = await fetchSource(feed('corrupt', url))
    expect(result.error?.code).toBe('bad_encoding')
  })

  it('follows redirects and reports the final URL', async () => {
    const { url } = await serve((req, res) => {
      if (req.url === '/old') res.writeHead(301, { location: '/moved' }).end()
      else if (req.url === '/moved') res.writeHead(307, { location: `${url}/feed.xml` }).end()
      else {
        res.writeHead(200, { 'content-type': 'application/rss+xml' })
        res.end(readFileSync(new URL('rss2sample.xml', feedsDir)))
      }
    })
    const result = await fetchSource(feed('redirect', `${url}/old`))
    expect(result.status).toBe('ok')
    expect(result.url).toBe(`${url}/feed.xml`)
    expect(result.items).toHaveLength(4)
  })

  it('stops a redirect loop at the limit', async () => {
    let hops = 0
    const { url } = await serve((req, res) => {
      hops++
      res.writeHead(302, { location: req.url === '/a' ? '/b' : '/a' }).end()
    })
    const result = await fetchSource(feed('loop', `${url}/a`), { maxRedirects: 3 })
    expect(result.error?.code).toBe('too_many_redirects')
    expect(hops).toBe(4)
  })

  it('refuses a redirect to another scheme', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(302, { location: 'file:///etc/passwd' }).end()
    })
    const result = await fetchSource(feed('scheme', url))
    expect(result.error?.code).toBe('bad_redirect')
  })

  it('reports an HTTP error status', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('maintenance')
    })
    const result = await fetchSource(feed('down', url))
    expect(result).toMatchObject({ status: 'error', httpStatus: 503, error: { code: 'http_status' } })
  })

  it('reports a refused connection as a network error', async () => {
    const { url, server } = await serve(() => {})
    await new Promise((resolve) => server.close(resolve))
    const result = await fetchSource(feed('refused', url))
    expect(result.status).toBe('error')
    expect(result.error?.code).toBe('network')
    expect(result.error?.message).toMatch(/ECONNREFUSED/)
  })

  it('aborts a source that does not answer in time', async () => {
    const { url } = await serve(() => {
      // never answers
    })
    const started = Date.now()
    const result = await fetchSource(feed('slow', url), { timeoutMs: 300 })
    expect(result.error?.code).toBe('timeout')
    expect(Date.now() - started).toBeLessThan(3000)
  })

  it('aborts a body that trickles in past the timeout', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml' })
      res.write('<rss version="2.0"><channel>')
      // and then nothing more
    })
    const result = await fetchSource(feed('trickle', url), { timeoutMs: 300 })
    expect(result.error?.code).toBe('timeout')
  })

  it('reports a fetch cancelled by the caller as aborted', async () => {
    const { url } = await serve(() => {})
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 50)
    const result = await fetchSource(feed('cancel', url), { signal: controller.signal, timeoutMs: 5000 })
    expect(result.error?.code).toBe('aborted')
  })
})

describe('size cap', () => {
  it('stops reading a 50 MB response at the cap', async () => {
    const total = 50 * 1024 * 1024
    const chunk = Buffer.alloc(64 * 1024, 'a')
    let written = 0
    let closed: Promise<void> = Promise.resolve()
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml' })
      closed = new Promise((resolve) => res.on('close', resolve))
      const pump = () => {
        while (written < total && !res.destroyed) {
          written += chunk.byteLength
          if (!res.write(chunk)) return void res.once('drain', pump)
        }
        if (!res.destroyed) res.end()
      }
      pump()
    })
    const result = await fetchSource(feed('huge', url), { maxBytes: 1024 * 1024 })
    expect(result.status).toBe('error')
    expect(result.error?.code).toBe('too_large')
    expect(result.error?.message).toMatch(/cap of 1048576 bytes/)
    await closed
    // The client hung up: far less than the 50 MB was ever sent (socket buffers hold a few MB at most).
    expect(written).toBeLessThan(total / 2)
  })

  it('refuses a declared Content-Length over the cap without reading it', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) })
      res.write(Buffer.alloc(1024))
    })
    const result = await fetchSource(feed('declared', url), { maxBytes: 1024 * 1024 })
    expect(result.error?.code).toBe('too_large')
  })

  it('caps the decompressed size, so a gzip bomb is stopped', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(50 * 1024 * 1024))
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(bomb.byteLength) })
      res.end(bomb)
    })
    const result = await fetchSource(feed('bomb', url), { maxBytes: 1024 * 1024 })
    expect(bomb.byteLength).toBeLessThan(1024 * 1024)
    expect(result.error?.code).toBe('too_large')
  })
})

describe('hostile and broken bodies', () => {
  async function fetchBody(body: string, contentType = 'application/rss+xml') {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': contentType })
      res.end(body)
    })
    return fetchSource(feed('hostile', `${url}/feed`))
  }

  it('reads malformed XML as far as it goes and says so', async () => {
    const result = await fetchBody('<rss version="2.0"><channel><item><title>broken</item></channel>')
    expect(result.status).toBe('ok')
    expect(result.items.map((item) => item.title)).toEqual(['broken'])
    expect(result.degraded).toMatchObject({ code: 'feed_malformed', line: 1, itemsRecovered: 1 })
    expect(result.degraded?.message).toMatch(/malformed XML/)
  })

  it('keeps the complete items of a truncated feed and marks it degraded', async () => {
    const full = readFileSync(new URL('reddit.rss', feedsDir), 'utf8')
    const whole = await fetchBody(full)
    const result = await fetchBody(full.slice(0, full.length / 2))
    expect(result.status).toBe('ok')
    expect(result.degraded?.code).toBe('feed_malformed')
    expect(result.items.length).toBeGreaterThan(0)
    expect(result.items.length).toBeLessThan(whole.items.length)
    expect(result.degraded?.itemsRecovered).toBe(result.items.length)
    expect(result.items[0]).toEqual(whole.items[0])
  })

  it('reports a broken body with nothing to recover as malformed', async () => {
    const result = await fetchBody('<rss version="2.0"><channel><item></channel>')
    expect(result.status).toBe('error')
    expect(result.error?.code).toBe('feed_malformed')
    expect(result.error?.message).toMatch(/line 1/)
  })

  it('reports an HTML page where a feed was expected, naming the feed it advertises', async () => {
    const page = `<!DOCTYPE html><html><head><title>Новости</title>
      <link rel="alternate" type="application/rss+xml" href="/rss.xml"></head><body><h1>Главная</h1></body></html>`
    const result = await fetchBody(page, 'text/html; charset=utf-8')
    expect(result.error?.code).toBe('feed_is_html')
    expect(result.error?.message).toMatch(/advertises a feed at http:\/\/127\.0\.0\.1:\d+\/rss\.xml/)
  })

  it('reports XML that is neither RSS nor Atom', async () => {
    const result = await fetchBody('<?xml version="1.0"?><sitemap><url>x</url></sitemap>')
    expect(result.error?.code).toBe('feed_unrecognized')
  })

  it('refuses a billion-laughs feed without expanding it', async () => {
    const levels = Array.from(
      { length: 9 },
      (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`,
    ).join('\n')
    const body = `<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY lol0 "lol">
  ${levels}
]>
<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title></item></channel></rss>`
    const before = process.memoryUsage().heapUsed
    const result = await fetchBody(body)
    expect(result.error?.code).toBe('feed_entity_declaration')
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(200 * 1024 * 1024)
  })

  it('refuses an external entity', async () => {
    const body = `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><item><title>&xxe;</title></item></channel></rss>`
    const result = await fetchBody(body)
    expect(result.error?.code).toBe('feed_entity_declaration')
  })

  it('one broken source does not stop the others fetched alongside it', async () => {
    const { url } = await serve((req, res) => {
      if (req.url === '/good') {
        res.writeHead(200, { 'content-type': 'application/rss+xml' })
        res.end(readFileSync(new URL('rss2sample.xml', feedsDir)))
      } else {
        res.writeHead(200, { 'content-type': 'application/rss+xml' })
        res.end('<rss><channel><item>')
      }
    })
    const results = await Promise.all([
      fetchSource(feed('good', `${url}/good`)),
      fetchSource(feed('bad', `${url}/bad`)),
    ])
    expect(results.map((r) => r.status)).toEqual(['ok', 'error'])
  })
})

describe('parseSourceBody', () => {
  it('reads a saved feed file the way a fetch would', async () => {
    const bytes = iconv.encode(russianFeed('windows-1251', 'windows-1251'), 'windows-1251')
    const { items, charset } = await parseSourceBody(feed('file', 'https://news.example.kz/rss'), bytes)
    expect(charset).toBe('windows-1251')
    expect(items[0]!.link).toBe('https://news.example.kz/news/2019/07/06/1')
  })
})

describe('HTML listing sources', () => {
  it('reads items with selectors, resolves links and decodes the meta charset', async () => {
    const page = `<!DOCTYPE html><html><head><meta charset="windows-1251"><title>Лента</title></head><body>
      <div class="news">
        <article class="card"><h2><a href="/kz/2019/06/09/zaderzhaniya">Задержания на митинге в Нур-Султане</a></h2>
          <time datetime="2019-06-09T10:40:00+06:00">9 июня 2019</time>
          <p class="lead">Полиция задержала более 100 участников акции протеста.</p></article>
        <article class="card"><h2><a href="https://other.example/ekonomika">Курс тенге</a></h2>
          <span class="date">10.06.2019 14:30</span><p class="lead">Без изменений.</p></article>
        <article class="card"><h2>Без ссылки</h2></article>
      </div></body></html>`
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end(iconv.encode(page, 'windows-1251'))
    })
    const source: NewsSource = {
      id: 'listing',
      url: `${url}/kz/news/`,
      kind: 'html',
      selectors: { item: 'article.card', title: 'h2', date: 'time, .date', summary: '.lead' },
    }
    const result = await fetchSource(source)
    expect(result.status).toBe('ok')
    expect(result.charset).toBe('windows-1251')
    expect(result.items).toEqual([
      {
        guid: `${url}/kz/2019/06/09/zaderzhaniya`,
        link: `${url}/kz/2019/06/09/zaderzhaniya`,
        title: 'Задержания на митинге в Нур-Султане',
        summary: 'Полиция задержала более 100 участников акции протеста.',
        content: '',
        published: '2019-06-09T04:40:00.000Z',
      },
      {
        guid: 'https://other.example/ekonomika',
        link: 'https://other.example/ekonomika',
        title: 'Курс тенге',
        summary: 'Без изменений.',
        content: '',
        published: '2019-06-10T14:30:00.000Z',
      },
      { guid: null, link: null, title: 'Без ссылки', summary: '', content: '', published: null },
    ])
    expect(analyzeItem(result.items[0]!)).toMatchObject({
      detention: true,
      cities: ['Astana'],
      counts: [{ value: 100, qualifier: 'at_least' }],
    })
  })

  it('reports a page whose layout no longer matches the selectors', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end('<html><body><ul><li>новый дизайн</li></ul></body></html>')
    })
    const result = await fetchSource({
      id: 'moved',
      url,
      kind: 'html',
      selectors: { item: 'article.card', title: 'h2' },
    })
    expect(result.error?.code).toBe('html_no_items')
  })

  it('does not expand entities declared in an HTML page', async () => {
    const page = `<!DOCTYPE html [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
      <html><body><article><h2><a href="/x">&b;</a></h2></article></body></html>`
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end(page)
    })
    const result = await fetchSource({
      id: 'ent',
      url,
      kind: 'html',
      selectors: { item: 'article', title: 'h2' },
    })
    expect(result.items[0]!.title).toBe('&b;')
  })
})
