// `vigil tls-check HOST[:PORT]`: one TLS handshake, the chain as presented and the interception verdict,
// without a database. `--config` adds the config's known roots and pins and names the vantage.
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { checkTls, knownListFromConfig, pinsFor, type TlsReport, toReport } from '@vigil/certwatch'
import { trustFromEnvironment, type VigilConfig } from '@vigil/config'
import { VigilError } from '@vigil/errors'
import type { CommandContext } from '../cli.js'
import { parseOptions } from '../cli.js'
import { loadConfigOption } from './common.js'

const TIMEOUT_MS = 10_000

export async function tlsCheckCommand({ args, env, io }: CommandContext): Promise<number> {
  const { values, positionals } = parseOptions(
    args,
    {
      sni: { type: 'string' },
      json: { type: 'boolean' },
      config: { type: 'string', short: 'c' },
      ca: { type: 'string' },
    },
    true,
  )
  if (positionals.length !== 1) {
    throw new VigilError('cli.usage', 'tls-check takes exactly one HOST[:PORT]', {
      hint: 'e.g. vigil tls-check twitter.com or vigil tls-check 192.0.2.1:8443 --sni example.org',
    })
  }
  const { host, port } = parseHostPort(positionals[0]!)
  const config: VigilConfig | undefined = values.config
    ? (await loadConfigOption(values.config, env)).config
    : undefined
  const servername = values.sni ?? host
  // --ca replaces the trust store (a test root); otherwise the one every TLS check uses.
  const ca =
    values.ca === undefined ? (config?.trust ?? trustFromEnvironment(env)).roots : readCaFile(values.ca)

  const { observation, verdict } = await checkTls({
    host,
    port,
    servername,
    timeoutMs: TIMEOUT_MS,
    known: knownListFromConfig(config),
    pinnedSpki: pinsFor(config, servername, host),
    ca,
    vantage: config?.vantage.id ?? null,
  })
  const report = toReport(observation, verdict)
  io.stdout(values.json ? `${JSON.stringify(report)}\n` : formatReport(report))
  // A failed handshake or an interception is a result, not a failure of the command.
  return 0
}

/** `host`, `host:port`, `[v6]:port` or a bare IPv6 address; the port defaults to 443. */
export function parseHostPort(text: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text)
  if (bracketed) return { host: bracketed[1]!, port: checkedPort(bracketed[2], text) }
  if (isIP(text) === 6) return { host: text, port: 443 }
  const colon = text.lastIndexOf(':')
  if (colon === -1) return { host: text, port: 443 }
  return { host: text.slice(0, colon), port: checkedPort(text.slice(colon + 1), text) }
}

function checkedPort(value: string | undefined, text: string): number {
  if (value === undefined) return 443
  const port = Number(value)
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) {
    throw new VigilError('cli.usage', `"${text}" does not end in a port between 1 and 65535`, {
      hint: 'Write HOST, HOST:PORT or [IPv6]:PORT.',
    })
  }
  return port
}

function readCaFile(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (cause) {
    throw new VigilError('cli.ca_unreadable', `cannot read the CA file ${file}`, {
      hint: 'Give --ca a PEM file with the certificates to trust.',
      cause,
    })
  }
}

function formatReport(report: TlsReport): string {
  const lines = [
    `${report.host}:${report.port} (SNI ${report.servername})${report.vantage ? ` from ${report.vantage}` : ''}`,
    `verdict   ${report.verdict}${report.failure ? ` (${report.failure})` : ''}`,
    `verified  ${report.verified ? 'yes' : 'no'}`,
  ]
  if (report.verifiedChain) {
    lines.push(
      `path      ${report.verifiedChain.map((cert) => cert.subject.replace(/\n/g, ', ')).join(' <- ')}`,
    )
  }
  if (report.protocol) lines.push(`protocol  ${report.protocol} ${report.cipher ?? ''}`.trimEnd())
  // What the server sent, in its order; the path above may end in a root from the local store instead.
  report.chain.forEach((cert, index) => {
    lines.push(`chain[${index}] ${cert.subject}`)
    lines.push(`          issuer ${cert.issuer}`)
    lines.push(`          sha256 ${cert.sha256}`)
    lines.push(`          spki   ${cert.spkiSha256}`)
    lines.push(`          valid  ${cert.notBefore} to ${cert.notAfter}`)
    const key = `${cert.keyType}${cert.keySize ? ` ${cert.keySize}` : ''}`
    lines.push(`          key    ${key}${cert.rsaPublicExponent ? ` e=${cert.rsaPublicExponent}` : ''}`)
    if (cert.knownInterception) lines.push(`          KNOWN INTERCEPTION ${cert.knownInterception}`)
  })
  for (const item of report.evidence) lines.push(`evidence  ${item.kind}: ${item.detail}`)
  return `${lines.join('\n')}\n`
}
