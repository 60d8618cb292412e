// Decides whether a news item reports detentions in a protest, press or political context, and extracts
// what a monitor needs from it: counts, cities, dates, people and the sentence that shows it.
import {
  type CityCount,
  type DetentionCount,
  extractCityCounts,
  extractCounts,
  mergeCityCounts,
  mergeCounts,
} from './counts.js'
import { extractDates } from './dates.js'
import { findCities, findCityMentions, type Gazetteer, KAZAKHSTAN_GAZETTEER } from './gazetteer.js'
import { detectLanguage, type Language } from './language.js'
import { extractPeople } from './people.js'
import { splitSentences } from './text.js'
import { type CompiledVocabulary, compileVocabulary, type ExtraVocabulary } from './vocabulary.js'

export interface AnalyzeInput {
  title?: string | null
  summary?: string | null
  content?: string | null
  link?: string | null
  published?: string | Date | null
}

export interface AnalyzeOptions {
  gazetteer?: Gazetteer
  extraVocabulary?: ExtraVocabulary
}

export interface Analysis {
  language: Language
  detention: boolean
  /** 0–1; 0.5 and above is a detention report. */
  score: number
  /** Every count the item gives, totals and per-city figures alike (merged by value). */
  counts: DetentionCount[]
  /** Counts the text gives for one city each ("Almaty (over 200)"), one per city: the largest. */
  cityCounts: CityCount[]
  /** Canonical English names from the gazetteer, in order of first mention. */
  cities: string[]
  /** ISO days mentioned (YYYY-MM-DD), resolved against `published`. */
  dates: string[]
  people: string[]
  /** The sentence that decided it (the best candidate even when it is not a detention report). */
  evidence: string
}

/** Points a sentence needs to make the item a detention report; `score` is points / 8, so 0.5. */
const THRESHOLD = 4

interface SentenceSignals {
  text: string
  detentionSpans: [number, number][]
  person: boolean
  event: boolean
  crime: boolean
  sport: boolean
}

export function analyzeItem(input: AnalyzeInput, options: AnalyzeOptions = {}): Analysis {
  const gazetteer = options.gazetteer ?? KAZAKHSTAN_GAZETTEER
  const vocabulary = compileVocabulary(options.extraVocabulary)
  const sentences = itemSentences(input)
  const fullText = sentences.join(' ')
  const signals = sentences.map((sentence) => sentenceSignals(sentence, vocabulary))
  const personAnywhere = signals.some((s) => s.person)

  let best: { points: number; index: number } | null = null
  const pointsBySentence = signals.map((signal, index) => {
    if (signal.detentionSpans.length === 0) return Number.NEGATIVE_INFINITY
    let points = 2
    const here = (signal.person ? 3 : 0) + (signal.event ? 2 : 0)
    points += Math.min(here, 4)
    // Context in the headline or the next sentences counts nearly as much as context in the same sentence:
    // "В Алматы прошёл митинг. Полиция задержала 57 человек."
    const near = [0, index - 1, index + 1, index + 2].filter(
      (i) => i !== index && i >= 0 && i < signals.length,
    )
    const nearContext = near.some((i) => signals[i]!.person || signals[i]!.event)
    const farContext = signals.some((s, i) => i !== index && !near.includes(i) && (s.person || s.event))
    if (here === 0) points += (nearContext ? 2 : 0) + (farContext ? 1 : 0)
    else if (nearContext || farContext) points += 1
    // Ordinary crime vetoes unless the detained person is a journalist or activist (drug charges against a
    // journalist are still a press-freedom story).
    if (signal.crime) points -= signal.person ? 1 : 3
    else if (near.some((i) => signals[i]!.crime) && !personAnywhere) points -= 1.5
    if (signal.sport) points -= 3
    else if (signals.some((s) => s.sport)) points -= 1.5
    if (!best || points > best.points) best = { points, index }
    return points
  })

  const chosen = best as { points: number; index: number } | null
  const detention = chosen !== null && chosen.points >= THRESHOLD
  const counts = detention
    ? mergeCounts(
        signals.flatMap((signal, i) =>
          pointsBySentence[i]! > Number.NEGATIVE_INFINITY
            ? extractCounts(signal.text, { detentionSpans: signal.detentionSpans })
            : [],
        ),
      )
    : []
  const cityCounts = detention ? itemCityCounts(signals, gazetteer) : []
  const cities = findCities(fullText, gazetteer)
  const placeWords = new Set(cities.length ? findPlaceWords(fullText, gazetteer) : [])
  return {
    language: detectLanguage(fullText),
    detention,
    score: chosen ? Math.round(Math.min(1, Math.max(0, chosen.points / 8)) * 100) / 100 : 0,
    counts,
    cityCounts,
    cities,
    dates: extractDates(fullText, input.published ?? null),
    people: extractPeople(fullText, (word) => placeWords.has(word)),
    evidence: chosen ? sentences[chosen.index]! : '',
  }
}

// Sentences about the detained even without a detention verb: "the largest number of detainees was in ...".
const DETAINEES = /(?<!\p{L})(?:detainees|задержанн\p{L}*|ұсталған\p{L}*|ұсталды)(?!\p{L})/iu

/** Per-city counts of the sentences that speak of detentions. */
function itemCityCounts(signals: readonly SentenceSignals[], gazetteer: Gazetteer): CityCount[] {
  return mergeCityCounts(
    signals
      .filter((signal) => signal.detentionSpans.length > 0 || DETAINEES.test(signal.text))
      .flatMap((signal) =>
        extractCityCounts(signal.text, findCityMentions(signal.text, gazetteer), {
          detentionSpans: signal.detentionSpans,
        }),
      ),
  )
}

/** Title first, then summary and content; a summary repeated at the start of the content is read once. */
function itemSentences(input: AnalyzeInput): string[] {
  const sentences: string[] = []
  const seen = new Set<string>()
  // Bounded, so one pathological item costs milliseconds, not seconds; news copy says it early anyway.
  const title = (input.title ?? '').trim().slice(0, 1000)
  const parts = [
    title ? [title] : [],
    splitSentences((input.summary ?? '').slice(0, 5000)),
    splitSentences((input.content ?? '').slice(0, 20_000)),
  ]
  for (const sentence of parts.flat()) {
    const key = sentence
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, ' ')
      .trim()
    if (!key || seen.has(key)) continue
    seen.add(key)
    sentences.push(sentence)
  }
  return sentences
}

function sentenceSignals(text: string, vocabulary: CompiledVocabulary): SentenceSignals {
  const masked = mask(mask(text, vocabulary.notDetention), vocabulary.negated)
  const detentionSpans: [number, number][] = [...masked.matchAll(vocabulary.detention)].map((m) => [
    m.index,
    m.index + m[0].length,
  ])
  const contextText = mask(text, vocabulary.contextExclusion)
  return {
    text,
    detentionSpans,
    person: test(vocabulary.personContext, contextText),
    event: test(vocabulary.eventContext, contextText),
    crime: test(vocabulary.crime, text),
    sport: test(vocabulary.sport, text),
  }
}

/** Blanks out matches, keeping offsets, so later patterns neither see them nor shift. */
function mask(text: string, pattern: RegExp): string {
  return text.replace(pattern, (match) => ' '.repeat(match.length))
}

function test(pattern: RegExp, text: string): boolean {
  pattern.lastIndex = 0
  const found = pattern.test(text)
  pattern.lastIndex = 0
  return found
}

function findPlaceWords(text: string, gazetteer: Gazetteer): string[] {
  // The single words of place names, so "журналист Иван Петров из Алматы" does not take the city as a name.
  return text.split(/[\s,.;:!?«»"()]+/u).filter((word) => word && findCities(word, gazetteer).length > 0)
}
