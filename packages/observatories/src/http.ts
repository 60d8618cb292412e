// HTTP GETs of the pollers: bounded in time and size, conditional where the server gave validators
// (ETag → If-None-Match, Last-Modified → If-Modified-Since), with the server's Retry-After kept for the
// back-off. A failed request is a PollHttpError naming the URL and the status.

export interface Validators {
  etag?: string
  lastModified?: string
}

export interface FetchedPage {
  /** 200 with a body, or 304 when the validators still hold. */
  status: 200 | 304
  text: string
  validators: Validators
}

export interface FetchOptions {
  fetch?: typeof globalThis.fetch
  validators?: Validators | undefined
  signal?: AbortSignal | undefined
  /** Milliseconds for the whole request, body included; 60 s by default. */
  timeoutMs?: number
  /** Largest body read; 64 MiB by default (a day of every IODA signal of a country is far below). */
  maxBytes?: number
}

export class PollHttpError extends Error {
  readonly code = 'POLL_HTTP'
  constructor(
    readonly url: string,
    readonly status: number | null,
    message: string,
    /** Milliseconds the server asked to wait (Retry-After), when it did. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(`${message} (${url})`)
    this.name = 'PollHttpError'
  }
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3), in milliseconds from `now`; null if absent or unreadable. */
export function retryAfterMs(header: string | null, now: Date): number | null {
  if (header === null) return null
  const trimmed = header.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const at = Date.parse(trimmed)
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime())
}

/** GETs `url` as JSON text; see FetchOptions. Throws PollHttpError on a network error, a status other than 200/304, or a body too large. */
export async function getJson(
  url: string,
  options: FetchOptions = {},
  now = new Date(),
): Promise<FetchedPage> {
  const fetchImpl = options.fetch ?? globalThis.fetch
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 60_000)
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout
  const headers: Record<string, string> = { accept: 'application/json' }
  if (options.validators?.etag) headers['if-none-match'] = options.validators.etag
  if (options.validators?.lastModified) headers['if-modified-since'] = options.validators.lastModified
  let response: Response
  try {
    response = await fetchImpl(url, { headers, signal, redirect: 'follow' })
  } catch (error) {
    throw new PollHttpError(url, null, `request failed: ${(error as Error).message}`)
  }
  if (response.status === 304) {
    await response.body?.cancel()
    return { status: 304, text: '', validators: options.validators ?? {} }
  }
  if (response.status !== 200) {
    await response.body?.cancel()
    throw new PollHttpError(
      url,
      response.status,
      `answered ${response.status}`,
      retryAfterMs(response.headers.get('retry-after'), now),
    )
  }
  const text = await readBounded(response, options.maxBytes ?? 64 * 1_048_576, url)
  const validators: Validators = {}
  const etag = response.headers.get('etag')
  const lastModified = response.headers.get('last-modified')
  if (etag && etag.length <= 200) validators.etag = etag
  if (lastModified && lastModified.length <= 100) validators.lastModified = lastModified
  return { status: 200, text, validators }
}

async function readBounded(response: Response, maxBytes: number, url: string): Promise<string> {
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel()
    throw new PollHttpError(url, 200, `body of ${declared} bytes is larger than ${maxBytes}`)
  }
  if (!response.body) return ''
  const decoder = new TextDecoder('utf-8')
  const reader = response.body.getReader()
  let size = 0
  let text = ''
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > maxBytes) {
        await reader.cancel()
        throw new PollHttpError(url, 200, `body is larger than ${maxBytes} bytes`)
      }
      text += decoder.decode(value, { stream: true })
    }
  } catch (error) {
    if (error instanceof PollHttpError) throw error
    throw new PollHttpError(url, 200, `reading the body failed: ${(error as Error).message}`)
  }
  return text + decoder.decode()
}
