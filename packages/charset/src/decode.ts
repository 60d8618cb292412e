// Turns the bytes of a feed or page into text before anything parses it: the XML and HTML parsers only see
// JavaScript strings, so every charset decision (windows-1251, KOI8-R, ISO-8859-x, UTF-16) is made here.
import iconv from 'iconv-lite'

/** Where the charset that was used came from, in the order they are consulted. */
export type CharsetSource = 'bom' | 'override' | 'http' | 'xml-prolog' | 'html-meta' | 'sniffed' | 'default'

export interface DecodedText {
  text: string
  /** The canonical iconv-lite name of the charset used, e.g. `utf-8`, `windows-1251`. */
  charset: string
  charsetSource: CharsetSource
}

export interface DecodeOptions {
  /** The HTTP Content-Type header, if any. */
  contentType?: string | null
  /** A charset configured for a source known to mislabel itself; wins over everything but a BOM. */
  charsetOverride?: string | null
}

const BOMS: { bytes: number[]; charset: string }[] = [
  { bytes: [0xef, 0xbb, 0xbf], charset: 'utf-8' },
  { bytes: [0xfe, 0xff], charset: 'utf-16be' },
  { bytes: [0xff, 0xfe], charset: 'utf-16le' },
]

/**
 * Decodes a body. Precedence, as browsers and RFC 7303 do it: a byte-order mark first (it cannot lie about
 * the bytes that follow it), then a charset configured for the source, then the HTTP Content-Type charset,
 * then the document's own declaration (the XML prolog `encoding`, or an HTML `<meta charset>` /
 * `<meta http-equiv>`), then UTF-8 if the bytes are valid UTF-8, and last a guess between windows-1251,
 * KOI8-R and windows-1252 from the byte distribution. An unknown label is skipped, not fatal.
 */
export function decodeBody(bytes: Uint8Array, options: DecodeOptions = {}): DecodedText {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (const bom of BOMS) {
    if (bom.bytes.every((b, i) => buffer[i] === b)) {
      return {
        text: iconv.decode(buffer.subarray(bom.bytes.length), bom.charset),
        charset: bom.charset,
        charsetSource: 'bom',
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
  candidates.push([charsetFromXmlProlog(head), 'xml-prolog'], [charsetFromHtmlMeta(head), 'html-meta'])
  for (const [label, source] of candidates) {
    const charset = normaliseCharset(label)
    if (charset) return { text: decodeWith(buffer, charset), charset, charsetSource: source }
  }
  if (isValidUtf8(buffer))
    return { text: buffer.toString('utf8'), charset: 'utf-8', charsetSource: 'default' }
  const guessed = guessSingleByteCharset(buffer)
  return { text: iconv.decode(buffer, guessed), charset: guessed, charsetSource: 'sniffed' }
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
