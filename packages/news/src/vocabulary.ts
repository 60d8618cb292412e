// Detention, context and crime vocabulary in Russian, Kazakh and English, as regex fragments with their
// inflected forms. All languages are searched in every item: quotes and names cross languages.
import { wordsRegex } from './text.js'

const L = '\\p{L}*'

/** Words that report a detention, an arrest or an administrative penalty. */
export const DETENTION_PATTERNS: readonly string[] = [
  // ru: задержан/а/ы, задержали, задержание/я/й, задержанных; not "задержалась" (lingered) nor "задержка"
  `задержа(?:н${L}|л(?:и|а|о)?(?!сь|ся))`,
  `задержива(?:л|ют|ет|ли|ть|ние)${L}`,
  `доставлен${L}\\s+в\\s+(?:отдел|полици|ОВД|РУВД|УВД|участ|управлени|изолятор)${L}`,
  `достави(?:ли|л)\\s+в\\s+(?:отдел|полици|ОВД|РУВД|УВД|участ|управлени)${L}`,
  `увез(?:ли|ен${L})\\s+в\\s+(?:отдел|полици|ОВД|автозак|участ)${L}`,
  `арест(?:ован${L}|овыва${L}|овали|овал|а|ом|у|ы|ов)?`,
  `арестант${L}`,
  `штраф(?:а|ом|у|ы|ов|ами)?`,
  `оштрафова${L}`,
  `автозак${L}`,
  `(?:помещ|водвор)${L}\\s+в\\s+(?:спецприемник|изолятор|ИВС)${L}`,
  `(?:забрали|увели|увезли|вывели)\\s+в\\s+(?:полици|отдел|автобус|автозак|ОВД|участок)${L}`,
  `(?:взят|заключ|помещ)${L}\\s+под\\s+страж${L}`,
  `под\\s+стражу`,
  // "провели в отделе полиции три часа", "отпустили из отдела полиции"
  `провел${L}\\s+(?:\\p{L}+\\s+)?в\\s+(?:отдел${L}\\s+полиции|ИВС|изолятор${L}|спецприемник${L})`,
  `(?:выпустили|отпустили|освободили|вышл${L})\\s+из\\s+(?:отдел|полици|ИВС|изолятор|спецприемник)${L}`,
  `(?:\\d+|пятнадцать|десять)\\s+суток`,
  // kk: ұсталды, ұсталған(дар), ұстады, ұстап алды, қамауға алынды, әкімшілік қамау, айыппұл
  `ұстал(?:ды|ған${L}|ғандар${L}|ып|уы${L}|у${L}|ады)?`,
  'ұстады',
  'ұстаған',
  `ұстап\\s+ал${L}`,
  `қамауға\\s+ал${L}`,
  `қама(?:у|уда|уға|уы|лды|лған${L})`,
  `тұтқында${L}`,
  `айыппұл${L}`,
  `полиция\\s+бөлім${L}\\s+(?:жеткізіл|апарыл)${L}`,
  `(?:жеткізілді|апарылды)`,
  `(?:полиция${L}\\s+)?(?:әкетілді|алып\\s+кетілді|алып\\s+кетті|әкетті)`,
  // en
  `detain(?:s|ed|ing)?`,
  `detention${L}`,
  `arrest(?:s|ed|ing)?`,
  'taken\\s+into\\s+custody',
  'in\\s+police\\s+custody',
  `(?:held|hauled|bundled|taken)\\s+(?:away\\s+)?(?:by|into)\\s+(?:the\\s+)?police${L}`,
  'rounded\\s+up',
  `(?:hauled|dragged|carried)\\s+(?:\\p{L}+\\s+){0,3}?(?:away|off)`,
  `bundled\\s+into`,
  `sentenced\\s+to\\s+(?:\\d+|ten|fifteen|five)\\s+days`,
  `fined`,
  `jailed`,
  'police\\s+vans?',
  'paddy\\s+wagons?',
]

/** Uses of those words that are not about a person being detained: delays, seizures, medicine, masks. */
export const NOT_DETENTION_PATTERNS: readonly string[] = [
  // "задержали рейс/зарплату/публикацию" and "рейс задержан": delays, not detentions
  `задерж${L}\\s+(?:на\\s+\\d+\\s+\\p{L}+\\s+)?(?:рейс|вылет|поезд|выплат|зарплат|пенси|публикац|объявлени|результат|подсч[её]т|отправк|поставк|строительств|запуск|сдач|поезд|дыхани|мяч|взгляд)${L}`,
  `(?:рейс|вылет|поезд|выплат|зарплат|пенси|публикац|объявлени|результат|запуск|дыхани)${L}[^.!?]{0,40}?\\s(?:был${L}\\s+)?(?:снова\\s+)?задерж${L}`,
  // "арест на имущество", "арестовали счета": property, not people ("актив" only as "активы", not "активист")
  `арест${L}\\s+(?:на\\s+)?(?:имуществ${L}|сч[её]т(?:а|ов|ах)?|актив(?:ы|ов|ах)|недвижимост${L}|автомобил${L}|средств${L}|квартир${L}|акци(?:и|й|ях))`,
  `(?:имуществ|сч[её]т|актив(?:ы|ов)|недвижимост|квартир)${L}[^.!?]{0,40}?\\s(?:был${L}\\s+)?арестова${L}`,
  `арестова${L}\\s+(?:сч[её]т(?:а|ов)?|активы|имущество|средства)`,
  `(?:cardiac|respiratory|heart)\\s+arrest`,
  'arrested\\s+development',
  `arrest(?:ed|s|ing)?\\s+(?:the|its|his|her|their|a)\\s+(?:decline|slide|fall|drop|momentum|slump|spread|rise|growth)`,
  `(?:ball|shot|attack|progress|momentum)\\s+was\\s+arrested`,
  // the Russian word for a penalty kick in football is also штрафной
  `штрафн${L}`,
]

/** Negated or hypothetical detentions: "никто не задержан", "no arrests were made", "could be detained". */
export const NEGATED_DETENTION_PATTERNS: readonly string[] = [
  `никто\\s+(?:не\\s+был${L}|не)\\s+(?:задержан${L}|арестован${L}|оштрафован${L})`,
  `никого\\s+(?:не\\s+)?(?:\\p{L}+\\s+)?(?:задерж${L}|арестов${L})`,
  `(?:задержани|арест)${L}\\s+не\\s+(?:было|зафиксирован${L}|производил${L}|проводил${L}|последовал${L})`,
  `без\\s+задержаний`,
  `не\\s+(?:был${L}\\s+)?(?:задержан${L}|задерживал${L}|арестован${L}|задерживали)`,
  `(?:могут|может|могли|будут|будет|грозит|грозят|рискуют|рискует)\\s+(?:\\p{L}+\\s+){0,2}?(?:быть\\s+)?(?:задержан${L}|арестован${L}|оштрафован${L}|задержани${L}|арест${L}|штраф${L})`,
  `(?:угрожа|пригрози|пригроз|предупреди|предупрежд)${L}\\s+(?:\\p{L}+\\s+){0,4}?(?:задержан${L}|арест${L}|штраф${L})`,
  `ешкім\\s+(?:\\p{L}+\\s+)?(?:ұстал${L}|ұстамады|қамауға)${L}`,
  `(?:ұсталған|ұсталғандар)\\s+жоқ`,
  `ұстал(?:ма|мағ)${L}`,
  `(?:ұстал|қамауға\\s+алын|айыппұл\\s+салын)${L}\\s+(?:\\p{L}+\\s+)?мүмкін`,
  `no\\s+(?:one|arrests?|detentions?|protesters?|journalists?)\\s+(?:\\p{L}+\\s+){0,3}?(?:was|were|had\\s+been|has\\s+been|have\\s+been)?\\s*(?:detained|arrested|made|reported|fined)`,
  `no\\s+(?:arrests?|detentions?)`,
  `nobody\\s+(?:was|were|has\\s+been)\\s+(?:detained|arrested|fined)`,
  `(?:was|were|had|has|have)\\s+(?:not|never)\\s+(?:been\\s+)?(?:detained|arrested|fined)`,
  `without\\s+(?:any\\s+)?(?:arrests?|detentions?)`,
  `(?:could|may|might|will|would)\\s+(?:\\p{L}+\\s+)?(?:be\\s+)?(?:detained|arrested|fined|face\\s+(?:arrest|detention|fines?))`,
  `(?:threat(?:en|ened|ens)?|warn(?:ed|s|ing)?|risk(?:s|ed)?|fac(?:e|es|ing))\\s+(?:\\p{L}+\\s+){0,5}?(?:detention|arrest|fines?|being\\s+detained|being\\s+arrested)`,
]

/** Who was detained, when it makes it a press or political detention. */
export const PERSON_CONTEXT_PATTERNS: readonly string[] = [
  // ru; the dative "журналистам" ("сообщили журналистам") is left out on purpose: it is how police speak
  `журналист(?:а|ы|у|ом|ов|ка|ки|ку|кой|ок|ами|ах)?`,
  `корреспондент(?:а|ы|у|ом|ов|ка|ки|ку)?`,
  `репорт[её]р(?:а|ы|у|ом|ов)?`,
  `фотограф(?:а|ы|у|ом|ов)?`,
  `оператор(?:а|ы|ом|ов)?\\s+(?:телеканал|издани|сайт|агентств)${L}`,
  `активист${L}`,
  `правозащитни${L}`,
  `блогер${L}`,
  `наблюдател${L}`,
  `оппозиционер${L}`,
  `оппозиционн${L}\\s+(?:политик|деятел|движени|парти|лидер|активист)${L}`,
  `протестующ${L}`,
  `митингующ${L}`,
  `демонстрант${L}`,
  `манифестант${L}`,
  `пикетчи${L}`,
  `участник${L}\\s+(?:\\p{L}+\\s+)?(?:митинг|акци|протест|пикет|шестви|несанкционированн|мирн|собрани)${L}`,
  `(?:сторонник|член)${L}\\s+(?:\\p{L}+\\s+)?(?:ДВК|движени|оппозиц|Демократическ|парти|Оян)${L}`,
  // kk
  `белсенді${L}`,
  `тілші(?:сі|лер|лері|лерді|ні|нің|ді)?`,
  `журналист(?:ті|тер|терді|тің|терін|і|ін)?`,
  `құқық\\s*қорғаушы${L}`,
  `бақылаушы${L}`,
  `наразылық\\s+(?:білдірушілер|акциясына\\s+қатысушылар|білдірген)${L}`,
  `шеруге\\s+қатысушы${L}`,
  `митингке\\s+(?:қатысушы|қатысқан|шыққан)${L}`,
  `(?:ДВК|оппозиция)\\s+(?:жақтаушы|мүше)${L}`,
  // en; "told reporters" is how police speak, so it is excluded by CONTEXT_EXCLUSIONS
  `journalists?`,
  `reporters?`,
  `correspondents?`,
  `photo(?:grapher|journalist)s?`,
  `activists?`,
  `human\\s+rights\\s+(?:defenders?|activists?|lawyers?)`,
  `bloggers?`,
  `(?:election\\s+)?observers?`,
  `election\\s+monitors?`,
  `protest(?:e|o)rs?`,
  `demonstrators?`,
  `dissidents?`,
  `opposition\\s+(?:figures?|leaders?|politicians?|members?|supporters?|activists?)`,
  `(?:supporters?|members?)\\s+of\\s+(?:the\\s+)?(?:banned\\s+)?(?:opposition|DVK|Democratic\\s+Choice|Oyan)${L}`,
  `(?:rally|protest)\\s+(?:participants|goers)`,
  `picketers?`,
]

/** Where or why: a rally, a protest, an election, a banned movement. */
export const EVENT_CONTEXT_PATTERNS: readonly string[] = [
  // ru
  `митинг${L}`,
  `акци(?:я|и|ю|ей|й|ях|ям)\\s+(?:протест|солидарност|оппозици|памят|ДВК)${L}`,
  `акци(?:я|и|ю|ей|й|ях|ям)`,
  `протест${L}`,
  `пикет${L}`,
  `шестви${L}`,
  `плакат${L}`,
  `транспарант${L}`,
  `демонстраци${L}`,
  `несанкционированн${L}`,
  `(?:незаконн|мирн)${L}\\s+(?:собрани|акци|митинг)${L}`,
  `массов${L}\\s+беспорядк${L}`,
  `оппозици${L}`,
  'ДВК',
  `Демократическ${L}\\s+выбор${L}`,
  `экстремистск${L}`,
  `(?:стать${L}|ст\\.)\\s*405`,
  `выбор(?:ы|ов|ах|ам|ами)`,
  `президентских\\s+выбор${L}`,
  `избирательн${L}`,
  `бойкот${L}`,
  `политическ${L}`,
  `политзаключ${L}`,
  `свобод${L}\\s+(?:слова|собрани|прессы)`,
  `Оян,?\\s+Казахстан`,
  `Көше\\s+партия${L}`,
  // kk
  `наразылық${L}`,
  `шеру${L}`,
  `сайлау${L}`,
  `митингі${L}`,
  `рұқсатсыз`,
  `бейбіт\\s+жиын${L}`,
  `жиын(?:ға|да|ы|ына|ында|дар|ды)?`,
  `экстремист${L}`,
  `405-?\\s*бап${L}`,
  `саяси`,
  `плакат${L}`,
  // en
  `rall(?:y|ies|ied|ying)`,
  `protest(?:s|ed|ing)?`,
  `demonstrat(?:ion|ions|ed|ing)`,
  `picket(?:s|ed|ing)?`,
  `banners?`,
  `placards?`,
  `unsanctioned`,
  `unauthori[sz]ed\\s+(?:rally|rallies|gathering|protest|demonstration)s?`,
  `opposition`,
  'DVK',
  `Democratic\\s+Choice\\s+of\\s+Kazakhstan`,
  `extremist`,
  `article\\s+405`,
  `elections?`,
  `electoral`,
  `polling\\s+stations?`,
  `boycott${L}`,
  `political`,
  `press\\s+freedom`,
  `Oyan,?\\s+Qazaqstan`,
]

/** Ordinary crime, traffic and corruption: "задержан" in these is police news, not a protest report. */
export const CRIME_PATTERNS: readonly string[] = [
  // ru
  `нарко${L}`,
  `нарк(?:отик|от)${L}`,
  `героин${L}`,
  `гашиш${L}`,
  `марихуан${L}`,
  `закладчи${L}`,
  `спайс${L}`,
  `краж${L}`,
  `укра(?:л|ла|ли|сть|денн)${L}`,
  `похи(?:тил|щени|щен)${L}`,
  `хищени${L}`,
  `грабеж${L}`,
  `граб[её]ж${L}`,
  `ограб${L}`,
  `разбо(?:й|я|ем|йн)${L}`,
  `убийств${L}`,
  `убий(?:ца|цу|цы)`,
  `убил${L}`,
  `мошенни${L}`,
  `взятк${L}`,
  `взяточ${L}`,
  `коррупц${L}`,
  'ДТП',
  `пьян${L}`,
  `нетрезв${L}`,
  `водител${L}`,
  `угон${L}`,
  `изнасил${L}`,
  `контрабанд${L}`,
  `поджог${L}`,
  `вор(?:а|ы|ов|ом)?`,
  `карманни${L}`,
  `подозреваем${L}`,
  `розыск${L}`,
  `браконьер${L}`,
  `насили${L}\\s+(?:в\\s+семье|над)`,
  `педофил${L}`,
  `лжеминир${L}`,
  `растрат${L}`,
  `оруди${L}\\s+преступлени${L}`,
  `террорист${L}`,
  // kk
  `есірткі${L}`,
  `ұрлық${L}`,
  `ұрла(?:ған|ды|п)${L}`,
  `ұры(?:лар|ны|лар|)`,
  `өлтір${L}`,
  `алаяқ${L}`,
  `парақор${L}`,
  `пара\\s+(?:алу|беру|алған|берген|алды|алмақ)${L}`,
  `сыбайлас\\s+жемқор${L}`,
  `жол-көлік${L}`,
  'ЖКО',
  `мас\\s+күйде`,
  `жүргізуші${L}`,
  `тона(?:у|ды|ған)${L}`,
  `қарақшы${L}`,
  `контрабанд${L}`,
  `күдікті${L}`,
  // en
  `drugs?`,
  `narcotics?`,
  `heroin`,
  `cocaine`,
  `cannabis`,
  `meth(?:amphetamine)?`,
  `theft${L}`,
  `thie(?:f|ves)`,
  `stole(?:n)?`,
  `robber${L}`,
  `burglar${L}`,
  `murder${L}`,
  `homicide${L}`,
  `fraud${L}`,
  `scam${L}`,
  `brib${L}`,
  `embezzl${L}`,
  `smuggl${L}`,
  `drunk${L}`,
  `drink-driving`,
  `DUI`,
  `motorists?`,
  `speeding`,
  `shoplift${L}`,
  `poach${L}`,
  `traffick${L}`,
  `money\\s+laundering`,
  `(?:car|traffic|road)\\s+(?:crash|accident)s?`,
  `stabb${L}`,
  `assault${L}`,
  `kidnap${L}`,
  `terroris${L}`,
]

/** Sport and entertainment, where "fined", "штраф", "detained" mean something else. */
export const SPORT_PATTERNS: readonly string[] = [
  `футбол${L}`,
  `матч${L}`,
  `болельщик${L}`,
  `фанат${L}`,
  `вратар${L}`,
  `чемпионат${L}`,
  `хоккей${L}`,
  `турнир${L}`,
  `сборн(?:ая|ой|ую)`,
  `жанкүйер${L}`,
  `football${L}`,
  `soccer`,
  `goalkeeper${L}`,
  `striker${L}`,
  `league`,
  'UEFA',
  'FIFA',
  `referee${L}`,
  `match(?:es)?`,
  `championship${L}`,
  `fans`,
  `hooligan${L}`,
  `хулиган${L}`,
  `бұзақы${L}`,
]

/** Phrases where a context word is only the audience of a police statement. */
export const CONTEXT_EXCLUSION_PATTERNS: readonly string[] = [
  `(?:told|said\\s+to|informed)\\s+(?:the\\s+)?(?:reporters|journalists|press)`,
  `(?:сообщил${L}|рассказал${L}|заявил${L}|пояснил${L}|показал${L})\\s+(?:\\p{L}+\\s+)?журналистам`,
  `тілшілерге`,
  `журналистерге`,
  // a crime report's "акция" is a police operation: "в ходе оперативно-профилактической акции"
  `(?:оперативн${L}|профилактическ${L})\\s+(?:\\p{L}+\\s+)?акци${L}`,
]

export interface ExtraVocabulary {
  /** Extra patterns, in the same regex-fragment form as the built-in ones (`\p{L}*` for any ending). */
  detention?: readonly string[]
  personContext?: readonly string[]
  eventContext?: readonly string[]
  crime?: readonly string[]
}

export interface CompiledVocabulary {
  detention: RegExp
  notDetention: RegExp
  negated: RegExp
  personContext: RegExp
  eventContext: RegExp
  crime: RegExp
  sport: RegExp
  contextExclusion: RegExp
}

let defaultVocabulary: CompiledVocabulary | null = null
const compiledExtras = new WeakMap<ExtraVocabulary, CompiledVocabulary>()

/** Compiles the built-in vocabulary plus any extra patterns from configuration (cached per object). */
export function compileVocabulary(extra?: ExtraVocabulary): CompiledVocabulary {
  if (!extra) {
    defaultVocabulary ??= build({})
    return defaultVocabulary
  }
  let compiled = compiledExtras.get(extra)
  if (!compiled) {
    compiled = build(extra)
    compiledExtras.set(extra, compiled)
  }
  return compiled
}

function build(extra: ExtraVocabulary): CompiledVocabulary {
  return {
    detention: wordsRegex([...DETENTION_PATTERNS, ...(extra.detention ?? [])]),
    notDetention: wordsRegex(NOT_DETENTION_PATTERNS),
    negated: wordsRegex(NEGATED_DETENTION_PATTERNS),
    personContext: wordsRegex([...PERSON_CONTEXT_PATTERNS, ...(extra.personContext ?? [])]),
    eventContext: wordsRegex([...EVENT_CONTEXT_PATTERNS, ...(extra.eventContext ?? [])]),
    crime: wordsRegex([...CRIME_PATTERNS, ...(extra.crime ?? [])]),
    sport: wordsRegex(SPORT_PATTERNS),
    contextExclusion: wordsRegex(CONTEXT_EXCLUSION_PATTERNS),
  }
}
