// `vigil notify test RECEIVER`: sends a test message through every channel of a receiver (email, webhook,
// Telegram, Matrix, Signal, ntfy) and prints what each remote answered. Needs no database.

import { sendTestMessage } from '@vigil/notify'
import type { NotificationChannel } from '@vigil/store'
import type { CommandContext } from '../cli.js'
import { parseOptions } from '../cli.js'
import { loadConfigOption } from './common.js'

const CHANNELS: readonly NotificationChannel[] = ['email', 'webhook', 'telegram', 'matrix', 'signal', 'ntfy']

export async function notifyCommand({ args, env, io }: CommandContext): Promise<number> {
  const { values, positionals } = parseOptions(
    args,
    { config: { type: 'string', short: 'c' }, channel: { type: 'string' } },
    true,
  )
  const [action, receiver, ...rest] = positionals
  if (action !== 'test' || receiver === undefined || rest.length > 0) {
    io.stderr('usage: vigil notify test RECEIVER [--channel NAME] [--config FILE]\n')
    return 2
  }
  const only = values.channel as NotificationChannel | undefined
  if (only !== undefined && !CHANNELS.includes(only)) {
    io.stderr(`vigil notify: --channel must be one of ${CHANNELS.join(', ')}, not "${only}"\n`)
    return 2
  }
  const { config } = await loadConfigOption(values.config, env)
  const results = await sendTestMessage(config, receiver, { only })
  for (const result of results) {
    if (result.ok) {
      io.stdout(`${result.channel}: sent${result.remoteId ? ` (remote id ${result.remoteId})` : ''}\n`)
    } else {
      const kind = result.permanent ? 'refused' : 'failed'
      io.stdout(
        `${result.channel}: ${kind}: ${result.error}${result.hint ? `\n  hint: ${result.hint}` : ''}\n`,
      )
    }
  }
  return results.every((result) => result.ok) ? 0 : 1
}
