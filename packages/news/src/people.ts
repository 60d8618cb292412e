// Named people the text introduces by role ("журналист Иван Петров", "белсенді Асқар Ахметов",
// "activist Jane Doe", "Jane Doe, a reporter for ..."). Names are returned as written, case endings included.

// Names need case-sensitive matching, so role words get both cases of their first letter only.
function roles(patterns: string[]): string {
  return `(?:${patterns.map((p) => `[${p[0]!.toLowerCase()}${p[0]!.toUpperCase()}]${p.slice(1)}`).join('|')})`
}
const ROLES_CYRILLIC = roles([
  'журналист\\p{L}*',
  'корреспондент\\p{L}*',
  'репорт[её]р\\p{L}*',
  'фотограф\\p{L}*',
  'активист\\p{L}*',
  'правозащитни\\p{L}*',
  'блогер\\p{L}*',
  'наблюдател\\p{L}*',
  'оппозиционер\\p{L}*',
  'политик\\p{L}*',
  'тілші\\p{L}*',
  'белсенді\\p{L}*',
  'құқық\\s+қорғаушы\\p{L}*',
  'бақылаушы\\p{L}*',
])
const ROLES_LATIN = roles([
  'journalists?',
  'reporters?',
  'correspondents?',
  'photographers?',
  'photojournalists?',
  'activists?',
  'bloggers?',
  'observers?',
  'dissidents?',
  'human\\s+rights\\s+(?:defenders?|activists?|lawyers?)',
  'opposition\\s+(?:figures?|leaders?|politicians?|activists?)',
])

const CYRILLIC_NAME = "\\p{Lu}[\\p{Ll}ʼ'’-]+(?:\\s+\\p{Lu}[\\p{Ll}ʼ'’-]+){1,2}"
const LATIN_NAME = "\\p{Lu}[\\p{Ll}'’-]+(?:\\s+\\p{Lu}[\\p{Ll}'’-]+){1,2}"
// An outlet named between the role and the name: «журналист «Радио Азаттык» Иван Петров».
const OUTLET = '(?:\\s+(?:«[^»]{1,60}»|"[^"]{1,60}"|“[^”]{1,60}”))?'

const ROLE_THEN_NAME = new RegExp(
  `(?<!\\p{L})(?:${ROLES_CYRILLIC}|${ROLES_LATIN})${OUTLET},?\\s+(${CYRILLIC_NAME}|${LATIN_NAME})`,
  'gu',
)
const NAME_THEN_ROLE = new RegExp(
  `(${LATIN_NAME}),\\s+(?:an?|the)\\s+(?:[\\p{L}/-]+\\s+){0,3}?${ROLES_LATIN}(?!\\p{L})`,
  'gu',
)

// Capitalised words that follow a role but are not names: outlets, institutions, places, months.
const NOT_NAMES = new Set(
  [
    'радио',
    'азаттык',
    'азаттық',
    'свобода',
    'власть',
    'настоящее',
    'время',
    'казахстан',
    'казахстана',
    'қазақстан',
    'республики',
    'радиостанции',
    'телеканала',
    'издания',
    'газеты',
    'агентства',
    'сайта',
    'информбюро',
    'the',
    'radio',
    'free',
    'europe',
    'liberty',
    'reuters',
    'associated',
    'press',
    'human',
    'rights',
    'watch',
    'amnesty',
    'international',
    'kazakhstan',
    'police',
    'in',
    'at',
    'for',
    'from',
    'on',
    'of',
    'and',
    'was',
    'were',
    'who',
    'said',
    'полиция',
    'полиции',
    'ДВК',
  ].map((word) => word.toLowerCase()),
)

/** People named next to a press, activist or political role, without repeats. */
export function extractPeople(text: string, isPlace: (word: string) => boolean = () => false): string[] {
  const people: string[] = []
  const add = (raw: string) => {
    const words = raw.split(/\s+/u).filter((word) => !NOT_NAMES.has(word.toLowerCase()) && !isPlace(word))
    // Stop at the first non-name word: "Иван Петров Алматы" keeps "Иван Петров".
    const kept: string[] = []
    for (const word of raw.split(/\s+/u)) {
      if (!words.includes(word)) break
      kept.push(word)
    }
    if (kept.length < 2) return
    const name = kept.join(' ')
    if (!people.includes(name)) people.push(name)
  }
  for (const match of text.matchAll(ROLE_THEN_NAME)) add(match[1]!)
  for (const match of text.matchAll(NAME_THEN_ROLE)) add(match[1]!)
  return people
}
