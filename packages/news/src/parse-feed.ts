// Parses decoded RSS 2.0 / 0.9x, RSS 1.0 and Atom text into news items, reading broken feeds as far as
// they go: a strict XML pass finds out whether (and where) the document is malformed, and a tolerant pass
// (htmlparser2 in XML mode) always does the reading, so one bare `&` costs nothing but a *degraded* mark,
// never the feed's other items.

import { neutraliseXmlProlog } from '@vigil/charset'
import { type Element, isTag } from 'domhandler'
import { getAttributeValue, getChildren, textContent } from 'domutils'
import { decodeHTMLStrict } from 'entities'
import { parseDocument } from 'htmlparser2'
import sax from 'sax'
import { parsePublished } from './published.js'
import type { NewsItem, ParseErrorCode, ParseProblem } from './types.js'

export class FeedParseError extends Error {
  readonly code: ParseErrorCode
  constructor(code: ParseErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'FeedParseError'
    this.code = code
  }
}

export interface FeedOptions {
  /** The URL the document was fetched from, after redirects: the last base for relative links. */
  baseUrl?: string
  /** IANA time zone of the source's region, for dates written without an offset. Default UTC. */
  timeZone?: string
  /** When the document was fetched, to flag publication times in the future. */
  fetchedAt?: Date
}

export interface FeedDocument {
  items: NewsItem[]
  /** Set when the document is not well-formed (or not a plain feed) and the items were recovered from it. */
  degraded: ParseProblem | null
}

// C0 control characters other than tab, newline and carriage return are not allowed anywhere in XML 1.0.
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g

/**
 * Parses a feed; `parseFeedDocument` without the degraded mark. Kept for callers that only want items.
 */
export async function parseFeed(text: string, options: FeedOptions = {}): Promise<NewsItem[]> {
  return parseFeedDocument(text, options).items
}

/**
 * Reads a feed as far as it can be read. A well-formed feed gives its items and `degraded: null`; a
 * malformed one (bare `&`, undeclared entity, control characters, truncated body, two root elements, a
 * feed wrapped in an HTML page) gives every item a tolerant parse recovers and `degraded` with the first
 * error, its line and the number of items recovered. Throws FeedParseError when nothing can be recovered:
 * `feed_is_html` (a web page where a feed was expected, with the feed it advertises if any),
 * `feed_entity_declaration` (a DTD declaring entities: billion laughs, external entities, refused before
 * any parser runs), `feed_malformed` (broken with no item to recover) or `feed_unrecognized` (XML, but not
 * RSS or Atom).
 */
export function parseFeedDocument(text: string, options: FeedOptions = {}): FeedDocument {
  const xml = neutraliseXmlProlog(text)
  const start = skipProlog(xml)
  // A feed never needs entity declarations, so they are refused before any parser sees them: nothing can
  // be tricked into expanding or fetching one.
  if (/<!DOCTYPE[^>[]*\[[\s\S]*?<!ENTITY/i.test(xml.slice(0, 65_536))) {
    throw new FeedParseError('feed_entity_declaration', 'the feed declares XML entities in a DTD; refused')
  }
  if (!start.startsWith('<')) {
    throw new FeedParseError('feed_malformed', 'not XML: the body does not start with markup')
  }
  const isHtml = /^<(!doctype\s+html|html[\s>])/i.test(start)
  const controls = firstMatchLine(xml, CONTROL_CHARACTERS)
  const cleaned = controls === null ? xml : xml.replace(CONTROL_CHARACTERS, '')
  const strictError = isHtml ? null : wellFormednessError(cleaned)

  const document = parseDocument(cleaned, {
    xmlMode: true,
    recognizeCDATA: true,
    decodeEntities: true,
  })
  const root = findFeedRoot(document.children)
  if (!root) {
    if (isHtml) {
      const advertised = advertisedFeedUrl(xml, options.baseUrl)
      throw new FeedParseError(
        'feed_is_html',
        advertised
          ? `expected a feed, got an HTML page; the page advertises a feed at ${advertised}`
          : 'expected a feed, got an HTML page',
      )
    }
    if (strictError) {
      throw new FeedParseError(
        'feed_malformed',
        `malformed XML at line ${strictError.line}: ${strictError.message}; no feed could be recovered`,
      )
    }
    throw new FeedParseError('feed_unrecognized', 'XML, but neither RSS nor Atom')
  }
  const documentBase = htmlBase(document.children, options.baseUrl) ?? options.baseUrl
  // An entry with neither title, link nor text has nothing to read or to link to.
  const items = entriesOf(root)
    .map((entry) => toNewsItem(entry, root, documentBase, options))
    .filter((item) => item.title || item.link || item.summary)

  let degraded: ParseProblem | null = null
  if (isHtml) {
    degraded = {
      code: 'feed_is_html',
      message: 'a feed inside an HTML page; its entries were read from the page',
      line: lineOf(xml, xml.indexOf(`<${root.name}`)),
      itemsRecovered: items.length,
    }
  } else if (strictError || controls !== null) {
    const first =
      controls !== null && (!strictError || controls <= strictError.line)
        ? { line: controls, message: 'control characters, which XML does not allow, were removed' }
        : strictError!
    degraded = {
      code: 'feed_malformed',
      message: `malformed XML: ${first.message}`,
      line: first.line,
      itemsRecovered: items.length,
    }
  }
  if (degraded && items.length === 0) {
    throw new FeedParseError(
      degraded.code,
      `${degraded.message} (line ${degraded.line}); no item could be recovered`,
    )
  }
  return { items, degraded }
}

/**
 * The first well-formedness error a strict XML parser (sax) finds, with its line, or null. HTML's named
 * entities (`&nbsp;`, `&laquo;`) are accepted: they are undeclared in XML, but every feed reader reads
 * them and their meaning is not in doubt.
 */
function wellFormednessError(xml: string): { message: string; line: number } | null {
  const parser = sax.parser(true, { xmlns: false, position: true })
  ;(parser as unknown as { ENTITIES: Record<string, string> }).ENTITIES = {
    ...(sax as unknown as { ENTITIES: Record<string, string> }).ENTITIES,
  }
  let error: { message: string; line: number } | null = null
  parser.onerror = (cause) => {
    error ??= { message: cause.message.split('\n')[0]!.slice(0, 160), line: parser.line + 1 }
    throw cause
  }
  try {
    parser.write(xml).close()
  } catch {
    // The first error is all that is wanted; sax would go on reporting the consequences.
  }
  return error
}

type Node = ReturnType<typeof parseDocument>['children'][number]

function localName(element: Element): string {
  const name = element.name.toLowerCase()
  const colon = name.indexOf(':')
  return colon >= 0 ? name.slice(colon + 1) : name
}

function elementsOf(nodes: readonly Node[]): Element[] {
  return nodes.filter((node): node is Element => isTag(node))
}

/** The first rss, feed or RDF element, searched through wrappers (an HTML page, a second root). */
function findFeedRoot(nodes: readonly Node[], depth = 0): Element | null {
  for (const element of elementsOf(nodes)) {
    const name = localName(element)
    if (name === 'rss' || name === 'feed' || name === 'rdf' || name === 'channel') return element
    if (depth < 6) {
      const found = findFeedRoot(element.children, depth + 1)
      if (found) return found
    }
  }
  return null
}

/** RSS items (inside or beside the channel, as RSS 1.0 has them) or Atom entries, in document order. */
function entriesOf(root: Element): Element[] {
  const entries: Element[] = []
  const visit = (nodes: readonly Node[], depth: number) => {
    for (const element of elementsOf(nodes)) {
      const name = localName(element)
      if (name === 'item' || name === 'entry') entries.push(element)
      else if (depth < 3) visit(element.children, depth + 1)
    }
  }
  visit(root.children, 0)
  return entries
}

function child(element: Element, ...names: string[]): Element | undefined {
  const children = elementsOf(getChildren(element))
  // The exact name first, so `description` wins over `media:description`; then a prefixed core element
  // (`<a:title>` in a feed that binds Atom to a prefix).
  for (const name of names) {
    const found = children.find((candidate) => candidate.name.toLowerCase() === name)
    if (found) return found
  }
  for (const name of names) {
    if (name.includes(':')) continue
    const found = children.find((candidate) => localName(candidate) === name)
    if (found) return found
  }
  return undefined
}

function textOf(element: Element | undefined): string | null {
  if (!element) return null
  return textContent(element).trim() || null
}

function toNewsItem(
  entry: Element,
  root: Element,
  documentBase: string | undefined,
  options: FeedOptions,
): NewsItem {
  const { link, unresolved } = entryLink(entry, root, documentBase)
  const description = textOf(child(entry, 'description', 'summary'))
  const encoded = textOf(child(entry, 'content:encoded', 'content'))
  const summary = cleanText(description ?? '')
  const content = cleanText(encoded ?? '')
  const rawDate = textOf(child(entry, 'pubdate', 'published', 'dc:date', 'updated', 'issued', 'modified'))
  const published = parsePublished(rawDate, {
    ...(options.timeZone ? { timeZone: options.timeZone } : {}),
    ...(options.fetchedAt ? { fetchedAt: options.fetchedAt } : {}),
  })
  const guid =
    textOf(child(entry, 'guid', 'id')) ?? getAttributeValue(entry, 'rdf:about')?.trim() ?? link ?? null
  return {
    guid,
    link,
    title: cleanText(textOf(child(entry, 'title')) ?? ''),
    summary: (summary || content).slice(0, 2000),
    content: (content !== summary ? content : '').slice(0, 20_000),
    published: published.iso,
    ...(published.issue ? { dateIssue: published.issue } : {}),
    ...(unresolved ? { linkUnresolved: true } : {}),
  }
}

/**
 * The entry's link, resolved per the document's own bases: `xml:base` on the feed, on its ancestors, on
 * the entry and on the link element itself (each relative to the one outside it), then the base the
 * document came with. A link that cannot be made an absolute http(s) URL is kept as written and flagged
 * rather than pointed at a host it never named. `javascript:` and other schemes are dropped.
 */
function entryLink(
  entry: Element,
  root: Element,
  documentBase: string | undefined,
): { link: string | null; unresolved: boolean } {
  const links = elementsOf(getChildren(entry)).filter((element) => localName(element) === 'link')
  let element: Element | undefined
  let href: string | null = null
  for (const candidate of links) {
    const rel = getAttributeValue(candidate, 'rel') ?? 'alternate'
    const value = getAttributeValue(candidate, 'href') ?? textOf(candidate)
    if (!value) continue
    if (rel === 'alternate') {
      element = candidate
      href = value
      break
    }
    if (!href) {
      element = candidate
      href = value
    }
  }
  if (!href) {
    // RSS permalinks: a guid that says it is one.
    const guid = child(entry, 'guid')
    if (
      guid &&
      getAttributeValue(guid, 'isPermaLink')?.toLowerCase() !== 'false' &&
      /^https?:/i.test(textOf(guid) ?? '')
    ) {
      href = textOf(guid)
      element = guid
    }
  }
  if (!href) return { link: null, unresolved: false }
  let base = documentBase
  const chain: Element[] = []
  for (let node: Element | null = element ?? entry; node; node = node.parent as Element | null) {
    if (!isTag(node)) break
    chain.unshift(node)
    if (node === root) break
  }
  for (const node of chain) {
    const xmlBase = getAttributeValue(node, 'xml:base')
    if (xmlBase) base = absoluteUrl(xmlBase.trim(), base) ?? base
  }
  const trimmed = decodeHTMLStrict(href.trim())
  if (/^[a-z][a-z0-9+.-]*:/i.test(trimmed) && !/^https?:/i.test(trimmed)) {
    return { link: null, unresolved: false }
  }
  const resolved = resolveUrl(trimmed, base)
  if (resolved) return { link: resolved, unresolved: false }
  return { link: trimmed.slice(0, 2000), unresolved: true }
}

/** The `<base href>` of an HTML page the feed is wrapped in, resolved against the fetch URL. */
function htmlBase(nodes: readonly Node[], baseUrl: string | undefined, depth = 0): string | null {
  for (const element of elementsOf(nodes)) {
    if (element.name.toLowerCase() === 'base') {
      const href = getAttributeValue(element, 'href')
      if (href) return absoluteUrl(href.trim(), baseUrl)
    }
    if (depth < 3 && ['html', 'head'].includes(element.name.toLowerCase())) {
      const found = htmlBase(element.children, baseUrl, depth + 1)
      if (found) return found
    }
  }
  return null
}

/** An absolute URL of any hierarchical scheme, for use as a base; null when it cannot be one. */
function absoluteUrl(href: string, base: string | undefined): string | null {
  try {
    return new URL(href, base).href
  } catch {
    return null
  }
}

/** Publication time of any text, for callers that parsed it elsewhere; see `parsePublished`. */
export function parseDate(value: string | null | undefined, timeZone?: string): string | null {
  return parsePublished(value, timeZone ? { timeZone } : {}).iso
}

/** An absolute http(s) URL for `href` relative to `baseUrl`, or null (no base, other scheme, unparseable). */
export function resolveUrl(href: string | null | undefined, baseUrl: string | undefined): string | null {
  if (!href) return null
  try {
    const url = new URL(href.trim(), baseUrl)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null
  } catch {
    return null
  }
}

/**
 * Display text from feed text: tags removed, entities decoded once more (feeds often escape markup twice,
 * "&amp;laquo;"), whitespace collapsed. Only character references are decoded here, never markup, so
 * nothing can expand.
 */
export function cleanText(text: string): string {
  return decodeHTMLStrict(text.replace(/<[^>]*>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim()
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

function firstMatchLine(text: string, pattern: RegExp): number | null {
  pattern.lastIndex = 0
  const match = pattern.exec(text)
  pattern.lastIndex = 0
  return match ? lineOf(text, match.index) : null
}

function lineOf(text: string, index: number): number {
  if (index < 0) return 1
  let line = 1
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++
  return line
}
