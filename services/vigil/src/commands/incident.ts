// `vigil incident ack ID [--comment TEXT]` and `vigil incident unack ID`: an operator acknowledges an open
// incident (or withdraws the acknowledgement) on a running Vigil, through its api with an API key of scope
// operate, so the acknowledgement carries the key's name as anywhere else it is made.
import { VigilError } from '@vigil/errors'
import type { CommandContext } from '../cli.js'
import { parseOptions } from '../cli.js'
import { isLoopback, loadConfigOption } from './common.js'

const USAGE = 'vigil incident ack ID [--comment TEXT] | unack ID   (see vigil incident --help)'

/** How long one request may take before the command gives up. */
const REQUEST_TIMEOUT_MS = 30_000

export async function incidentCommand({ args, env, io }: CommandContext): Promise<number> {
  const { values, positionals } = parseOptions(
    args,
    {
      config: { type: 'string', short: 'c' },
      api: { type: 'string' },
      comment: { type: 'string' },
      insecure: { type: 'boolean' },
    },
    true,
  )
  const [action, idText, ...extra] = positionals
  if ((action !== 'ack' && action !== 'unack') || idText === undefined || extra.length > 0) {
    io.stderr(`Usage: ${USAGE}\n`)
    return 2
  }
  const id = /^[1-9][0-9]{0,15}$/.test(idText) ? Number(idText) : Number.NaN
  if (!Number.isSafeInteger(id)) {
    io.stderr(`vigil incident ${action}: give the incident's id (from GET /v1/incidents), got "${idText}"\n`)
    return 2
  }
  if (action === 'unack' && values.comment !== undefined) {
    io.stderr('vigil incident unack: --comment goes with ack\n')
    return 2
  }
  const comment = values.comment?.trim()
  if (comment !== undefined && (comment.length === 0 || comment.length > 2000)) {
    io.stderr('vigil incident ack: --comment must be 1 to 2000 characters\n')
    return 2
  }
  const key = env.VIGIL_API_KEY?.trim()
  if (!key) {
    io.stderr(
      `vigil incident ${action}: set VIGIL_API_KEY to an API key of scope operate (\`vigil api-key create --scope operate --name NAME\`)\n`,
    )
    return 2
  }
  const apiUrl = values.api ?? (await defaultApiUrl(values.config, env))
  let base: URL
  try {
    base = new URL(apiUrl)
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error('not http(s)')
  } catch {
    io.stderr(`vigil incident ${action}: --api must be an http(s) URL, got "${apiUrl}"\n`)
    return 2
  }
  if (base.protocol === 'http:' && !isLoopback(base.hostname) && values.insecure !== true) {
    io.stderr(
      `vigil incident ${action}: refusing to send the API key to ${base.origin} over plain HTTP, where anyone on the path can read it; use https:// or pass --insecure (only on a trusted network)\n`,
    )
    return 2
  }

  const url = new URL(`/v1/incidents/${id}/ack`, base)
  let response: Response
  try {
    response = await fetch(url, {
      method: action === 'ack' ? 'POST' : 'DELETE',
      headers: {
        authorization: `Bearer ${key}`,
        ...(action === 'ack' ? { 'content-type': 'application/json' } : {}),
      },
      body: action === 'ack' ? JSON.stringify(comment === undefined ? {} : { comment }) : undefined,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    })
  } catch (cause) {
    throw new VigilError('API_UNREACHABLE', `cannot reach the Vigil api at ${base.origin}`, {
      hint: 'is Vigil running there? give its address with --api URL',
      cause,
    })
  }
  const text = await response.text()
  const body = parseJson(text)
  if (action === 'ack' && response.status === 200) {
    const ack = body as { by: string; at: string; comment: string | null }
    io.stdout(
      `incident ${id} acknowledged by ${ack.by} at ${ack.at}${ack.comment ? `: ${ack.comment}` : ''}\n`,
    )
    return 0
  }
  if (action === 'unack' && response.status === 204) {
    io.stdout(`incident ${id}: acknowledgement withdrawn\n`)
    return 0
  }
  const message = typeof body?.message === 'string' ? body.message : `status ${response.status}`
  io.stderr(`vigil incident ${action}: the api answered ${response.status}: ${message}\n`)
  return 1
}

// The api's own address from the config: its public URL, else its listener (a wildcard one on loopback).
async function defaultApiUrl(configFile: string | undefined, env: NodeJS.ProcessEnv): Promise<string> {
  const { config } = await loadConfigOption(configFile, env)
  if (config.api.publicUrl) return config.api.publicUrl
  const host = config.api.host === '0.0.0.0' || config.api.host === '::' ? '127.0.0.1' : config.api.host
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.api.port}`
}

function parseJson(text: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(text) as unknown
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : null
  } catch {
    return null
  }
}
