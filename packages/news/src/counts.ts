// Extracts how many people a sentence says were detained, with the qualifier the text puts on the number
// ("около 700" approx, "более 100" at_least, "до 50" up_to, "4 мыңға жуық" approx 4000).

export type CountQualifier = 'exact' | 'approx' | 'at_least' | 'up_to'

export interface DetentionCount {
  value: number
  qualifier: CountQualifier
}

const NUMBER_WORDS: Record<string, number> = {}
function words(value: number, forms: string): void {
  for (const form of forms.split(' ')) NUMBER_WORDS[form] = value
}
// Small numbers are written as words in news copy ("двое журналистов", "two reporters", "үш белсенді");
// "несколько десятков" and "dozens" are deliberately absent: they are not counts.
words(1, 'один одного одна одну одной one бір')
words(2, 'два две двух двум двумя двое двоих two екі екеуі екеуін')
words(3, 'три трех трёх трем трём тремя трое троих троим three үш үшеуі үшеуін')
words(4, 'четыре четырех четырёх четырем четырём четверо четверых четверым four төрт төртеуі')
words(5, 'пять пяти пятью пятеро пятерых пятерым five бес бесеуі')
words(6, 'шесть шести шестеро шестерых six алты алтауы')
words(7, 'семь семи семеро семерых seven жеті жетеуі')
words(8, 'восемь восьми восьмеро восьмерых eight сегіз сегізі')
words(9, 'девять девяти девятеро девятерых nine тоғыз')
words(10, 'десять десяти десятеро десятерых ten')
words(11, 'одиннадцать одиннадцати eleven')
words(12, 'двенадцать двенадцати twelve')
words(15, 'пятнадцать пятнадцати fifteen')
words(20, 'двадцать двадцати twenty жиырма')
words(30, 'тридцать тридцати thirty отыз')
words(40, 'сорок сорока forty қырық')
words(50, 'пятьдесят пятидесяти fifty елу')
words(13, 'тринадцать тринадцати thirteen')
words(14, 'четырнадцать четырнадцати fourteen')
words(16, 'шестнадцать шестнадцати sixteen')
words(17, 'семнадцать семнадцати seventeen')
words(18, 'восемнадцать восемнадцати eighteen')
words(19, 'девятнадцать девятнадцати nineteen')
words(60, 'шестьдесят шестидесяти sixty алпыс')
words(70, 'семьдесят семидесяти seventy жетпіс')
words(80, 'восемьдесят восьмидесяти eighty сексен')
words(90, 'девяносто девяноста ninety тоқсан')
words(100, 'сто ста hundred жүз')
// Russian hundreds are single words; English "hundred" and Kazakh "жүз" multiply what comes before them.
words(200, 'двести двухсот двумстам')
words(300, 'триста трехсот трёхсот тремстам')
words(400, 'четыреста четырехсот четырёхсот')
words(500, 'пятьсот пятисот пятистам')
words(600, 'шестьсот шестисот')
words(700, 'семьсот семисот')
words(800, 'восемьсот восьмисот')
words(900, 'девятьсот девятисот')
const MULTIPLYING_WORDS = new Set(['hundred', 'жүз'])
// Kazakh case endings on a number written as a word ("екі жүзден астам", "үш жүзге жуық", "жүздей").
const WORD_CASE_ENDING = '(?:ден|дан|тен|тан|нен|нан|ге|ға|ке|қа|дей|дай|тей|тай)?'

const NUMBER_WORD_PATTERN = Object.keys(NUMBER_WORDS)
  .sort((a, b) => b.length - a.length)
  .join('|')

// A number in digits ("1 200", "57", "20–30"), or one written in words, whole: "two hundred", "двести
// пятьдесят", "екі жүз", "one hundred and fifty" are one number each, never a 2 and a 100.
const WORD = `(?:${NUMBER_WORD_PATTERN})`
const NUMBER = new RegExp(
  `(?<![\\p{L}\\d:.,/-])(?:(\\d{1,3}(?:[ \\u00a0\\u202f,.]\\d{3})+|\\d+(?:[.,]\\d+)?)(?:\\s*[-–—]\\s*(\\d+))?|(${WORD}(?:(?:\\s+(?:and\\s+)?|-)${WORD})*${WORD_CASE_ENDING}))(?![\\d:]|\\p{L})`,
  'giu',
)

/** The value of a number written in words: "two hundred" 200, "двести пятьдесят" 250, "екі жүз" 200. */
function wordsValue(phrase: string): { value: number; approx: boolean } {
  let total = 0
  let approx = false
  const parts = phrase.toLowerCase().split(/(?:\s+(?:and\s+)?|-)/u)
  for (const [index, raw] of parts.entries()) {
    let word = raw
    if (index === parts.length - 1 && NUMBER_WORDS[word] === undefined) {
      const ending = /(ден|дан|тен|тан|нен|нан|ге|ға|ке|қа|дей|дай|тей|тай)$/u.exec(word)
      if (ending) {
        word = word.slice(0, -ending[1]!.length)
        approx = /^(?:дей|дай|тей|тай)$/u.test(ending[1]!)
      }
    }
    const value = NUMBER_WORDS[word]
    if (value === undefined) return { value: Number.NaN, approx }
    total = MULTIPLYING_WORDS.has(word) ? (total || 1) * value : total + value
  }
  return { value: total, approx }
}

const MULTIPLIER = /^\s*(?:тысяч[аиу]?|тыс\.?|мың(?:ға|нан|дай|дей|ы)?|thousand|мыңнан)(?![\p{L}])/iu
const MILLION = /^\s*(?:млн\.?|миллион\p{L}*|million)(?!\p{L})/iu
// Kazakh case endings written after a hyphen or straight onto "мың": "700-ден астам", "50-ге дейін".
const HYPHEN_SUFFIX = /^-(\p{L}+)/u
const APPROX_SUFFIX = /^(?:дай|дей|тай|тей|ға\s+жуық|ге\s+жуық|қа\s+жуық|ке\s+жуық)$/u
const POSTPOSITION =
  /^\s*(жуық|жуығы|шамасында|шамалы|шақты|астам|артық|аса|асатын|асты|дейін|or\s+more|and\s+more|plus|с\s+лишним|с\s+небольшим|odd)(?!\p{L})/iu

const BEFORE_APPROX =
  /(?<!\p{L})(?:около|порядка|примерно|приблизительно|почти|где-то|about|around|roughly|approximately|nearly|almost|some|an\s+estimated|estimated|шамамен|шамасы|тағы)\s*[~≈]?\s*$/iu
const BEFORE_AT_LEAST =
  /(?<!\p{L})(?:более|больше|свыше|не\s+менее|не\s+меньше|по\s+меньшей\s+мере|как\s+минимум|минимум|over|more\s+than|at\s+least|upwards\s+of|in\s+excess\s+of|кем\s+дегенде|кемінде|превысил\p{L}*|превышает|exceeded|exceeds|topped|surpassed)(?:\s+чем)?\s*$/iu
const BEFORE_UP_TO = /(?<!\p{L})(?:до|вплоть\s+до|up\s+to|as\s+many\s+as)\s*$/iu
// Numbers that are not people: article numbers, ages, times.
const BEFORE_EXCLUDED =
  /(?<!\p{L})(?:стать\p{L}*|ст\.|article|articles|part|част\p{L}*|пункт\p{L}*|бап\p{L}*|№|no\.|aged|age|возраст\p{L}*|в|at|on|of|January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?\s*$/iu

const BEFORE_MONTH =
  /(?<!\p{L})(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec|январ\p{L}*|феврал\p{L}*|март\p{L}*|апрел\p{L}*|ма[йя]|июн\p{L}*|июл\p{L}*|август\p{L}*|сентябр\p{L}*|октябр\p{L}*|ноябр\p{L}*|декабр\p{L}*)\.?\s*$/iu

const UNIT_EXCLUDED = new RegExp(
  '^\\s*(?:' +
    [
      // the first day of a range: "с 9 по 12 июня", "9 and 10 June"
      '(?:по|до|и|and|to|[-–—])\\s*\\d{1,2}(?:st|nd|rd|th)?\\s+(?:январ|феврал|март|апрел|ма[яй]|июн|июл|август|сентябр|октябр|ноябр|декабр|қаңтар|ақпан|наурыз|сәуір|мамыр|маусым|шілде|тамыз|қыркүйек|қазан|қараша|желтоқсан|January|February|March|April|May|June|July|August|September|October|November|December)\\p{L}*',
      'лет',
      'летн\\p{L}*',
      'год\\p{L}*',
      'гг?\\.',
      'сут\\p{L}*',
      'дн\\p{L}*',
      'день',
      'час\\p{L}*',
      'минут\\p{L}*',
      'месяц\\p{L}*',
      'недел\\p{L}*',
      'тенге',
      'теңге',
      'МРП',
      'АЕК',
      'рубл\\p{L}*',
      'долл\\p{L}*',
      'евро',
      '%',
      'процент\\p{L}*',
      'км',
      'метр\\p{L}*',
      'раз\\p{L}*',
      'years?',
      'year-old',
      'days?',
      'hours?',
      'minutes?',
      'months?',
      'weeks?',
      'tenge',
      'dollars?',
      'percent',
      'times',
      'жыл\\p{L}*',
      'жас\\p{L}*',
      'тәулік\\p{L}*',
      'күн\\p{L}*',
      'сағат\\p{L}*',
      'ай\\p{L}*',
      'бап\\p{L}*',
      'бабы\\p{L}*',
      'январ\\p{L}*',
      'феврал\\p{L}*',
      'март\\p{L}*',
      'апрел\\p{L}*',
      'ма[яй]',
      'июн\\p{L}*',
      'июл\\p{L}*',
      'август\\p{L}*',
      'сентябр\\p{L}*',
      'октябр\\p{L}*',
      'ноябр\\p{L}*',
      'декабр\\p{L}*',
      'january',
      'february',
      'march',
      'april',
      'may',
      'june',
      'july',
      'august',
      'september',
      'october',
      'november',
      'december',
      'қаңтар\\p{L}*',
      'ақпан\\p{L}*',
      'наурыз\\p{L}*',
      'сәуір\\p{L}*',
      'мамыр\\p{L}*',
      'маусым\\p{L}*',
      'шілде\\p{L}*',
      'тамыз\\p{L}*',
      'қыркүйек\\p{L}*',
      'қазан\\p{L}*',
      'қараша\\p{L}*',
      'желтоқсан\\p{L}*',
    ].join('|') +
    ')(?!\\p{L})',
  'iu',
)

const PERSON_NOUN =
  /^(?:человек\p{L}*|чел\.?|граждан\p{L}*|участник\p{L}*|активист\p{L}*|журналист\p{L}*|корреспондент\p{L}*|протестующ\p{L}*|митингующ\p{L}*|задержанн\p{L}*|сторонник\p{L}*|наблюдател\p{L}*|демонстрант\p{L}*|манифестант\p{L}*|блогер\p{L}*|правозащитник\p{L}*|жител\p{L}*|люд\p{L}*|мужчин\p{L}*|женщин\p{L}*|студент\p{L}*|пикетчик\p{L}*|оппозиционер\p{L}*|член\p{L}*|несовершеннолетн\p{L}*|рабоч\p{L}*|шахт[её]р\p{L}*|металлург\p{L}*|нефтяник\p{L}*|workers?|miners?|жұмысшы\p{L}*|кенші\p{L}*|people|persons?|protest[eo]rs?|demonstrators?|activists?|journalists?|reporters?|observers?|supporters?|men|women|students?|participants?|individuals?|citizens?|residents?|bloggers?|members?|detainees?|адам\p{L}*|азамат\p{L}*|белсенді\p{L}*|тілші\p{L}*|қатысушы\p{L}*|наразы\p{L}*|бақылаушы\p{L}*|жақтаушы\p{L}*|тұрғын\p{L}*|шерушілер\p{L}*|ұсталған\p{L}*)$/iu

export interface CountContext {
  /** Character spans of detention words in the sentence, to tie a bare number to them. */
  detentionSpans: readonly [number, number][]
}

/** A count with where it stands in the sentence: `start` and `end` are character offsets. */
export interface CountMention extends DetentionCount {
  start: number
  end: number
}

/** Counts of detained people in one sentence. Years, ages, article numbers, sums and durations are skipped. */
export function extractCounts(sentence: string, context: CountContext): DetentionCount[] {
  return extractCountMentions(sentence, context).map(({ value, qualifier }) => ({ value, qualifier }))
}

/** `extractCounts` with the position of each count, for attributing counts to the cities next to them. */
export function extractCountMentions(sentence: string, context: CountContext): CountMention[] {
  const counts: CountMention[] = []
  // The end of the last number that was not a head count, so its partner in "aged 20 to 30" is skipped too.
  let skippedEnd = -1
  for (const match of sentence.matchAll(NUMBER)) {
    const start = match.index
    let end = start + match[0].length
    const rangeEnd = match[2]
    let value: number
    let isWord = false
    let qualifier: CountQualifier = 'exact'
    if (match[3]) {
      const read = wordsValue(match[3])
      value = read.value
      if (read.approx) qualifier = 'approx'
      isWord = true
    } else {
      value = parseDigits(match[1]!)
    }
    if (!Number.isFinite(value) || value <= 0) continue
    let rest = sentence.slice(end)
    const multiplied = MULTIPLIER.exec(rest) ?? MILLION.exec(rest)
    if (multiplied) {
      value *= /млн|миллион|million/i.test(multiplied[0]) ? 1_000_000 : 1000
      end += multiplied[0].length
      rest = sentence.slice(end)
      if (/(?:ға|нан|дай|дей)$/u.test(multiplied[0].trim())) {
        // "4 мыңға жуық", "мыңнан астам", "мыңдай": the ending already started the postposition
        if (/(?:дай|дей)$/u.test(multiplied[0].trim())) qualifier = 'approx'
      }
    } else if (!isWord && /[.,]/.test(match[1]!) && !Number.isInteger(value)) {
      continue
    }
    const hyphen = HYPHEN_SUFFIX.exec(rest)
    if (hyphen) {
      const suffix = hyphen[1]!
      if (/^(?:летн|жас|бап|баб|жыл|тәулік|күн|сағат|ші|шы|інші|ыншы|нші|ншы)/u.test(suffix)) {
        skippedEnd = end
        continue
      }
      if (APPROX_SUFFIX.test(suffix)) qualifier = 'approx'
      end += hyphen[0].length
      rest = sentence.slice(end)
    }
    const post = POSTPOSITION.exec(rest)
    if (post) {
      const word = post[1]!.toLowerCase().replace(/\s+/g, ' ')
      if (/^(?:жуық|жуығы|шамасында|шамалы|шақты)$/.test(word)) qualifier = 'approx'
      else if (word === 'дейін') qualifier = 'up_to'
      else qualifier = 'at_least'
      end += post[0].length
      rest = sentence.slice(end)
    }
    if (UNIT_EXCLUDED.test(rest)) {
      skippedEnd = end
      continue
    }
    const before = sentence.slice(Math.max(0, start - 48), start)
    if (skippedEnd >= 0 && /^\s*(?:to|and|or|до|и|или|[-–—])\s*$/iu.test(sentence.slice(skippedEnd, start))) {
      skippedEnd = end
      continue
    }
    if (qualifier === 'exact') {
      if (BEFORE_APPROX.test(before)) qualifier = 'approx'
      else if (BEFORE_AT_LEAST.test(before)) qualifier = 'at_least'
      else if (BEFORE_UP_TO.test(before)) qualifier = 'up_to'
    }
    const personFollows = followedByPerson(rest)
    const nearDetention = context.detentionSpans.some(
      ([s, e]) =>
        (e <= start && start - e <= 48 && !/[,;:.!?]/.test(sentence.slice(e, start))) ||
        (s >= end && s - end <= 32 && !/[,;:.!?]/.test(sentence.slice(end, s))),
    )
    // "June 9 police detained...": a month name right before a day-sized number makes it a date's day, even
    // when a person noun follows a few words on.
    if (value <= 31 && qualifier === 'exact' && !isWord && BEFORE_MONTH.test(before)) {
      skippedEnd = end
      continue
    }
    // A preposition or "aged" before a bare number makes it a time, a place or an age, not a head count.
    if (!personFollows && BEFORE_EXCLUDED.test(before) && qualifier === 'exact') {
      skippedEnd = end
      continue
    }
    const looksLikeYear =
      !multiplied && !isWord && value >= 1900 && value <= 2100 && /^\d{4}$/.test(match[1]!)
    if (looksLikeYear && !personFollows) {
      skippedEnd = end
      continue
    }
    // Words like "one"/"бір" are numbers only when a person noun follows ("бір журналист", "two reporters").
    if (isWord && !personFollows) continue
    const elliptic = counts.length > 0 && /[—–-]\s*$/.test(before) && /^\s*(?:[.,;)]|$)/.test(rest)
    if (!personFollows && !nearDetention && !elliptic) continue
    if (rangeEnd) qualifier = 'at_least'
    counts.push({ value, qualifier, start, end })
  }
  return counts
}

/** Collapses repeated mentions of one value, keeping the most informative qualifier ("около 700" over "700"). */
export function mergeCounts(counts: readonly DetentionCount[]): DetentionCount[] {
  const byValue = new Map<number, DetentionCount>()
  for (const count of counts) {
    const seen = byValue.get(count.value)
    if (!seen || (seen.qualifier === 'exact' && count.qualifier !== 'exact')) byValue.set(count.value, count)
  }
  return [...byValue.values()]
}

function followedByPerson(rest: string): boolean {
  const clause = rest.split(/[,;:.!?()]/u)[0] ?? ''
  // The noun right after the number, allowing two adjectives ("700 мирных граждан", "two RFE/RL reporters"),
  // and never past another number ("екі қалада 500-ге жуық адам": the 2 is cities, not people).
  for (const raw of clause.split(/\s+/u).filter(Boolean).slice(0, 3)) {
    const token = raw.replace(/^[«"“'(]+|[»"”')]+$/gu, '')
    if (/^\d/u.test(token) || NUMBER_WORDS[token.toLowerCase()] !== undefined) return false
    if (PERSON_NOUN.test(token)) return true
  }
  return false
}

function parseDigits(text: string): number {
  if (/^\d{1,3}(?:[ \u00a0\u202f,.]\d{3})+$/u.test(text))
    return Number(text.replace(/[ \u00a0\u202f,.]/gu, ''))
  return Number(text.replace(',', '.'))
}

/** A count given for one city ("Almaty (over 200)", "в Алматы задержаны более 200 человек"). */
export interface CityCount extends DetentionCount {
  city: string
}

/** A city named in a sentence, at character offsets `start`–`end`. */
export interface PlaceMention {
  name: string
  start: number
  end: number
}

// Clause boundaries: a count belongs to the city of its own clause ("в Алматы — 200, в Шымкенте — 50").
const CLAUSE_BREAK = /[,;]|[.!?]\s/gu
// What stands between two cities of one list: "в Нур-Султане и Алматы", "Almaty, Shymkent and Aktobe".
const LIST_JOINER = /^[\s,]*(?:(?:и|а\s+также|and|as\s+well\s+as|және|мен|пен|бен)\s+)?(?:(?:в|во|in)\s+)?$/iu
// "Nur-Sultan (over 300)": the figure in brackets right after a city.
const BRACKETED = /^\s*\(([^()]{1,60})\)/u

/**
 * Counts attributed to cities in one sentence of a detention report. A count is a city's when it stands in
 * brackets right after the city ("Almaty (over 200)", "Алматы (более 200 человек)"), or when it is the only
 * count of a clause that names exactly that one city ("в Алматы задержаны более 200 человек", "Алматыда
 * 200-ден астам адам ұсталды", "200 people were detained in Almaty"). A count in a clause naming several
 * cities, or none, is a total and is not attributed. `detentionSpans` as for `extractCounts`.
 */
export function extractCityCounts(
  sentence: string,
  places: readonly PlaceMention[],
  context: CountContext,
): CityCount[] {
  const found: CityCount[] = []
  const used = new Set<number>()
  for (const place of places) {
    const bracket = BRACKETED.exec(sentence.slice(place.end))
    if (!bracket) continue
    const inner = bracket[1]!
    // The bracket is about the city, so its figure needs no detention word next to it.
    const [count] = extractCountMentions(inner, { detentionSpans: [[inner.length, inner.length]] })
    if (count) {
      found.push({ city: place.name, value: count.value, qualifier: count.qualifier })
      used.add(place.end + bracket.index + 1 + count.start)
    }
  }
  const mentions = extractCountMentions(sentence, context).filter((count) => !used.has(count.start))
  if (mentions.length === 0) return found
  const breaks = [0]
  for (const match of sentence.matchAll(CLAUSE_BREAK)) breaks.push(match.index + match[0].length)
  breaks.push(sentence.length + 1)
  const clauseOf = (offset: number) =>
    breaks.findIndex((start, i) => offset >= start && offset < breaks[i + 1]!)
  // Cities named as a list share the count that goes with them: it is a total, not the first one's.
  const listed = new Set<PlaceMention>()
  for (const [i, place] of places.entries()) {
    const next = places[i + 1]
    if (next && next.name !== place.name && LIST_JOINER.test(sentence.slice(place.end, next.start))) {
      listed.add(place)
      listed.add(next)
    }
  }
  for (const count of mentions) {
    const clause = clauseOf(count.start)
    const placesInClause = places.filter((place) => clauseOf(place.start) === clause)
    const inClause = [...new Set(placesInClause.map((p) => p.name))]
    const countsInClause = mentions.filter((other) => clauseOf(other.start) === clause)
    if (inClause.length !== 1 || countsInClause.length !== 1) continue
    if (placesInClause.some((place) => listed.has(place))) continue
    if (found.some((city) => city.city === inClause[0])) continue
    found.push({ city: inClause[0]!, value: count.value, qualifier: count.qualifier })
  }
  return found
}

/** One figure per city: the largest, with its qualifier (a later, higher figure is an update). */
export function mergeCityCounts(counts: readonly CityCount[]): CityCount[] {
  const byCity = new Map<string, CityCount>()
  for (const count of counts) {
    const seen = byCity.get(count.city)
    if (!seen || count.value > seen.value || (count.value === seen.value && seen.qualifier === 'exact'))
      byCity.set(count.city, count)
  }
  return [...byCity.values()]
}
