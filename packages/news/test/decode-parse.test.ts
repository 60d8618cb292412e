// Charset precedence and feed parsing on bytes and strings, without a network: why decoding comes first,
// and that no XML layer expands entities.
import { readFileSync } from 'node:fs'
import { decodeBody, FeedParseError, neutraliseXmlProlog, parseFeed, parseHtmlListing } from '@vigil/news'
import iconv from 'iconv-lite'
import Parser from 'rss-parser'
import { describe, expect, it } from 'vitest'

const feedsDir = new URL('../../../../shared/data/feeds/', import.meta.url)
const title = 'Задержаны участники митинга в Уральске'

function xml(encoding: string | null): string {
  return `<?xml version="1.0"${encoding ? ` encoding="${encoding}"` : ''}?>
<rss version="2.0"><channel><title>Лента</title><item><title>${title}</title></item></channel></rss>`
}

describe('decodeBody precedence', () => {
  it('takes a BOM over everything else', () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml('windows-1251'))])
    const decoded = decodeBody(body, { contentType: 'text/xml; charset=koi8-r', charsetOverride: 'cp1251' })
    expect(decoded).toMatchObject({ charset: 'utf-8', charsetSource: 'bom' })
    expect(decoded.text).toContain(title)
    expect(decoded.text.charCodeAt(0)).not.toBe(0xfeff)
  })

  it('reads UTF-16 with a BOM', () => {
    const body = Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(xml('utf-16'), 'utf-16le')])
    expect(decodeBody(body).text).toContain(title)
  })

  it('then a configured override, then the HTTP header, then the prolog', () => {
    const cp1251 = iconv.encode(xml('koi8-r'), 'windows-1251')
    expect(
      decodeBody(cp1251, { contentType: 'text/xml; charset=koi8-r', charsetOverride: 'windows-1251' }),
    ).toMatchObject({ charset: 'windows-1251', charsetSource: 'override' })
    const koi = iconv.encode(xml('windows-1251'), 'koi8-r')
    const fromHeader = decodeBody(koi, { contentType: 'application/rss+xml; charset="KOI8-R"' })
    expect(fromHeader).toMatchObject({ charset: 'koi8-r', charsetSource: 'http' })
    expect(fromHeader.text).toContain(title)
    const fromProlog = decodeBody(iconv.encode(xml('windows-1251'), 'windows-1251'), {
      contentType: 'text/xml',
    })
    expect(fromProlog).toMatchObject({ charset: 'windows-1251', charsetSource: 'xml-prolog' })
    expect(fromProlog.text).toContain(title)
  })

  it('reads the HTML meta charset, in both forms', () => {
    const page = (meta: string) =>
      iconv.encode(`<html><head>${meta}</head><body>${title}</body></html>`, 'koi8-r')
    for (const meta of [
      '<meta charset="koi8-r">',
      '<meta http-equiv="Content-Type" content="text/html; charset=KOI8-R">',
    ]) {
      const decoded = decodeBody(page(meta))
      expect(decoded).toMatchObject({ charset: 'koi8-r', charsetSource: 'html-meta' })
      expect(decoded.text).toContain(title)
    }
  })

  it('decodes ISO-8859-5, another Cyrillic charset of the region', () => {
    const decoded = decodeBody(iconv.encode(xml('ISO-8859-5'), 'iso-8859-5'))
    expect(decoded.text).toContain(title)
  })

  it('skips an unknown label and falls through to the next source', () => {
    const body = iconv.encode(xml('windows-1251'), 'windows-1251')
    expect(decodeBody(body, { contentType: 'text/xml; charset=x-no-such-charset' })).toMatchObject({
      charset: 'windows-1251',
      charsetSource: 'xml-prolog',
    })
  })

  it('defaults to UTF-8 for valid UTF-8 and guesses among single-byte charsets otherwise', () => {
    expect(decodeBody(Buffer.from(xml(null)))).toMatchObject({ charset: 'utf-8', charsetSource: 'default' })
    for (const charset of ['windows-1251', 'koi8-r']) {
      const decoded = decodeBody(iconv.encode(xml(null), charset))
      expect(decoded).toMatchObject({ charset, charsetSource: 'sniffed' })
      expect(decoded.text).toContain(title)
    }
    expect(decodeBody(readFileSync(new URL('uolNoticias.rss', feedsDir)))).toMatchObject({
      charset: 'windows-1252',
      charsetSource: 'sniffed',
    })
  })

  it('neutralises the prolog encoding of decoded text', () => {
    expect(
      neutraliseXmlProlog('\uFEFF<?xml version="1.0" encoding="windows-1251" standalone="yes"?><rss/>'),
    ).toBe('<?xml version="1.0" standalone="yes"?><rss/>')
  })
})

describe('why decoding comes first', () => {
  it('rss-parser given windows-1251 bytes as a string garbles them; the decoded string reads', async () => {
    const bytes = iconv.encode(xml('windows-1251'), 'windows-1251')
    const garbled = await new Parser().parseString(bytes.toString())
    expect(garbled.items[0]!.title).not.toBe(title)
    expect(garbled.items[0]!.title).toContain('\uFFFD')
    const items = await parseFeed(decodeBody(bytes).text)
    expect(items[0]!.title).toBe(title)
  })
})

describe('parseFeed', () => {
  it('reads RSS 1.0 (RDF)', async () => {
    const items = await parseFeed(readFileSync(new URL('craigslist.rss', feedsDir), 'utf8'))
    expect(items).toHaveLength(25)
    expect(items[0]!.title).toContain('$4300')
    expect(items[0]!.published).toMatch(/^\d{4}-\d{2}-\d{2}T/)
  })

  it('reads Atom, including a prefixed Atom namespace and entries without dates', async () => {
    const atom = await parseFeed(readFileSync(new URL('feedburner.atom', feedsDir), 'utf8'))
    expect(atom).toHaveLength(25)
    expect(atom[0]!.link).toMatch(/^http/)
    const prefixed = await parseFeed(readFileSync(new URL('nondefaultnamespace.atom', feedsDir), 'utf8'))
    expect(prefixed[0]!.title).toBe('If you can read the content of this entry, your aggregator works fine.')
    const undated = await parseFeed(
      '<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>x</title><published>not a date</published></entry></feed>',
    )
    expect(undated).toEqual([
      {
        guid: null,
        link: null,
        title: 'x',
        summary: '',
        content: '',
        published: null,
        dateIssue: 'unparsed',
      },
    ])
  })

  it('resolves relative links against the base URL and drops non-http ones', async () => {
    const items = await parseFeed(
      `<rss version="2.0"><channel>
        <item><title>a</title><link>/news/1</link></item>
        <item><title>b</title><link>javascript:alert(1)</link></item>
      </channel></rss>`,
      { baseUrl: 'https://news.example.kz/rss/' },
    )
    expect(items.map((item) => item.link)).toEqual(['https://news.example.kz/news/1', null])
  })

  it('throws FeedParseError with a stable code for each kind of bad input', async () => {
    const codeOf = async (text: string) =>
      parseFeed(text).then(
        () => 'parsed',
        (error: unknown) => (error instanceof FeedParseError ? error.code : String(error)),
      )
    expect(await codeOf('<rss version="2.0"><channel><item></channel></rss>')).toBe('feed_malformed')
    expect(await codeOf('{"items": []}')).toBe('feed_malformed')
    expect(await codeOf('')).toBe('feed_malformed')
    expect(await codeOf('<html><body>hi</body></html>')).toBe('feed_is_html')
    expect(await codeOf('<?xml version="1.0"?>\n<!-- x -->\n<!DOCTYPE html><html></html>')).toBe(
      'feed_is_html',
    )
    expect(await codeOf('<opml version="2.0"><body/></opml>')).toBe('feed_unrecognized')
  })
})

describe('entity expansion', () => {
  const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY a "aaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<rss version="2.0"><channel><title>t</title><item><title>&d;</title></item></channel></rss>`

  it('is refused by parseFeed before any parser runs', async () => {
    await expect(parseFeed(billionLaughs)).rejects.toMatchObject({ code: 'feed_entity_declaration' })
  })

  it('is not performed by rss-parser and its XML parser either, strict or lenient', async () => {
    // Even without our check the layer underneath must not expand: strict mode rejects the unknown entity,
    // lenient mode leaves the reference as text.
    await expect(new Parser().parseString(billionLaughs)).rejects.toThrow(/entity/i)
    const lenient = await new Parser({ xml2js: { strict: false, normalizeTags: true }, defaultRSS: 2 })
      .parseString(billionLaughs)
      .catch(() => null)
    const text = JSON.stringify(lenient ?? {})
    expect(text).not.toContain('aaaaaaaaaaaaaaaaaaaa')
  })

  it('is not performed by the HTML listing parser', () => {
    const page = `<!DOCTYPE html [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
      <html><body><article><h2>&b;</h2></article></body></html>`
    const items = parseHtmlListing(page, { item: 'article', title: 'h2' }, 'http://example.kz/')
    expect(items[0]!.title).toBe('&b;')
  })
})
