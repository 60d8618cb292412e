// `vigil export measurements|incidents --from T --to T [--out FILE]`: plain CSV of a time range, oldest
// first, streamed from a database cursor so a long range never sits in memory.
import { once } from 'node:events'
import { open } from 'node:fs/promises'
import { instantProblem } from '@vigil/model'
import {
  INCIDENT_CSV_HEADER,
  incidentCsvRow,
  MEASUREMENT_CSV_HEADER,
  measurementCsvRow,
} from '@vigil/reports'
import { migrate, streamIncidents, streamMeasurements } from '@vigil/store'
import type { CommandContext } from '../cli.js'
import { parseOptions } from '../cli.js'
import { chooseStore, loadConfigOption, openChosenStore } from './common.js'
import { CsvRecordCounter, findRunningVigil, unexpectedAnswer } from './running.js'

const USAGE =
  'usage: vigil export measurements|incidents --from TIME --to TIME [--out FILE] [--config FILE] [--data-dir DIR]'

export async function exportCommand({ args, env, io }: CommandContext): Promise<number> {
  const { values, positionals } = parseOptions(
    args,
    {
      config: { type: 'string', short: 'c' },
      'data-dir': { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      out: { type: 'string', short: 'o' },
    },
    true,
  )
  const [what] = positionals
  if ((what !== 'measurements' && what !== 'incidents') || positionals.length !== 1) {
    io.stderr(`vigil export: say measurements or incidents; ${USAGE}\n`)
    return 2
  }
  const from = values.from === undefined ? undefined : new Date(values.from)
  const to = values.to === undefined ? undefined : new Date(values.to)
  if (!from || !to || Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to) {
    io.stderr(
      `vigil export: --from and --to must be times (e.g. 2019-07-06T00:00Z), from before to; ${USAGE}\n`,
    )
    return 2
  }
  // The bounds the store and the api hold every instant to (year 1990 to 2199), named by the option.
  for (const [option, time] of [
    ['--from', from],
    ['--to', to],
  ] as const) {
    const problem = instantProblem(time.toISOString())
    if (problem) {
      io.stderr(`vigil export: ${option} ${problem}\n`)
      return 2
    }
  }
  const { config } = await loadConfigOption(values.config, env)
  const choice = chooseStore(config, values['data-dir'], env)
  const running = findRunningVigil(choice)
  // Opened before the store, so an unwritable path fails at once with its own message.
  const handle = values.out ? await open(values.out, 'w') : undefined
  const file = handle?.createWriteStream()
  const write = async (text: string | Buffer) => {
    if (!file) return io.stdout(text.toString())
    if (!file.write(text)) await once(file, 'drain')
  }
  const closeFile = async () => {
    if (file) {
      file.end()
      await once(file, 'close')
    }
  }

  if (running) {
    const counter = new CsvRecordCounter()
    try {
      const query = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() })
      const answer = await running.stream(`/v1/export/${what}?${query}`, (chunk) => {
        counter.feed(chunk)
        return write(chunk)
      })
      if (answer.status !== 200) {
        throw unexpectedAnswer(running, answer, { 'querystring/from': '--from', 'querystring/to': '--to' })
      }
    } finally {
      await closeFile()
    }
    // The header is a record too.
    io.stderr(
      `exported ${Math.max(0, counter.records - 1)} ${what} through the running Vigil (pid ${running.pid})\n`,
    )
    return 0
  }

  const store = await openChosenStore(choice).catch(async (error) => {
    await closeFile()
    throw error
  })
  let rows = 0
  try {
    await migrate(store.sql)
    if (what === 'measurements') {
      await write(MEASUREMENT_CSV_HEADER)
      for await (const batch of streamMeasurements(
        store.sql,
        { from, to },
        { ascending: true, batchSize: 2_000 },
      )) {
        await write(batch.map(measurementCsvRow).join(''))
        rows += batch.length
        io.stderr(`\rexported ${rows} measurements`)
      }
    } else {
      await write(INCIDENT_CSV_HEADER)
      for await (const batch of streamIncidents(
        store.sql,
        { from, to },
        { ascending: true, batchSize: 2_000 },
      )) {
        await write(batch.map(incidentCsvRow).join(''))
        rows += batch.length
        io.stderr(`\rexported ${rows} incidents`)
      }
    }
    io.stderr(`${rows === 0 ? `exported 0 ${what}` : ''}\n`)
    return 0
  } finally {
    await closeFile()
    await store.close()
  }
}
