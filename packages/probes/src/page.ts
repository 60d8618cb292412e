// Pure decisions about a fetched page: its title, and whether it is a block page. Kept apart from the I/O
// so they are tested on data.
import type { BlockPagePattern } from './types.js'

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' }

/** The text of the first `<title>`, entities decoded and whitespace collapsed, at most 300 characters. */
export function extractTitle(html: string): string | null {
  const match = /<title\b[^>]*>([\s\S]*?)<\/title\s*>/i.exec(html)
  if (match?.[1] === undefined) return null
  const text = match[1]
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, body: string) => {
      if (body[0] === '#') {
        const code =
          body[1] === 'x' || body[1] === 'X' ? Number.parseInt(body.slice(2), 16) : Number(body.slice(1))
        return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity
      }
      return ENTITIES[body.toLowerCase()] ?? entity
    })
    .replace(/\s+/g, ' ')
    .trim()
  return text === '' ? null : text.slice(0, 300)
}

export interface PageFacts {
  statusCode: number
  /** Header names in lower case; repeated headers joined with `, `. */
  headers: Record<string, string>
  body: string
}

/** Where a response sits in its redirect chain; a lone response is both the first and the final one. */
export interface HopPosition {
  first: boolean
  final: boolean
}

/**
 * The first pattern the page matches, or null. Every field a pattern gives must match, and the pattern's
 * `hop` scope (default `any`) must include the page's position in its redirect chain.
 */
export function matchBlockPage(
  page: PageFacts,
  patterns: readonly BlockPagePattern[],
  position: HopPosition = { first: true, final: true },
): BlockPagePattern | null {
  for (const pattern of patterns) {
    if (pattern.hop === 'first' && !position.first) continue
    if (pattern.hop === 'final' && !position.final) continue
    if (pattern.status === undefined && pattern.header === undefined && pattern.body === undefined) continue
    if (pattern.status !== undefined && pattern.status !== page.statusCode) continue
    if (pattern.header !== undefined) {
      const value = page.headers[pattern.header.name.toLowerCase()]
      if (value === undefined || !matches(value, pattern.header.pattern)) continue
    }
    if (pattern.body !== undefined && !matches(page.body, pattern.body)) continue
    return pattern
  }
  return null
}

function matches(text: string, pattern: string | RegExp): boolean {
  if (typeof pattern === 'string') return text.toLowerCase().includes(pattern.toLowerCase())
  pattern.lastIndex = 0
  return pattern.test(text)
}
