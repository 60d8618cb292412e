// Text plumbing shared by the extractors: sentence splitting and word-boundary regexes that work for
// Cyrillic (JavaScript's \b only knows ASCII letters, so boundaries are written with \p{L} lookarounds).

/** Wraps a pattern in letter boundaries: `(?<!\p{L})(?:…)(?!\p{L})`. */
export function bounded(pattern: string): string {
  return `(?<![\\p{L}\\p{N}])(?:${pattern})(?![\\p{L}])`
}

/** A global, case-insensitive, Unicode regex for any of the patterns, each bounded as a whole word. */
export function wordsRegex(patterns: readonly string[]): RegExp {
  return new RegExp(bounded(patterns.join('|')), 'giu')
}

// Abbreviations that end with a dot but do not end a sentence ("в г. Алматы", "4 тыс. человек", "ст. 405").
const ABBREVIATIONS = new Set([
  'г',
  'гг',
  'ул',
  'ст',
  'тыс',
  'млн',
  'млрд',
  'им',
  'т',
  'д',
  'обл',
  'р',
  'п',
  'ч',
  'пр',
  'см',
  'ж',
  'mr',
  'mrs',
  'ms',
  'dr',
  'st',
  'no',
  'art',
  'vs',
  'jr',
  'u.s',
  'gen',
  'lt',
  'col',
])

/** Splits text into sentences; keeps abbreviations and initials ("А. Иванов") inside their sentence. */
export function splitSentences(text: string): string[] {
  const sentences: string[] = []
  const normalised = text.replace(/\s+/g, ' ').trim()
  if (!normalised) return sentences
  let start = 0
  const boundary = /([.!?…]+["»”']?)\s+(?=[«"“(]?[\p{Lu}\p{N}])/gu
  for (const match of normalised.matchAll(boundary)) {
    const end = match.index
    const before = normalised.slice(start, end + (match[1]?.length ?? 0))
    const lastWord = /(\p{L}+(?:\.\p{L}+)*)\.$/u.exec(before)?.[1]
    if (lastWord && (ABBREVIATIONS.has(lastWord.toLowerCase()) || /^\p{Lu}$/u.test(lastWord))) continue
    if (before.trim()) sentences.push(before.trim())
    start = end + match[0].length
  }
  const rest = normalised.slice(start).trim()
  if (rest) sentences.push(rest)
  return sentences
}
