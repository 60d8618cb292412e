// `vigil import ooni|ioda FILE... [--strict]`: reads OONI measurements or IODA signals and outage
// alerts/events from files in their documented JSON formats into the store. Idempotent. Malformed records
// are reported with their file and line or JSON path and the good ones are stored; with --strict any
// fault stores nothing.
import { readFile } from 'node:fs/promises'
import { gunzipSync } from 'node:zlib'
import {
  type ImportFaults,
  type IodaImportResult,
  importIodaFiles,
  importOoniFiles,
  ObservatoryImportError,
  type OoniImportResult,
} from '@vigil/observatories'
import { migrate } from '@vigil/store'
import type { CommandContext } from '../cli.js'
import { parseOptions } from '../cli.js'
import { chooseStore, loadConfigOption, openChosenStore } from './common.js'
import { findRunningVigil, unexpectedAnswer } from './running.js'

const USAGE = 'usage: vigil import ooni|ioda FILE... [--strict] [--config FILE] [--data-dir DIR]'
// Below this many records an import is quick enough to need no progress line.
const PROGRESS_FROM = 10_000
// Lines of rejected records printed; the summary gives the count of all of them.
const REJECTED_SHOWN = 20

// OONI publishes its raw measurements as gzip-compressed JSON Lines; a file starting with gzip's magic
// bytes is decompressed, bounded so a small file cannot expand without limit.
const GZIP_MAX_BYTES = 2 * 1024 ** 3

function readText(bytes: Buffer): string {
  const gzipped = bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b
  return (gzipped ? gunzipSync(bytes, { maxOutputLength: GZIP_MAX_BYTES }) : bytes).toString('utf8')
}

export async function importCommand({ args, env, io }: CommandContext): Promise<number> {
  const { values, positionals } = parseOptions(
    args,
    {
      config: { type: 'string', short: 'c' },
      'data-dir': { type: 'string' },
      strict: { type: 'boolean' },
    },
    true,
  )
  const [kind, ...files] = positionals
  if ((kind !== 'ooni' && kind !== 'ioda') || files.length === 0) {
    io.stderr(
      `vigil import: ${kind === 'ooni' || kind === 'ioda' ? 'give at least one file' : 'say ooni or ioda'}; ${USAGE}\n`,
    )
    return 2
  }
  let inputs: Array<{ name: string; text: string }>
  try {
    inputs = await Promise.all(files.map(async (name) => ({ name, text: readText(await readFile(name)) })))
  } catch (error) {
    io.stderr(`vigil import ${kind}: ${(error as Error).message}\n`)
    return 1
  }
  const { config } = await loadConfigOption(values.config, env)
  const choice = chooseStore(config, values['data-dir'], env)
  const strict = values.strict ?? false

  // Prints one import's summary and its faults; returns the exit code.
  const report = (result: OoniImportResult | IodaImportResult): number => {
    let faults: ImportFaults
    let read: number
    if (kind === 'ooni') {
      const ooni = result as OoniImportResult
      const unknownTests = Object.entries(ooni.unknownTests)
        .map(([test, count]) => `${test} ${count}`)
        .join(', ')
      io.stdout(
        `OONI: ${ooni.records} measurements read, ${ooni.inserted} new, ${ooni.records - ooni.inserted} already stored; ${ooni.vantages} probe networks, ${ooni.targets} targets\n` +
          `verdicts: ${ooni.verdicts.ok} ok, ${ooni.verdicts.anomaly} anomaly, ${ooni.verdicts.down} down, ${ooni.verdicts.unknown} unknown${unknownTests ? ` (${unknownTests})` : ''}\n`,
      )
      faults = ooni
      read = ooni.records
    } else {
      const ioda = result as IodaImportResult
      const skipped = Object.entries(ioda.skipped)
        .map(([shape, count]) => `${count} ${shape}${count === 1 ? '' : 's'}`)
        .join(', ')
      io.stdout(
        `IODA: ${ioda.points} signal points read, ${ioda.pointsInserted} new; ${ioda.events} alerts and events read, ${ioda.eventsInserted} new${skipped ? `; not stored: ${skipped}` : ''}\n`,
      )
      faults = ioda
      read = ioda.points + ioda.events
    }
    io.stdout(
      `malformed: ${faults.rejectedCount} records left out, ${faults.filesRejected.length} files unreadable\n`,
    )
    for (const file of faults.filesRejected) {
      io.stderr(`vigil import ${kind}: ${file.file}: ${file.at}: ${file.message} (file not imported)\n`)
    }
    for (const record of faults.rejected.slice(0, REJECTED_SHOWN)) {
      io.stderr(`vigil import ${kind}: ${record.file}: ${record.at}: ${record.message} (left out)\n`)
    }
    if (faults.rejectedCount > REJECTED_SHOWN) {
      io.stderr(
        `vigil import ${kind}: ... and ${faults.rejectedCount - REJECTED_SHOWN} more malformed records\n`,
      )
    }
    // Records left out of a readable file are reported, not fatal; a file that could not be read is, and
    // so is an import in which every record was malformed.
    return faults.filesRejected.length > 0 || (read === 0 && faults.rejectedCount > 0) ? 1 : 0
  }

  const running = findRunningVigil(choice)
  if (running) {
    io.stderr(`importing through the running Vigil (pid ${running.pid})\n`)
    const answer = await running.json('POST', `/v1/import/${kind}`, { files: inputs, strict })
    if (answer.status === 422) {
      io.stderr(
        `vigil import ${kind}: rejected${strict ? ' (--strict)' : ''}, nothing stored: ${answer.body.message}\n`,
      )
      return 1
    }
    if (answer.status !== 200) {
      throw unexpectedAnswer(running, answer, { 'body/files': 'FILE', 'body/strict': '--strict' })
    }
    return report(answer.body as unknown as OoniImportResult | IodaImportResult)
  }

  const store = await openChosenStore(choice)
  const onProgress = (done: number, total: number) => {
    if (total >= PROGRESS_FROM) io.stderr(`\rimported ${done}/${total} records${done === total ? '\n' : ''}`)
  }
  try {
    await migrate(store.sql)
    return report(
      kind === 'ooni'
        ? await importOoniFiles(store.sql, inputs, { onProgress, strict })
        : await importIodaFiles(store.sql, inputs, { onProgress, strict }),
    )
  } catch (error) {
    if (error instanceof ObservatoryImportError) {
      io.stderr(
        `vigil import ${kind}: rejected${strict ? ' (--strict)' : ''}, nothing stored: ${error.message}\n`,
      )
      return 1
    }
    throw error
  } finally {
    await store.close()
  }
}
