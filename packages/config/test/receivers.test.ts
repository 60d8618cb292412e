// Chat receivers in the config: the README's example is valid, tokens only come from the environment, and
// malformed chat ids, room ids, numbers and topics are refused with their key.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are the config file's own ${NAME} syntax
import { readFileSync } from 'node:fs'
import { parseConfig } from '@vigil/config'
import { describe, expect, it } from 'vitest'
import { issuesOf, withAppended } from './fixture.js'

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')
const ENV = { VIGIL_TELEGRAM_BOT_TOKEN: '123:abc', VIGIL_MATRIX_ACCESS_TOKEN: 'syt_abc' }

function readmeExample(): string {
  const section = README.slice(README.indexOf('## Alert channels'))
  const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1]
  if (!block) throw new Error('README.md has no yaml example under "Alert channels"')
  return block
}

function receiver(body: string): string {
  return withAppended(`alerts:\n  receivers:\n    - name: desk\n${body}`)
}

describe('chat receivers', () => {
  it("accept the README's example, with each channel's settings and the tokens from the environment", () => {
    const config = parseConfig(withAppended(readmeExample()), 'test.yaml', ENV)
    expect(config.alerts.receivers[0]).toEqual({
      name: 'almaty-desk',
      email: ['desk@example.org'],
      webhook: undefined,
      telegram: { chatId: '-1001234567890', botToken: '123:abc', apiUrl: 'https://api.telegram.org' },
      matrix: {
        homeserver: 'https://matrix.example.org/',
        roomId: '!AbCdEf123:example.org',
        accessToken: 'syt_abc',
      },
      signal: {
        url: 'http://127.0.0.1:8080/',
        number: '+77010000001',
        recipients: ['+77010000002', 'group.cmFsbHktZGVzaw=='],
      },
      ntfy: { url: 'https://ntfy.sh/', topic: 'vigil-almaty-desk', token: undefined },
    })
  })

  it('refuse tokens written in the file', () => {
    const text = receiver(`      telegram:
        chatId: "@vigil_kz"
        botToken: 123:abc
      matrix:
        homeserver: https://matrix.example.org
        roomId: "!a:example.org"
        accessToken: syt_abc
      ntfy:
        topic: alerts
        token: tk_abc
`)
    const issues = issuesOf(text)
    expect(issues.map((issue) => [issue.line, issue.path])).toEqual([
      [31, 'alerts.receivers[0].telegram.botToken'],
      [35, 'alerts.receivers[0].matrix.accessToken'],
      [38, 'alerts.receivers[0].ntfy.token'],
    ])
    expect(JSON.stringify(issues)).not.toMatch(/123:abc|syt_abc|tk_abc/)
  })

  it('need the Telegram and Matrix tokens', () => {
    const text = receiver(`      telegram:
        chatId: -100123
        botToken: \${NOT_SET:-}
      matrix:
        homeserver: https://matrix.example.org
        roomId: "!a:example.org"
`)
    expect(issuesOf(text).map((issue) => [issue.path, issue.message])).toEqual([
      [
        'alerts.receivers[0].telegram.botToken',
        'a Telegram receiver needs the bot token, from the environment: ${VIGIL_TELEGRAM_BOT_TOKEN}',
      ],
      [
        'alerts.receivers[0].matrix.accessToken',
        'a Matrix receiver needs an access token, from the environment: ${VIGIL_MATRIX_ACCESS_TOKEN}',
      ],
    ])
  })

  it('refuse malformed chat ids, room ids, numbers, recipients and topics', () => {
    const text = receiver(`      telegram:
        chatId: "-100 123"
        botToken: \${T}
      matrix:
        homeserver: https://matrix.example.org
        roomId: "#alias:example.org"
        accessToken: \${M}
      signal:
        url: http://127.0.0.1:8080
        number: "87010000001"
        recipients: ["+7 701 000 0002"]
      ntfy:
        topic: "alerts/../admin"
`)
    expect(issuesOf(text, { T: 't', M: 'm' }).map((issue) => issue.path)).toEqual([
      'alerts.receivers[0].telegram.chatId',
      'alerts.receivers[0].matrix.roomId',
      'alerts.receivers[0].signal.number',
      'alerts.receivers[0].signal.recipients[0]',
      'alerts.receivers[0].ntfy.topic',
    ])
  })

  it('accept a receiver with only a chat channel', () => {
    const config = parseConfig(receiver('      ntfy:\n        topic: vigil-alerts\n'), 'test.yaml', {})
    expect(config.alerts.receivers[0]!.ntfy).toEqual({
      url: 'https://ntfy.sh',
      topic: 'vigil-alerts',
      token: undefined,
    })
  })
})
