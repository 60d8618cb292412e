// Chat rendering on plain data, for classes of hostile text: every markup character of Telegram's
// MarkdownV2 and HTML, HTML that tries to become markup, entities that try to be decoded twice, control
// characters, astral characters and sizes on both sides of each limit. Telegram's HTML and Matrix's
// formatted_body are read back by the strict parsers of the fakes.
import {
  CHAT_LIMITS,
  chatMessage,
  chatPayload,
  type MatrixPayload,
  type NotificationBundle,
  type NtfyPayload,
  renderEmail,
  type SignalPayload,
  type TelegramPayload,
} from '@vigil/notify'
import { parseMatrixHtml, parseTelegramHtml } from '@vigil/notify/testing'
import type { Incident } from '@vigil/store'
import { describe, expect, it } from 'vitest'
import { testConfig } from './support.js'

const RALLY = new Date('2019-07-06T04:02:00Z')
const config = testConfig()

function report(id: number, title: string, extra: Record<string, unknown> = {}): Incident {
  return {
    id,
    identity: `detention_report|report|${id}`,
    kind: 'detention_report',
    scopeType: 'report',
    scope: String(id),
    region: 'Almaty',
    vantageId: null,
    level: 'warning',
    state: 'firing',
    summary: title,
    evidence: {
      reportId: id,
      update: false,
      version: 1,
      day: '2019-07-06',
      cities: ['Almaty'],
      count: { value: 700, qualifier: 'approx' },
      people: [],
      evidence: 'В Алматы задержали около 700 человек.',
      title,
      sources: [{ source: 'Azattyq', title, url: 'https://rus.azattyq.org/a/30042123.html' }],
      ...extra,
    },
    startedAt: RALLY,
    firingAt: RALLY,
    resolvedAt: null,
    lastSeenAt: RALLY,
  }
}

function bundle(incidents: Incident[]): NotificationBundle {
  return {
    receiver: 'desk',
    channel: 'telegram',
    groupKey: 'desk/0:{kind="detention_report"}',
    kind: 'detention_report',
    event: 'firing',
    items: incidents.map((incident) => ({ incident, event: 'firing', version: 'v1', at: RALLY })),
  }
}

function render(incidents: Incident[]) {
  const message = chatMessage(bundle(incidents), config)
  const telegram = chatPayload(message, 'telegram') as TelegramPayload
  const matrix = chatPayload(message, 'matrix') as MatrixPayload
  const signal = chatPayload(message, 'signal') as SignalPayload
  const ntfy = chatPayload(message, 'ntfy') as NtfyPayload
  const telegramRead = parseTelegramHtml(telegram.text)
  const matrixRead = parseMatrixHtml(matrix.formatted_body)
  if ('error' in telegramRead) throw new Error(`Telegram would refuse: ${telegramRead.error}`)
  if ('error' in matrixRead) throw new Error(`formatted_body does not parse: ${matrixRead.error}`)
  return {
    telegram: telegramRead,
    matrix: matrixRead,
    matrixBody: matrix.body,
    signal,
    ntfy,
    matrixPayload: matrix,
  }
}

const HOSTILE = [
  // Every character MarkdownV2 reserves.
  '_*[]()~`>#+-=|{}.!',
  '\\_\\*\\[ escaped already \\]',
  // HTML that would become markup, and entities that would be decoded twice.
  '<script>alert(1)</script>',
  '<b>bold</b> <a href="javascript:alert(1)">x</a> <tg-spoiler>s</tg-spoiler>',
  '&lt;b&gt; &amp;amp; &#60;i&#62; &#x3C; & &; &unknown;',
  '"quotes" \'single\' `back` </i></b></a>',
  // Right-to-left override, zero-width joiner, astral characters, a lone surrogate-free emoji sequence.
  '\u202eevil\u202c 👩‍👩‍👧 𝕏 Алматы Қазақстан',
]

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

describe('chat messages', () => {
  it('show every class of markup-breaking text exactly as written on every channel', () => {
    for (const text of HOSTILE) {
      const read = render([report(1, text)])
      const line = `Headline: ${text}`
      expect(read.telegram.text, text).toContain(line)
      expect(read.matrix.text, text).toContain(line)
      expect(read.matrixBody, text).toContain(line)
      expect(read.signal.message, text).toContain(line)
      expect(read.ntfy.message, text).toContain(line)
      expect(read.matrixPayload.formatted_body).not.toMatch(/<(script|b>|tg-spoiler|a href="javascript)/)
    }
  })

  it('never link a source whose address is not http(s)', () => {
    const incident = report(1, 'title', {
      sources: [
        { source: 'x', title: 'bad', url: 'javascript:alert(1)' },
        { source: 'y', title: 'data', url: 'data:text/html,<script>1</script>' },
      ],
    })
    const read = render([incident])
    expect(read.telegram.links.every((link) => /^https?:\/\//.test(link))).toBe(true)
    expect(read.matrix.links.every((link) => /^https?:\/\//.test(link))).toBe(true)
    expect(read.telegram.text).toContain('x: bad (javascript:alert(1))')
  })

  it('fit every size of title under every limit, shortened with a link only when needed', () => {
    for (const size of [10, 1000, 2000, 3900, 4096, 4100, 20_000, 70_000]) {
      for (const unit of ['a', '<&>', '𝕏', 'Қ_*']) {
        const title = unit.repeat(Math.ceil(size / unit.length)).slice(0, size)
        const read = render([report(1, title)])
        expect(read.telegram.text.length).toBeLessThanOrEqual(CHAT_LIMITS.telegramCharacters)
        expect(Buffer.byteLength(JSON.stringify(read.matrixPayload))).toBeLessThanOrEqual(
          CHAT_LIMITS.matrixEventBytes,
        )
        expect(read.signal.message.length).toBeLessThanOrEqual(CHAT_LIMITS.signalCharacters)
        expect(Buffer.byteLength(read.ntfy.message)).toBeLessThanOrEqual(CHAT_LIMITS.ntfyMessageBytes)
        expect(read.ntfy.title.length).toBeLessThanOrEqual(CHAT_LIMITS.ntfyTitleCharacters)
        // Nothing but the subject, whatever the size: the message is never empty.
        expect(read.telegram.text.split('\n')[0]).toBe(
          '[WARNING] Detentions reported: about 700 in Almaty on 2019-07-06',
        )
        const shortened = read.telegram.text.includes('… shortened; the rest:')
        expect(shortened).toBe(read.telegram.text.length > 0 && size * 3 > 4000)
        if (shortened) expect(read.telegram.links.at(-1)).toMatch(/^http:\/\/grafana\.example\.org\//)
        // No half surrogate pair anywhere.
        expect(read.telegram.text).not.toMatch(LONE_SURROGATE)
        expect(read.signal.message).not.toMatch(LONE_SURROGATE)
      }
    }
  })

  it('carry the same figures and links as the email', () => {
    const incidents = [
      report(1, 'Задержания в Алматы'),
      report(2, 'Задержания в Астане', { cities: ['Nur-Sultan'] }),
    ]
    const email = renderEmail(bundle(incidents), config)
    const read = render(incidents)
    const figures = email.text
      .split('\n')
      .filter((line) => /^ {2}[A-Z][^:]*: /.test(line) && !line.includes('Details'))
      .map((line) => line.trim())
    expect(figures.length).toBeGreaterThan(8)
    for (const figure of figures) {
      expect(read.telegram.text).toContain(figure)
      expect(read.matrix.text).toContain(figure)
      expect(read.signal.message).toContain(figure)
      expect(read.ntfy.message).toContain(figure)
    }
    const links = [...email.text.matchAll(/https?:\/\/[^\s>]+/g)].map((m) => m[0])
    expect(read.telegram.links).toEqual(links)
    expect(read.matrix.links).toEqual(links)
  })
})
