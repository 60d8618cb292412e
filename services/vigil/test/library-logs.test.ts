// Warnings of the runtime and node-cron's messages come out as JSON log lines, not as plain text on
// standard error.
import { Writable } from 'node:stream'
import cron from 'node-cron'
import { pino } from 'pino'
import { expect, it } from 'vitest'
import { waitFor } from '../../../test/support/wait.js'
import { routeLibraryLogs } from '../src/library-logs.js'

it('logs process warnings and node-cron errors through the JSON logger', async () => {
  const lines: Array<Record<string, unknown>> = []
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>)
        done()
      },
    }),
  )
  const printers = process.listeners('warning').length
  const restore = routeLibraryLogs(logger)
  const task = cron.schedule('* * * * * *', () => {
    throw new Error('a failing tick')
  })
  try {
    process.emitWarning('something to know', { code: 'VIGIL_TEST' })
    await waitFor(
      'the warning line',
      async () => lines.some((line) => line.msg === 'runtime warning: something to know'),
      5_000,
      10,
    )
    const warning = lines.find((line) => line.msg === 'runtime warning: something to know')!
    expect(warning).toMatchObject({ level: 40, warning: { name: 'Warning', code: 'VIGIL_TEST' } })
    await waitFor(
      'node-cron error line',
      async () => lines.some((line) => line.library === 'node-cron'),
      5_000,
      20,
    )
    expect(lines.find((line) => line.library === 'node-cron')).toMatchObject({ level: 50 })
  } finally {
    await task.destroy()
    restore()
  }
  expect(process.listeners('warning')).toHaveLength(printers)
})
