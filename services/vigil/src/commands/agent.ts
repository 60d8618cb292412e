// `vigil agent --api URL --config FILE`: an in-country agent. Probes and captures TLS chains for the config's
// vantage without a database, keeps every result in a local spool and uploads it when the api can be reached.
import path from 'node:path'
import { pino } from 'pino'
import { startAgent } from '../agent/run-agent.js'
import type { CommandContext } from '../cli.js'
import { parseOptions } from '../cli.js'
import { isLoopback, loadConfigOption, untilStopSignal } from './common.js'

export async function agentCommand({ args, env, io }: CommandContext): Promise<number> {
  const { values } = parseOptions(args, {
    config: { type: 'string', short: 'c' },
    api: { type: 'string' },
    'spool-dir': { type: 'string' },
    insecure: { type: 'boolean' },
  })
  const { config, file } = await loadConfigOption(values.config, env)
  const apiUrl = values.api ?? config.agent.apiUrl
  if (!apiUrl || !/^https?:\/\//.test(apiUrl)) {
    io.stderr('vigil agent: give the api as --api http(s)://HOST[:PORT] (or agent.apiUrl in the config)\n')
    return 2
  }
  const refusal = plainHttpRefusal(apiUrl, values.insecure === true)
  if (refusal) {
    io.stderr(`vigil agent: ${refusal}\n`)
    return 2
  }
  const token = env.VIGIL_AGENT_TOKEN?.trim() || config.agent.token
  if (!token) {
    io.stderr('vigil agent: set VIGIL_AGENT_TOKEN to a token from `vigil agent-token create --vantage ID`\n')
    return 2
  }
  const logger = pino({ level: env.LOG_LEVEL ?? 'info', base: { pid: process.pid } })
  const spoolDir = path.resolve(values['spool-dir'] ?? config.agent.spoolDir)
  const agent = startAgent({ config, apiUrl, token, spoolDir, logger })
  logger.info(
    { url: apiUrl, vantage: config.vantage.id, spool: spoolDir, config: file },
    `vigil is running as agent ${config.vantage.id}; uploading to ${apiUrl}`,
  )

  await untilStopSignal((signal) => logger.info({ signal }, 'stopping'))
  await agent.stop()
  logger.info({ backlog: agent.spool.stats().backlog }, 'stopped')
  return 0
}

/**
 * Why `apiUrl` may not be used, or null. Plain HTTP carries the agent token and every measurement in clear
 * text, readable and alterable by whoever runs the networks between the agent and the api (in the
 * reference case, the state being monitored); it is refused unless the api is on this machine (a loopback
 * address or `localhost`) or the operator says `--insecure`.
 */
export function plainHttpRefusal(apiUrl: string, insecure: boolean): string | null {
  let url: URL
  try {
    url = new URL(apiUrl)
  } catch {
    return `--api ${apiUrl} is not a URL`
  }
  if (url.protocol !== 'http:' || insecure || isLoopback(url.hostname)) return null
  return [
    `refusing to upload to ${url.origin} over plain HTTP: the agent token and every measurement would cross`,
    'the network in clear text, readable and alterable by anyone on the path, including the networks being',
    'monitored. Use https://, or pass --insecure to send in clear text anyway (only for a trusted network).',
  ].join(' ')
}
