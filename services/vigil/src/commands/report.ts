// `vigil report rally --date YYYY-MM-DD [--city NAME] [--format md|json|csv|html] [--out FILE]`: what
// happened to the network in each rally city that day, next to the detention reports.
import { writeFile } from 'node:fs/promises'
import {
  buildRallyReport,
  loadRallyReportData,
  RallyReportRequestError,
  REPORT_FORMATS,
  type ReportFormat,
  renderRallyReport,
} from '@vigil/reports'
import { migrate } from '@vigil/store'
import type { CommandContext } from '../cli.js'
import { parseOptions } from '../cli.js'
import { chooseStore, loadConfigOption, openChosenStore } from './common.js'
import { findRunningVigil, inOptionWords, unexpectedAnswer } from './running.js'

const USAGE =
  'usage: vigil report rally --date YYYY-MM-DD [--city NAME] [--format md|json|csv|html] [--resolution 5m|1m] [--out FILE]'

export async function reportCommand({ args, env, io }: CommandContext): Promise<number> {
  const { values, positionals } = parseOptions(
    args,
    {
      config: { type: 'string', short: 'c' },
      'data-dir': { type: 'string' },
      date: { type: 'string' },
      city: { type: 'string' },
      format: { type: 'string' },
      resolution: { type: 'string' },
      out: { type: 'string', short: 'o' },
    },
    true,
  )
  if (positionals[0] !== 'rally' || positionals.length !== 1) {
    io.stderr(`vigil report: only the rally report exists; ${USAGE}\n`)
    return 2
  }
  if (!values.date) {
    io.stderr(`vigil report rally: --date is required; ${USAGE}\n`)
    return 2
  }
  const format = (values.format ?? 'md') as ReportFormat
  if (!REPORT_FORMATS.includes(format)) {
    io.stderr(`vigil report rally: --format must be one of ${REPORT_FORMATS.join(', ')}\n`)
    return 2
  }
  const resolution = values.resolution ?? '5m'
  if (resolution !== '5m' && resolution !== '1m') {
    io.stderr('vigil report rally: --resolution must be 5m or 1m\n')
    return 2
  }
  const { config } = await loadConfigOption(values.config, env)
  const choice = chooseStore(config, values['data-dir'], env)
  const output = async (text: string | Buffer) => {
    if (values.out) {
      await writeFile(values.out, text)
      io.stderr(`report: written to ${values.out}\n`)
    } else {
      io.stdout(text.toString())
    }
  }

  const running = findRunningVigil(choice)
  if (running) {
    // The running Vigil builds the report with its own config (its rally calendar and regions).
    io.stderr(`report: built by the running Vigil (pid ${running.pid})\n`)
    const query = new URLSearchParams({
      date: values.date,
      format,
      resolution: resolution === '1m' ? '1' : '5',
      ...(values.city === undefined ? {} : { city: values.city }),
    })
    const chunks: Buffer[] = []
    const answer = await running.stream(`/v1/reports/rally?${query}`, (chunk) => chunks.push(chunk))
    if (answer.status === 400) {
      const options = {
        'querystring/date': '--date',
        'querystring/city': '--city',
        'querystring/format': '--format',
        'querystring/resolution': '--resolution',
      }
      io.stderr(`vigil report rally: ${inOptionWords(String(answer.body.message), options)}\n`)
      return 2
    }
    if (answer.status !== 200) throw unexpectedAnswer(running, answer)
    await output(Buffer.concat(chunks))
    return 0
  }

  const store = await openChosenStore(choice)
  try {
    await migrate(store.sql)
    const data = await loadRallyReportData(store.sql, config, {
      date: values.date,
      city: values.city,
      resolutionMinutes: resolution === '1m' ? 1 : 5,
      onProgress: (message) => io.stderr(`report: ${message}\n`),
    })
    await output(renderRallyReport(buildRallyReport(data), format))
    return 0
  } catch (error) {
    if (error instanceof RallyReportRequestError) {
      io.stderr(`vigil report rally: ${error.message}\n`)
      return 2
    }
    throw error
  } finally {
    await store.close()
  }
}
