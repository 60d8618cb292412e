// Pure decisions for grouping items about one event into one report: the same city and day and similar
// text. The service looks up candidate reports by `clusterKeys` and confirms with `sameEvent`.
import type { Analysis, AnalyzeInput } from './analyze.js'
import type { DetentionCount } from './counts.js'
import { extractDates, isoDay } from './dates.js'
import type { Language } from './language.js'

export interface ClusterCandidate {
  /** The day of the event (YYYY-MM-DD): a date in the evidence sentence, else the publication day. */
  day: string | null
  cities: readonly string[]
  language: Language
  /** Title and evidence, the text compared between items. */
  text: string
  people: readonly string[]
  counts: readonly DetentionCount[]
}

export interface ClusterOptions {
  /** Offset of the monitored country's local time, for the publication day. Default 0 (UTC). */
  utcOffsetMinutes?: number
  /** Least text similarity for two items in one language to be one event. Default 0.12. */
  minSimilarity?: number
}

/** Builds what clustering compares from an item and its analysis. */
export function toClusterCandidate(
  item: AnalyzeInput,
  analysis: Analysis,
  options: ClusterOptions = {},
): ClusterCandidate {
  const published = item.published ? new Date(item.published) : null
  const validPublished = published && !Number.isNaN(published.getTime()) ? published : null
  // The evidence sentence's own date ("6 июля в Алматы задержали…") beats the publication day: a report
  // published the morning after is still about the rally day.
  const mentioned = extractDates(analysis.evidence, validPublished).filter(
    (day) => !validPublished || day <= isoDay(validPublished),
  )
  const localPublished = validPublished
    ? new Date(validPublished.getTime() + (options.utcOffsetMinutes ?? 0) * 60_000)
    : null
  return {
    day: mentioned[0] ?? (localPublished ? isoDay(localPublished) : null),
    cities: analysis.cities,
    language: analysis.language,
    text: [item.title ?? '', analysis.evidence].join(' '),
    people: analysis.people,
    counts: analysis.counts,
  }
}

/** Keys under which a report is filed and looked up: one per city, `*` when no city is named. */
export function clusterKeys(candidate: Pick<ClusterCandidate, 'day' | 'cities'>): string[] {
  const day = candidate.day ?? 'undated'
  return candidate.cities.length ? candidate.cities.map((city) => `${day}|${city}`) : [`${day}|*`]
}

/** The primary key: the first city named (the one the headline leads with). */
export function clusterKey(candidate: Pick<ClusterCandidate, 'day' | 'cities'>): string {
  return clusterKeys(candidate)[0]!
}

/**
 * Whether two items report the same event: the same day, a shared city (or neither names one), no
 * conflicting named people, and similar text when both are in one language.
 */
export function sameEvent(a: ClusterCandidate, b: ClusterCandidate, options: ClusterOptions = {}): boolean {
  const minSimilarity = options.minSimilarity ?? 0.12
  if (!a.day || !b.day || a.day !== b.day) return false
  const sharedCity = a.cities.some((city) => b.cities.includes(city))
  if (a.cities.length && b.cities.length && !sharedCity) return false
  if (a.people.length && b.people.length && !a.people.some((p) => b.people.some((q) => samePerson(p, q)))) {
    return false
  }
  // The text is compared last, and only when it can decide: a report is compared with every new item.
  // One item names no city: only very similar text joins it to a city's report.
  if (!a.cities.length !== !b.cities.length)
    return a.language === b.language && eventSimilarity(a, b) >= 2 * minSimilarity
  // Across languages the words cannot be compared; the same city on the same day decides.
  if (a.language !== b.language) return true
  return eventSimilarity(a, b) >= minSimilarity
}

/** Jaccard similarity of word stems (first five letters) and numbers, 0–1. */
export function eventSimilarity(
  a: Pick<ClusterCandidate, 'text'>,
  b: Pick<ClusterCandidate, 'text'>,
): number {
  const left = stems(a.text)
  const right = stems(b.text)
  if (!left.size || !right.size) return 0
  let shared = 0
  for (const stem of left) if (right.has(stem)) shared++
  return shared / (left.size + right.size - shared)
}

/** Whether a later item's counts update a report: a larger head count than any reported so far. */
export function isCountUpdate(previous: readonly DetentionCount[], next: readonly DetentionCount[]): boolean {
  if (!next.length) return false
  const before = Math.max(0, ...previous.map((c) => c.value))
  return Math.max(...next.map((c) => c.value)) > before
}

const STOPWORDS = new Set(
  'that this with from were have been said also after about their which when what will more than into they there '
    .concat('было были после также чтобы которые который этого однако более около среди ')
    .concat('және туралы бойынша кейін деген болды')
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => word.slice(0, 5)),
)

// Stems of the texts compared most recently: filing a round of items compares each with every report of
// its day, so the same stored texts come back again and again. Bounded: at most this many texts of at most
// CACHED_TEXT_LENGTH characters (a few MB).
const STEM_CACHE_SIZE = 1_024
const CACHED_TEXT_LENGTH = 5_000
const stemCache = new Map<string, Set<string>>()

function stems(text: string): Set<string> {
  const cached = stemCache.get(text)
  if (cached) return cached
  const result = computeStems(text)
  if (text.length > CACHED_TEXT_LENGTH) return result
  if (stemCache.size >= STEM_CACHE_SIZE) stemCache.delete(stemCache.keys().next().value as string)
  stemCache.set(text, result)
  return result
}

function computeStems(text: string): Set<string> {
  const result = new Set<string>()
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    if (/^\d+$/.test(word)) {
      result.add(word)
      continue
    }
    if (word.length < 4) continue
    const stem = word.slice(0, 5)
    if (!STOPWORDS.has(stem)) result.add(stem)
  }
  return result
}

function samePerson(a: string, b: string): boolean {
  // Names come with case endings ("Ивана Петрова" / "Иван Петров"): compare surname stems.
  const surname = (name: string) => (name.split(/\s+/).at(-1) ?? '').toLowerCase().slice(0, 5)
  return surname(a) === surname(b)
}
