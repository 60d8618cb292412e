// `vigil import ooni|ioda FILE...`: reads OONI measurements or IODA signals and outage alerts/events from
// files in their documented JSON formats into the store. Idempotent; a malformed file stores nothing.
import { readFile } from 'node:fs/promises'
import { importIodaFiles, importOoniFiles, ObservatoryImportError } from '@vigil/observatories'
import { migrate } from '@vigil/store'
import type { CommandContext } from '../cli.js'
import { parseOptions } from '../cli.js'
import { chooseStore, loadConfigOption, openChosenStore } from './common.js'

const USAGE = 'usage: vigil import ooni|ioda FILE... [--config FILE] [--data-dir DIR]'
// Below this many records an import is quick enough to need no progress line.
const PROGRESS_FROM = 10_000

export async function importCommand({ args, env, io }: CommandContext): Promise<number> {
  const { values, positionals } = parseOptions(
    args,
    { config: { type: 'string', short: 'c' }, 'data-dir': { type: 'string' } },
    true,
  )
  const [kind, ...files] = positionals
  if ((kind !== 'ooni' && kind !== 'ioda') || files.length === 0) {
    io.stderr(
      `vigil import: ${kind === 'ooni' || kind === 'ioda' ? 'give at least one file' : 'say ooni or ioda'}; ${USAGE}\n`,
    )
    return 2
  }
  const inputs = await Promise.all(files.map(async (name) => ({ name, text: await readFile(name, 'utf8') })))
  const { config } = await loadConfigOption(values.config, env)
  const store = await openChosenStore(chooseStore(config, values['data-dir'], env))
  const onProgress = (done: number, total: number) => {
    if (total >= PROGRESS_FROM) io.stderr(`\rimported ${done}/${total} records${done === total ? '\n' : ''}`)
  }
  try {
    await migrate(store.sql)
    if (kind === 'ooni') {
      const result = await importOoniFiles(store.sql, inputs, { onProgress })
      io.stdout(
        `OONI: ${result.records} measurements read, ${result.inserted} new, ${result.records - result.inserted} already stored; ${result.vantages} probe networks, ${result.targets} targets\n`,
      )
    } else {
      const result = await importIodaFiles(store.sql, inputs, { onProgress })
      io.stdout(
        `IODA: ${result.points} signal points read, ${result.pointsInserted} new; ${result.events} alerts and events read, ${result.eventsInserted} new\n`,
      )
    }
    return 0
  } catch (error) {
    if (error instanceof ObservatoryImportError) {
      io.stderr(`vigil import ${kind}: rejected, nothing stored: ${error.message}\n`)
      return 1
    }
    throw error
  } finally {
    await store.close()
  }
}
