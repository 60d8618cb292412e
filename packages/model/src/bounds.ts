// Value schemas that match what the store can hold and the runtime can compute with, so input that the
// schema accepts never fails later in a column or in date arithmetic (issue: year 0000, an ASN above
// 2^31, a cursor past 2^63). Each failure names the field through zod's path.
import { z } from 'zod'

/**
 * Earliest and latest instants Vigil accepts from outside. PostgreSQL's timestamptz holds 4713 BC to
 * 294276 AD and JavaScript's Date ±275760 years, but arithmetic on windows and baselines (days added,
 * zones converted) must stay far inside both; OONI's data starts in 2012, so 1990 leaves room.
 */
export const EARLIEST_INSTANT = new Date('1990-01-01T00:00:00Z')
export const LATEST_INSTANT = new Date('2200-01-01T00:00:00Z')

// RFC 3339 date-time: a zone is required; a leap second (second 60) is valid RFC 3339 but JavaScript's
// Date cannot hold it, so it is refused with a message rather than turned into NaN.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/

/**
 * Why `value` is not an RFC 3339 date-time Vigil can store and compute with, or null when it is. Used by
 * the zod schemas here and by the api's JSON-Schema `date-time` format, so both agree.
 */
export function instantProblem(value: string): string | null {
  const match = RFC3339.exec(value)
  if (!match) return 'expected an RFC 3339 date-time with a zone, e.g. 2019-06-09T10:00:00Z'
  if (match[6] === '60') return 'leap seconds (second 60) cannot be stored; use :59.999'
  const [year, month, day, hour, minute] = match.slice(1, 6).map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ]
  // Date.parse rolls 30 February over into March; the written day must exist (RFC 3339 section 5.7).
  const calendar = new Date(0)
  // setUTCFullYear, not Date.UTC, which reads years 0-99 as 1900-1999.
  calendar.setUTCFullYear(year, month - 1, day)
  if (
    month < 1 ||
    month > 12 ||
    calendar.getUTCFullYear() !== year ||
    calendar.getUTCMonth() !== month - 1 ||
    calendar.getUTCDate() !== day
  ) {
    return `${match[1]}-${match[2]}-${match[3]} is not a day of the calendar`
  }
  if (hour > 23 || minute > 59) return 'not a valid time of day'
  const time = Date.parse(value)
  if (!Number.isFinite(time)) return 'not a valid date-time'
  if (time < EARLIEST_INSTANT.getTime() || time >= LATEST_INSTANT.getTime()) {
    return `must lie between ${EARLIEST_INSTANT.toISOString()} and ${LATEST_INSTANT.toISOString()}`
  }
  return null
}

/** A calendar day, YYYY-MM-DD, inside the instants Vigil accepts; null when it is one. */
export function dayProblem(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return 'expected a day as YYYY-MM-DD'
  return (
    instantProblem(`${value}T12:00:00Z`) ??
    (new Date(`${value}T12:00:00Z`).toISOString().slice(0, 10) === value ? null : 'not a calendar day')
  )
}

/** An RFC 3339 date-time string (with a zone) between EARLIEST_INSTANT and LATEST_INSTANT. */
export function instantString() {
  return z.string().superRefine((value, ctx) => {
    const problem = instantProblem(value)
    if (problem) ctx.addIssue({ code: 'custom', message: problem })
  })
}

/** Autonomous system numbers are 32-bit (RFC 6793): 0 to 4294967295, stored in a bigint column. */
export const ASN_MAX = 4_294_967_295
export const asnSchema = () => z.int().min(0).max(ASN_MAX)

/** A count stored in a PostgreSQL bigint and read back as a JavaScript number: exact up to 2^53 - 1. */
export const countSchema = () => z.int().min(0).max(Number.MAX_SAFE_INTEGER)

/** A port number (1-65535). */
export const portSchema = () => z.int().min(1).max(65_535)

/** A short name from outside (an id, a target name), bounded in length. */
export function nameText(max = 200) {
  return z.string().min(1).max(max)
}

// Characters a person cannot see, or that change how the text around them is shown: Unicode's control
// (Cc), format (Cf: the bidirectional controls U+202A-U+202E and U+2066-U+2069 of UAX #9, zero-width
// spaces and joiners, U+FEFF, soft hyphen), separator (Zl, Zp), private-use (Co) and surrogate (Cs)
// categories, the spaces other than U+0020 (Zs), and the Hangul and Mongolian fillers Unicode lists as
// Default_Ignorable_Code_Point but gives a letter's category. Two names that differ only by these look the
// same, and U+202E shows "kz-1-tsil" as "list-1-zk" (Trojan Source, CVE-2021-42574).
const INVISIBLE =
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cs}\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000\u115F\u1160\u3164\uFFA0\u180E]/u

/**
 * The first invisible or display-reordering character of `text` as `U+XXXX`, or null when it has none (see
 * INVISIBLE above for the class). For names an operator or an agent sets: vantage ids, API key names,
 * region names.
 */
export function invisibleCharacter(text: string): string | null {
  const match = INVISIBLE.exec(text)
  if (!match) return null
  return `U+${match[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`
}

/** `nameText(max)` that also refuses invisible and bidirectional control characters, naming the one found. */
export function visibleName(max = 200) {
  return nameText(max).superRefine((value, ctx) => {
    const found = invisibleCharacter(value)
    if (found) {
      ctx.addIssue({
        code: 'custom',
        message: `holds the invisible or bidirectional control character ${found}`,
      })
    }
  })
}

/** Deepest nesting accepted in free-form JSON (`details`); PostgreSQL's jsonb and the JSON renderers stay shallow. */
export const MAX_JSON_DEPTH = 32

/** Nesting depth of a JSON value: 0 for a scalar, 1 for a flat object or array. */
export function jsonDepth(value: unknown, limit = MAX_JSON_DEPTH + 1): number {
  // Iterative, so a hostile value 10,000 levels deep cannot overflow the stack while being measured.
  let deepest = 0
  const stack: Array<[unknown, number]> = [[value, 0]]
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!
    if (node === null || typeof node !== 'object') continue
    const here = depth + 1
    if (here > deepest) deepest = here
    if (deepest >= limit) return deepest
    for (const child of Object.values(node as Record<string, unknown>)) stack.push([child, here])
  }
  return deepest
}

/** A free-form JSON object nested no deeper than MAX_JSON_DEPTH. */
export function jsonObject() {
  return z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
    if (jsonDepth(value) > MAX_JSON_DEPTH) {
      ctx.addIssue({ code: 'custom', message: `nested deeper than ${MAX_JSON_DEPTH} levels` })
    }
  })
}

/** A calendar day as YYYY-MM-DD between EARLIEST_INSTANT and LATEST_INSTANT (the api's `date` parameters). */
export function dayString() {
  return z.string().superRefine((value, ctx) => {
    const problem = dayProblem(value)
    if (problem) ctx.addIssue({ code: 'custom', message: problem })
  })
}
