// Reads news items from an HTML listing page with per-source CSS selectors, for outlets without a feed.
import { load } from 'cheerio'
import { cleanText, FeedParseError, resolveUrl } from './parse-feed.js'
import { type PublishedOptions, parsePublished } from './published.js'
import type { HtmlSelectors, NewsItem } from './types.js'

/**
 * Parses a listing page. Links are resolved against `pageUrl` (or the page's own `<base href>`). A page
 * where the item selector matches nothing is an error (`html_no_items`): the layout changed and the
 * selectors need updating, which a silent empty list would hide. Dates are read as `parsePublished` reads
 * them, in the source's time zone (`dates.timeZone`) when they carry no offset. A link that cannot be made
 * absolute is kept as written and flagged `linkUnresolved`.
 */
export function parseHtmlListing(
  html: string,
  selectors: HtmlSelectors,
  pageUrl: string,
  dates: PublishedOptions = {},
): NewsItem[] {
  const $ = load(html)
  const baseHref = $('base[href]').first().attr('href')
  const base = baseHref ? (absoluteBase(baseHref, pageUrl) ?? pageUrl) : pageUrl
  const items: NewsItem[] = []
  for (const element of $(selectors.item).toArray()) {
    const entry = $(element)
    const titleElement = entry.find(selectors.title).first()
    const title = cleanText(titleElement.text())
    if (!title) continue
    const linkElement = selectors.link
      ? entry.find(selectors.link).first()
      : titleElement.is('a[href]')
        ? titleElement
        : titleElement.find('a[href]').first().length
          ? titleElement.find('a[href]').first()
          : titleElement.closest('a[href]')
    const href = (linkElement.attr('href') ?? entry.find('a[href]').first().attr('href'))?.trim() || null
    const link = resolveUrl(href, base)
    // Kept as written when no base makes it absolute; a script or mail link is no article link at all.
    const unresolved = !link && href !== null && !/^[a-z][a-z0-9+.-]*:/i.test(href)
    const dateElement = selectors.date ? entry.find(selectors.date).first() : null
    const rawDate = dateElement ? (dateElement.attr('datetime') ?? dateElement.text()) : null
    const summary = selectors.summary ? cleanText(entry.find(selectors.summary).first().text()) : ''
    const published = parsePublished(rawDate, dates)
    items.push({
      guid: link,
      link: link ?? (unresolved ? href!.slice(0, 2000) : null),
      title,
      summary: summary.slice(0, 2000),
      content: '',
      published: published.iso,
      ...(published.issue ? { dateIssue: published.issue } : {}),
      ...(unresolved ? { linkUnresolved: true } : {}),
    })
  }
  if (items.length === 0) {
    throw new FeedParseError('html_no_items', `no element matches the item selector "${selectors.item}"`)
  }
  return items
}

function absoluteBase(href: string, pageUrl: string): string | null {
  try {
    return new URL(href.trim(), pageUrl).href
  } catch {
    return null
  }
}
