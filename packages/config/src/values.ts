// Schemas for the kinds of value the config file holds (durations, sizes, URLs, hosts, hashes, local
// times), each with an error message that says what was expected and what was found.
import { isIP } from 'node:net'
import { invisibleCharacter } from '@vigil/model'
import { z } from 'zod'
import { parseBitRate, parseByteSize, parseDuration } from './units.js'

type Parsed<T> = { value: T } | { message: string }

/** Any value that is present, converted by `parse`; the message of a failure names what was found. */
function convert<T>(parse: (value: unknown) => Parsed<T>) {
  return z
    .custom<unknown>((value) => value !== undefined)
    .transform((value, ctx): T => {
      const result = parse(value)
      if ('message' in result) {
        ctx.addIssue({ code: 'custom', message: result.message })
        return z.NEVER
      }
      return result.value
    })
}

/** How a found value is shown in an error message. */
export function describeValue(value: unknown): string {
  if (value === undefined || value === null) return 'nothing'
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value
    return JSON.stringify(shown)
  }
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  return String(value)
}

const expected = (what: string, value: unknown) => ({
  message: `expected ${what}, got ${describeValue(value)}`,
})

export function duration(options: { min?: number } = {}) {
  return convert<number>((value) => {
    const ms = typeof value === 'string' ? parseDuration(value) : undefined
    if (ms === undefined) return expected('a duration such as "5m"', value)
    if (options.min !== undefined && ms < options.min) {
      return { message: `must be at least ${options.min / 1000}s, got ${describeValue(value)}` }
    }
    return { value: ms }
  })
}

export function byteSize() {
  return convert<number>((value) => {
    const bytes = typeof value === 'string' || typeof value === 'number' ? parseByteSize(value) : undefined
    if (bytes === undefined || bytes === 0) return expected('a size such as "5MB" or "1MiB"', value)
    return { value: bytes }
  })
}

/** A data rate such as "128kbit/s" or "1Mbit/s", in bits per second. */
export function bitRate() {
  return convert<number>((value) => {
    const bits = typeof value === 'string' ? parseBitRate(value) : undefined
    if (bits === undefined || bits === 0) return expected('a rate such as "128kbit/s" or "1Mbit/s"', value)
    return { value: bits }
  })
}

export const nonEmptyText = () => z.string().trim().min(1)

/**
 * A name people read in alerts, lists and reports (a region and its aliases, a vantage's region or
 * network): non-empty text without invisible or bidirectional control characters (`invisibleCharacter`
 * in @vigil/model says which class), so two names that look the same are the same.
 */
export const visibleText = () =>
  nonEmptyText().superRefine((value, ctx) => {
    const found = invisibleCharacter(value)
    if (found) {
      ctx.addIssue({
        code: 'custom',
        message: `holds the invisible or bidirectional control character ${found}`,
      })
    }
  })

/** Names that end up in metric labels and URLs: no spaces, no punctuation beyond `.`, `_`, `-`. */
export const identifier = () =>
  z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: (issue) => identifierMessage(issue.input) })
    .max(100)

function identifierMessage(value: unknown): string {
  return `expected a name of letters, digits, ".", "_" or "-", got ${describeValue(value)}`
}

export function url(schemes: readonly string[] = ['http', 'https']) {
  return convert<string>((value) => {
    if (typeof value !== 'string') return expected('a URL', value)
    let parsed: URL
    try {
      parsed = new URL(value.trim())
    } catch {
      return expected(`a URL such as "${schemes[schemes.length - 1]}://example.org/"`, value)
    }
    const scheme = parsed.protocol.slice(0, -1)
    if (!schemes.includes(scheme)) {
      return { message: `expected a ${schemes.join(' or ')} URL, got ${describeValue(value)}` }
    }
    if (parsed.password !== '') {
      return { message: 'a URL must not carry a password: put credentials in the environment' }
    }
    return { value: parsed.href }
  })
}

const HOSTNAME =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i

export function isHostname(text: string): boolean {
  return HOSTNAME.test(text) || isIP(text) !== 0
}

export function host() {
  return convert<string>((value) => {
    if (typeof value !== 'string' || !isHostname(value.trim()))
      return expected('a host name or IP address', value)
    return { value: value.trim().toLowerCase() }
  })
}

/** `system`, or a resolver address `ip`, `ip:port` or `[ipv6]:port`. */
export function resolverAddress(options: { allowSystem: boolean }) {
  return convert<string>((value) => {
    const what = options.allowSystem
      ? '"system" or a resolver address such as "1.1.1.1"'
      : 'a resolver address such as "1.1.1.1"'
    if (typeof value !== 'string') return expected(what, value)
    const text = value.trim()
    if (options.allowSystem && text === 'system') return { value: text }
    if (isIP(text) !== 0) return { value: text }
    const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text)
    const address = match?.[1] ?? match?.[2]
    const port = Number(match?.[3])
    if (address && isIP(address) !== 0 && port >= 1 && port <= 65535) return { value: text }
    return expected(what, value)
  })
}

export function ipAddress() {
  return convert<string>((value) =>
    typeof value === 'string' && isIP(value.trim()) !== 0
      ? { value: value.trim() }
      : expected('an IP address', value),
  )
}

/** An IP address or a CIDR block (`10.0.0.0/8`, `2001:db8::/32`). */
export function ipAddressOrBlock() {
  return convert<string>((value) => {
    if (typeof value !== 'string') return expected('an IP address or a CIDR block', value)
    const [address = '', prefix, ...rest] = value.trim().split('/')
    const family = isIP(address)
    const bits = family === 4 ? 32 : 128
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits)
    return family !== 0 && prefixOk && rest.length === 0
      ? { value: value.trim() }
      : expected('an IP address or a CIDR block', value)
  })
}

export const port = () => z.number().int().min(1).max(65_535)

export function asn() {
  return convert<number>((value) => {
    const number =
      typeof value === 'number'
        ? value
        : typeof value === 'string' && /^AS\d+$/i.test(value.trim())
          ? Number(value.trim().slice(2))
          : Number.NaN
    if (!Number.isInteger(number) || number < 1 || number > 4_294_967_295) {
      return expected('an AS number such as 9198 or "AS9198"', value)
    }
    return { value: number }
  })
}

export function countryCode() {
  return convert<string>((value) =>
    typeof value === 'string' && /^[A-Za-z]{2}$/.test(value.trim())
      ? { value: value.trim().toUpperCase() }
      : expected('a two-letter country code such as "KZ"', value),
  )
}

export function timeZone() {
  return convert<string>((value) => {
    if (typeof value !== 'string' || !value.includes('/'))
      return expected('an IANA time zone such as "Asia/Almaty"', value)
    try {
      // The canonical spelling, so that comparisons and labels do not depend on how it was written.
      return {
        value: new Intl.DateTimeFormat('en-US', { timeZone: value.trim() }).resolvedOptions().timeZone,
      }
    } catch {
      return {
        message: `unknown time zone ${describeValue(value)}: expected an IANA name such as "Asia/Almaty"`,
      }
    }
  })
}

/** A local wall-clock time without offset, normalised to `YYYY-MM-DDTHH:MM:SS`. */
export function localDateTime() {
  return convert<string>((value) => {
    const what = 'a local date and time such as "2019-06-09T10:00"'
    if (typeof value !== 'string') return expected(what, value)
    const match = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim())
    if (!match) {
      if (/(?:Z|[+-]\d{2}:?\d{2})$/.test(value.trim())) {
        return {
          message: `expected a local time without offset (the city's time zone applies), got ${describeValue(value)}`,
        }
      }
      return expected(what, value)
    }
    const [year, month, day, hour, minute, second] = match.slice(1).map((part) => Number(part ?? 0)) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ]
    const probe = new Date(Date.UTC(year, month - 1, day, hour, minute, second))
    if (
      probe.getUTCMonth() !== month - 1 ||
      probe.getUTCDate() !== day ||
      hour > 23 ||
      minute > 59 ||
      second > 59
    ) {
      return { message: `no such date or time: ${describeValue(value)}` }
    }
    const pad = (n: number) => String(n).padStart(2, '0')
    return { value: `${year}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(second)}` }
  })
}

/** An absolute instant: ISO 8601 with `Z` or an offset, e.g. `2019-07-06T10:00:00+06:00`. */
export function instant() {
  return convert<Date>((value) => {
    const what = 'a time with offset such as "2019-07-06T10:00:00+06:00"'
    if (typeof value !== 'string') return expected(what, value)
    const text = value.trim()
    if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i.test(text)) {
      return expected(what, value)
    }
    const date = new Date(text.replace(' ', 'T'))
    return Number.isNaN(date.getTime())
      ? { message: `no such date or time: ${describeValue(value)}` }
      : { value: date }
  })
}

/** A regular expression source; compiled once here so a bad pattern fails at start, not mid-rally. */
export function pattern() {
  return convert<string>((value) => {
    if (typeof value !== 'string' || value === '') return expected('a regular expression', value)
    try {
      new RegExp(value, 'iu')
      return { value }
    } catch (error) {
      return { message: `invalid regular expression ${describeValue(value)}: ${(error as Error).message}` }
    }
  })
}

/** A SHA-256 as 64 hex digits, with or without colons; normalised to lowercase without colons. */
export function sha256() {
  return convert<string>((value) => {
    const hex = typeof value === 'string' ? value.trim().replaceAll(':', '').toLowerCase() : ''
    return /^[0-9a-f]{64}$/.test(hex) ? { value: hex } : expected('a SHA-256 as 64 hex digits', value)
  })
}

export function emailAddress() {
  return convert<string>((value) =>
    typeof value === 'string' && /^[^\s@<>",;]+@[^\s@<>",;]+$/.test(value.trim())
      ? { value: value.trim() }
      : expected('an email address', value),
  )
}

/** A From header: `alerts@example.org` or `Vigil <alerts@example.org>`. */
export function mailbox() {
  return convert<string>((value) =>
    typeof value === 'string' && /^(?:[^<>@]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/.test(value.trim())
      ? { value: value.trim() }
      : expected('an address such as "Vigil <alerts@example.org>"', value),
  )
}

export function textEncoding() {
  return convert<string>((value) => {
    if (typeof value !== 'string') return expected('a character encoding such as "windows-1251"', value)
    try {
      return { value: new TextDecoder(value.trim()).encoding }
    } catch {
      return { message: `unknown character encoding ${describeValue(value)}` }
    }
  })
}

export const fraction = () => z.number().min(0).max(1)
export const positiveInt = () => z.number().int().min(1)
