// Finds cities in Russian, Kazakh and English text, with case endings and old and new names, and returns
// canonical English names. The default gazetteer covers Kazakhstan; a deployment can pass its own.

export interface GazetteerEntry {
  /** Canonical English name, the one reported. */
  name: string
  /** Names in any language; Cyrillic ones get Russian and Kazakh case endings automatically. */
  aliases: readonly string[]
  /** Literal extra forms that the automatic endings do not produce. */
  forms?: readonly string[]
  /** Words that, right before a form, make it something else: "площадь Астана" in Almaty, "Air Astana". */
  notAfter?: readonly string[]
}

export type Gazetteer = readonly GazetteerEntry[]

/**
 * Kazakhstan's rally cities and regional centres. Astana is reported as "Astana" whatever the text calls
 * it: it was Nur-Sultan from March 2019 to September 2022, and one event must not split into two cities.
 */
export const KAZAKHSTAN_GAZETTEER: Gazetteer = [
  {
    name: 'Astana',
    aliases: ['Астана', 'Нур-Султан', 'Нұр-Сұлтан', 'Astana', 'Nur-Sultan', 'Nursultan', 'Акмола'],
    notAfter: ['площад\\p{L}*', 'алаң\\p{L}*', 'Air', 'Эйр'],
  },
  { name: 'Almaty', aliases: ['Алматы', 'Алма-Ата', 'Алмата', 'Almaty', 'Alma-Ata', 'Alma Ata'] },
  { name: 'Shymkent', aliases: ['Шымкент', 'Чимкент', 'Shymkent', 'Chimkent'] },
  { name: 'Uralsk', aliases: ['Уральск', 'Орал', 'Uralsk', 'Oral'] },
  {
    name: 'Ust-Kamenogorsk',
    aliases: ['Усть-Каменогорск', 'Өскемен', 'Оскемен', 'Ust-Kamenogorsk', 'Oskemen', 'Öskemen'],
  },
  { name: 'Aktobe', aliases: ['Актобе', 'Ақтөбе', 'Актюбинск', 'Aktobe', 'Aqtobe'] },
  { name: 'Atyrau', aliases: ['Атырау', 'Atyrau'] },
  { name: 'Aktau', aliases: ['Актау', 'Ақтау', 'Aktau', 'Aqtau'] },
  { name: 'Karaganda', aliases: ['Караганда', 'Қарағанды', 'Karaganda', 'Karagandy', 'Qaraghandy'] },
  { name: 'Zhanaozen', aliases: ['Жанаозен', 'Жаңаөзен', 'Zhanaozen', 'Janaozen'] },
  { name: 'Taraz', aliases: ['Тараз', 'Taraz'] },
  { name: 'Pavlodar', aliases: ['Павлодар', 'Pavlodar'] },
  { name: 'Semey', aliases: ['Семей', 'Семипалатинск', 'Semey', 'Semipalatinsk'], forms: ['Семее'] },
  { name: 'Kostanay', aliases: ['Костанай', 'Қостанай', 'Kostanay', 'Qostanay'], forms: ['Костанае'] },
  { name: 'Kyzylorda', aliases: ['Кызылорда', 'Қызылорда', 'Kyzylorda', 'Qyzylorda'] },
  { name: 'Petropavl', aliases: ['Петропавловск', 'Петропавл', 'Petropavl', 'Petropavlovsk'] },
  { name: 'Turkistan', aliases: ['Туркестан', 'Түркістан', 'Turkistan', 'Turkestan'] },
  { name: 'Taldykorgan', aliases: ['Талдыкорган', 'Талдықорған', 'Taldykorgan'] },
  { name: 'Kokshetau', aliases: ['Кокшетау', 'Көкшетау', 'Kokshetau'] },
  { name: 'Temirtau', aliases: ['Темиртау', 'Теміртау', 'Temirtau'] },
  { name: 'Zhezkazgan', aliases: ['Жезказган', 'Жезқазған', 'Zhezkazgan'] },
  { name: 'Ekibastuz', aliases: ['Экибастуз', 'Екібастұз', 'Ekibastuz'] },
]

// Kazakh case and derivation suffixes, written out rather than derived from vowel harmony: a gazetteer
// entry matches in any of them ("Астанада", "Оралға", "Шымкенттен", "алматылық").
const KAZAKH_SUFFIXES = [
  'да',
  'де',
  'та',
  'те',
  'ға',
  'ге',
  'қа',
  'ке',
  'на',
  'не',
  'дан',
  'ден',
  'тан',
  'тен',
  'нан',
  'нен',
  'ның',
  'нің',
  'дың',
  'дің',
  'тың',
  'тің',
  'ны',
  'ні',
  'ды',
  'ді',
  'ты',
  'ті',
  'дағы',
  'дегі',
  'тағы',
  'тегі',
  'лық',
  'лік',
  'дық',
  'дік',
  'тық',
  'тік',
  'лықтар',
  'ліктер',
  'ға дейін',
]

interface CompiledGazetteer {
  regex: RegExp
  byForm: Map<string, string>
  notAfter: Map<string, RegExp>
}

const compiledGazetteers = new WeakMap<Gazetteer, CompiledGazetteer>()

/** Cities mentioned in the text, canonical names, in order of first mention. */
export function findCities(text: string, gazetteer: Gazetteer = KAZAKHSTAN_GAZETTEER): string[] {
  return [...new Set(findCityMentions(text, gazetteer).map((mention) => mention.name))]
}

/** Every mention of a city in the text, with its canonical name and character offsets, in order. */
export function findCityMentions(
  text: string,
  gazetteer: Gazetteer = KAZAKHSTAN_GAZETTEER,
): { name: string; start: number; end: number }[] {
  const { regex, byForm, notAfter } = compileGazetteer(gazetteer)
  const found: { name: string; start: number; end: number }[] = []
  for (const match of text.matchAll(regex)) {
    const form = match[0]
    // Place names are capitalised; this keeps the Russian verb "орал" (shouted) from becoming Oral.
    if (!/^\p{Lu}/u.test(form)) continue
    const name = byForm.get(form.toLowerCase().replace(/\s+/g, ' '))
    if (!name) continue
    if (notAfter.get(name)?.test(text.slice(Math.max(0, match.index - 40), match.index))) continue
    found.push({ name, start: match.index, end: match.index + form.length })
  }
  return found
}

function compileGazetteer(gazetteer: Gazetteer): CompiledGazetteer {
  const cached = compiledGazetteers.get(gazetteer)
  if (cached) return cached
  const byForm = new Map<string, string>()
  for (const entry of gazetteer) {
    for (const alias of entry.aliases)
      for (const form of inflect(alias)) byForm.set(form.toLowerCase(), entry.name)
    for (const form of entry.forms ?? []) byForm.set(form.toLowerCase(), entry.name)
  }
  // Longest forms first so "Нур-Султане" wins over "Нур-Султан".
  const forms = [...byForm.keys()].sort((a, b) => b.length - a.length).map(escapeRegex)
  const regex = new RegExp(`(?<![\\p{L}-])(?:${forms.join('|')})(?![\\p{L}])`, 'giu')
  const notAfter = new Map<string, RegExp>()
  for (const entry of gazetteer) {
    if (entry.notAfter?.length) {
      notAfter.set(entry.name, new RegExp(`(?<!\\p{L})(?:${entry.notAfter.join('|')})\\s*[«"“]?$`, 'iu'))
    }
  }
  const compiled = { regex, byForm, notAfter }
  compiledGazetteers.set(gazetteer, compiled)
  return compiled
}

function inflect(alias: string): string[] {
  if (!/\p{Script=Cyrillic}/u.test(alias)) return [alias, `${alias}'s`, `${alias}’s`]
  const forms = new Set([alias])
  const last = alias.slice(-1)
  const stem = alias.slice(0, -1)
  // Russian declension by the final letter; names ending in other vowels (Алматы, Актобе, Атырау) do
  // not decline.
  if (last === 'а') for (const ending of ['а', 'ы', 'е', 'у', 'ой', 'ою']) forms.add(stem + ending)
  else if (last === 'я') for (const ending of ['я', 'и', 'е', 'ю', 'ей']) forms.add(stem + ending)
  else if (last === 'й') for (const ending of ['я', 'ю', 'е', 'ем']) forms.add(stem + ending)
  else if (/[бвгджзклмнпрстфхцчшщ]/.test(last))
    for (const ending of ['а', 'е', 'у', 'ом']) forms.add(alias + ending)
  for (const suffix of KAZAKH_SUFFIXES) forms.add(alias + suffix)
  return [...forms]
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s+')
}
