// The understanding functions on text: language, detention vocabulary and context, counts with qualifiers,
// cities with case endings, dates, people and evidence.
import {
  analyzeItem,
  detectLanguage,
  extractCounts,
  extractDates,
  extractPeople,
  findCities,
  type Gazetteer,
} from '@vigil/news'
import { describe, expect, it } from 'vitest'

/** Counts in a sentence, with every detention-looking word treated as a detention word. */
function counts(sentence: string) {
  return analyzeItem({ title: sentence }).counts
}

describe('detectLanguage', () => {
  it.each([
    ['В Алматы задержаны участники митинга', 'ru'],
    ['Алматыда митингке қатысқандар ұсталды', 'kk'],
    ['Police detained protesters in Almaty', 'en'],
    ['Полиция сообщила, что в Қазақстан прибыли наблюдатели из разных стран мира', 'ru'],
    ['Наразылық акциясына шыққандар полицияға жеткізілді', 'kk'],
    ['Bolsonaro perde de Haddad em simulações de segundo turno', 'other'],
    ['12345 — ?!', 'other'],
  ])('%s → %s', (text, language) => {
    expect(detectLanguage(text)).toBe(language)
  })
})

describe('detention vocabulary and context', () => {
  it.each([
    'Задержан активист, вышедший на одиночный пикет',
    'Полиция задержала журналиста во время митинга',
    'Участников митинга задержали и доставили в отдел полиции',
    'Число задержанных на акции протеста выросло',
    'Задержания на митинге оппозиции продолжаются',
    'Участники акции доставлены в отдел полиции',
    'Активисту назначен административный арест на 15 суток',
    'Участников пикета оштрафовали',
    'Протестующих сажают в автозаки',
    'Сторонников ДВК задержали по статье 405 за участие в экстремистской организации',
    'Наблюдатель задержан на избирательном участке во время выборов',
    'Митингке қатысқандар ұсталды',
    'Полиция белсендіні ұстады',
    'Журналист қамауға алынды',
    'Белсендіге әкімшілік қамау берілді, наразылық акциясына қатысқаны үшін',
    'Шеруге қатысушыларға айыппұл салынды',
    'Police detained protesters at the rally',
    'An activist was arrested at the opposition protest',
    'A journalist was taken into custody while covering the protest',
    'The court ordered an administrative arrest for the activist who joined the picket',
    'Protesters were fined for the unsanctioned rally',
    'Суд арестовал активиста на 2 месяца',
    'Opposition activist placed under house arrest',
    'Участников незаконного собрания доставили в отдел полиции',
    'Police hauled protesters away from the square',
  ])('detects: %s', (title) => {
    expect(analyzeItem({ title }).detention).toBe(true)
  })

  it.each([
    ['crime', 'В Алматы задержан наркокурьер с героином'],
    ['crime', 'Полиция задержала вора, укравшего телефон'],
    ['crime', 'Задержан водитель, устроивший ДТП'],
    ['crime', 'Шымкентте есірткі сатқан күдікті ұсталды'],
    ['crime', 'Police arrested a man over the murder of a taxi driver'],
    ['delay', 'Рейс в Алматы задержан на пять часов'],
    ['delay', 'Выплату пенсий задержали из-за сбоя'],
    ['asset', 'Суд наложил арест на имущество экс-чиновника'],
    ['asset', 'Счета оппозиционной партии арестованы'],
    ['asset', 'Суд наложил арест на активы оппозиционера'],
    ['police operation', 'В ходе оперативно-профилактической акции «Мак» задержаны 15 наркокурьеров'],
    ['medicine', 'Journalist suffers cardiac arrest'],
    ['figurative', 'Oil prices arrested their decline'],
    ['sport', 'Club fined after fans threw flares at the match'],
    ['sport', 'Вратарь задержал мяч в последнюю секунду матча'],
    ['negated', 'На митинге никто не был задержан'],
    ['negated', 'Митинг прошёл без задержаний'],
    ['negated', 'Ешкім ұсталған жоқ, митинг тыныш өтті'],
    ['negated', 'The protest ended peacefully and no one was detained'],
    ['negated', 'No arrests were reported at the rally'],
    ['threat', 'Прокуратура предупредила, что участники митинга могут быть задержаны'],
    ['threat', 'Protesters could be detained, prosecutors warned'],
    ['no context', 'Задержан мужчина'],
    ['police speaking', 'Задержан подозреваемый в краже, сообщили журналистам в полиции'],
  ])('does not detect (%s): %s', (_kind, title) => {
    expect(analyzeItem({ title }).detention).toBe(false)
  })

  it('takes context from the headline for a detention in the body', () => {
    const analysis = analyzeItem({
      title: 'Несанкционированный митинг в Алматы',
      summary: 'На площади собрались несколько сотен человек. Полиция задержала 57 человек.',
    })
    expect(analysis.detention).toBe(true)
    expect(analysis.evidence).toBe('Полиция задержала 57 человек.')
    expect(analysis.counts).toEqual([{ value: 57, qualifier: 'exact' }])
  })

  it('keeps a journalist detained on a criminal charge as a press-freedom report', () => {
    expect(analyzeItem({ title: 'Журналиста задержали по обвинению в хранении наркотиков' }).detention).toBe(
      true,
    )
  })

  it('scores between 0 and 1 and gives the deciding sentence', () => {
    const strong = analyzeItem({ title: 'Журналиста задержали на митинге оппозиции' })
    const none = analyzeItem({ title: 'Курс тенге укрепился' })
    expect(strong.score).toBeGreaterThanOrEqual(0.5)
    expect(strong.score).toBeLessThanOrEqual(1)
    expect(none).toMatchObject({ detention: false, score: 0, evidence: '' })
  })

  it('accepts extra vocabulary from configuration', () => {
    const extraVocabulary = { detention: ['водворен\\p{L}*'], eventContext: ['курулта\\p{L}*'] }
    const title = 'Участники курултая водворены в спецприемник'
    expect(analyzeItem({ title }).detention).toBe(false)
    expect(analyzeItem({ title }, { extraVocabulary }).detention).toBe(true)
  })
})

describe('counts', () => {
  it.each([
    ['Около 700 участников митинга задержаны', { value: 700, qualifier: 'approx' }],
    ['About 700 protesters were detained', { value: 700, qualifier: 'approx' }],
    ['На акциях задержаны порядка 4 тысяч человек', { value: 4000, qualifier: 'approx' }],
    ['Митингке қатысқан 4 мыңға жуық адам ұсталды', { value: 4000, qualifier: 'approx' }],
    ['Задержаны более 100 задержанных участников акции', { value: 100, qualifier: 'at_least' }],
    ['Over 300 protesters were detained', { value: 300, qualifier: 'at_least' }],
    ['At least 50 activists were arrested at the rally', { value: 50, qualifier: 'at_least' }],
    ['На митинге задержаны не менее 40 человек', { value: 40, qualifier: 'at_least' }],
    ['Митингте кем дегенде 20 адам ұсталды', { value: 20, qualifier: 'at_least' }],
    ['Митингке шыққан 100-ден астам адам ұсталды', { value: 100, qualifier: 'at_least' }],
    ['Up to 50 protesters were detained', { value: 50, qualifier: 'up_to' }],
    ['На митинге задержаны до 50 человек', { value: 50, qualifier: 'up_to' }],
    ['Police detained 4 thousand protesters', { value: 4000, qualifier: 'exact' }],
    ['На акциях протеста задержаны 4 тыс. человек', { value: 4000, qualifier: 'exact' }],
    ['Митингке қатысқан 4 мың адам ұсталды', { value: 4000, qualifier: 'exact' }],
    ['More than 4,000 people were detained at the protests', { value: 4000, qualifier: 'at_least' }],
    ['На митинге задержаны 4 000 человек', { value: 4000, qualifier: 'exact' }],
    ['Задержаны двое журналистов, снимавших митинг', { value: 2, qualifier: 'exact' }],
    ['Two reporters were detained at the protest', { value: 2, qualifier: 'exact' }],
    ['Митингте үш белсенді ұсталды', { value: 3, qualifier: 'exact' }],
    ['Число задержанных на акциях протеста превысило 4 тысячи', { value: 4000, qualifier: 'at_least' }],
  ])('%s', (sentence, expected) => {
    expect(counts(sentence)).toEqual([expected])
  })

  it.each([
    'Несколько десятков участников митинга задержаны',
    'Dozens of protesters were detained',
    'В 2019 году на митинге задержан журналист',
    '45-летний активист задержан на пикете',
    'Activist, 45, detained at the protest',
    'Участника митинга арестовали на 15 суток',
    'Активиста оштрафовали на 50 МРП за пикет',
    'Активист задержан по статье 405',
    'Журналист задержан 6 июля на митинге',
    'Protesters detained on June 9 at the rally',
    'С 9 по 12 июня на митингах задерживали людей',
    'Митингке 10:00-де жиналғандар ұсталды',
    'Police detained protesters aged 20 to 30 at the rally',
  ])('no count in: %s', (sentence) => {
    expect(counts(sentence)).toEqual([])
  })

  it('keeps several counts in one sentence and merges repeats, preferring the qualified one', () => {
    expect(
      analyzeItem({
        title: '700 задержанных на митингах',
        summary: 'В Алматы задержаны около 700 участников акций протеста, в том числе 10 журналистов.',
      }).counts,
    ).toEqual([
      { value: 700, qualifier: 'approx' },
      { value: 10, qualifier: 'exact' },
    ])
  })

  it('reads the elliptic second count: "в Алматы задержаны 57 человек, в Нур-Султане — 40"', () => {
    expect(
      extractCounts('В Алматы задержаны 57 человек, в Нур-Султане — 40.', { detentionSpans: [[9, 18]] }),
    ).toEqual([
      { value: 57, qualifier: 'exact' },
      { value: 40, qualifier: 'exact' },
    ])
  })

  it('reports no counts for an item that is not a detention report', () => {
    expect(analyzeItem({ title: 'Задержаны 3 наркокурьера с героином' }).counts).toEqual([])
  })
})

describe('cities', () => {
  it.each([
    ['в Нур-Султане', 'Astana'],
    ['в Астане', 'Astana'],
    ['Астанада', 'Astana'],
    ['Нұр-Сұлтанда', 'Astana'],
    ['in Nur-Sultan', 'Astana'],
    ['in Astana', 'Astana'],
    ['в Алматы', 'Almaty'],
    ['Алматыда', 'Almaty'],
    ['в Алма-Ате', 'Almaty'],
    ['in Almaty', 'Almaty'],
    ['в Уральске', 'Uralsk'],
    ['Оралда', 'Uralsk'],
    ['in Uralsk', 'Uralsk'],
    ['в Усть-Каменогорске', 'Ust-Kamenogorsk'],
    ['Өскеменде', 'Ust-Kamenogorsk'],
    ['in Ust-Kamenogorsk', 'Ust-Kamenogorsk'],
    ['в Шымкенте', 'Shymkent'],
    ['Шымкентте', 'Shymkent'],
    ['in Shymkent', 'Shymkent'],
    ['в Актобе', 'Aktobe'],
    ['Ақтөбеде', 'Aktobe'],
    ['in Aktobe', 'Aktobe'],
    ['в Атырау', 'Atyrau'],
    ['Атырауда', 'Atyrau'],
    ['в Актау', 'Aktau'],
    ['Ақтауда', 'Aktau'],
    ['in Aktau', 'Aktau'],
    ['в Караганде', 'Karaganda'],
    ['Қарағандыда', 'Karaganda'],
    ['in Karaganda', 'Karaganda'],
    ['из Караганды', 'Karaganda'],
  ])('%s → %s', (text, city) => {
    expect(findCities(`Митинг ${text} прошёл`)).toEqual([city])
  })

  it('lists each city once, in order of mention', () => {
    expect(findCities('В Алматы и Нур-Султане, а также в Астане и Алматы')).toEqual(['Almaty', 'Astana'])
  })

  it('does not take words for places', () => {
    expect(findCities('Он орал на полицейских; Oral arguments? no: oral hearing')).toEqual(['Uralsk'])
    expect(findCities('Митинг на площади Астана в Алматы')).toEqual(['Almaty'])
    expect(findCities('Рейс Air Astana в Актау')).toEqual(['Aktau'])
    expect(findCities('Алматинская область, Карагандинский район')).toEqual([])
  })

  it('uses the gazetteer it is given', () => {
    const gazetteer: Gazetteer = [{ name: 'Bishkek', aliases: ['Бишкек', 'Bishkek'] }]
    expect(findCities('В Бишкеке и Алматы задержаны активисты', gazetteer)).toEqual(['Bishkek'])
    expect(analyzeItem({ title: 'В Бишкеке задержаны активисты' }, { gazetteer }).cities).toEqual(['Bishkek'])
  })
})

describe('dates', () => {
  const published = '2019-07-07T08:00:00Z'
  it.each([
    ['Митинг 6 июля', ['2019-07-06']],
    ['выборы 9 июня 2019 года', ['2019-06-09']],
    ['акции 9–12 июня', ['2019-06-09', '2019-06-12']],
    ['6 шілдеде өткен митинг', ['2019-07-06']],
    ['2019 жылғы 9 маусымда', ['2019-06-09']],
    ['on July 6 police', ['2019-07-06']],
    ['on 6 July 2019', ['2019-07-06']],
    ['June 9, 2019', ['2019-06-09']],
    ['06.07.2019 в 10:00', ['2019-07-06']],
    ['вчера в Алматы', ['2019-07-06']],
    ['today in Almaty', ['2019-07-07']],
    ['кеше Алматыда', ['2019-07-06']],
    ['нет даты', []],
  ])('%s', (text, expected) => {
    expect(extractDates(text, published)).toEqual(expected)
  })

  it('puts a day without a year in the past year when it would be far in the future', () => {
    expect(extractDates('акция 30 декабря', '2020-01-02T00:00:00Z')).toEqual(['2019-12-30'])
    expect(extractDates('акция запланирована на 6 июля', '2019-06-20T00:00:00Z')).toEqual(['2019-07-06'])
  })

  it('ignores impossible days', () => {
    expect(extractDates('31 июня', published)).toEqual([])
  })
})

describe('people', () => {
  it.each([
    ['Полиция задержала журналиста Ивана Петрова у акимата', ['Ивана Петрова']],
    ['Корреспондент «Радио Азаттык» Айгерим Сапарова задержана', ['Айгерим Сапарова']],
    ['Активистка Динара Есенова доставлена в отдел', ['Динара Есенова']],
    ['Белсенді Асқар Ахметов ұсталды', ['Асқар Ахметов']],
    ['Police detained activist Asya Tulesova in Almaty', ['Asya Tulesova']],
    ['Marat Zhunusov, a blogger from Karaganda, was fined', ['Marat Zhunusov']],
    ['The journalist was detained', []],
    ['Журналист Радио Свобода задержан', []],
  ])('%s', (text, expected) => {
    expect(extractPeople(text)).toEqual(expected)
  })
})

describe('analyzeItem', () => {
  it('puts it all together for the 6 July 2019 report', () => {
    const analysis = analyzeItem({
      title: 'Около 700 человек задержаны на акциях 6 июля',
      summary:
        'В МВД сообщили о задержании около 700 человек в Нур-Султане и Алматы. Среди задержанных — журналист Данияр Ермеков.',
      link: 'https://news.example.kz/2019/07/07/700',
      published: '2019-07-07T06:00:00Z',
    })
    expect(analysis).toEqual({
      language: 'ru',
      detention: true,
      score: expect.any(Number),
      counts: [{ value: 700, qualifier: 'approx' }],
      // 700 is the total for both cities named together, not Nur-Sultan's figure.
      cityCounts: [],
      cities: ['Astana', 'Almaty'],
      dates: ['2019-07-06'],
      people: ['Данияр Ермеков'],
      evidence: expect.stringContaining('задержан'),
    })
    expect(analysis.score).toBeGreaterThanOrEqual(0.5)
  })

  it('reads content as well as summary, once when the content repeats the summary', () => {
    const summary = 'Полиция задержала участников митинга.'
    const analysis = analyzeItem({
      title: 'Новости дня',
      summary,
      content: `${summary} В Шымкенте задержаны 12 активистов.`,
    })
    expect(analysis.detention).toBe(true)
    expect(analysis.cities).toEqual(['Shymkent'])
    expect(analysis.counts).toEqual([{ value: 12, qualifier: 'exact' }])
  })

  it('copes with empty input', () => {
    expect(analyzeItem({})).toEqual({
      language: 'other',
      detention: false,
      score: 0,
      counts: [],
      cityCounts: [],
      cities: [],
      dates: [],
      people: [],
      evidence: '',
    })
  })
})
