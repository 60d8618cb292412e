// `vigil start`: every service in one process, until SIGINT or SIGTERM.
import { pino } from 'pino'
import type { CommandContext } from '../cli.js'
import { parseOptions } from '../cli.js'
import { routeLibraryLogs } from '../library-logs.js'
import { SERVICE_NAMES, type ServiceName, startVigil } from '../run.js'
import { chooseStore, loadConfigOption, untilStopSignal } from './common.js'

export async function startCommand({ args, env, io }: CommandContext): Promise<number> {
  const { values } = parseOptions(args, {
    config: { type: 'string', short: 'c' },
    'data-dir': { type: 'string' },
    port: { type: 'string', short: 'p' },
    host: { type: 'string' },
    only: { type: 'string' },
    'metrics-listen': { type: 'string' },
  })
  const port = values.port === undefined ? undefined : parsePort(values.port)
  if (port === null) {
    io.stderr(`vigil start: --port must be a whole number from 0 to 65535, got "${values.port}"\n`)
    return 2
  }
  const metricsListen =
    values['metrics-listen'] === undefined ? undefined : parseListenAddress(values['metrics-listen'])
  if (metricsListen === null) {
    io.stderr(
      `vigil start: --metrics-listen must be HOST:PORT (e.g. 0.0.0.0:9464 or [::1]:9464), got "${values['metrics-listen']}"\n`,
    )
    return 2
  }
  const services = values.only === undefined ? undefined : parseServices(values.only)
  if (typeof services === 'string') {
    io.stderr(`vigil start: --only: ${services}\n`)
    return 2
  }
  const { config, file } = await loadConfigOption(values.config, env)
  const logger = pino({ level: env.LOG_LEVEL ?? 'info', base: { pid: process.pid } })
  routeLibraryLogs(logger)
  const vigil = await startVigil({
    config,
    configFile: file,
    store: chooseStore(config, values['data-dir'], env),
    port,
    host: values.host,
    logger,
    services,
    metricsListen,
  })

  await untilStopSignal((signal) => logger.info({ signal }, 'stopping'))
  await vigil.stop()
  logger.info('stopped')
  return 0
}

/** `host:port` or `[ipv6]:port`; null when it is neither. */
function parseListenAddress(text: string): { host: string; port: number } | null {
  const match = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text.trim())
  const host = match?.[1] ?? match?.[2]
  const port = match ? parsePort(match[3]!) : null
  return host !== undefined && port !== null ? { host, port } : null
}

function parsePort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null
  const port = Number(text)
  return port <= 65_535 ? port : null
}

/** The services named in `--only a,b`, or a message naming the one that does not exist. */
function parseServices(list: string): Set<ServiceName> | string {
  const names = list
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '')
  if (names.length === 0) return `name at least one of ${SERVICE_NAMES.join(', ')}`
  const unknown = names.find((name) => !(SERVICE_NAMES as readonly string[]).includes(name))
  if (unknown !== undefined)
    return `unknown service "${unknown}"; the services are ${SERVICE_NAMES.join(', ')}`
  return new Set(names as ServiceName[])
}
