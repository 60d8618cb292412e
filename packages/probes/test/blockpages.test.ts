// Block pages as operators serve them: in windows-1251 and KOI8-R (declared in the header, in a meta tag,
// or not at all), behind a redirect to the operator's notice host, and patterns that name the hop they
// apply to. Every server is real, on loopback; names resolve through a private DNS server.
import { createServer as createHttpServer, type RequestListener } from 'node:http'
import { type BlockPagePattern, type HttpTarget, runProbe } from '@vigil/probes'
import iconv from 'iconv-lite'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startDnsServer } from './fixtures/dns-server.js'
import { Loopback } from './fixtures/loopback.js'

const loopback = new Loopback()
let resolver: string

beforeEach(async () => {
  loopback.markBaseline()
  resolver = await startDnsServer(loopback, (name) =>
    name.endsWith('.example.kz') ? { rcode: 'NOERROR', a: ['127.0.0.1'] } : { rcode: 'NXDOMAIN' },
  )
})
afterEach(() => loopback.closeAll())
afterAll(() => loopback.closeAll())

// The wording of Russian-language ISP notices, as the shipped configuration's pattern reads it.
const RU: BlockPagePattern = {
  name: 'access-restricted-ru',
  body: /доступ\s+к\s+(?:данному|запрашиваемому|этому)?\s*(?:интернет-)?ресурсу\s+(?:был\s+)?(?:ограничен|заблокирован)/iu,
}
const NOTICE =
  '<html><head>{meta}<title>Доступ ограничен</title></head><body><h1>Уважаемый абонент!</h1>' +
  '<p>Доступ к данному ресурсу ограничен на основании решения уполномоченного органа.</p></body></html>'

function page(charset: string, meta: boolean): Buffer {
  const html = NOTICE.replace(
    '{meta}',
    meta ? `<meta http-equiv="Content-Type" content="text/html; charset=${charset}">` : '',
  )
  return iconv.encode(html, charset)
}

function serve(handler: RequestListener): Promise<number> {
  return loopback.listen(createHttpServer(handler))
}

function http(url: string, blockPages: BlockPagePattern[], extra: Partial<HttpTarget> = {}): HttpTarget {
  return { kind: 'http', name: 'target', url, blockPages, ...extra }
}

describe('block pages in legacy Cyrillic charsets', () => {
  const cases: Array<[string, string, 'header' | 'meta' | 'none', string]> = [
    ['windows-1251 in the header', 'windows-1251', 'header', 'http'],
    ['windows-1251 in a meta tag', 'windows-1251', 'meta', 'html-meta'],
    ['KOI8-R in the header', 'koi8-r', 'header', 'http'],
    ['KOI8-R in a meta tag', 'koi8-r', 'meta', 'html-meta'],
    ['windows-1251 undeclared', 'windows-1251', 'none', 'sniffed'],
    ['KOI8-R undeclared', 'koi8-r', 'none', 'sniffed'],
  ]
  for (const [label, charset, where, source] of cases) {
    it(`matches and titles a 200 OK notice in ${label}`, async () => {
      const body = page(charset, where === 'meta')
      const contentType = where === 'header' ? `text/html; charset=${charset}` : 'text/html'
      const port = await serve((_req, res) => res.writeHead(200, { 'content-type': contentType }).end(body))
      const result = await runProbe(http(`http://127.0.0.1:${port}/`, [RU]), { timeoutMs: 5000 })
      expect(result).toMatchObject({ ok: false, failure: 'http_blockpage' })
      expect(result.details).toMatchObject({
        blockPage: 'access-restricted-ru',
        title: 'Доступ ограничен',
        charset,
        charsetSource: source,
      })
    })
  }

  it('keeps a UTF-8 title readable when the cap cuts a character in two', async () => {
    const body = Buffer.from(`<title>Жаңалықтар</title>${'ж'.repeat(600)}`)
    const port = await serve((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(body))
    // An odd cap splits a two-byte letter.
    const result = await runProbe(http(`http://127.0.0.1:${port}/`, [], { maxBodyBytes: 301 }), {
      timeoutMs: 5000,
    })
    expect(result.details).toMatchObject({ truncated: true, title: 'Жаңалықтар', charset: 'utf-8' })
  })

  it('passes an ordinary windows-1251 page', async () => {
    const body = iconv.encode('<title>Новости Казахстана</title><p>Сегодня в Алматы солнечно.</p>', 'win1251')
    const port = await serve((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html; charset=windows-1251' }).end(body),
    )
    const result = await runProbe(http(`http://127.0.0.1:${port}/`, [RU]), { timeoutMs: 5000 })
    expect(result).toMatchObject({ ok: true, failure: null })
    expect(result.details.title).toBe('Новости Казахстана')
  })
})

describe('redirect hops as evidence', () => {
  const LOCATION: BlockPagePattern = {
    name: 'isp-notice-redirect',
    header: { name: 'location', pattern: /^https?:\/\/blocked\.isp\.example\.kz(?::\d+)?\//i },
  }

  async function operator(): Promise<{ site: number; notice: number }> {
    const notice = await serve((_req, res) =>
      res
        .writeHead(200, { 'content-type': 'text/html; charset=windows-1251' })
        .end(page('windows-1251', false)),
    )
    const site = await serve((req, res) =>
      res
        .writeHead(302, {
          location: `http://blocked.isp.example.kz:${notice}/?url=${encodeURIComponent(req.url ?? '/')}`,
        })
        .end('<html><title>302 Found</title></html>'),
    )
    return { site, notice }
  }

  it('matches a Location pointing at the operator notice host, on the first hop', async () => {
    const { site } = await operator()
    const result = await runProbe(http(`http://news.example.kz:${site}/`, [LOCATION]), {
      timeoutMs: 5000,
      resolver,
    })
    expect(result).toMatchObject({ ok: false, failure: 'http_blockpage' })
    expect(result.details).toMatchObject({ blockPage: 'isp-notice-redirect', blockPageHop: 0, redirects: 1 })
    expect(result.details.hops).toHaveLength(2)
    expect(result.details.hops[0]).toMatchObject({
      statusCode: 302,
      blockPage: 'isp-notice-redirect',
      title: '302 Found',
      address: '127.0.0.1',
    })
    expect(result.details.hops[0]?.location).toMatch(/^http:\/\/blocked\.isp\.example\.kz:\d+\/\?url=%2F$/)
    expect(result.details.hops[1]).toMatchObject({ statusCode: 200, title: 'Доступ ограничен' })
  })

  it('still reports the block page when the notice host itself cannot be reached', async () => {
    const notice = await loopback.refusedPort()
    const site = await serve((_req, res) =>
      res.writeHead(302, { location: `http://blocked.isp.example.kz:${notice}/` }).end(),
    )
    const result = await runProbe(http(`http://news.example.kz:${site}/`, [LOCATION]), {
      timeoutMs: 5000,
      resolver,
    })
    expect(result).toMatchObject({ ok: false, failure: 'http_blockpage' })
    expect(result.details.hops[1]).toMatchObject({ failure: 'connection_refused', statusCode: null })
  })

  it('matches the notice body on the final hop of the chain', async () => {
    const { site } = await operator()
    const result = await runProbe(http(`http://news.example.kz:${site}/`, [{ ...RU, hop: 'final' }]), {
      timeoutMs: 5000,
      resolver,
    })
    expect(result).toMatchObject({ ok: false, failure: 'http_blockpage' })
    expect(result.details).toMatchObject({ blockPageHop: 1, title: 'Доступ ограничен' })
  })

  it('honours the hop a pattern names', async () => {
    const { site } = await operator()
    const probe = (pattern: BlockPagePattern) =>
      runProbe(http(`http://news.example.kz:${site}/`, [pattern]), { timeoutMs: 5000, resolver })
    // The Location is on the first hop only; the notice text on the final hop only.
    expect((await probe({ ...LOCATION, hop: 'final' })).details.blockPage).toBeNull()
    expect((await probe({ ...LOCATION, hop: 'first' })).details.blockPage).toBe('isp-notice-redirect')
    expect((await probe({ ...RU, hop: 'first' })).details.blockPage).toBeNull()
    expect((await probe({ ...RU, hop: 'any' })).details.blockPage).toBe('access-restricted-ru')
  })

  it('passes an ordinary redirect to the same site', async () => {
    const port = await serve((req, res) => {
      if (req.url === '/') res.writeHead(301, { location: '/ru/' }).end()
      else res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<title>Главная</title>')
    })
    const result = await runProbe(http(`http://news.example.kz:${port}/`, [LOCATION, RU]), {
      timeoutMs: 5000,
      resolver,
    })
    expect(result).toMatchObject({ ok: true, failure: null })
    expect(result.details.hops.map((hop) => hop.statusCode)).toEqual([301, 200])
    expect(result.details.title).toBe('Главная')
  })

  it('keeps a bounded share of what a hostile server sends as headers', async () => {
    const headers: Record<string, string> = {}
    for (let i = 0; i < 40; i++) headers[`x-filler-${i}`] = 'v'.repeat(300)
    const port = await serve((_req, res) => res.writeHead(200, headers).end('<title>t</title>'))
    const result = await runProbe(http(`http://127.0.0.1:${port}/`, []), { timeoutMs: 5000 })
    const kept = result.details.hops[0]!.headers
    const chars = Object.entries(kept).reduce((sum, [name, value]) => sum + name.length + value.length, 0)
    expect(Object.keys(kept).length).toBeGreaterThan(0)
    expect(Object.keys(kept).length).toBeLessThan(40)
    expect(chars).toBeLessThanOrEqual(8192)
  })
})
