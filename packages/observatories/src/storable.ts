// Text and values from OONI and IODA files made storable where they enter: no NUL (PostgreSQL text and
// jsonb refuse it), no lone UTF-16 surrogates (jsonb refuses them), no control characters, bounded length.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** `text` without NUL and control characters, lone surrogates replaced, cut to `max` characters. */
export function storableText(text: string, max: number): string {
  const clean = text
    .replace(LONE_SURROGATE, '\uFFFD')
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean
}

/** A non-empty string made storable, or null for anything else (null, numbers, objects, ""). */
export function optionalText(value: unknown, max: number): string | null {
  if (typeof value !== 'string') return null
  const text = storableText(value, max)
  return text === '' ? null : text
}

// An OONI failure string is short (`generic_timeout_error`, `unknown_failure: ...`); 200 keeps every
// documented one and bounds what a hostile file can put into a row.
const FAILURE_MAX = 200

/** An OONI failure string (df-007-errors) made storable; null when the value is not a non-empty string. */
export function failureString(value: unknown): string | null {
  return optionalText(value, FAILURE_MAX)
}

const RAW_KEYS = 40
const RAW_KEY_LENGTH = 64
const RAW_TEXT_LENGTH = 200
const RAW_LIST_ITEMS = 10

/**
 * A bounded copy of the top-level scalar entries of an object (booleans, finite numbers, null, short
 * strings, and short lists of those): what is kept of a verdict Vigil could not read, so an analyst can
 * see what the file said without storing its whole network trace.
 */
export function rawScalars(record: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = {}
  let count = 0
  for (const [key, value] of Object.entries(record)) {
    if (count >= RAW_KEYS) break
    const scalar = scalarOf(value)
    if (scalar !== undefined) {
      kept[storableText(key, RAW_KEY_LENGTH)] = scalar
      count += 1
    } else if (Array.isArray(value)) {
      const items = value.slice(0, RAW_LIST_ITEMS).map(scalarOf)
      if (items.every((item) => item !== undefined)) {
        kept[storableText(key, RAW_KEY_LENGTH)] = items
        count += 1
      }
    }
  }
  return kept
}

function scalarOf(value: unknown): unknown {
  if (value === null || typeof value === 'boolean') return value
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value === 'string') return storableText(value, RAW_TEXT_LENGTH)
  return undefined
}
