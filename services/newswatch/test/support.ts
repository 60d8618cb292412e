// Loopback news outlets, hand-written detention feeds in Russian, Kazakh and English, and a config that
// points newswatch at them. Every server started here is closed by `closeAll`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parseConfig, type VigilConfig } from '@vigil/config'

export type Route = (request: IncomingMessage, response: ServerResponse) => void

export interface Outlet {
  url: string
  /** Replaces what a path answers; a path without a route answers 404. */
  route(path: string, handler: Route): void
  /** Requests seen, by path, with the conditional headers they carried. */
  requests: Array<{ path: string; ifNoneMatch: string | undefined; ifModifiedSince: string | undefined }>
}

const open = new Set<Server>()

export async function startOutlet(): Promise<Outlet> {
  const routes = new Map<string, Route>()
  const requests: Outlet['requests'] = []
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]!
    requests.push({
      path,
      ifNoneMatch: request.headers['if-none-match'],
      ifModifiedSince: request.headers['if-modified-since'],
    })
    const handler = routes.get(path)
    if (!handler) {
      response.writeHead(404, { 'content-type': 'text/plain' })
      response.end('not found')
      return
    }
    handler(request, response)
  })
  open.add(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, route: (path, handler) => routes.set(path, handler), requests }
}

export async function closeAll(): Promise<void> {
  const servers = [...open]
  open.clear()
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve, reject) => {
          // Keep-alive sockets and hanging requests would hold close() open.
          server.closeAllConnections()
          server.close((error) => (error ? reject(error) : resolve()))
        }),
    ),
  )
}

/** Answers with the body, honouring If-None-Match when an etag is given (a real 304). */
export function feedRoute(
  body: string | Uint8Array,
  options: { etag?: string; contentType?: string } = {},
): Route {
  return (request, response) => {
    if (options.etag && request.headers['if-none-match'] === options.etag) {
      response.writeHead(304, { etag: options.etag })
      response.end()
      return
    }
    response.writeHead(200, {
      'content-type': options.contentType ?? 'application/rss+xml; charset=utf-8',
      ...(options.etag ? { etag: options.etag } : {}),
    })
    response.end(body)
  }
}

export interface FeedItem {
  guid?: string
  title: string
  link: string
  description: string
  pubDate: string
}

/** An RSS 2.0 document; `encoding` goes in the prolog only, the caller encodes the bytes. */
export function rss(title: string, items: FeedItem[], encoding = 'utf-8'): string {
  const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;')
  return `<?xml version="1.0" encoding="${encoding}"?>
<rss version="2.0"><channel><title>${escapeXml(title)}</title><link>http://outlet.example/</link>
${items
  .map(
    (item) => `<item>
  <title>${escapeXml(item.title)}</title>
  <link>${escapeXml(item.link)}</link>
  ${item.guid ? `<guid isPermaLink="false">${escapeXml(item.guid)}</guid>` : ''}
  <description>${escapeXml(item.description)}</description>
  <pubDate>${item.pubDate}</pubDate>
</item>`,
  )
  .join('\n')}
</channel></rss>`
}

// windows-1251 maps А..я to 0xC0..0xFF, Ё and ё to 0xA8 and 0xB8; the feeds below use nothing else outside
// ASCII except the guillemets and the dash.
const CP1251_EXTRA: Record<string, number> = { Ё: 0xa8, ё: 0xb8, '«': 0xab, '»': 0xbb, '—': 0x97, '№': 0xb9 }

export function encodeWindows1251(text: string): Uint8Array {
  const bytes: number[] = []
  for (const char of text) {
    const code = char.codePointAt(0)!
    if (code < 0x80) bytes.push(code)
    else if (code >= 0x410 && code <= 0x44f) bytes.push(code - 0x410 + 0xc0)
    else if (CP1251_EXTRA[char] !== undefined) bytes.push(CP1251_EXTRA[char])
    else throw new RangeError(`no windows-1251 byte for ${char}`)
  }
  return Uint8Array.from(bytes)
}

/** A Russian outlet reporting the Almaty rally of 6 July 2019 and the Nur-Sultan one of 9 June. */
export function russianDetentions(base: string): FeedItem[] {
  return [
    {
      guid: 'ru-almaty-0706',
      title: 'В Алматы задержаны около 700 участников митинга',
      link: `${base}/news/2019/07/06/almaty`,
      description:
        'Полиция задерживала участников несанкционированной акции 6 июля на площади; среди задержанных журналисты.',
      pubDate: 'Sat, 06 Jul 2019 12:00:00 +0600',
    },
    {
      guid: 'ru-astana-0609',
      title: 'В Астане задержали более 50 участников акции протеста',
      link: `${base}/news/2019/06/09/astana`,
      description: 'Участников акции протеста задержали в Нур-Султане 9 июня, сообщают наблюдатели.',
      pubDate: 'Sun, 09 Jun 2019 15:00:00 +0600',
    },
    {
      guid: 'ru-weather',
      title: 'Погода: в Нур-Султане похолодает',
      link: `${base}/news/2019/07/06/weather`,
      description: 'Синоптики обещают дожди и ветер.',
      pubDate: 'Sat, 06 Jul 2019 09:00:00 +0600',
    },
    {
      guid: 'ru-crime',
      title: 'В Алматы задержали наркокурьера',
      link: `${base}/news/2019/07/06/crime`,
      description: 'Полиция задержала мужчину с партией наркотиков.',
      pubDate: 'Sat, 06 Jul 2019 10:00:00 +0600',
    },
  ]
}

/** A Kazakh outlet reporting the same Almaty rally, with a lower count. */
export function kazakhDetentions(base: string): FeedItem[] {
  return [
    {
      title: 'Алматыда митингке шыққан 500-ге жуық адам ұсталды',
      link: `${base}/kk/2019/07/06/almaty?utm_source=rss`,
      description: '6 шілдеде Алматыда наразылық акциясына қатысқан 500-ге жуық адамды полиция ұстады.',
      pubDate: 'Sat, 06 Jul 2019 14:00:00 +0600',
    },
  ]
}

/** An English outlet the day after, with a higher count for the same rally: an update. */
export const englishUpdate = (base: string): FeedItem => ({
  guid: 'en-almaty-0707',
  title: 'Almaty rally: nearly 1,000 detained, police say',
  link: `${base}/en/almaty-rally`,
  description:
    'Police in Almaty detained nearly 1,000 protesters at the opposition rally on July 6, the interior ministry said on Sunday.',
  pubDate: 'Sun, 07 Jul 2019 09:00:00 +0600',
})

export interface SourceSpec {
  name: string
  url: string
  type?: 'rss' | 'atom' | 'html'
  encoding?: string
  timeout?: string
  maxBytes?: string
  html?: Record<string, string>
}

/** The Kazakhstan regions (with the config's own canonical Nur-Sultan) and the given news sources. */
export function newsConfigYaml(sources: SourceSpec[]): string {
  const lines = [
    'country: KZ',
    'vantage:',
    '  id: test-newsroom',
    '  role: outside',
    '  country: DE',
    '  network:',
    '    asn: 3320',
    'regions:',
    '  - name: Nur-Sultan',
    '    timeZone: Asia/Almaty',
    '    aliases: [Astana, Нур-Султан, Астана, Нұр-Сұлтан]',
    '  - name: Almaty',
    '    timeZone: Asia/Almaty',
    '    aliases: [Алматы, Alma-Ata]',
    '  - name: Uralsk',
    '    timeZone: Asia/Oral',
    '    aliases: [Oral, Уральск, Орал]',
    // Newswatch probes nothing; the config just needs a target group to be valid.
    'targetGroups:',
    '  - name: control',
    '    purpose: control',
    '    targets:',
    '      - name: loopback',
    '        url: https://example.org/',
    'news:',
    '  interval: 10m',
    '  rallyInterval: 1m',
    '  timeout: 5s',
    '  sources:',
  ]
  for (const source of sources) {
    lines.push(`    - name: ${source.name}`)
    lines.push(`      type: ${source.type ?? 'rss'}`)
    lines.push(`      url: ${source.url}`)
    if (source.encoding) lines.push(`      encoding: ${source.encoding}`)
    if (source.timeout) lines.push(`      timeout: ${source.timeout}`)
    if (source.maxBytes) lines.push(`      maxBytes: ${source.maxBytes}`)
    if (source.html) {
      lines.push('      html:')
      for (const [key, value] of Object.entries(source.html)) lines.push(`        ${key}: '${value}'`)
    }
  }
  return `${lines.join('\n')}\n`
}

export function newsConfig(sources: SourceSpec[]): VigilConfig {
  return parseConfig(newsConfigYaml(sources), 'test.yaml', {})
}
