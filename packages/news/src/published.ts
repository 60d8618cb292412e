// Reads the publication time of a feed entry or listing item, as outlets of the region write it: RFC 822
// and ISO 8601, month and day names in Russian, Kazakh and English, day-first numeric dates, and the
// region's zone abbreviations. Never the engine's Date.parse, which reads "09.06.2019" as 6 September and
// "вс, 9 июн. 2019" as nothing.

/** Why a publication time is not to be trusted for ordering; the time itself is kept. */
export type DateIssue = 'unparsed' | 'future' | 'too_early'

export interface PublishedTime {
  /** ISO 8601 in UTC, or null when the text is not a date this parser knows. */
  iso: string | null
  issue: DateIssue | null
}

export interface PublishedOptions {
  /**
   * IANA time zone of the source's region, for a time written without an offset (the outlet's local
   * time, never the monitor's). Default UTC.
   */
  timeZone?: string
  /** When the document was fetched: a time more than a day after it is flagged `future`. */
  fetchedAt?: Date
}

/** A publication time later than the fetch by more than this is the publisher's clock or typo, not news. */
export const FUTURE_TOLERANCE_MS = 24 * 3600_000
/**
 * Nothing Vigil reads existed before this: the first web news sites and listing pages date from 1995 (RSS
 * itself from 1999). An earlier time is a template default such as 1970-01-01 or 0001-01-01.
 */
export const EARLIEST_PUBLISHED = Date.UTC(1995, 0, 1)

// Month names by stem: genitive ("июня"), nominative ("июнь"), abbreviated with or without a dot
// ("июн.", "Jun"), Kazakh ("маусым", "мау."). Matched on the lower-cased word without its dot.
const MONTH_FORMS: readonly (readonly string[])[] = [
  ['январь', 'января', 'янв', 'january', 'jan', 'қаңтар', 'қаңтардың', 'қаң'],
  ['февраль', 'февраля', 'фев', 'февр', 'february', 'feb', 'ақпан', 'ақпанның', 'ақп'],
  ['март', 'марта', 'мар', 'march', 'mar', 'наурыз', 'наурыздың', 'нау'],
  ['апрель', 'апреля', 'апр', 'april', 'apr', 'сәуір', 'сәуірдің', 'сәу'],
  ['май', 'мая', 'may', 'мамыр', 'мамырдың', 'мам'],
  ['июнь', 'июня', 'июн', 'june', 'jun', 'маусым', 'маусымның', 'мау'],
  ['июль', 'июля', 'июл', 'july', 'jul', 'шілде', 'шілденің', 'шіл'],
  ['август', 'августа', 'авг', 'august', 'aug', 'тамыз', 'тамыздың', 'там'],
  ['сентябрь', 'сентября', 'сен', 'сент', 'september', 'sep', 'sept', 'қыркүйек', 'қыркүйектің', 'қыр'],
  ['октябрь', 'октября', 'окт', 'october', 'oct', 'қазан', 'қазанның', 'қаз'],
  ['ноябрь', 'ноября', 'ноя', 'нояб', 'november', 'nov', 'қараша', 'қарашаның', 'қар'],
  ['декабрь', 'декабря', 'дек', 'december', 'dec', 'желтоқсан', 'желтоқсанның', 'жел'],
]
const MONTHS = new Map<string, number>()
MONTH_FORMS.forEach((forms, month) => {
  for (const form of forms) MONTHS.set(form, month)
})

// Day names are read and ignored (a wrong weekday is the publisher's slip, the date still stands), but
// they must be recognised so that they are not taken for anything else.
const WEEKDAYS = new Set(
  [
    'пн пон понедельник вт втр вторник ср сред среда чт чет четверг пт пят пятница сб суб суббота вс вск воскресенье',
    'mon monday tue tues tuesday wed wednesday thu thur thurs thursday fri friday sat saturday sun sunday',
    'дс дүй дүйсенбі сс сей сейсенбі ср сәр сәрсенбі бс бей бейсенбі жм жұм жұма сб сен сенбі жс жек жексенбі',
  ]
    .join(' ')
    .split(' '),
)

// Zone abbreviations: RFC 822's own, and those of Kazakhstan and its neighbours, in minutes east of UTC.
// ALMT is +06:00, its value until Kazakhstan moved to one zone (UTC+5) on 1 March 2024; an abbreviation
// names an offset, not today's rule.
const ZONES: Record<string, number> = {
  z: 0,
  ut: 0,
  utc: 0,
  gmt: 0,
  est: -300,
  edt: -240,
  cst: -360,
  cdt: -300,
  mst: -420,
  mdt: -360,
  pst: -480,
  pdt: -420,
  wet: 0,
  cet: 60,
  cest: 120,
  eet: 120,
  eest: 180,
  msk: 180,
  msd: 240,
  almt: 360,
  qyzt: 360,
  aqtt: 300,
  orat: 300,
  kgt: 360,
  uzt: 300,
  tjt: 300,
  tmt: 300,
  yekt: 300,
  omst: 360,
  novt: 420,
  samt: 240,
  мск: 180,
}

/**
 * Parses a publication time. Accepted, in any of Russian, Kazakh or English for the names: RFC 822 /
 * 2822 (`Sun, 09 Jun 2019 12:10:00 +0600`, `вс, 9 июн. 2019 12:10:00 +0600`), ISO 8601
 * (`2019-06-09T12:10:00+06:00`, `2019-06-09 12:10`), day-first numeric (`09.06.2019 13:40`, `9/6/2019`,
 * `09-06-2019`, two-digit years), written-out dates (`9 июня 2019 г., 12:10`, `2019 жылғы 9
 * маусым 12:10`, `June 9, 2019 12:10 PM`), and on listing pages dates without a year or relative
 * ones (`9 июня, 12:10`, `сегодня, 12:10`, `кеше`) read against `fetchedAt`. The offset may be numeric (`+0600`, `+06:00`, `GMT+6`) or an
 * abbreviation of the region (`ALMT`, `MSK`); without one the time is local to `options.timeZone`.
 * Returns `{ iso: null, issue: 'unparsed' }` for text it does not understand (never a guess), and flags a
 * time more than a day after `fetchedAt` (`future`) or before 1995 (`too_early`), keeping it.
 */
export function parsePublished(
  text: string | null | undefined,
  options: PublishedOptions = {},
): PublishedTime {
  if (!text?.trim()) return { iso: null, issue: null }
  const time = readPublished(text.trim().slice(0, 200), options.timeZone ?? 'UTC', options.fetchedAt)
  if (time === null || Number.isNaN(time)) return { iso: null, issue: 'unparsed' }
  const iso = new Date(time).toISOString()
  if (time < EARLIEST_PUBLISHED) return { iso, issue: 'too_early' }
  if (options.fetchedAt && time - options.fetchedAt.getTime() > FUTURE_TOLERANCE_MS)
    return { iso, issue: 'future' }
  return { iso, issue: null }
}

interface Parts {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
  millisecond: number
  /** Minutes east of UTC, or null for local time. */
  offset: number | null
}

function readPublished(text: string, timeZone: string, reference: Date | undefined): number | null {
  const parts = readIso(text) ?? readWritten(text, reference ? localDay(reference, timeZone) : null)
  if (!parts) return null
  const { year, month, day, hour, minute, second, millisecond } = parts
  if (month < 0 || month > 11 || day < 1 || day > 31 || hour > 24 || minute > 59 || second > 60) return null
  const wall = Date.UTC(year, month, day, hour, minute, Math.min(second, 59), millisecond)
  // 31 June is not a day; Date.UTC would roll it into July.
  if (new Date(Date.UTC(year, month, day)).getUTCDate() !== day) return null
  if (parts.offset !== null) return wall - parts.offset * 60_000
  return wallTimeToUtc(wall, timeZone)
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T\s](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i

function readIso(text: string): Parts | null {
  const m = ISO.exec(text)
  if (!m) return null
  return {
    year: Number(m[1]),
    month: Number(m[2]) - 1,
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
    millisecond: m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0,
    offset: m[8] ? readOffset(m[8]) : null,
  }
}

/**
 * Everything that is not ISO: splits the text into tokens and assigns them by shape. A word is a month, a
 * weekday, a zone, a meridiem, or a filler ("г.", "года", "жылғы", "в", "at"); any other word makes the
 * text unparseable rather than guessed around.
 */
function readWritten(text: string, today: LocalDay | null): Parts | null {
  let year: number | null = null
  let month: number | null = null
  let day: number | null = null
  let clock: { hour: number; minute: number; second: number; millisecond: number } | null = null
  let offset: number | null = null
  let meridiem: 'am' | 'pm' | null = null
  const loneNumbers: number[] = []
  const tokens =
    text
      .toLowerCase()
      .replace(/[,;]/g, ' ')
      .match(
        /\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,6})?)?|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|(?:gmt|utc|ut)?[+\-−]\d{1,2}(?::?\d{2})?|\d+(?:st|nd|rd|th)?|[\p{L}]+\.?|\S/gu,
      ) ?? []
  for (const raw of tokens) {
    const token = raw.replace(/−/g, '-')
    const clockMatch = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?$/.exec(token)
    const numericDate = /^(\d{1,2})[./-](\d{1,2})[./-](\d{2,4})$/.exec(token)
    const numericOffset = /^(?:gmt|utc|ut)?([+-]\d{1,2}(?::?\d{2})?)$/.exec(token)
    const number = /^(\d+)(?:st|nd|rd|th)?$/.exec(token)
    if (clockMatch) {
      if (clock) return null
      clock = {
        hour: Number(clockMatch[1]),
        minute: Number(clockMatch[2]),
        second: Number(clockMatch[3] ?? 0),
        millisecond: clockMatch[4] ? Math.round(Number(`0.${clockMatch[4]}`) * 1000) : 0,
      }
    } else if (numericDate) {
      // Day first, as everywhere in the region: 09.06.2019 is 9 June.
      if (day !== null || month !== null) return null
      day = Number(numericDate[1])
      month = Number(numericDate[2]) - 1
      year = fullYear(numericDate[3]!)
    } else if (numericOffset && offset === null) {
      offset = readOffset(numericOffset[1]!)
    } else if (number) {
      if (number[1]!.length === 4) {
        if (year !== null) return null
        year = Number(number[1])
      } else {
        loneNumbers.push(Number(number[1]))
      }
    } else if (/^\p{L}/u.test(token)) {
      const word = token.replace(/\.$/, '')
      const monthIndex = MONTHS.get(word)
      if (monthIndex !== undefined && month === null) month = monthIndex
      else if (WEEKDAYS.has(word)) continue
      else if (word in ZONES && offset === null) offset = ZONES[word]!
      else if (word === 'am' || word === 'pm') meridiem = word
      else if (RELATIVE_DAYS[word] !== undefined && today && day === null && month === null) {
        // "сегодня, 12:10" on a listing page: the day of the fetch in the source's own time zone.
        const date = new Date(Date.UTC(today.year, today.month, today.day + RELATIVE_DAYS[word]!))
        year = date.getUTCFullYear()
        month = date.getUTCMonth()
        day = date.getUTCDate()
      } else if (/^(?:г|гг|год|года|году|ж|жыл|жылы|жылғы|в|во|at|of|the|сағ|сағат|ч|час|мин)$/.test(word))
        continue
      else if (word === 't' || word === 'z') offset = word === 'z' ? 0 : offset
      else return null
    } else if (!/^[()[\]—–-]$/.test(token)) {
      return null
    }
  }
  // The lone numbers are the day, and the year when it was written with two digits ("09 Jun 19").
  if (day === null) day = loneNumbers.shift() ?? null
  if (year === null && loneNumbers.length === 1) year = fullYear(String(loneNumbers.shift()).padStart(2, '0'))
  // A listing page's "9 июня, 12:10" is this year's, or last year's when that would be days ahead.
  if (year === null && today && day !== null && month !== null) {
    year = today.year
    if (Date.UTC(year, month, day) - Date.UTC(today.year, today.month, today.day) > FUTURE_TOLERANCE_MS)
      year--
  }
  if (loneNumbers.length > 0 || day === null || month === null || year === null) return null
  let hour = clock?.hour ?? 0
  if (meridiem === 'pm' && hour < 12) hour += 12
  if (meridiem === 'am' && hour === 12) hour = 0
  return {
    year,
    month,
    day,
    hour,
    minute: clock?.minute ?? 0,
    second: clock?.second ?? 0,
    millisecond: clock?.millisecond ?? 0,
    offset,
  }
}

const RELATIVE_DAYS: Record<string, number> = {
  сегодня: 0,
  today: 0,
  бүгін: 0,
  вчера: -1,
  yesterday: -1,
  кеше: -1,
  позавчера: -2,
}

interface LocalDay {
  year: number
  month: number
  day: number
}

function localDay(at: Date, timeZone: string): LocalDay {
  const local = new Date(at.getTime() + zoneOffsetMinutes(timeZone, at.getTime()) * 60_000)
  return { year: local.getUTCFullYear(), month: local.getUTCMonth(), day: local.getUTCDate() }
}

function fullYear(text: string): number {
  const value = Number(text)
  // RFC 2822 section 4.3: a two-digit year below 50 is 20xx, otherwise 19xx.
  if (text.length === 2) return value < 50 ? 2000 + value : 1900 + value
  return value
}

/** `+0600`, `+06:00`, `+06`, `+6`, `Z` as minutes east of UTC. */
function readOffset(text: string): number | null {
  if (/^z$/i.test(text)) return 0
  const m = /^([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(text)
  if (!m) return null
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? 0)
  if (minutes > 14 * 60) return null
  return m[1] === '-' ? -minutes : minutes
}

/**
 * The UTC instant at which the wall clock of `timeZone` shows `wall` (a wall time written as if UTC).
 * Two passes settle a time next to a daylight-saving change; an unknown zone is read as UTC.
 */
export function wallTimeToUtc(wall: number, timeZone: string): number {
  let guess = wall
  for (let i = 0; i < 2; i++) guess = wall - zoneOffsetMinutes(timeZone, guess) * 60_000
  return guess
}

const formatters = new Map<string, Intl.DateTimeFormat | null>()

/** Minutes `timeZone` is ahead of UTC at `at` (ms since the epoch); 0 for an unknown zone. */
export function zoneOffsetMinutes(timeZone: string, at: number): number {
  let format = formatters.get(timeZone)
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      })
    } catch {
      format = null
    }
    formatters.set(timeZone, format)
  }
  if (!format) return 0
  const fields: Record<string, number> = {}
  for (const part of format.formatToParts(new Date(at))) fields[part.type] = Number(part.value)
  const shown = Date.UTC(
    fields.year!,
    fields.month! - 1,
    fields.day!,
    fields.hour!,
    fields.minute!,
    fields.second!,
  )
  return Math.round((shown - Math.floor(at / 1000) * 1000) / 60_000)
}
