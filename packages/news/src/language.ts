// Tells Russian, Kazakh and English apart by script and by letters only Kazakh Cyrillic uses.

export type Language = 'ru' | 'kk' | 'en' | 'other'

const KAZAKH_LETTER = /[әғқңөұүһіӘҒҚҢӨҰҮҺІ]/u
const CYRILLIC_WORD = /\p{Script=Cyrillic}+/gu
const CYRILLIC = /\p{Script=Cyrillic}/gu
const LATIN = /\p{Script=Latin}/gu
const ENGLISH_WORDS =
  /(?<!\p{L})(?:the|and|of|to|in|was|were|is|are|has|have|had|by|for|on|with|said|after|police)(?!\p{L})/giu
// Kazakh written without its special letters (a keyboard without them, transliteration) still has its words.
const KAZAKH_WORDS =
  /(?<!\p{L})(?:және|мен|бойынша|жылы|жылғы|деп|бұл|осы|туралы|кезінде|қаласында)(?!\p{L})/giu

/**
 * The language of a text. Cyrillic text is Kazakh when a good share of its words use Kazakh-only letters
 * (ә ғ қ ң ө ұ ү һ і) or it has common Kazakh function words; a Russian text naming a Kazakh place or
 * person ("Қазақстан") stays Russian because one word in ten is not a share.
 */
export function detectLanguage(text: string): Language {
  const cyrillic = count(text, CYRILLIC)
  const latin = count(text, LATIN)
  if (cyrillic === 0 && latin === 0) return 'other'
  if (cyrillic >= latin) {
    const words = text.match(CYRILLIC_WORD) ?? []
    const kazakhWords = words.filter((word) => KAZAKH_LETTER.test(word)).length
    if (kazakhWords >= 1 && kazakhWords / words.length >= 0.15) return 'kk'
    if (count(text, KAZAKH_WORDS) >= 2) return 'kk'
    return 'ru'
  }
  const words = text.split(/\s+/).length
  return count(text, ENGLISH_WORDS) >= Math.max(1, Math.min(3, words * 0.05)) ? 'en' : 'other'
}

function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0
}
