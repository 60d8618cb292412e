// Telegram, Matrix, Signal and ntfy end to end: the real notifier and store against loopback servers that
// implement each API's documented endpoint, errors and rate limits. What arrives (escaped, fitted, with
// the email's figures and links), threading, back-off, rate limits, refusals, and repeats when an answer
// is lost after the remote accepted.
import { Writable } from 'node:stream'
import type { VigilConfig } from '@vigil/config'
import { createMetricsRegistry, type Registry } from '@vigil/metrics'
import type { BlackoutEvidence, DetentionReportEvidence } from '@vigil/model'
import { createNotifier, type Notifier, type NotifierDeps } from '@vigil/notify'
import { parseMatrixHtml, parseTelegramHtml } from '@vigil/notify/testing'
import {
  type IncidentSignal,
  queryNotifications,
  raiseIncident,
  receiverStatuses,
  resolveIncident,
} from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { pino } from 'pino'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  type ChatFakes,
  chatConfig,
  MATRIX_ROOM,
  SIGNAL_NUMBER,
  SIGNAL_RECIPIENTS,
  startChatFakes,
  TELEGRAM_CHAT,
  TELEGRAM_TOKEN,
} from './chat-support.js'
import { type SmtpSink, startSmtp } from './support.js'

// 10:02 in Almaty on the rally day of 6 July 2019, inside the rally window: no group wait.
const RALLY = new Date('2019-07-06T04:02:00Z')
const at = (ms: number) => new Date(RALLY.getTime() + ms)

let store: TestStore
let fakes: ChatFakes
let smtp: SmtpSink
let clock: Date
const cleanups: Array<() => Promise<void>> = []

beforeAll(async () => {
  store = await openTestStore()
  smtp = await startSmtp()
})

afterAll(async () => {
  await smtp.close()
  await store.close()
})

beforeEach(async () => {
  clock = RALLY
  smtp.received.length = 0
  fakes = await startChatFakes()
  await store.sql`truncate notifications, notification_receivers, incidents restart identity`
})

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  await fakes.close()
})

function notifier(config: VigilConfig, extra: Partial<NotifierDeps> = {}): Notifier {
  const created = createNotifier({ config, sql: store.sql, now: () => clock, ...extra })
  cleanups.push(() => created.stop())
  return created
}

function blackout(region: string, when: Date): IncidentSignal {
  return {
    identity: `blackout|region|${region}`,
    kind: 'blackout',
    scopeType: 'region',
    scope: region,
    region,
    level: 'critical',
    state: 'firing',
    summary: `Internet blackout in ${region}`,
    evidence: {
      share: 0.04,
      baseline: 0.97,
      ratio: 0.04,
      series: 24,
      failingSeries: 23,
      failingTargets: ['kz/egov', 'kz/tengrinews', 'kz/kaztelecom'],
      failingVantages: ['kz-almaty-1', 'outside-fra-1'],
      controlFailing: true,
      controlTargets: { failing: 2, total: 2 },
      baselineHours: 72,
      outsideInFailing: 3,
      outsideInTargets: 3,
      confirmed: true,
      silentVantages: [],
      failures: { generic_timeout_error: 17, connection_reset: 6 },
    } satisfies BlackoutEvidence,
    at: when,
  }
}

function detentionReport(id: number, version: number, when: Date, title: string): IncidentSignal {
  return {
    identity: `detention_report|report|${id}`,
    kind: 'detention_report',
    scopeType: 'report',
    scope: String(id),
    region: 'Almaty',
    level: 'warning',
    state: 'firing',
    summary: title,
    evidence: {
      reportId: id,
      update: version > 1,
      version,
      day: '2019-07-06',
      cities: ['Almaty'],
      count: version === 1 ? { value: 100, qualifier: 'at_least' } : { value: 700, qualifier: 'approx' },
      people: ['Aigerim Tleuzhan'],
      title,
      evidence: 'В Алматы задержали около 700 человек.',
      sources: [
        { source: 'Radio Azattyq', title, url: 'https://rus.azattyq.org/a/30042123.html' },
        { source: 'Vlast.kz', title: 'Задержания на митинге', url: 'https://vlast.kz/novosti/34700.html' },
      ],
    } satisfies DetentionReportEvidence,
    at: when,
  }
}

/** What each channel's reader sees, as plain text, and the links they can follow. */
function received(fakes: ChatFakes) {
  return {
    telegram: fakes.telegram.messages.map((m) => ({ text: m.text, links: m.links })),
    matrix: fakes.matrix.events.map((event) => {
      const parsed = parseMatrixHtml(String(event.content.formatted_body))
      if ('error' in parsed) throw new Error(`formatted_body does not parse: ${parsed.error}`)
      return { text: parsed.text, body: String(event.content.body), links: parsed.links }
    }),
    signal: fakes.signal.messages.map((m) => ({ text: m.message })),
    ntfy: fakes.ntfy.messages.map((m) => ({ text: `${m.title}\n${m.message}`, click: m.click })),
  }
}

async function metric(registry: Registry, name: string): Promise<string | undefined> {
  const text = await registry.metrics()
  return text.split('\n').find((line) => line.startsWith(name))
}

describe('chat channels', () => {
  it('deliver a blackout once to every channel with the figures and links of the email', async () => {
    const worker = notifier(chatConfig(fakes, { smtpPort: smtp.port }))
    await raiseIncident(store.sql, blackout('Almaty', RALLY))
    expect(await worker.runOnce()).toEqual({ planned: 5, sent: 5, failed: 0 })
    clock = at(60_000)
    expect(await worker.runOnce()).toEqual({ planned: 0, sent: 0, failed: 0 })

    const [email] = smtp.received
    const figures = email!.text
      .split('\n')
      .filter((line) => /^ {2}[A-Z][^:]*: /.test(line) && !line.includes('Details'))
      .map((line) => line.trim())
    expect(figures).toContain(
      'Successful probes: 4% of probes succeed against 97% normally (0.04 of baseline)',
    )
    expect(figures).toContain('Failures: generic_timeout_error ×17, connection_reset ×6')
    const links = [...email!.text.matchAll(/https?:\/\/[^\s>]+/g)].map((m) => m[0])
    expect(links).toHaveLength(2)

    const chats = received(fakes)
    expect(chats.telegram).toHaveLength(1)
    expect(chats.matrix).toHaveLength(1)
    expect(chats.signal).toHaveLength(1)
    expect(chats.ntfy).toHaveLength(1)
    for (const message of [chats.telegram[0]!, chats.matrix[0]!, chats.signal[0]!, chats.ntfy[0]!]) {
      expect(message.text).toContain(email!.subject)
      for (const figure of figures) expect(message.text).toContain(figure)
    }
    expect(chats.telegram[0]!.links).toEqual(links)
    expect(chats.matrix[0]!.links).toEqual(links)
    for (const link of links) {
      expect(chats.matrix[0]!.body).toContain(link)
      expect(chats.signal[0]!.text).toContain(link)
      expect(chats.ntfy[0]!.text).toContain(link)
    }
    expect(chats.ntfy[0]!.click).toBe(links[1])
    expect(fakes.ntfy.messages[0]).toMatchObject({ priority: 5, tags: ['rotating_light'], attachment: false })
    expect(fakes.signal.messages[0]).toMatchObject({ number: SIGNAL_NUMBER, recipients: SIGNAL_RECIPIENTS })
    expect(fakes.telegram.messages[0]!.chatId).toBe(TELEGRAM_CHAT)
    expect(fakes.matrix.events[0]).toMatchObject({ roomId: MATRIX_ROOM, content: { msgtype: 'm.text' } })

    const rows = await queryNotifications(store.sql, { limit: 10 })
    expect(Object.fromEntries(rows.map((row) => [row.channel, row.remoteId]))).toEqual({
      email: null,
      telegram: '1',
      matrix: '$event1:fake.example.org',
      signal: String(fakes.signal.messages[0]!.timestamp),
      ntfy: fakes.ntfy.messages[0]!.sequenceId,
    })
  })

  it('escape markup-breaking text so it arrives intact, and fit very long titles under each limit', async () => {
    const hostile = 'Задержаны _*[]()~`>#+-=|{}.! <script>alert(1)</script> & "AT&T" <b>x</b> &amp; &#60;'
    const long = `${'Очень длинный заголовок _*[]()~`>#+-=|{}.! <i>'.repeat(120)}END`
    const worker = notifier(chatConfig(fakes))
    await raiseIncident(store.sql, detentionReport(41, 1, RALLY, hostile))
    await raiseIncident(store.sql, detentionReport(42, 1, RALLY, long))
    expect(await worker.runOnce()).toEqual({ planned: 4, sent: 4, failed: 0 })

    const chats = received(fakes)
    // Telegram parsed the HTML (the fake refuses what Telegram would) and shows the text as written.
    const telegram = chats.telegram[0]!.text
    expect(telegram).toContain(`Headline: ${hostile}`)
    expect(telegram.length).toBeLessThanOrEqual(4096)
    expect(telegram).toContain('… shortened; the rest: open the dashboard')
    expect(fakes.telegram.messages[0]!.html).not.toMatch(/<script|<b>x/)

    const matrix = chats.matrix[0]!
    expect(matrix.text).toContain(`Headline: ${hostile}`)
    // Matrix's limit is large: the long title arrives whole, in the HTML and the plain body.
    expect(matrix.text).toContain(`Headline: ${long}`)
    expect(matrix.body).toContain(`Headline: ${long}`)
    expect(String(fakes.matrix.events[0]!.content.formatted_body)).not.toMatch(/<script|<b>x|<i>/)

    expect(chats.signal[0]!.text).toContain(`Headline: ${hostile}`)
    expect(chats.signal[0]!.text.length).toBeLessThanOrEqual(2000)
    expect(chats.signal[0]!.text).toMatch(/… shortened; the rest: http:\/\/grafana\.example\.org\/\S+$/)
    expect(chats.ntfy[0]!.text).toContain(`Headline: ${hostile}`)
    expect(fakes.ntfy.messages[0]!.attachment).toBe(false)
    expect(Buffer.byteLength(fakes.ntfy.messages[0]!.message)).toBeLessThanOrEqual(4096)
  })

  it('cut a title longer than a whole message at a character boundary and still send it', async () => {
    // 3000 astral characters: 6000 UTF-16 units, over Telegram's 4096 on its own.
    const title = '𝕏<&>'.repeat(1500)
    const worker = notifier(chatConfig(fakes))
    await raiseIncident(store.sql, detentionReport(43, 1, RALLY, title))
    expect(await worker.runOnce()).toEqual({ planned: 4, sent: 4, failed: 0 })
    const chats = received(fakes)
    const line = chats.telegram[0]!.text.split('\n').find((l) => l.startsWith('Summary: '))!
    expect(line).toMatch(/^Summary: (𝕏<&>)+(𝕏|𝕏<|𝕏<&)?…$/u)
    expect(chats.telegram[0]!.text.length).toBeLessThanOrEqual(4096)
    // Matrix's 60 kB hold the summary whole, not its two more copies (headline, source).
    expect(chats.matrix[0]!.text).toContain(`Summary: ${title}`)
    expect(chats.matrix[0]!.text).not.toContain(`Headline: ${title}`)
    expect(chats.signal[0]!.text.length).toBeLessThanOrEqual(2000)
    expect(parseTelegramHtml(fakes.telegram.messages[0]!.html)).not.toHaveProperty('error')
  })

  it('thread RESOLVED and a raised detention count under the first message', async () => {
    const worker = notifier(chatConfig(fakes))
    await raiseIncident(store.sql, blackout('Almaty', RALLY))
    await raiseIncident(store.sql, detentionReport(41, 1, RALLY, 'Задержания на митинге в Алматы'))
    expect(await worker.runOnce()).toMatchObject({ planned: 8, sent: 8 })
    await raiseIncident(store.sql, detentionReport(41, 2, at(60_000), 'Задержания на митинге в Алматы'))
    await resolveIncident(store.sql, 'blackout|region|Almaty', at(60_000))
    clock = at(60_000)
    expect(await worker.runOnce()).toMatchObject({ planned: 8, sent: 8, failed: 0 })

    const first = (text: string) => (text.includes('Internet blackout') ? 'blackout' : 'detention')
    const telegram = fakes.telegram.messages
    expect(telegram.slice(0, 2).map((m) => m.replyTo)).toEqual([undefined, undefined])
    for (const message of telegram.slice(2)) {
      const root = telegram.find((m) => m.messageId === message.replyTo)!
      expect(first(root.text)).toBe(first(message.text))
      expect(root.replyTo).toBeUndefined()
    }
    expect(telegram.slice(2).map((m) => m.text.split('\n')[0])).toEqual(
      expect.arrayContaining([
        '[RESOLVED] Internet blackout: Almaty — 10:02–10:03 +06',
        '[WARNING] Update: detentions reported: about 700 in Almaty on 2019-07-06',
      ]),
    )

    const matrix = fakes.matrix.events
    for (const event of matrix.slice(2)) {
      const relation = event.content['m.relates_to'] as { 'm.in_reply_to': { event_id: string } }
      const root = matrix.find((e) => e.eventId === relation['m.in_reply_to'].event_id)!
      expect(first(String(root.content.body))).toBe(first(String(event.content.body)))
    }
    expect(matrix.slice(0, 2).every((e) => e.content['m.relates_to'] === undefined)).toBe(true)

    const signal = fakes.signal.messages
    for (const message of signal.slice(2)) {
      const root = signal.find((m) => m.timestamp === message.quoteTimestamp)!
      expect(first(root.message)).toBe(first(message.message))
    }
    // ntfy: the follow-up carries the first message's sequence id, so it replaces that notification.
    const ntfy = fakes.ntfy.messages
    expect(new Set(ntfy.map((m) => m.sequenceId)).size).toBe(2)
    for (const message of ntfy.slice(2)) {
      const root = ntfy.find((m) => m.sequenceId === message.sequenceId)!
      expect(first(`${root.title}`)).toBe(first(`${message.title}`))
    }
  })

  it("honour Telegram's retry_after and Matrix's retry_after_ms, then send once", async () => {
    const worker = notifier(chatConfig(fakes, { channels: ['telegram', 'matrix'] }))
    fakes.telegram.answerNext(1, {
      status: 429,
      body: {
        ok: false,
        error_code: 429,
        description: 'Too Many Requests: retry after 7',
        parameters: { retry_after: 7 },
      },
    })
    fakes.matrix.answerNext(1, {
      status: 429,
      body: { errcode: 'M_LIMIT_EXCEEDED', error: 'Too many requests', retry_after_ms: 2500 },
    })
    await raiseIncident(store.sql, blackout('Almaty', RALLY))
    expect(await worker.runOnce()).toEqual({ planned: 2, sent: 0, failed: 2 })
    const rows = await queryNotifications(store.sql, { limit: 10 })
    expect(rows.map((row) => [row.channel, row.nextAttemptAt.getTime() - RALLY.getTime()])).toEqual([
      ['telegram', 7_000],
      ['matrix', 2_500],
    ])
    clock = at(2_499)
    expect(await worker.runOnce()).toEqual({ planned: 0, sent: 0, failed: 0 })
    clock = at(2_500)
    expect(await worker.runOnce()).toEqual({ planned: 0, sent: 1, failed: 0 })
    clock = at(6_999)
    expect(await worker.runOnce()).toEqual({ planned: 0, sent: 0, failed: 0 })
    clock = at(7_000)
    expect(await worker.runOnce()).toEqual({ planned: 0, sent: 1, failed: 0 })
    expect(fakes.telegram.requests).toBe(2)
    expect(fakes.matrix.requests).toBe(2)
    expect(fakes.telegram.messages).toHaveLength(1)
    expect(fakes.matrix.events).toHaveLength(1)
  })

  it('hold back the rest of a rate-limited receiver without spending their attempts', async () => {
    const worker = notifier(chatConfig(fakes, { channels: ['telegram'] }))
    fakes.telegram.answerNext(1, {
      status: 429,
      body: {
        ok: false,
        error_code: 429,
        description: 'Too Many Requests: retry after 30',
        parameters: { retry_after: 30 },
      },
    })
    await raiseIncident(store.sql, blackout('Almaty', RALLY))
    await raiseIncident(store.sql, detentionReport(41, 1, RALLY, 'Задержания'))
    expect(await worker.runOnce()).toEqual({ planned: 2, sent: 0, failed: 1 })
    expect(fakes.telegram.requests).toBe(1)
    const rows = await queryNotifications(store.sql, { limit: 10 })
    expect(rows.map((row) => [row.attempts, row.nextAttemptAt.getTime() - RALLY.getTime()])).toEqual([
      [1, 30_000],
      [0, 30_000],
    ])
    clock = at(30_000)
    expect(await worker.runOnce()).toEqual({ planned: 0, sent: 2, failed: 0 })
  })

  it('hand back a row whose lease would run out before it could be sent, and send it on a fresh lease', async () => {
    const worker = notifier(chatConfig(fakes, { channels: ['telegram'] }), { leaseMs: 60_000 })
    // Each send takes 31 s of the notifier's clock: the second row of the batch has 29 s of lease left.
    fakes.telegram.onRequest(() => {
      clock = new Date(clock.getTime() + 31_000)
    })
    await raiseIncident(store.sql, blackout('Almaty', RALLY))
    await raiseIncident(store.sql, detentionReport(41, 1, RALLY, 'Задержания'))
    expect(await worker.runOnce()).toEqual({ planned: 2, sent: 1, failed: 0 })
    const [, second] = await queryNotifications(store.sql, { limit: 10 })
    expect(second).toMatchObject({ state: 'pending', attempts: 0, nextAttemptAt: at(31_000) })
    expect(await worker.runOnce()).toEqual({ planned: 0, sent: 1, failed: 0 })
    expect(fakes.telegram.messages).toHaveLength(2)
  })

  it('back off on 5xx answers and deliver once', async () => {
    const worker = notifier(chatConfig(fakes))
    fakes.telegram.answerNext(2, {
      status: 502,
      body: { ok: false, error_code: 502, description: 'Bad Gateway' },
    })
    fakes.matrix.answerNext(2, {
      status: 500,
      body: { errcode: 'M_UNKNOWN', error: 'Internal server error' },
    })
    fakes.signal.answerNext(2, { status: 500, body: { error: 'Failed to send message: timeout' } })
    fakes.ntfy.answerNext(2, {
      status: 500,
      body: { code: 50001, http: 500, error: 'internal server error' },
    })
    await raiseIncident(store.sql, blackout('Almaty', RALLY))
    expect(await worker.runOnce()).toEqual({ planned: 4, sent: 0, failed: 4 })
    clock = at(5_000)
    expect(await worker.runOnce()).toEqual({ planned: 0, sent: 0, failed: 4 })
    clock = at(14_999)
    expect(await worker.runOnce()).toEqual({ planned: 0, sent: 0, failed: 0 })
    clock = at(15_000)
    expect(await worker.runOnce()).toEqual({ planned: 0, sent: 4, failed: 0 })
    const chats = received(fakes)
    expect([chats.telegram, chats.matrix, chats.signal, chats.ntfy].map((list) => list.length)).toEqual([
      1, 1, 1, 1,
    ])
  })

  it('lose nothing while every remote is down for a minute, with the default back-off', async () => {
    const downFor = 60_000
    const worker = notifier(chatConfig(fakes))
    for (const fake of fakes.all()) await fake.stop()
    await raiseIncident(store.sql, blackout('Almaty', RALLY))
    await raiseIncident(store.sql, detentionReport(41, 1, RALLY, 'Задержания на митинге'))
    let sent = 0
    let restarted = false
    // A round every 5 s of the notifier's clock; the remotes come back after `downFor`.
    for (let t = 0; t <= 5 * 60_000 && sent < 8; t += 5_000) {
      clock = at(t)
      if (!restarted && t >= downFor) {
        for (const fake of fakes.all()) await fake.restart()
        restarted = true
      }
      const round = await worker.runOnce()
      sent += round.sent
      if (t < downFor) expect(round.sent).toBe(0)
    }
    expect(sent).toBe(8)
    const rows = await queryNotifications(store.sql, { limit: 20 })
    const lastSent = Math.max(...rows.map((row) => row.sentAt!.getTime())) - RALLY.getTime()
    // Retries at 5, 15, 35 and 75 s: delivered within 15 s of the remotes coming back.
    expect(lastSent).toBeLessThanOrEqual(downFor + 15_000)
    expect(rows.every((row) => row.state === 'sent' && row.attempts === 5)).toBe(true)
    const chats = received(fakes)
    expect([chats.telegram, chats.matrix, chats.signal, chats.ntfy].map((list) => list.length)).toEqual([
      2, 2, 2, 2,
    ])
  })

  it('repeat a message whose answer was lost only where the API has no idempotency key', async () => {
    const worker = notifier(chatConfig(fakes))
    const dropped = fakes.all().map((fake) => fake.interfere('drop-after-accept'))
    await raiseIncident(store.sql, blackout('Almaty', RALLY))
    expect(await worker.runOnce()).toEqual({ planned: 4, sent: 0, failed: 4 })
    await Promise.all(dropped)
    clock = at(5_000)
    expect(await worker.runOnce()).toEqual({ planned: 0, sent: 4, failed: 0 })
    // Matrix: the second PUT reused the transaction id and the homeserver sent nothing new.
    expect(fakes.matrix.requests).toBe(2)
    expect(fakes.matrix.events).toHaveLength(1)
    const [matrixRow] = (await queryNotifications(store.sql, { limit: 10 })).filter(
      (r) => r.channel === 'matrix',
    )
    expect(matrixRow!.remoteId).toBe(fakes.matrix.events[0]!.eventId)
    // The others accepted the message twice; ntfy's repeat carries the same sequence id (one notification).
    expect(fakes.telegram.messages).toHaveLength(2)
    expect(fakes.signal.messages).toHaveLength(2)
    expect(fakes.ntfy.messages).toHaveLength(2)
    expect(new Set(fakes.ntfy.messages.map((m) => m.sequenceId)).size).toBe(1)
  })

  it('mark a receiver failing on a refusal, log and count it, never retry it, and recover', async () => {
    const lines: string[] = []
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk))
          done()
        },
      }),
    )
    const registry = createMetricsRegistry({ version: 'test', defaultMetrics: false })
    // A revoked bot token, an account removed from the room, an unknown Signal recipient, a wrong ntfy token.
    fakes.telegram.setToken('123456789:AAnewTokenAfterRevocation000000000')
    fakes.matrix.rooms.get(MATRIX_ROOM)!.clear()
    const config = chatConfig(fakes, {
      recipients: ['+77019999999'],
      env: { VIGIL_NTFY_TOKEN: 'tk_unknown' },
    })
    const worker = notifier(config, { registry, logger })
    await raiseIncident(store.sql, blackout('Almaty', RALLY))
    expect(await worker.runOnce()).toEqual({ planned: 4, sent: 0, failed: 4 })
    const requests = fakes.all().map((fake) => fake.requests)
    expect(requests).toEqual([1, 1, 1, 1])

    const rows = await queryNotifications(store.sql, { limit: 10 })
    expect(rows.map((row) => [row.channel, row.state, row.lastError])).toEqual([
      ['telegram', 'failed', `Telegram chat ${TELEGRAM_CHAT} refused the message: 401 Unauthorized`],
      [
        'matrix',
        'failed',
        `Matrix room ${MATRIX_ROOM} refused the message: 403 M_FORBIDDEN User @vigil:example.org not in room ${MATRIX_ROOM}`,
      ],
      [
        'signal',
        'failed',
        `Signal daemon 127.0.0.1:${fakes.signal.port} refused the message: 400 Failed to send message: Unregistered user "+77019999999"`,
      ],
      [
        'ntfy',
        'failed',
        `ntfy topic vigil-kz-alerts at 127.0.0.1:${fakes.ntfy.port} refused the message: 401 unauthorized`,
      ],
    ])
    expect((await receiverStatuses(store.sql)).map((s) => [s.channel, s.failingSince])).toEqual([
      ['matrix', RALLY],
      ['ntfy', RALLY],
      ['signal', RALLY],
      ['telegram', RALLY],
    ])
    const errors = lines.map((line) => JSON.parse(line)).filter((entry) => entry.level === 50)
    expect(errors.map((entry) => entry.msg)).toContain(
      `receiver "desk" is failing on telegram (unauthorized): Telegram chat ${TELEGRAM_CHAT} refused the message: 401 Unauthorized; notification given up (the bot token is wrong or revoked: check the variable the config names for botToken)`,
    )
    expect(errors.map((entry) => entry.reason)).toEqual([
      'unauthorized',
      'forbidden',
      'rejected',
      'unauthorized',
    ])
    expect(lines.join('\n')).not.toContain(TELEGRAM_TOKEN)
    expect(
      await metric(registry, 'vigil_notification_receiver_failing{receiver="desk",channel="telegram"}'),
    ).toMatch(/ 1$/)
    expect(
      await metric(registry, 'vigil_notifications_refused_total{channel="matrix",reason="forbidden"}'),
    ).toMatch(/ 1$/)

    // Never retried, however long the worker runs.
    clock = at(3_600_000)
    expect(await worker.runOnce()).toEqual({ planned: 0, sent: 0, failed: 0 })
    expect(fakes.all().map((fake) => fake.requests)).toEqual(requests)

    // The token is fixed: the next message gets through and the receiver works again.
    fakes.telegram.setToken(TELEGRAM_TOKEN)
    await raiseIncident(store.sql, detentionReport(41, 1, clock, 'Задержания на митинге'))
    expect(await worker.runOnce()).toMatchObject({ planned: 4, sent: 1, failed: 3 })
    expect(
      await metric(registry, 'vigil_notification_receiver_failing{receiver="desk",channel="telegram"}'),
    ).toMatch(/ 0$/)
    expect(
      await metric(registry, 'vigil_notification_receiver_failing{receiver="desk",channel="matrix"}'),
    ).toMatch(/ 1$/)
  })

  it('tell a chat that does not exist, a removed bot and an unknown Matrix token apart', async () => {
    const registry = createMetricsRegistry({ version: 'test', defaultMetrics: false })
    const unknownChat = notifier(chatConfig(fakes, { channels: ['telegram'], chatId: '-1009999999999' }), {
      registry,
    })
    await raiseIncident(store.sql, blackout('Almaty', RALLY))
    expect(await unknownChat.runOnce()).toEqual({ planned: 1, sent: 0, failed: 1 })
    await unknownChat.stop()
    fakes.telegram.kickedFrom.add(TELEGRAM_CHAT)
    const kicked = notifier(
      chatConfig(fakes, {
        channels: ['telegram', 'matrix'],
        env: { VIGIL_MATRIX_ACCESS_TOKEN: 'syt_wrong' },
      }),
      {
        registry,
      },
    )
    await raiseIncident(store.sql, detentionReport(41, 1, RALLY, 'Задержания на митинге'))
    // Almaty's Telegram message was given up; the report goes to both channels, Almaty to Matrix only.
    expect(await kicked.runOnce()).toEqual({ planned: 3, sent: 0, failed: 3 })
    const rows = await queryNotifications(store.sql, { limit: 10 })
    const errors = rows.map((row) => `${row.channel} ${row.state} ${row.lastError}`)
    expect(errors).toContain(
      `telegram failed Telegram chat -1009999999999 refused the message: 400 Bad Request: chat not found`,
    )
    expect(errors).toContain(
      `telegram failed Telegram chat ${TELEGRAM_CHAT} refused the message: 403 Forbidden: bot was kicked from the supergroup chat`,
    )
    expect(errors).toContain(
      `matrix failed Matrix room ${MATRIX_ROOM} refused the message: 401 M_UNKNOWN_TOKEN Unknown access token`,
    )
    expect(
      await metric(registry, 'vigil_notifications_refused_total{channel="telegram",reason="not_found"}'),
    ).toMatch(/ 1$/)
    expect(
      await metric(registry, 'vigil_notifications_refused_total{channel="telegram",reason="forbidden"}'),
    ).toMatch(/ 1$/)
    expect(
      await metric(registry, 'vigil_notifications_refused_total{channel="matrix",reason="unauthorized"}'),
    ).toMatch(/ [12]$/)
  })
})
