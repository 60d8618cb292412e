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
words(100, 'сто hundred жүз')

const NUMBER_WORD_PATTERN = Object.keys(NUMBER_WORDS)
  .sort((a, b) => b.length - a.length)
  .join('|')

const NUMBER = new RegExp(
  `(?<![\\p{L}\\d:.,/-])(?:(\\d{1,3}(?:[ \\u00a0\\u202f,.]\\d{3})+|\\d+(?:[.,]\\d+)?)(?:\\s*[-–—]\\s*(\\d+))?|(${NUMBER_WORD_PATTERN}))(?![\\d:]|\\p{L})`,
  'giu',
)

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

/** Counts of detained people in one sentence. Years, ages, article numbers, sums and durations are skipped. */
export function extractCounts(sentence: string, context: CountContext): DetentionCount[] {
  const counts: DetentionCount[] = []
  // The end of the last number that was not a head count, so its partner in "aged 20 to 30" is skipped too.
  let skippedEnd = -1
  for (const match of sentence.matchAll(NUMBER)) {
    const start = match.index
    let end = start + match[0].length
    const rangeEnd = match[2]
    let value: number
    let isWord = false
    if (match[3]) {
      value = NUMBER_WORDS[match[3].toLowerCase()] ?? Number.NaN
      isWord = true
    } else {
      value = parseDigits(match[1]!)
    }
    if (!Number.isFinite(value) || value <= 0) continue
    let qualifier: CountQualifier = 'exact'
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
    counts.push({ value, qualifier })
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
