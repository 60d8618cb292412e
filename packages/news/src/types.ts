// The data that flows through the news package: sources, fetched items, fetch results and source health.
// The newswatch service stores these shapes as they are.
import type { DateIssue } from './published.js'

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
  /** For a source that mislabels its charset: a hint checked against the bytes like any declaration. */
  charset?: string
  /** IANA time zone of the source's region, for publication times written without an offset. Default UTC. */
  timeZone?: string
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
  /**
   * Why `published` is not to be used for ordering: `unparsed` (a date was given but not understood),
   * `future` (over a day after the fetch) or `too_early` (before 1995). Absent when the date is sound.
   */
  dateIssue?: DateIssue
  /** The link could not be made absolute (no usable base); `link` is kept as the document wrote it. */
  linkUnresolved?: boolean
}

/** A document read only in part: what was wrong first, where, and how many items were still recovered. */
export interface ParseProblem {
  code: ParseErrorCode
  message: string
  /** 1-based line of the first error in the decoded text. */
  line: number | null
  itemsRecovered: number
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
  /** Set when the body was malformed and its items were recovered by a tolerant parse. */
  degraded: ParseProblem | null
  /** Decoded body size in bytes (after decompression). */
  bytes: number
  charset: string | null
  /** How the charset was chosen (which declaration, or why one was overruled by the bytes). */
  charsetReason: string | null
  fetchedAt: string
  durationMs: number
}

export interface SourceHealth {
  lastSuccessAt: string | null
  lastErrorAt: string | null
  lastError: FetchError | null
  consecutiveFailures: number
  /**
   * `ok` after a clean success, `degraded` after a success that recovered items from a malformed body,
   * `failing` after 1–2 failures in a row, `down` from 3 on.
   */
  state: 'unknown' | 'ok' | 'degraded' | 'failing' | 'down'
  /** The problem of the last degraded read; null after a clean one. */
  degraded?: ParseProblem | null
}
