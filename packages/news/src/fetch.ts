// Fetches one news source and parses it: conditional GET, redirects, timeout, a size cap enforced while
// streaming, decompression and charset decoding. A source's problem is returned as data, never thrown.
import type { Readable } from 'node:stream'
import zlib from 'node:zlib'
import { decodeBody } from '@vigil/charset'
import { redactCredentials } from '@vigil/errors'
import { type Dispatcher, request } from 'undici'
import { FeedParseError, parseFeedDocument } from './parse-feed.js'
import { parseHtmlListing } from './parse-html.js'
import type { FetchError, FetchErrorCode, FetchResult, NewsItem, NewsSource, ParseProblem } from './types.js'

export interface FetchOptions {
  /** Validators from the previous successful fetch, for a conditional GET. */
  etag?: string | null
  lastModified?: string | null
  /** For the whole exchange, redirects and body included. Default 30 s. */
  timeoutMs?: number
  /** Cap on the decompressed body. Default 10 MiB. */
  maxBytes?: number
  /** Default 5. */
  maxRedirects?: number
  signal?: AbortSignal
  userAgent?: string
  /** An undici dispatcher (proxy, custom agent); the global one by default. */
  dispatcher?: Dispatcher
  /** Decodes and parses the body; `parseSourceBody` by default (a caller may run it in a worker thread). */
  parse?: typeof parseSourceBody
}

export const DEFAULT_TIMEOUT_MS = 30_000
export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024
export const DEFAULT_MAX_REDIRECTS = 5
const DEFAULT_USER_AGENT = 'Vigil-newswatch/0.1 (press-freedom monitor)'
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

class FetchFailure extends Error {
  readonly code: FetchErrorCode
  readonly httpStatus: number | null
  constructor(code: FetchErrorCode, message: string, httpStatus: number | null = null) {
    super(message)
    this.code = code
    this.httpStatus = httpStatus
  }
}

/** Fetches and parses a source. Never throws for anything the source or the network does. */
export async function fetchSource(source: NewsSource, options: FetchOptions = {}): Promise<FetchResult> {
  const fetchedAt = new Date()
  const started = performance.now()
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES
  const timeoutSignal = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS)
  const signal = options.signal ? AbortSignal.any([options.signal, timeoutSignal]) : timeoutSignal
  const result: FetchResult = {
    sourceId: source.id,
    status: 'error',
    url: source.url,
    httpStatus: null,
    etag: options.etag ?? null,
    lastModified: options.lastModified ?? null,
    items: [],
    error: null,
    degraded: null,
    bytes: 0,
    charset: null,
    charsetReason: null,
    fetchedAt: fetchedAt.toISOString(),
    durationMs: 0,
  }
  const finish = (): FetchResult => ({ ...result, durationMs: Math.round(performance.now() - started) })
  try {
    const response = await requestFollowingRedirects(source, options, signal, result)
    result.httpStatus = response.statusCode
    const etag = headerValue(response.headers.etag)
    const lastModified = headerValue(response.headers['last-modified'])
    if (response.statusCode === 304) {
      await response.body.dump()
      result.status = 'not_modified'
      result.etag = etag ?? result.etag
      result.lastModified = lastModified ?? result.lastModified
      return finish()
    }
    if (response.statusCode < 200 || response.statusCode > 299) {
      await response.body.dump().catch(() => {})
      throw new FetchFailure(
        'http_status',
        `HTTP ${response.statusCode} from ${result.url}`,
        response.statusCode,
      )
    }
    const declaredLength = Number(headerValue(response.headers['content-length']) ?? Number.NaN)
    const contentEncoding = (headerValue(response.headers['content-encoding']) ?? '').trim().toLowerCase()
    if (!contentEncoding && declaredLength > maxBytes) {
      response.body.destroy()
      throw new FetchFailure(
        'too_large',
        `the response declares ${declaredLength} bytes, over the cap of ${maxBytes}`,
      )
    }
    const bytes = await readCapped(response.body, contentEncoding, maxBytes)
    result.bytes = bytes.byteLength
    const parsed = await (options.parse ?? parseSourceBody)(source, bytes, {
      contentType: headerValue(response.headers['content-type']),
      baseUrl: result.url,
      fetchedAt,
    })
    result.charset = parsed.charset
    result.charsetReason = parsed.charsetReason
    result.items = parsed.items
    result.degraded = parsed.degraded
    result.status = 'ok'
    // Validators are only kept once the body was usable, so a broken body is fetched again in full.
    result.etag = etag
    result.lastModified = lastModified
    return finish()
  } catch (error) {
    result.status = 'error'
    result.error = classifyError(error, timeoutSignal, options.signal)
    if (error instanceof FetchFailure && error.httpStatus !== null) result.httpStatus = error.httpStatus
    return finish()
  }
}

/** What a body gave: its items, the charset it was read in and why, and what was wrong with it if anything. */
export interface ParsedBody {
  items: NewsItem[]
  charset: string
  /** Why that charset (a declaration, or which declaration the bytes overruled). */
  charsetReason: string
  degraded: ParseProblem | null
}

/**
 * Decodes and parses a body obtained some other way (a saved file, a test fixture): the same path a fetch
 * takes after the network. `baseUrl` is where the body came from (after redirects), for relative links;
 * `fetchedAt` flags publication times in the future. Throws FeedParseError for a body with nothing to read.
 */
export async function parseSourceBody(
  source: NewsSource,
  bytes: Uint8Array,
  options: { contentType?: string | null; baseUrl?: string; fetchedAt?: Date } = {},
): Promise<ParsedBody> {
  const decoded = decodeBody(bytes, {
    contentType: options.contentType ?? null,
    charsetOverride: source.charset ?? null,
  })
  const read = readSourceText(source, decoded.text, options.baseUrl ?? source.url, options.fetchedAt)
  return {
    items: read.items,
    degraded: read.degraded,
    charset: decoded.charset,
    charsetReason: decoded.reason,
  }
}

/** Parses already-decoded text as the source's kind says: the same path a fetch takes, for files and tests. */
export async function parseSourceText(
  source: NewsSource,
  text: string,
  baseUrl: string,
): Promise<NewsItem[]> {
  return readSourceText(source, text, baseUrl).items
}

function readSourceText(
  source: NewsSource,
  text: string,
  baseUrl: string,
  fetchedAt?: Date,
): { items: NewsItem[]; degraded: ParseProblem | null } {
  const dates = {
    ...(source.timeZone ? { timeZone: source.timeZone } : {}),
    ...(fetchedAt ? { fetchedAt } : {}),
  }
  if (source.kind === 'html') {
    if (!source.selectors)
      throw new FeedParseError('html_no_selectors', `source ${source.id} has no selectors`)
    return { items: parseHtmlListing(text, source.selectors, baseUrl, dates), degraded: null }
  }
  return parseFeedDocument(text, { baseUrl, ...dates })
}

async function requestFollowingRedirects(
  source: NewsSource,
  options: FetchOptions,
  signal: AbortSignal,
  result: FetchResult,
): Promise<Dispatcher.ResponseData> {
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS
  const headers: Record<string, string> = {
    'user-agent': options.userAgent ?? DEFAULT_USER_AGENT,
    'accept-encoding': 'gzip, deflate, br',
    accept:
      source.kind === 'html'
        ? 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.5'
        : 'application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.5',
  }
  if (options.etag) headers['if-none-match'] = options.etag
  if (options.lastModified) headers['if-modified-since'] = options.lastModified
  let url = source.url
  for (let hop = 0; ; hop++) {
    const response = await request(url, {
      method: 'GET',
      headers,
      signal,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    })
    const location = headerValue(response.headers.location)
    if (!REDIRECT_STATUSES.has(response.statusCode) || !location) return response
    await response.body.dump().catch(() => {})
    if (hop >= maxRedirects) {
      throw new FetchFailure('too_many_redirects', `more than ${maxRedirects} redirects, last to ${location}`)
    }
    let next: URL
    try {
      next = new URL(location, url)
    } catch {
      throw new FetchFailure('bad_redirect', `unusable redirect location "${location.slice(0, 200)}"`)
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      throw new FetchFailure('bad_redirect', `redirect to a ${next.protocol} URL refused`)
    }
    url = next.href
    result.url = url
  }
}

/**
 * Reads the body, decompressing as it goes, and stops as soon as the decompressed size passes the cap:
 * the connection is torn down, so a 50 MB (or endless, or zip-bomb) response costs at most the cap.
 */
async function readCapped(body: Readable, contentEncoding: string, maxBytes: number): Promise<Uint8Array> {
  let stream: Readable = body
  if (contentEncoding && contentEncoding !== 'identity') {
    const decompressor =
      contentEncoding === 'gzip' || contentEncoding === 'x-gzip' || contentEncoding === 'deflate'
        ? // Unzip reads both gzip and zlib-wrapped deflate, which is what servers send as "deflate".
          zlib.createUnzip()
        : contentEncoding === 'br'
          ? zlib.createBrotliDecompress()
          : null
    if (!decompressor) {
      body.destroy()
      throw new FetchFailure('bad_encoding', `unsupported Content-Encoding "${contentEncoding.slice(0, 40)}"`)
    }
    body.on('error', (error) => decompressor.destroy(error))
    stream = body.pipe(decompressor)
  }
  const chunks: Buffer[] = []
  let total = 0
  try {
    for await (const chunk of stream) {
      total += (chunk as Buffer).byteLength
      if (total > maxBytes) {
        throw new FetchFailure('too_large', `the body exceeds the cap of ${maxBytes} bytes; reading stopped`)
      }
      chunks.push(chunk as Buffer)
    }
  } catch (error) {
    body.destroy()
    stream.destroy()
    if (error instanceof FetchFailure) throw error
    if (stream !== body && isZlibError(error)) {
      throw new FetchFailure('bad_encoding', `the ${contentEncoding} body could not be decompressed`)
    }
    throw error
  }
  return Buffer.concat(chunks, total)
}

function isZlibError(error: unknown): boolean {
  return (
    typeof (error as { code?: unknown })?.code === 'string' && /^Z_/.test((error as { code: string }).code)
  )
}

function classifyError(
  error: unknown,
  timeoutSignal: AbortSignal,
  callerSignal: AbortSignal | undefined,
): FetchError {
  if (error instanceof FetchFailure || error instanceof FeedParseError) {
    return { code: error.code, message: redactCredentials(error.message) }
  }
  if (timeoutSignal.aborted) return { code: 'timeout', message: 'the source did not answer in time' }
  if (callerSignal?.aborted) return { code: 'aborted', message: 'the fetch was cancelled' }
  const cause = (error as { cause?: unknown })?.cause
  const code = (cause as { code?: string })?.code ?? (error as { code?: string })?.code
  const message = error instanceof Error ? error.message : String(error)
  return {
    code: 'network',
    message: redactCredentials(code && !message.includes(code) ? `${code}: ${message}` : message),
  }
}

function headerValue(value: string | string[] | undefined): string | null {
  if (Array.isArray(value)) return value[0] ?? null
  return value ?? null
}
