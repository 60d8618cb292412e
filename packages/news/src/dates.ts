// Dates mentioned in Russian, Kazakh and English text ("6 июля", "9 июня 2019", "6 шілдеде", "July 6",
// "вчера"), resolved to ISO days against the item's publication date.
import { parsePublished } from './published.js'

const RU_MONTHS = [
  'январ',
  'феврал',
  'март',
  'апрел',
  'ма',
  'июн',
  'июл',
  'август',
  'сентябр',
  'октябр',
  'ноябр',
  'декабр',
]
const KK_MONTHS = [
  'қаңтар',
  'ақпан',
  'наурыз',
  'сәуір',
  'мамыр',
  'маусым',
  'шілде',
  'тамыз',
  'қыркүйек',
  'қазан',
  'қараша',
  'желтоқсан',
]
const EN_MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
]

const RU_MONTH = '(января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря)'
const KK_MONTH = `(${KK_MONTHS.join('|')})\\p{L}*`
const EN_MONTH = `(${EN_MONTHS.join('|')}|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\\.?`
const DAY = '(\\d{1,2})(?:\\s*[-–—]\\s*(\\d{1,2}))?'

const PATTERNS: { regex: RegExp; read: (m: RegExpExecArray) => Mention | null }[] = [
  {
    // 6 июля, 9–12 июня 2019 года
    regex: new RegExp(`(?<!\\d)${DAY}\\s+${RU_MONTH}(?:\\s+(\\d{4}))?`, 'giu'),
    read: (m) => mention(m[1], m[2], ruMonth(m[3]!), m[4]),
  },
  {
    // 2019 жылғы 6 шілдеде, 6 шілде
    regex: new RegExp(`(?:(\\d{4})\\s*(?:ж\\.|жылғы|жылы)?\\s+)?(?<!\\d)${DAY}\\s+${KK_MONTH}`, 'giu'),
    read: (m) => mention(m[2], m[3], KK_MONTHS.indexOf(m[4]!.toLowerCase()), m[1]),
  },
  {
    // July 6, July 6th, 2019
    regex: new RegExp(
      `(?<!\\p{L})${EN_MONTH}\\s+(\\d{1,2})(?:st|nd|rd|th)?(?![\\d:])(?:,?\\s+(\\d{4}))?`,
      'gu',
    ),
    read: (m) => mention(m[2], undefined, enMonth(m[1]!), m[3]),
  },
  {
    // 6 July 2019, 6th of July
    regex: new RegExp(
      `(?<!\\d)(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?${EN_MONTH}(?!\\p{L})(?:,?\\s+(\\d{4}))?`,
      'gu',
    ),
    read: (m) => mention(m[1], undefined, enMonth(m[2]!), m[3]),
  },
  {
    // 06.07.2019 and 2019-07-06
    regex: /(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{4})(?![\d])/g,
    read: (m) => mention(m[1], undefined, Number(m[2]) - 1, m[3]),
  },
  {
    regex: /(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d])/g,
    read: (m) => mention(m[3], undefined, Number(m[2]) - 1, m[1]),
  },
]

const RELATIVE: { regex: RegExp; offset: number }[] = [
  { regex: /(?<!\p{L})(?:сегодня|сегодняшн\p{L}*|today|this\s+morning|бүгін\p{L}*)(?!\p{L})/iu, offset: 0 },
  { regex: /(?<!\p{L})(?:вчера|накануне|yesterday|кеше)(?!\p{L})/iu, offset: -1 },
  { regex: /(?<!\p{L})(?:позавчера)(?!\p{L})/iu, offset: -2 },
]

interface Mention {
  days: number[]
  month: number
  year: number | null
  index?: number
}

/**
 * ISO days (YYYY-MM-DD) mentioned in the text, in order of appearance, without repeats. A date without a
 * year takes the publication year, or the year before when that would put it over a month in the future
 * (an item of 2 January about "30 декабря"). Relative words ("вчера", "today") need a publication date.
 */
export function extractDates(text: string, published?: string | Date | null): string[] {
  const reference = toDate(published)
  const found: { index: number; iso: string }[] = []
  for (const { regex, read } of PATTERNS) {
    for (const m of text.matchAll(regex)) {
      const parsed = read(m as RegExpExecArray)
      if (!parsed) continue
      for (const day of parsed.days) {
        const iso = resolve(day, parsed.month, parsed.year, reference)
        if (iso) found.push({ index: m.index, iso })
      }
    }
  }
  if (reference) {
    for (const { regex, offset } of RELATIVE) {
      const m = regex.exec(text)
      if (m) found.push({ index: m.index, iso: isoDay(new Date(reference.getTime() + offset * 86_400_000)) })
    }
  }
  found.sort((a, b) => a.index - b.index)
  return [...new Set(found.map((f) => f.iso))]
}

/**
 * A date from a listing page or feed ("06.07.2019 14:30", "6 июля 2019, 14:30", RFC 822, ISO 8601), read
 * as `parsePublished` reads it, in UTC when it has no offset; `reference` stands for the fetch time.
 * Null when it is not a date.
 */
export function parseLooseDate(text: string, reference?: Date): string | null {
  return parsePublished(text, { fetchedAt: reference ?? new Date() }).iso
}

function mention(
  day: string | undefined,
  dayEnd: string | undefined,
  month: number,
  year: string | undefined,
): Mention | null {
  if (month < 0 || !day) return null
  const days = [Number(day)]
  if (dayEnd && Number(dayEnd) > Number(day)) days.push(Number(dayEnd))
  return { days, month, year: year ? Number(year) : null }
}

function resolve(day: number, month: number, year: number | null, reference: Date | null): string | null {
  if (day < 1 || day > 31 || month < 0 || month > 11) return null
  let resolvedYear = year ?? reference?.getUTCFullYear() ?? null
  if (resolvedYear === null) return null
  if (year === null && reference) {
    const candidate = Date.UTC(resolvedYear, month, day)
    if (candidate - reference.getTime() > 31 * 86_400_000) resolvedYear -= 1
  }
  const date = new Date(Date.UTC(resolvedYear, month, day))
  // 31 июня is not a day; Date would roll it into July.
  if (date.getUTCMonth() !== month) return null
  return isoDay(date)
}

function ruMonth(name: string): number {
  const lower = name.toLowerCase()
  return RU_MONTHS.findIndex((stem) => lower.startsWith(stem) && (stem !== 'ма' || lower === 'мая'))
}

function enMonth(name: string): number {
  const lower = name.toLowerCase().replace(/\.$/, '')
  return EN_MONTHS.findIndex((month) => month.toLowerCase().startsWith(lower.slice(0, 3)))
}

function toDate(value: string | Date | null | undefined): Date | null {
  if (!value) return null
  const date = value instanceof Date ? value : new Date(value)
  return Number.isNaN(date.getTime()) ? null : date
}

export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10)
}
