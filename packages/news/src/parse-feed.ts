// Parses decoded RSS 2.0 / 0.9x, RSS 1.0 and Atom text into news items. Hostile or broken input is
// reported as a FeedParseError with a stable code, never as a crash.

import { neutraliseXmlProlog } from '@vigil/charset'
import Parser from 'rss-parser'
import type { NewsItem, ParseErrorCode } from './types.js'

export class FeedParseError extends Error {
  readonly code: ParseErrorCode
  constructor(code: ParseErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'FeedParseError'
    this.code = code
  }
}

/**
 * Parses a feed. `baseUrl` resolves relative item links. Throws FeedParseError with code `feed_is_html`
 * (a web page where a feed was expected), `feed_entity_declaration` (a DTD declaring entities: billion
 * laughs, external entities), `feed_malformed` (not well-formed XML) or `feed_unrecognized` (XML, but not
 * RSS or Atom).
 */
export async function parseFeed(text: string, options: { baseUrl?: string } = {}): Promise<NewsItem[]> {
  const xml = neutraliseXmlProlog(text)
  const start = skipProlog(xml)
  if (/^<(!doctype\s+html|html[\s>])/i.test(start)) {
    const advertised = advertisedFeedUrl(xml, options.baseUrl)
    throw new FeedParseError(
      'feed_is_html',
      advertised
        ? `expected a feed, got an HTML page; the page advertises a feed at ${advertised}`
        : 'expected a feed, got an HTML page',
    )
  }
  // The XML parser underneath ignores DTD entity declarations (and rejects the references as unknown
  // entities), but a feed never needs them, so they are refused before any parser sees them: nothing
  // downstream can be tricked into expanding or fetching one.
  if (/<!DOCTYPE[^>[]*\[[\s\S]*?<!ENTITY/i.test(xml.slice(0, 65_536))) {
    throw new FeedParseError('feed_entity_declaration', 'the feed declares XML entities in a DTD; refused')
  }
  if (!start.startsWith('<')) {
    throw new FeedParseError('feed_malformed', 'not XML: the body does not start with markup')
  }
  // A fresh parser per call: xml2js parsers keep state between parseString calls. A version-less <rss> is
  // read as RSS 2.0, and unparseable Atom dates are dropped here because rss-parser would throw on them.
  const parser = new Parser({
    defaultRSS: 2,
    xml2js: { strict: true, valueProcessors: [dropInvalidAtomDate] },
  })
  let feed: Awaited<ReturnType<typeof parser.parseString>>
  try {
    feed = await parser.parseString(unprefixAtom(xml))
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    if (/not recognized as RSS|default RSS version/i.test(message)) {
      throw new FeedParseError('feed_unrecognized', 'XML, but neither RSS nor Atom', { cause: error })
    }
    throw new FeedParseError('feed_malformed', `malformed XML: ${firstLine(message)}`, { cause: error })
  }
  // An entry with neither title, link nor text has nothing to read or to link to.
  return feed.items
    .map((raw) => toNewsItem(raw as RawItem, options.baseUrl))
    .filter((item) => item.title || item.link || item.summary)
}

function dropInvalidAtomDate(value: string, name: string): string {
  if ((name === 'published' || name === 'updated') && Number.isNaN(Date.parse(value))) return ''
  return value
}

/** Atom with a prefixed namespace (`<a:feed xmlns:a="http://www.w3.org/2005/Atom">`) as plain Atom elements. */
function unprefixAtom(xml: string): string {
  const root = /<([\w.-]+):feed\b[^>]*\bxmlns:\1\s*=\s*["']http:\/\/www\.w3\.org\/2005\/Atom["']/.exec(
    xml.slice(0, 4096),
  )
  if (!root) return xml
  const prefix = root[1]!.replace(/[.-]/g, '\\$&')
  return xml.replace(new RegExp(`<(/?)${prefix}:`, 'g'), '<$1')
}

interface RawItem {
  guid?: unknown
  id?: unknown
  'rdf:about'?: unknown
  link?: unknown
  title?: unknown
  summary?: unknown
  contentSnippet?: unknown
  'content:encodedSnippet'?: unknown
  isoDate?: unknown
  pubDate?: unknown
  date?: unknown
}

function toNewsItem(raw: RawItem, baseUrl: string | undefined): NewsItem {
  const link = resolveUrl(textOf(raw.link), baseUrl)
  const summary = cleanText(textOf(raw.summary) ?? textOf(raw.contentSnippet) ?? '')
  const encoded = cleanText(textOf(raw['content:encodedSnippet']) ?? '')
  const snippet = cleanText(textOf(raw.contentSnippet) ?? '')
  return {
    guid: textOf(raw.guid) ?? textOf(raw.id) ?? textOf(raw['rdf:about']) ?? link ?? null,
    link,
    title: cleanText(textOf(raw.title) ?? ''),
    summary: summary.slice(0, 2000),
    content: (encoded || (snippet !== summary ? snippet : '')).slice(0, 20_000),
    published: parseDate(textOf(raw.isoDate) ?? textOf(raw.pubDate) ?? textOf(raw.date)),
  }
}

/** xml2js gives strings, `{ _: text, $: attrs }` objects, or arrays of either, depending on the feed. */
function textOf(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() || null
  if (Array.isArray(value)) return textOf(value[0])
  if (value && typeof value === 'object' && '_' in value) return textOf((value as { _: unknown })._)
  return null
}

export function parseDate(value: string | null | undefined): string | null {
  if (!value) return null
  const time = Date.parse(value)
  return Number.isNaN(time) ? null : new Date(time).toISOString()
}

export function resolveUrl(href: string | null | undefined, baseUrl: string | undefined): string | null {
  if (!href) return null
  try {
    const url = new URL(href.trim(), baseUrl)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null
  } catch {
    return null
  }
}

export function cleanText(text: string): string {
  return decodeEntities(text.replace(/<[^>]*>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim()
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  laquo: '«',
  raquo: '»',
  mdash: '—',
  ndash: '–',
  hellip: '…',
  ldquo: '“',
  rdquo: '”',
  lsquo: '‘',
  rsquo: '’',
}

/**
 * Feeds often escape markup twice, so entities survive XML parsing ("&#x0024;4300", "&laquo;"). Only
 * character references and a few named ones are decoded: this is display text, never markup, so nothing
 * can expand.
 */
function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,8});/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1))
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole
    }
    return NAMED_ENTITIES[ref.toLowerCase()] ?? whole
  })
}

function skipProlog(xml: string): string {
  // Skips the XML declaration, processing instructions and comments to reach the first real markup.
  let rest = xml.trimStart()
  for (;;) {
    const next = rest.replace(/^(<\?[\s\S]*?\?>|<!--[\s\S]*?-->)\s*/, '')
    if (next === rest) return rest
    rest = next
  }
}

function advertisedFeedUrl(html: string, baseUrl: string | undefined): string | null {
  const tags = html.slice(0, 65_536).match(/<link\b[^>]*>/gi) ?? []
  for (const tag of tags) {
    if (!/type\s*=\s*["']application\/(rss|atom)\+xml["']/i.test(tag)) continue
    const href = /href\s*=\s*["']([^"']+)["']/i.exec(tag)
    if (href) return resolveUrl(href[1], baseUrl)
  }
  return null
}

function firstLine(message: string): string {
  return message.split('\n').slice(0, 3).join(' ').slice(0, 200)
}
