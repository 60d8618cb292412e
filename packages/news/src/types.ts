// The data that flows through the news package: sources, fetched items, fetch results and source health.
// The newswatch service stores these shapes as they are.

/** CSS selectors for an HTML listing page; `item` selects each entry, the others are relative to it. */
export interface HtmlSelectors {
  item: string
  title: string
  /** An element whose `href` is the item's link; defaults to the title element's own or nearest link. */
  link?: string
  /** An element whose `datetime` attribute or text is the publication date. */
  date?: string
  summary?: string
}

export interface NewsSource {
  id: string
  url: string
  /** `feed` for RSS/Atom, `html` for a listing page read with `selectors`. */
  kind: 'feed' | 'html'
  selectors?: HtmlSelectors
  /** For a source that mislabels its charset; wins over HTTP and document declarations, not over a BOM. */
  charset?: string
}

/** One entry of a feed or listing page, as text (markup stripped). */
export interface NewsItem {
  guid: string | null
  link: string | null
  title: string
  summary: string
  content: string
  /** ISO 8601 timestamp, or null when the source gives none or an unparseable one. */
  published: string | null
}

/** Why a source could not be read; a fixed set, so it can label a metric. */
export type FetchErrorCode =
  | 'timeout'
  | 'aborted'
  | 'network'
  | 'http_status'
  | 'too_many_redirects'
  | 'bad_redirect'
  | 'too_large'
  | 'bad_encoding'
  | ParseErrorCode

export type ParseErrorCode =
  | 'feed_is_html'
  | 'feed_entity_declaration'
  | 'feed_malformed'
  | 'feed_unrecognized'
  | 'html_no_items'
  | 'html_no_selectors'

export const FETCH_ERROR_CODES: readonly FetchErrorCode[] = [
  'timeout',
  'aborted',
  'network',
  'http_status',
  'too_many_redirects',
  'bad_redirect',
  'too_large',
  'bad_encoding',
  'feed_is_html',
  'feed_entity_declaration',
  'feed_malformed',
  'feed_unrecognized',
  'html_no_items',
  'html_no_selectors',
]

export interface FetchError {
  code: FetchErrorCode
  message: string
}

export interface FetchResult {
  sourceId: string
  status: 'ok' | 'not_modified' | 'error'
  /** The URL the body came from, after redirects. */
  url: string
  httpStatus: number | null
  /** Validators to send next time; carried over from the request when a 304 does not repeat them. */
  etag: string | null
  lastModified: string | null
  items: NewsItem[]
  error: FetchError | null
  /** Decoded body size in bytes (after decompression). */
  bytes: number
  charset: string | null
  fetchedAt: string
  durationMs: number
}

export interface SourceHealth {
  lastSuccessAt: string | null
  lastErrorAt: string | null
  lastError: FetchError | null
  consecutiveFailures: number
  /** `ok` after a success, `failing` after 1–2 failures in a row, `down` from 3 on. */
  state: 'unknown' | 'ok' | 'failing' | 'down'
}
