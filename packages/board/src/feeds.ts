// Atom (RFC 4287) and RSS 2.0 feeds of the public status entries, per country or region.
import type { PublicEntry } from './public-status.js'

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return (
    text
      // Characters XML 1.0 does not allow at all (from hostile feed titles) are dropped.
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      .replaceAll('&', '&amp;')
      .replaceAll('<', '&lt;')
      .replaceAll('>', '&gt;')
      .replaceAll('"', '&quot;')
      .replaceAll("'", '&apos;')
  )
}

const x = escapeXml

export interface FeedInfo {
  title: string
  /** The feed's own absolute URL (Atom `self`, also its id). */
  selfUrl: string
  /** The status page's absolute URL. */
  pageUrl: string
  /** When nothing is in the feed, its `updated`. */
  generatedAt: string
}

function entryLink(info: FeedInfo, entry: PublicEntry): string {
  return `${info.pageUrl}#${entry.anchor}`
}

function entryText(entry: PublicEntry): string {
  return [...entry.lines, ...entry.links.map((link) => `${link.title} <${link.url}>`)].join('\n')
}

/** An Atom 1.0 document: feed id, title, updated, author and self link; each entry id, title, updated. */
export function renderAtom(info: FeedInfo, entries: readonly PublicEntry[]): string {
  const updated =
    entries
      .map((entry) => entry.updated)
      .sort()
      .at(-1) ?? info.generatedAt
  const items = entries
    .map(
      (entry) => `<entry>
<id>${x(entry.id)}</id>
<title type="text">${x(entry.title)}</title>
<published>${x(entry.published)}</published>
<updated>${x(entry.updated)}</updated>
<link rel="alternate" type="text/html" href="${x(entryLink(info, entry))}"/>
${entry.links.map((link) => `<link rel="related" href="${x(link.url)}" title="${x(link.title)}"/>`).join('\n')}
<category term="${x(entry.type)}"/>
<summary type="text">${x(entryText(entry))}</summary>
</entry>`,
    )
    .join('\n')
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<id>${x(info.selfUrl)}</id>
<title type="text">${x(info.title)}</title>
<updated>${x(updated)}</updated>
<author><name>${x(info.title)}</name></author>
<link rel="self" type="application/atom+xml" href="${x(info.selfUrl)}"/>
<link rel="alternate" type="text/html" href="${x(info.pageUrl)}"/>
${items}
</feed>
`
}

/** An RSS 2.0 document: channel title, link, description; each item title, link, guid, pubDate (RFC 822). */
export function renderRss(info: FeedInfo, entries: readonly PublicEntry[]): string {
  const items = entries
    .map(
      (entry) => `<item>
<title>${x(entry.title)}</title>
<link>${x(entryLink(info, entry))}</link>
<guid isPermaLink="false">${x(entry.id)}</guid>
<pubDate>${new Date(entry.updated).toUTCString()}</pubDate>
<category>${x(entry.type)}</category>
<description>${x(entryText(entry))}</description>
</item>`,
    )
    .join('\n')
  return `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>${x(info.title)}</title>
<link>${x(info.pageUrl)}</link>
<description>${x(`Incidents and detention reports: ${info.title}`)}</description>
<atom:link href="${x(info.selfUrl)}" rel="self" type="application/rss+xml"/>
<lastBuildDate>${new Date(info.generatedAt).toUTCString()}</lastBuildDate>
${items}
</channel>
</rss>
`
}
