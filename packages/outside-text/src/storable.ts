// PostgreSQL refuses two things a string from outside can hold: the NUL character (in text and jsonb alike)
// and, inside jsonb, a UTF-16 surrogate without its partner (JSON.stringify writes it as a `\udXXX` escape
// that jsonb rejects). Either one used to fail a whole batch. Both become U+FFFD here, lengths are bounded,
// and JSON is bounded in depth and breadth, so one value from outside can never be refused by the store.

const REPLACEMENT = '\uFFFD'
const SUSPECT = /[\u0000\uD800-\uDFFF]/
// NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/**
 * `value` with NUL and lone surrogates replaced by U+FFFD, cut to at most `maxLength` UTF-16 code units
 * (never inside a surrogate pair), with `…` marking a cut. Linear in the input; never throws.
 */
export function storableText(value: string, maxLength = 100_000): string {
  const text = value.length > maxLength ? cut(value, maxLength) : value
  // Most text holds neither; the cheap scan spares it the lookbehind pattern.
  return SUSPECT.test(text) ? text.replace(UNSTORABLE, REPLACEMENT) : text
}

function cut(value: string, maxLength: number): string {
  if (maxLength <= 1) return value.slice(0, Math.max(0, maxLength))
  let end = maxLength - 1
  const last = value.charCodeAt(end - 1)
  // Do not leave a high surrogate whose low half was cut off.
  if (last >= 0xd800 && last <= 0xdbff) end -= 1
  return `${value.slice(0, end)}…`
}

export interface JsonLimits {
  /** Longest string value, in UTF-16 code units. */
  maxStringLength: number
  /** Longest object key. */
  maxKeyLength: number
  /** Deepest nesting kept; deeper values become the string `[nested too deep]`. */
  maxDepth: number
  /** Most array items and object keys kept per level; the rest are dropped and counted. */
  maxItems: number
}

/**
 * The limits applied to measurement details, TLS chains and other JSON from outside. A page title or a
 * certificate subject is far below 8 kB; 32 levels and 1,000 items per level hold every record Vigil
 * produces itself with room to spare.
 */
export const STORABLE_JSON_LIMITS: JsonLimits = {
  maxStringLength: 8_192,
  maxKeyLength: 256,
  maxDepth: 32,
  maxItems: 1_000,
}

/**
 * A copy of `value` that jsonb accepts: every string and key through `storableText`, numbers that are not
 * finite as null, functions and undefined left out, depth and breadth bounded by `limits` (what is cut is
 * said in the value: `[nested too deep]`, and a `…truncated` key or item with the count dropped). Dates
 * stay Dates (an invalid one becomes null). The result has the shape of `value` wherever nothing was cut.
 */
export function storableJson<T>(value: T, limits: JsonLimits = STORABLE_JSON_LIMITS): T {
  return clean(value, limits, 0) as T
}

function clean(value: unknown, limits: JsonLimits, depth: number): unknown {
  if (value === null) return null
  switch (typeof value) {
    case 'string':
      return storableText(value, limits.maxStringLength)
    case 'number':
      return Number.isFinite(value) ? value : null
    case 'boolean':
      return value
    case 'bigint':
      return value.toString()
    case 'object':
      break
    default:
      return undefined
  }
  // A Date is the caller's own value (postgres.js and JSON both write it); only an invalid one is refused.
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value
  if (depth >= limits.maxDepth) return '[nested too deep]'
  if (Array.isArray(value)) {
    const kept = value.slice(0, limits.maxItems).map((item) => {
      const cleaned = clean(item, limits, depth + 1)
      return cleaned === undefined ? null : cleaned
    })
    if (value.length > limits.maxItems) kept.push(`…truncated ${value.length - limits.maxItems} items`)
    return kept
  }
  const result: Record<string, unknown> = {}
  let count = 0
  let dropped = 0
  for (const key in value as Record<string, unknown>) {
    if (!Object.hasOwn(value as object, key)) continue
    if (count >= limits.maxItems) {
      dropped++
      continue
    }
    const cleaned = clean((value as Record<string, unknown>)[key], limits, depth + 1)
    if (cleaned === undefined) continue
    result[storableText(key, limits.maxKeyLength)] = cleaned
    count++
  }
  if (dropped > 0) result['…truncated'] = dropped
  return result
}
