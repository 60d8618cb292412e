// How an item is recognised when it is seen again (in the next poll, or from a mirror of the same feed):
// by GUID when the feed gives one, else by its canonical URL.
import type { NewsItem } from './types.js'

// Tracking parameters that make one article look like many.
const TRACKING_PARAMS = /^(?:utm_\w+|fbclid|gclid|yclid|ref|from|_openstat|mc_cid|mc_eid)$/i

/** The URL with the fragment, tracking parameters, default port and trailing slash removed, host lower-cased. */
export function canonicalUrl(link: string): string | null {
  let url: URL
  try {
    url = new URL(link.trim())
  } catch {
    return null
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null
  url.hash = ''
  for (const key of [...url.searchParams.keys()]) if (TRACKING_PARAMS.test(key)) url.searchParams.delete(key)
  url.searchParams.sort()
  if (url.pathname.length > 1) url.pathname = url.pathname.replace(/\/+$/, '')
  return url.href
}

/** A stable key for storing an item once: `guid:<source>:<guid>` or `url:<canonical url>`. */
export function itemKey(sourceId: string, item: Pick<NewsItem, 'guid' | 'link'>): string | null {
  const link = item.link ? canonicalUrl(item.link) : null
  // A GUID that is just the link is keyed by the canonical link, so the same article in two feeds is one.
  if (item.guid && item.guid !== item.link) return `guid:${sourceId}:${item.guid}`
  if (link) return `url:${link}`
  return item.guid ? `guid:${sourceId}:${item.guid}` : null
}
