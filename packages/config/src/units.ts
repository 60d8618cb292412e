// Durations ("30s", "5m", "1h", "7d") and byte sizes ("1MiB", "512kB") as written in the config file,
// turned into milliseconds and bytes. Plain numbers are refused for durations: "5" could mean anything.

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

/**
 * Parses a duration such as `30s`, `5m`, `1h30m`, `7d` or `250ms` into milliseconds. Compound forms are
 * read left to right (`1h30m`). Returns undefined when the text is not a duration.
 */
export function parseDuration(text: string): number | undefined {
  const compact = text.trim()
  if (compact === '') return undefined
  let total = 0
  let rest = compact
  while (rest !== '') {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/.exec(rest)
    if (!match) return undefined
    total += Number(match[1]) * DURATION_UNITS[match[2]!]!
    rest = rest.slice(match[0].length)
  }
  return Math.round(total)
}

/** Formats milliseconds back into the shortest exact duration text, e.g. 90_000 -> `1m30s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s'
  const parts: string[] = []
  let rest = ms
  for (const unit of ['d', 'h', 'm', 's', 'ms'] as const) {
    const size = DURATION_UNITS[unit]!
    const count = Math.floor(rest / size)
    if (count > 0) {
      parts.push(`${count}${unit}`)
      rest -= count * size
    }
  }
  return parts.join('')
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1_000,
  mb: 1_000_000,
  gb: 1_000_000_000,
  kib: 1_024,
  mib: 1_048_576,
  gib: 1_073_741_824,
}

/**
 * Parses a byte size such as `512kB`, `10MB` or `1MiB` (decimal and binary units, case-insensitive)
 * into bytes. A plain non-negative integer is taken as bytes. Returns undefined otherwise.
 */
export function parseByteSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?$/i.exec(value.trim())
  if (!match) return undefined
  const unit = (match[2] ?? 'b').toLowerCase()
  return Math.round(Number(match[1]) * SIZE_UNITS[unit]!)
}

// SI prefixes, as data rates are written (IEC 80000-13: 1 kbit/s = 1000 bit/s).
const RATE_UNITS: Record<string, number> = { '': 1, k: 1_000, m: 1_000_000, g: 1_000_000_000 }

/**
 * Parses a data rate such as `128kbit/s`, `1Mbit/s` or `500bit/s` (SI prefixes, case-insensitive) into
 * bits per second. Returns undefined otherwise, plain numbers included: "1000" could be bits or bytes.
 */
export function parseBitRate(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)bit\/s$/i.exec(text.trim())
  if (!match) return undefined
  return Math.round(Number(match[1]) * RATE_UNITS[match[2]!.toLowerCase()]!)
}

/** Formats bits per second for people: `128 kbit/s`, `1.5 Mbit/s`, `900 bit/s`. */
export function formatBitRate(bitsPerSecond: number): string {
  for (const [prefix, size] of [
    ['G', 1e9],
    ['M', 1e6],
    ['k', 1e3],
  ] as const) {
    if (bitsPerSecond >= size) return `${Number((bitsPerSecond / size).toPrecision(3))} ${prefix}bit/s`
  }
  return `${Math.round(bitsPerSecond)} bit/s`
}
