// Everything a library or the runtime says goes through the JSON logger, so an operator's log pipeline
// reads one format: Node's process warnings (MaxListenersExceededWarning, deprecations), which Node
// otherwise prints to standard error as plain text, and node-cron's messages (a missed or blocked tick),
// which it otherwise prints with colour codes through the console.
import cron from 'node-cron'
import type { Logger } from 'pino'

/**
 * Routes process warnings and node-cron's log through `logger` until the returned function is called.
 * Node's own printing of warnings is replaced (the listeners it installed are removed and put back on
 * restore); a warning becomes a `warn` line with its name, code and stack.
 */
export function routeLibraryLogs(logger: Logger): () => void {
  const printers = process.listeners('warning')
  for (const printer of printers) process.off('warning', printer)
  const onWarning = (warning: Error & { code?: string }) => {
    logger.warn(
      { warning: { name: warning.name, code: warning.code, stack: warning.stack } },
      `runtime warning: ${warning.message}`,
    )
  }
  process.on('warning', onWarning)
  const cronLogger = logger.child({ library: 'node-cron' })
  const cronError = (message: string | Error, err?: Error) =>
    message instanceof Error ? { err: message, msg: message.message } : { err, msg: message }
  cron.setLogger({
    info: (message) => cronLogger.info(message),
    warn: (message) => cronLogger.warn(message),
    error: (message, err) => {
      const { err: error, msg } = cronError(message, err)
      cronLogger.error({ err: error }, msg)
    },
    debug: (message, err) => {
      const { err: error, msg } = cronError(message, err)
      cronLogger.debug({ err: error }, msg)
    },
  })
  return () => {
    process.off('warning', onWarning)
    for (const printer of printers) process.on('warning', printer)
  }
}
