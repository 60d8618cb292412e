// `vigil notify test RECEIVER` against loopback fakes of the Telegram, Matrix, signal-cli REST and ntfy
// APIs: one test message per channel, and each remote's answer printed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  type FakeMatrix,
  type FakeNtfy,
  type FakeSignal,
  type FakeTelegram,
  parseMatrixHtml,
  startFakeMatrix,
  startFakeNtfy,
  startFakeSignal,
  startFakeTelegram,
} from '@vigil/notify/testing'
import { runCli } from '@vigil/vigil'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw'
const dir = mkdtempSync(path.join(tmpdir(), 'vigil-notify-'))
let telegram: FakeTelegram
let matrix: FakeMatrix
let signal: FakeSignal
let ntfy: FakeNtfy
let file: string

beforeAll(async () => {
  telegram = await startFakeTelegram({ token: TOKEN, chats: ['-1001234567890'] })
  matrix = await startFakeMatrix({
    tokens: { syt_test: '@vigil:example.org' },
    rooms: { '!desk:example.org': ['@vigil:example.org'] },
  })
  signal = await startFakeSignal({ accounts: ['+77010000001'], recipients: ['+77010000002'] })
  ntfy = await startFakeNtfy({})
  file = path.join(dir, 'vigil.yaml')
  writeFileSync(
    file,
    [
      'name: Vigil notify test',
      'country: KZ',
      'vantage: { id: test-almaty, role: in_country, country: KZ, region: Almaty, network: { asn: 9198 } }',
      'regions:',
      '  - { name: Almaty, timeZone: Asia/Almaty }',
      'targetGroups:',
      '  - { name: control, purpose: control, probes: [http], targets: [{ name: example, url: "http://127.0.0.1:9/" }] }',
      'alerts:',
      '  links: { dashboard: "http://grafana.example.org/d/vigil" }',
      '  receivers:',
      '    - name: desk',
      '      telegram:',
      '        chatId: -1001234567890',
      `        botToken: \${VIGIL_TELEGRAM_BOT_TOKEN}`,
      `        apiUrl: ${telegram.url}`,
      '      matrix:',
      `        homeserver: ${matrix.url}`,
      '        roomId: "!desk:example.org"',
      `        accessToken: \${VIGIL_MATRIX_ACCESS_TOKEN}`,
      '      signal:',
      `        url: ${signal.url}`,
      '        number: "+77010000001"',
      '        recipients: ["+77010000002"]',
      '      ntfy:',
      `        url: ${ntfy.url}`,
      '        topic: vigil-desk',
      '',
    ].join('\n'),
  )
})

afterAll(async () => {
  for (const fake of [telegram, matrix, signal, ntfy]) await fake.close()
  rmSync(dir, { recursive: true, force: true })
})

async function run(env: NodeJS.ProcessEnv, ...argv: string[]) {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, env, {
    stdout: (text) => {
      stdout += text
    },
    stderr: (text) => {
      stderr += text
    },
  })
  return { code, stdout, stderr }
}

const ENV = { VIGIL_TELEGRAM_BOT_TOKEN: TOKEN, VIGIL_MATRIX_ACCESS_TOKEN: 'syt_test' }

describe('vigil notify test', () => {
  it('sends one test message through every channel of the receiver and prints each answer', async () => {
    const result = await run(ENV, 'notify', 'test', 'desk', '--config', file)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout.split('\n')).toEqual([
      'telegram: sent (remote id 1)',
      'matrix: sent (remote id $event1:fake.example.org)',
      `signal: sent (remote id ${signal.messages[0]!.timestamp})`,
      expect.stringMatching(/^ntfy: sent \(remote id vigil-[0-9a-f]{40}\)$/),
      '',
    ])
    const subject = '[TEST] Vigil (Vigil notify test) test message'
    expect(telegram.messages[0]!.text).toContain(subject)
    expect(telegram.messages[0]!.links).toEqual(['http://grafana.example.org/d/vigil'])
    const parsed = parseMatrixHtml(String(matrix.events[0]!.content.formatted_body))
    expect(parsed).toMatchObject({ text: expect.stringContaining(subject) })
    expect(signal.messages[0]!.message).toContain('This is a test of receiver "desk" over signal.')
    expect(ntfy.messages[0]).toMatchObject({ topic: 'vigil-desk', title: subject, priority: 3 })

    // A second test is a new Matrix transaction: it is sent, not swallowed as a repeat.
    const again = await run(ENV, 'notify', 'test', 'desk', '--channel', 'matrix', '--config', file)
    expect(again.stdout).toBe('matrix: sent (remote id $event2:fake.example.org)\n')
    expect(matrix.events).toHaveLength(2)
  })

  it('prints a refusal with its hint and fails, without printing the token', async () => {
    const wrong = '123456789:AAwrongTokenwrongTokenwrongToken00'
    const result = await run(
      { ...ENV, VIGIL_TELEGRAM_BOT_TOKEN: wrong },
      'notify',
      'test',
      'desk',
      '--channel',
      'telegram',
      '--config',
      file,
    )
    expect(result.code).toBe(1)
    expect(result.stdout).toBe(
      'telegram: refused: Telegram chat -1001234567890 refused the message: 401 Unauthorized\n' +
        '  hint: the bot token is wrong or revoked: check the variable the config names for botToken\n',
    )
    expect(result.stdout + result.stderr).not.toContain('wrongToken')
  })

  it('names an unknown receiver and the known ones', async () => {
    const result = await run(ENV, 'notify', 'test', 'newsroom', '--config', file)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('no receiver is named "newsroom" in the config (receivers: desk)')
    expect((await run(ENV, 'notify', 'send', 'desk', '--config', file)).code).toBe(2)
  })
})
