// The four chat APIs as loopback fakes and a config whose receiver `desk` posts to them: a Telegram
// supergroup, a Matrix room, a Signal number and group, and an ntfy topic behind a token.
import type { VigilConfig } from '@vigil/config'
import {
  type FakeMatrix,
  type FakeNtfy,
  type FakeSignal,
  type FakeTelegram,
  startFakeMatrix,
  startFakeNtfy,
  startFakeSignal,
  startFakeTelegram,
} from '@vigil/notify/testing'
import { testConfig } from './support.js'

export const TELEGRAM_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw'
export const TELEGRAM_CHAT = '-1001234567890'
export const MATRIX_TOKEN = 'syt_dmlnaWw_secretsecret_0a1b2c'
export const MATRIX_ROOM = '!rally:example.org'
export const SIGNAL_NUMBER = '+77010000001'
export const SIGNAL_RECIPIENTS = ['+77010000002', 'group.cmFsbHktZGVzaw==']
export const NTFY_TOPIC = 'vigil-kz-alerts'
export const NTFY_TOKEN = 'tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2'

export interface ChatFakes {
  telegram: FakeTelegram
  matrix: FakeMatrix
  signal: FakeSignal
  ntfy: FakeNtfy
  all(): Array<FakeTelegram | FakeMatrix | FakeSignal | FakeNtfy>
  close(): Promise<void>
}

export async function startChatFakes(): Promise<ChatFakes> {
  const telegram = await startFakeTelegram({ token: TELEGRAM_TOKEN, chats: [TELEGRAM_CHAT] })
  const matrix = await startFakeMatrix({
    tokens: { [MATRIX_TOKEN]: '@vigil:example.org' },
    rooms: { [MATRIX_ROOM]: ['@vigil:example.org'] },
  })
  const signal = await startFakeSignal({ accounts: [SIGNAL_NUMBER], recipients: SIGNAL_RECIPIENTS })
  const ntfy = await startFakeNtfy({
    protectedTopics: { [NTFY_TOPIC]: [NTFY_TOKEN] },
    knownTokens: [NTFY_TOKEN],
  })
  const all = () => [telegram, matrix, signal, ntfy]
  return {
    telegram,
    matrix,
    signal,
    ntfy,
    all,
    close: async () => {
      for (const fake of all()) await fake.close()
    },
  }
}

export type ChatName = 'telegram' | 'matrix' | 'signal' | 'ntfy'

export interface ChatConfigOptions {
  channels?: ChatName[]
  /** Adds an email address to `desk`, sent through this SMTP port. */
  smtpPort?: number
  /** Overrides of the secrets in the environment. */
  env?: Record<string, string>
  chatId?: string
  roomId?: string
  recipients?: string[]
}

/** Where each API listens: the fakes themselves, or their addresses handed to another process. */
export type ChatUrls = Record<ChatName, { url: string }>

/** A config whose routes send every incident to `desk`, over the chat channels asked for (all four by default). */
export function chatConfig(fakes: ChatUrls, options: ChatConfigOptions = {}): VigilConfig {
  const channels = options.channels ?? ['telegram', 'matrix', 'signal', 'ntfy']
  const lines = ['    - name: desk']
  if (options.smtpPort !== undefined) lines.push('      email: [desk@example.org]')
  if (channels.includes('telegram')) {
    lines.push(
      '      telegram:',
      `        chatId: "${options.chatId ?? TELEGRAM_CHAT}"`,
      `        botToken: \${VIGIL_TELEGRAM_BOT_TOKEN}`,
      `        apiUrl: ${fakes.telegram.url}`,
    )
  }
  if (channels.includes('matrix')) {
    lines.push(
      '      matrix:',
      `        homeserver: ${fakes.matrix.url}`,
      `        roomId: "${options.roomId ?? MATRIX_ROOM}"`,
      `        accessToken: \${VIGIL_MATRIX_ACCESS_TOKEN}`,
    )
  }
  if (channels.includes('signal')) {
    lines.push(
      '      signal:',
      `        url: ${fakes.signal.url}`,
      `        number: "${SIGNAL_NUMBER}"`,
      `        recipients: [${(options.recipients ?? SIGNAL_RECIPIENTS).map((r) => `"${r}"`).join(', ')}]`,
    )
  }
  if (channels.includes('ntfy')) {
    lines.push(
      '      ntfy:',
      `        url: ${fakes.ntfy.url}`,
      `        topic: ${NTFY_TOPIC}`,
      `        token: \${VIGIL_NTFY_TOKEN}`,
    )
  }
  return testConfig({
    ...(options.smtpPort !== undefined ? { smtpPort: options.smtpPort } : {}),
    receivers: lines.join('\n'),
    routes: ['    - receiver: desk', '      groupWait: 1m', '      rallyGroupWait: 0s'].join('\n'),
    env: {
      VIGIL_TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
      VIGIL_MATRIX_ACCESS_TOKEN: MATRIX_TOKEN,
      VIGIL_NTFY_TOKEN: NTFY_TOKEN,
      ...options.env,
    },
  })
}
