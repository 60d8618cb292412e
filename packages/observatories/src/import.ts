// The importing edge: parses every file, keeps the good records and reports the rest (a file that is not
// JSON, or a malformed record, with its line or JSON path), then writes the good records in one
// transaction. With `strict`, any fault rejects the whole import and nothing is stored. Re-importing adds
// nothing: measurements carry OONI's ids as idempotency keys, IODA points and events their natural keys.
import { storableJson } from '@vigil/outside-text'
import {
  insertMeasurements,
  insertObservatoryEvents,
  insertObservatorySignals,
  type Sql,
  type TargetRecord,
  type TransactionSql,
  upsertTargets,
  upsertVantage,
  type VantageRecord,
} from '@vigil/store'
import { ObservatoryImportError, type RejectedRecord } from './import-error.js'
import { type IodaFile, parseIodaFile } from './ioda.js'
import { type OoniFile, type OoniMeasurement, parseOoniFile } from './ooni.js'
import type { OoniVerdictStatus } from './ooni-verdicts.js'

export interface ImportFile {
  name: string
  text: string
}

export interface ImportOptions {
  /** Called now and then with how many records are written of how many. */
  onProgress?: (done: number, total: number) => void
  /** All or nothing: any malformed record or unreadable file rejects the import (ObservatoryImportError). */
  strict?: boolean
}

export interface ImportFaults {
  /** Malformed records left out, with file and location; at most REJECTED_KEPT of them, see `rejectedCount`. */
  rejected: RejectedRecord[]
  rejectedCount: number
  /** Files that could not be read at all (not JSON, not an answer of that observatory). */
  filesRejected: RejectedRecord[]
}

export interface OoniImportResult extends ImportFaults {
  records: number
  inserted: number
  vantages: number
  targets: number
  /** Records read, by verdict. */
  verdicts: Record<OoniVerdictStatus, number>
  /** Records with an unknown verdict, by OONI test name. */
  unknownTests: Record<string, number>
}

export interface IodaImportResult extends ImportFaults {
  points: number
  pointsInserted: number
  events: number
  eventsInserted: number
  /** Records of a documented shape that is not stored (outage summaries), by shape. */
  skipped: Record<string, number>
}

const CHUNK = 2_000
// A file with a million bad values reports the first ones, and how many there were.
const REJECTED_KEPT = 200

function parseAll<T extends { rejected: RejectedRecord[] }>(
  files: readonly ImportFile[],
  parse: (text: string) => T,
  strict: boolean,
): { parsed: T[] } & ImportFaults {
  const parsed: T[] = []
  const faults: ImportFaults = { rejected: [], rejectedCount: 0, filesRejected: [] }
  for (const file of files) {
    try {
      const result = parse(file.text)
      parsed.push(result)
      faults.rejectedCount += result.rejected.length
      for (const record of result.rejected.slice(0, REJECTED_KEPT - faults.rejected.length)) {
        faults.rejected.push({ ...record, file: file.name })
      }
    } catch (error) {
      if (!(error instanceof ObservatoryImportError)) throw error
      if (strict) throw error.withFile(file.name)
      faults.filesRejected.push({
        file: file.name,
        at: error.at,
        message: error.message.replace(/^.*?: /, ''),
      })
    }
  }
  if (strict && faults.rejectedCount > 0) {
    const first = faults.rejected[0]!
    throw new ObservatoryImportError(
      first.at,
      `${first.message} (${faults.rejectedCount} malformed record${faults.rejectedCount === 1 ? '' : 's'} in all)`,
      first.file,
    )
  }
  return { parsed, ...faults }
}

/** Imports OONI files (see parseOoniFile); returns what was read, stored, rejected and how it was judged. */
export async function importOoniFiles(
  sql: Sql,
  files: readonly ImportFile[],
  options: ImportOptions = {},
): Promise<OoniImportResult> {
  const { parsed, ...faults } = parseAll<OoniFile>(files, parseOoniFile, options.strict ?? false)
  const records: OoniMeasurement[] = parsed.flatMap((file) => file.records)
  const verdicts: Record<OoniVerdictStatus, number> = { ok: 0, anomaly: 0, down: 0, unknown: 0 }
  const unknownTests: Record<string, number> = {}
  for (const record of records) {
    verdicts[record.verdict] += 1
    if (record.verdict === 'unknown') unknownTests[record.testName] = (unknownTests[record.testName] ?? 0) + 1
  }
  const written = await sql.begin((tx) => writeOoni(tx, records, options))
  return { ...written, records: records.length, verdicts, unknownTests, ...faults }
}

/** Writes parsed OONI records in the caller's transaction: vantages, missing targets, measurements. */
export async function writeOoni(
  tx: TransactionSql,
  records: readonly OoniMeasurement[],
  options: ImportOptions = {},
): Promise<{ inserted: number; vantages: number; targets: number }> {
  const vantages = new Map<string, VantageRecord>()
  const targets = new Map<string, TargetRecord>()
  for (const record of records) {
    vantages.set(record.vantage.id, storableJson(record.vantage))
    targets.set(record.target.id, storableJson(record.target))
  }
  for (const vantage of vantages.values()) await upsertVantage(tx, vantage)
  // Targets Vigil probes itself keep their definition; OONI's are only added when missing.
  const known = new Set(
    (await tx<{ id: string }[]>`select id from targets where id in ${tx([...targets.keys(), ''])}`).map(
      (row) => row.id,
    ),
  )
  await upsertTargets(
    tx,
    [...targets.values()].filter((target) => !known.has(target.id)),
  )
  let inserted = 0
  for (let start = 0; start < records.length; start += CHUNK) {
    // Imported files are text from outside: made storable where they enter.
    const chunk = records.slice(start, start + CHUNK).map((record) => storableJson(record.measurement))
    inserted += await insertMeasurements(tx, chunk)
    options.onProgress?.(Math.min(start + CHUNK, records.length), records.length)
  }
  return { inserted, vantages: vantages.size, targets: targets.size }
}

/** Imports IODA answers (see parseIodaFile): signal points, alerts and events. */
export async function importIodaFiles(
  sql: Sql,
  files: readonly ImportFile[],
  options: ImportOptions = {},
): Promise<IodaImportResult> {
  const { parsed, ...faults } = parseAll<IodaFile>(files, parseIodaFile, options.strict ?? false)
  const skipped: Record<string, number> = {}
  for (const file of parsed) {
    for (const [shape, count] of Object.entries(file.skipped)) skipped[shape] = (skipped[shape] ?? 0) + count
  }
  const result = await sql.begin((tx) => writeIoda(tx, parsed, options))
  return { ...result, skipped, ...faults }
}

/** Writes parsed IODA answers in the caller's transaction. */
export async function writeIoda(
  tx: TransactionSql,
  parsed: readonly Pick<IodaFile, 'points' | 'events'>[],
  options: ImportOptions = {},
): Promise<{ points: number; pointsInserted: number; events: number; eventsInserted: number }> {
  const points = parsed.flatMap((file) => file.points)
  const events = parsed.flatMap((file) => file.events)
  const total = points.length + events.length
  let pointsInserted = 0
  for (let start = 0; start < points.length; start += CHUNK) {
    // Each record is made storable on its own: a whole chunk would be cut at the item bound.
    const chunk = points.slice(start, start + CHUNK).map((point) => storableJson(point))
    pointsInserted += await insertObservatorySignals(tx, chunk)
    options.onProgress?.(Math.min(start + CHUNK, points.length), total)
  }
  const eventsInserted = await insertObservatoryEvents(
    tx,
    events.map((event) => storableJson(event)),
  )
  options.onProgress?.(total, total)
  return { points: points.length, pointsInserted, events: events.length, eventsInserted }
}
