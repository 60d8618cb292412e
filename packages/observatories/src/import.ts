// The importing edge: parses every file first (a malformed one rejects the whole import, naming the file
// and the record at fault), then writes everything in one transaction, so nothing is half-imported.
import { storableJson } from '@vigil/outside-text'
import {
  insertMeasurements,
  insertObservatoryEvents,
  insertObservatorySignals,
  type Sql,
  type TargetRecord,
  upsertTargets,
  upsertVantage,
  type VantageRecord,
} from '@vigil/store'
import { ObservatoryImportError } from './import-error.js'
import { type IodaFile, parseIodaFile } from './ioda.js'
import { type OoniMeasurement, parseOoniFile } from './ooni.js'

export interface ImportFile {
  name: string
  text: string
}

export interface ImportOptions {
  /** Called now and then with how many records are written of how many. */
  onProgress?: (done: number, total: number) => void
}

export interface OoniImportResult {
  records: number
  inserted: number
  vantages: number
  targets: number
}

export interface IodaImportResult {
  points: number
  pointsInserted: number
  events: number
  eventsInserted: number
}

const CHUNK = 2_000

function parseAll<T>(files: readonly ImportFile[], parse: (text: string) => T): T[] {
  return files.map((file) => {
    try {
      return parse(file.text)
    } catch (error) {
      if (error instanceof ObservatoryImportError) throw error.withFile(file.name)
      throw error
    }
  })
}

export async function importOoniFiles(
  sql: Sql,
  files: readonly ImportFile[],
  options: ImportOptions = {},
): Promise<OoniImportResult> {
  const records: OoniMeasurement[] = parseAll(files, parseOoniFile).flat()
  const vantages = new Map<string, VantageRecord>()
  const targets = new Map<string, TargetRecord>()
  for (const record of records) {
    vantages.set(record.vantage.id, storableJson(record.vantage))
    targets.set(record.target.id, storableJson(record.target))
  }
  const inserted = await sql.begin(async (tx) => {
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
    let count = 0
    for (let start = 0; start < records.length; start += CHUNK) {
      // Imported files are text from outside: made storable where they enter.
      const chunk = records.slice(start, start + CHUNK).map((record) => storableJson(record.measurement))
      count += await insertMeasurements(tx, chunk)
      options.onProgress?.(Math.min(start + CHUNK, records.length), records.length)
    }
    return count
  })
  return { records: records.length, inserted, vantages: vantages.size, targets: targets.size }
}

export async function importIodaFiles(
  sql: Sql,
  files: readonly ImportFile[],
  options: ImportOptions = {},
): Promise<IodaImportResult> {
  const parsed: IodaFile[] = parseAll(files, parseIodaFile)
  const points = parsed.flatMap((file) => file.points)
  const events = parsed.flatMap((file) => file.events)
  const total = points.length + events.length
  const result = await sql.begin(async (tx) => {
    let pointsInserted = 0
    for (let start = 0; start < points.length; start += CHUNK) {
      pointsInserted += await insertObservatorySignals(tx, storableJson(points.slice(start, start + CHUNK)))
      options.onProgress?.(Math.min(start + CHUNK, points.length), total)
    }
    const eventsInserted = await insertObservatoryEvents(tx, storableJson(events))
    options.onProgress?.(total, total)
    return { pointsInserted, eventsInserted }
  })
  return { points: points.length, events: events.length, ...result }
}
