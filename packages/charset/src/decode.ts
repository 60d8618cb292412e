// Turns the bytes of a feed or page into text before anything parses it: the XML and HTML parsers only see
// JavaScript strings, so every charset decision (windows-1251, KOI8-R, ISO-8859-x, UTF-16) is made here.
import { ResultType, Sniffer } from 'encoding-sniffer/sniffer'
import iconv from 'iconv-lite'

/** Where the charset that was used came from, in the order they are consulted. */
export type CharsetSource = 'bom' | 'override' | 'http' | 'xml-prolog' | 'html-meta' | 'sniffed' | 'default'

export interface DecodedText {
  text: string
  /** The canonical iconv-lite name of the charset used, e.g. `utf-8`, `windows-1251`. */
  charset: string
  charsetSource: CharsetSource
  /** Why this charset was used, in words for a log line: the declaration, or why one was overruled. */
  reason: string
  /** Declarations that were checked against the bytes and overruled, in the order they were consulted. */
  rejected: RejectedCharset[]
}

/** A declared charset the bytes contradicted. */
export interface RejectedCharset {
  charset: string
  source: CharsetSource
  reason: string
}

export interface DecodeOptions {
  /** The HTTP Content-Type header, if any. */
  contentType?: string | null
  /** A charset configured for a source known to mislabel itself; consulted first, still checked. */
  charsetOverride?: string | null
}

const BOMS: { bytes: number[]; charset: string }[] = [
  { bytes: [0xef, 0xbb, 0xbf], charset: 'utf-8' },
  { bytes: [0xfe, 0xff], charset: 'utf-16be' },
  { bytes: [0xff, 0xfe], charset: 'utf-16le' },
]

// Charsets that are one byte per character: any byte sequence decodes, so only the result tells a wrong one.
const MULTI_BYTE =
  /^(?:utf-8|utf-16(?:le|be)?|utf-32(?:le|be)?|gbk|gb2312|gb18030|big5|shift_jis|euc-jp|euc-kr|iso-2022-jp)$/

/**
 * Decodes a body. A byte-order mark wins (it cannot disagree with the bytes that follow it). Every other
 * declaration is a hint checked against the bytes, consulted in this order: the charset configured for
 * the source, the HTTP Content-Type charset, the XML prolog `encoding`, the HTML `<meta charset>` /
 * `<meta http-equiv>`. A declaration is overruled when
 * - it names a single-byte charset but the bytes, which hold non-ASCII, are valid UTF-8 (a generator
 *   template that was never updated: real single-byte Cyrillic or Latin text is practically never valid
 *   UTF-8, as RFC 3629 section 1 and the WHATWG Encoding Standard's UTF-8 decoder make it unlikely);
 * - it names UTF-8 but the bytes are not UTF-8;
 * - or the text it gives looks like mojibake (see `looksLikeMojibake`).
 * Without a usable declaration, valid UTF-8 is UTF-8 (`default` when nothing was declared) and anything
 * else is a guess between windows-1251, KOI8-R and windows-1252 from the byte distribution, checked the
 * same way. Unknown labels are skipped, not fatal. Never throws for any input.
 */
export function decodeBody(bytes: Uint8Array, options: DecodeOptions = {}): DecodedText {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (const bom of BOMS) {
    if (bom.bytes.every((b, i) => buffer[i] === b)) {
      return {
        text: iconv.decode(buffer.subarray(bom.bytes.length), bom.charset),
        charset: bom.charset,
        charsetSource: 'bom',
        reason: `byte-order mark of ${bom.charset}`,
        rejected: [],
      }
    }
  }
  const candidates: [string | null | undefined, CharsetSource][] = [
    [options.charsetOverride, 'override'],
    [charsetFromContentType(options.contentType), 'http'],
  ]
  // Declarations inside the document are ASCII-compatible in every charset we accept, so a latin1 view of
  // the first bytes is enough to read them.
  const head = buffer.subarray(0, 2048).toString('latin1')
  candidates.push(
    [charsetFromXmlProlog(head), 'xml-prolog'],
    [charsetFromMetaPrescan(buffer) ?? charsetFromHtmlMeta(head), 'html-meta'],
  )
  const hasHighBytes = buffer.some((byte) => byte >= 0x80)
  const validUtf8 = isValidUtf8(buffer)
  const rejected: RejectedCharset[] = []
  const tried = new Set<string>()
  let declared = false
  for (const [label, source] of candidates) {
    const charset = normaliseCharset(label)
    if (!charset) continue
    declared = true
    if (tried.has(charset)) continue
    tried.add(charset)
    const where = SOURCE_WORDS[source]
    if (charset === 'utf-8') {
      if (!validUtf8) {
        rejected.push({ charset, source, reason: `${where} says utf-8, but the bytes are not valid UTF-8` })
        continue
      }
      return { text: buffer.toString('utf8'), charset, charsetSource: source, reason: `${where}`, rejected }
    }
    if (!MULTI_BYTE.test(charset) && hasHighBytes && validUtf8) {
      rejected.push({
        charset,
        source,
        reason: `${where} says ${charset}, but the bytes are valid UTF-8`,
      })
      continue
    }
    const text = decodeWith(buffer, charset)
    const mojibake = looksLikeMojibake(text)
    if (mojibake) {
      rejected.push({ charset, source, reason: `${where} says ${charset}, but decoded so ${mojibake}` })
      continue
    }
    return { text, charset, charsetSource: source, reason: `${where}`, rejected }
  }
  const overruled = rejected.length ? `; overruled: ${rejected.map((r) => r.reason).join('; ')}` : ''
  if (validUtf8) {
    return {
      text: buffer.toString('utf8'),
      charset: 'utf-8',
      charsetSource: declared ? 'sniffed' : 'default',
      reason: `${declared ? 'the bytes are valid UTF-8' : 'nothing declared; the bytes are valid UTF-8'}${overruled}`,
      rejected,
    }
  }
  const guesses = [guessSingleByteCharset(buffer), 'windows-1251', 'koi8-r', 'windows-1252']
  let fallback: { text: string; charset: string } | null = null
  for (const charset of guesses) {
    if (tried.has(charset)) continue
    tried.add(charset)
    const text = iconv.decode(buffer, charset)
    fallback ??= { text, charset }
    if (!looksLikeMojibake(text)) {
      return {
        text,
        charset,
        charsetSource: 'sniffed',
        reason: `guessed ${charset} from the byte distribution${overruled}`,
        rejected,
      }
    }
  }
  // Every candidate looked wrong: the first guess is still the likeliest, and the reason says so.
  const last = fallback ?? { text: iconv.decode(buffer, 'windows-1252'), charset: 'windows-1252' }
  return {
    ...last,
    charsetSource: 'sniffed',
    reason: `no candidate decoded cleanly; guessed ${last.charset}${overruled}`,
    rejected,
  }
}

const SOURCE_WORDS: Record<CharsetSource, string> = {
  bom: 'the byte-order mark',
  override: "the source's configured charset",
  http: 'the HTTP Content-Type',
  'xml-prolog': 'the XML prolog',
  'html-meta': 'the HTML meta charset',
  sniffed: 'the bytes',
  default: 'the default',
}

/**
 * Why decoded text looks like the wrong charset was used, or null when it reads as text. Checked on letters
 * only, and only with enough of them (20) to judge:
 * - replacement characters (U+FFFD) or C1 control characters (U+0080–U+009F), which no text contains;
 * - UTF-8 read as windows-1251: "Р" or "С" followed by a character of the 0x80–0xBF half of windows-1251
 *   ("РІ", "Рµ", "С‚"), the lead and continuation bytes of Cyrillic in UTF-8;
 * - KOI8-R and windows-1251 swapped: the case of every letter is inverted, so most Cyrillic letters come out
 *   upper-case, where running text has a few per cent;
 * - Cyrillic read as windows-1252: most letters are accented Latin ("Çàäåðæàíû").
 */
export function looksLikeMojibake(text: string): string | null {
  const sample = text.length > 200_000 ? text.slice(0, 200_000) : text
  const replacement = (sample.match(/\uFFFD/g) ?? []).length
  const c1 = (sample.match(/[\u0080-\u009f]/g) ?? []).length
  const cyrillic = (sample.match(/\p{Script=Cyrillic}/gu) ?? []).length
  const upperCyrillic = (sample.match(/(?=\p{Script=Cyrillic})\p{Lu}/gu) ?? []).length
  const latinExtended = (sample.match(/[\u00c0-\u00ff]/g) ?? []).length
  const letters = (sample.match(/\p{L}/gu) ?? []).length
  const utf8AsCp1251 = (
    sample.match(
      /[РС][\u0402\u0403\u201a\u0453\u201e\u2026\u2020\u2021\u20ac\u2030\u0409\u2039\u040a\u040c\u040b\u040f\u0452\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u2122\u0459\u203a\u045a\u045c\u045b\u045f\u00a0\u040e\u045e\u0408\u00a4\u0490\u00a6\u00a7\u0401\u00a9\u0404\u00ab\u00ac\u00ad\u00ae\u0407\u00b0\u00b1\u0406\u0456\u0491\u00b5\u00b6\u00b7\u0451\u2116\u0454\u00bb\u0458\u0405\u0455\u0457]/g,
    ) ?? []
  ).length
  if (replacement > Math.max(2, letters * 0.01)) return `it has ${replacement} replacement characters`
  if (c1 > Math.max(2, letters * 0.01)) return `it has ${c1} C1 control characters`
  if (letters < 20) return null
  if (cyrillic >= 20 && utf8AsCp1251 > cyrillic * 0.2) return 'it reads like UTF-8 taken for windows-1251'
  if (cyrillic >= 20 && upperCyrillic > cyrillic * 0.6)
    return 'most Cyrillic letters are upper-case (KOI8-R and windows-1251 swapped)'
  if (latinExtended > letters * 0.4)
    return 'most letters are accented Latin (Cyrillic taken for a Latin charset)'
  return null
}

/** The canonical name iconv-lite knows a label by, or null when it is missing or unknown. */
export function normaliseCharset(label: string | null | undefined): string | null {
  if (!label) return null
  const cleaned = label
    .trim()
    .replace(/^["']|["']$/g, '')
    .toLowerCase()
  if (!cleaned || !iconv.encodingExists(cleaned)) return null
  // iso-8859-1 is decoded as windows-1252, as the WHATWG Encoding Standard does: servers that say latin1
  // almost always mean 1252 (curly quotes and dashes in 0x80–0x9f).
  if (cleaned === 'iso-8859-1' || cleaned === 'latin1' || cleaned === 'us-ascii' || cleaned === 'ascii') {
    return 'windows-1252'
  }
  if (cleaned === 'utf8') return 'utf-8'
  return cleaned
}

export function charsetFromContentType(contentType: string | null | undefined): string | null {
  if (!contentType) return null
  const match = /;\s*charset\s*=\s*("?)([^";\s]+)\1/i.exec(contentType)
  return match ? match[2]! : null
}

export function charsetFromXmlProlog(head: string): string | null {
  const prolog = /^\s*<\?xml\s[^>]*?\?>/.exec(head)
  if (!prolog) return null
  const match = /\sencoding\s*=\s*["']([^"']+)["']/i.exec(prolog[0])
  return match ? match[1]! : null
}

/**
 * The charset an HTML `<meta charset>` or `<meta http-equiv="Content-Type" content="...; charset=...">`
 * declares in the first 1024 bytes, found with the WHATWG prescan algorithm (encoding-sniffer, as cheerio
 * uses it): comments, attribute order and quoting are handled as browsers handle them. Null when no meta
 * tag declares one.
 */
function charsetFromMetaPrescan(buffer: Buffer): string | null {
  const sniffer = new Sniffer({ maxBytes: 1024 })
  sniffer.write(buffer.subarray(0, 1024))
  return sniffer.resultType === ResultType.META_TAG ? sniffer.encoding : null
}

export function charsetFromHtmlMeta(head: string): string | null {
  const direct = /<meta\s[^>]*?charset\s*=\s*["']?([\w.:-]+)/i.exec(head)
  return direct ? direct[1]! : null
}

/** Removes the encoding from an XML declaration: the text is already decoded and must not be re-read as bytes. */
export function neutraliseXmlProlog(text: string): string {
  return text
    .replace(/^\uFEFF/, '')
    .replace(/^(\s*<\?xml\s[^>]*?)\sencoding\s*=\s*["'][^"']*["']([^>]*\?>)/, '$1$2')
}

function decodeWith(buffer: Buffer, charset: string): string {
  if (charset === 'utf-8') return buffer.toString('utf8')
  return iconv.decode(buffer, charset)
}

function isValidUtf8(buffer: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buffer)
    return true
  } catch {
    return false
  }
}

/**
 * Undeclared non-UTF-8 bytes. Cyrillic single-byte text is mostly high bytes (every letter is one),
 * Latin text is mostly ASCII with a few accented letters; among Cyrillic charsets, lower-case letters
 * (the bulk of any text) sit at 0xE0–0xFF in windows-1251 and at 0xC0–0xDF in KOI8-R.
 */
function guessSingleByteCharset(buffer: Buffer): string {
  let asciiLetters = 0
  let high = 0
  let upperBlock = 0
  let lowerBlock = 0
  for (const byte of buffer) {
    if ((byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)) asciiLetters++
    else if (byte >= 0x80) {
      high++
      if (byte >= 0xe0) upperBlock++
      else if (byte >= 0xc0) lowerBlock++
    }
  }
  if (high < (asciiLetters + high) * 0.12) return 'windows-1252'
  return upperBlock >= lowerBlock ? 'windows-1251' : 'koi8-r'
}
