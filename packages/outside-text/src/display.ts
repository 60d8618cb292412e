// Unicode's bidirectional controls let a string reorder how the text around it is displayed: a feed title
// holding U+202E (RIGHT-TO-LEFT OVERRIDE) shows "gpj.exe" as "exe.jpg", or turns a count or a place name
// around in an alert. Vigil's own templates never use them, so every rendered text (emails, webhook
// payloads, reports) goes through `displayText` on its way out and loses them all.

// The explicit formatting characters of Unicode Standard Annex #9 (section 2): embeddings and overrides
// (U+202A-U+202E), isolates (U+2066-U+2069), and the implicit marks LRM, RLM and ALM.
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g

/** `text` without any bidirectional control character (UAX #9 explicit formatting and marks). */
export function displayText(text: string): string {
  return text.replace(BIDI_CONTROLS, '')
}

/** True when `text` holds a bidirectional control character. */
export function hasBidiControls(text: string): boolean {
  BIDI_CONTROLS.lastIndex = 0
  const found = BIDI_CONTROLS.test(text)
  BIDI_CONTROLS.lastIndex = 0
  return found
}
