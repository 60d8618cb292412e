// Reads news items from an HTML listing page with per-source CSS selectors, for outlets without a feed.
import { load } from 'cheerio'
import { parseLooseDate } from './dates.js'
import { cleanText, FeedParseError, resolveUrl } from './parse-feed.js'
import type { HtmlSelectors, NewsItem } from './types.js'

/**
 * Parses a listing page. Links are resolved against `pageUrl` (or the page's own `<base href>`). A page
 * where the item selector matches nothing is an error (`html_no_items`): the layout changed and the
 * selectors need updating, which a silent empty list would hide.
 */
export function parseHtmlListing(html: string, selectors: HtmlSelectors, pageUrl: string): NewsItem[] {
  const $ = load(html)
  const baseHref = $('base[href]').first().attr('href')
  const base = resolveUrl(baseHref, pageUrl) ?? pageUrl
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
    const link = resolveUrl(linkElement.attr('href') ?? entry.find('a[href]').first().attr('href'), base)
    const dateElement = selectors.date ? entry.find(selectors.date).first() : null
    const rawDate = dateElement ? (dateElement.attr('datetime') ?? dateElement.text()) : null
    const summary = selectors.summary ? cleanText(entry.find(selectors.summary).first().text()) : ''
    items.push({
      guid: link,
      link,
      title,
      summary: summary.slice(0, 2000),
      content: '',
      published: rawDate ? parseLooseDate(rawDate.trim()) : null,
    })
  }
  if (items.length === 0) {
    throw new FeedParseError('html_no_items', `no element matches the item selector "${selectors.item}"`)
  }
  return items
}
