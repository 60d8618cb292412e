// Block-page fingerprints in the CSV format OONI publishes (github.com/ooni/blocking-fingerprints,
// fingerprints_http.csv and fingerprints_dns.csv): one row per fingerprint with `name`, `scope`,
// `location_found` (`body`, `header.<name>` or `dns`), `pattern_type` (`full`, `prefix`, `contains`,
// `regexp`), `pattern` and `expected_countries`. No fingerprint data ships with Vigil; operators fetch the
// files and name them under `probing.blockPages.files`.
import { isIP } from 'node:net'
import { parse } from 'csv-parse/sync'
import type { BlockPagePattern } from './types.js'

/** Rows read from one file at most; OONI's files hold a few hundred. */
export const MAX_FINGERPRINT_ROWS = 20_000
/** Characters of a pattern kept; longer ones are skipped as implausible. */
const MAX_PATTERN_LENGTH = 4096

const REQUIRED_COLUMNS = ['name', 'location_found', 'pattern_type', 'pattern'] as const

export interface SkippedFingerprint {
  /** Line of the row in the file (the header is line 1). */
  line: number
  name: string
  reason: string
}

export interface FingerprintFile {
  file: string
  /** HTTP fingerprints as block-page patterns (matched on every hop of a redirect chain). */
  blockPages: BlockPagePattern[]
  /** DNS fingerprints that are addresses (`dns`, `full`): an answer pointing there is a block page. */
  dnsAddresses: string[]
  /** Rows not used, each with its reason; a bad row never stops the others. */
  skipped: SkippedFingerprint[]
}

export interface FingerprintOptions {
  /**
   * Keep only rows whose `expected_countries` is empty, `ZZ` or names one of these ISO codes. Empty keeps
   * every row.
   */
  countries?: readonly string[]
}

/**
 * Parses one OONI fingerprint CSV. Throws an Error naming the file when it is not CSV or lacks one of the
 * columns `name`, `location_found`, `pattern_type`, `pattern`; a row that cannot be used (scope `fp`,
 * i.e. a known false positive; an unknown location or pattern type; a regular expression JavaScript cannot
 * compile; a DNS pattern other than a full address; another country) is listed in `skipped`.
 */
export function parseOoniFingerprints(
  text: string,
  file: string,
  options: FingerprintOptions = {},
): FingerprintFile {
  let rows: string[][]
  try {
    rows = parse(text.replace(/^\uFEFF/, ''), {
      relax_column_count: true,
      skip_empty_lines: true,
      to_line: MAX_FINGERPRINT_ROWS + 1,
    }) as string[][]
  } catch (error) {
    throw new Error(`${file} is not a CSV file: ${(error as Error).message}`)
  }
  const header = (rows[0] ?? []).map((column) => column.trim().toLowerCase())
  const missing = REQUIRED_COLUMNS.filter((column) => !header.includes(column))
  if (missing.length > 0) {
    throw new Error(
      `${file} is not in OONI's fingerprint format: no column ${missing.join(', ')} (expected a header with ${REQUIRED_COLUMNS.join(', ')})`,
    )
  }
  const countries = new Set((options.countries ?? []).map((code) => code.toUpperCase()))
  const result: FingerprintFile = { file, blockPages: [], dnsAddresses: [], skipped: [] }
  for (const [index, cells] of rows.slice(1).entries()) {
    const row = Object.fromEntries(header.map((column, i) => [column, (cells[i] ?? '').trim()]))
    const line = index + 2
    const name = (row.name ?? '').slice(0, 100) || `row-${line}`
    const skip = (reason: string) => result.skipped.push({ line, name, reason })
    if (row.scope === 'fp') {
      skip('a known false positive (scope fp)')
      continue
    }
    const expected = (row.expected_countries ?? '')
      .split(',')
      .map((code) => code.trim().toUpperCase())
      .filter((code) => code !== '')
    if (
      countries.size > 0 &&
      expected.length > 0 &&
      !expected.includes('ZZ') &&
      !expected.some((code) => countries.has(code))
    ) {
      skip(`expected in ${expected.join(', ')} only`)
      continue
    }
    const pattern = row.pattern ?? ''
    if (pattern === '' || pattern.length > MAX_PATTERN_LENGTH) {
      skip('empty or overlong pattern')
      continue
    }
    const location = (row.location_found ?? '').toLowerCase()
    const type = (row.pattern_type ?? '').toLowerCase()
    if (location === 'dns') {
      if (type === 'full' && isIP(pattern) !== 0) result.dnsAddresses.push(pattern.toLowerCase())
      else skip('only DNS fingerprints that are a full address are matched')
      continue
    }
    const source = regexSource(type, pattern)
    if (source === null) {
      skip(`unknown pattern_type "${type}"`)
      continue
    }
    try {
      // The flags the probe compiles config patterns with.
      new RegExp(source, 'iu')
    } catch {
      skip('a regular expression JavaScript cannot compile')
      continue
    }
    if (location === 'body') {
      result.blockPages.push({
        name,
        statusCodes: undefined,
        bodyPattern: source,
        header: undefined,
        hop: 'any',
      })
    } else if (location.startsWith('header.') && location.length > 'header.'.length) {
      result.blockPages.push({
        name,
        statusCodes: undefined,
        bodyPattern: undefined,
        header: { name: location.slice('header.'.length), pattern: source },
        hop: 'any',
      })
    } else {
      skip(`unknown location_found "${location}"`)
    }
  }
  return result
}

function regexSource(type: string, pattern: string): string | null {
  switch (type) {
    case 'full':
      return `^${escapeRegExp(pattern)}$`
    case 'prefix':
      return `^${escapeRegExp(pattern)}`
    case 'contains':
      return escapeRegExp(pattern)
    case 'regexp':
      return pattern
    default:
      return null
  }
}

// Only the characters that are syntax in a `u`-flag expression may be escaped there.
function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')
}
