// `vigil import ooni|ioda FILE...`: reads OONI measurements or IODA signals and outage alerts/events from
// files in their documented JSON formats into the store. Idempotent; a malformed file stores nothing.
import { readFile } from 'node:fs/promises'
import {
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
  const choice = chooseStore(config, values['data-dir'], env)
  const printOoni = (result: OoniImportResult) =>
    io.stdout(
      `OONI: ${result.records} measurements read, ${result.inserted} new, ${result.records - result.inserted} already stored; ${result.vantages} probe networks, ${result.targets} targets\n`,
    )
  const printIoda = (result: IodaImportResult) =>
    io.stdout(
      `IODA: ${result.points} signal points read, ${result.pointsInserted} new; ${result.events} alerts and events read, ${result.eventsInserted} new\n`,
    )

  const running = findRunningVigil(choice)
  if (running) {
    io.stderr(`importing through the running Vigil (pid ${running.pid})\n`)
    const answer = await running.json('POST', `/v1/import/${kind}`, { files: inputs })
    if (answer.status === 422) {
      io.stderr(`vigil import ${kind}: rejected, nothing stored: ${answer.body.message}\n`)
      return 1
    }
    if (answer.status !== 200) throw unexpectedAnswer(running, answer)
    if (kind === 'ooni') printOoni(answer.body as unknown as OoniImportResult)
    else printIoda(answer.body as unknown as IodaImportResult)
    return 0
  }

  const store = await openChosenStore(choice)
  const onProgress = (done: number, total: number) => {
    if (total >= PROGRESS_FROM) io.stderr(`\rimported ${done}/${total} records${done === total ? '\n' : ''}`)
  }
  try {
    await migrate(store.sql)
    if (kind === 'ooni') {
      printOoni(await importOoniFiles(store.sql, inputs, { onProgress }))
    } else {
      printIoda(await importIodaFiles(store.sql, inputs, { onProgress }))
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
