// Detention reports to status page subscribers, from the real producer (stored news items clustered into
// a report by @vigil/news, the report's incident raised as newswatch raises it) through the notifier's
// outbox to a real SMTP server on loopback: a confirmed subscriber of the report's region or country gets
// the new report once and its grown count once, as an update, with the unsubscribe link, retried while the
// SMTP server is down; others get none.
import { planSubscriberNotifications } from '@vigil/board'
import { parseConfig, type VigilConfig } from '@vigil/config'
import { type ClusterCandidate, decideCluster, joinReport, reportIncident } from '@vigil/news'
import { createNotifier, type Notifier } from '@vigil/notify'
import {
  confirmSubscription,
  createReport,
  getReport,
  insertNewsItems,
  raiseIncident,
  reportsOnDay,
  requestSubscription,
  updateReport,
  upsertSources,
} from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ReceivedEmail, type SmtpSink, startSmtp } from '../../../packages/notify/test/support.js'
import { waitFor } from '../../../test/support/wait.js'

const MINUTE = 60_000

let store: TestStore
let smtp: SmtpSink
let config: VigilConfig
let notifier: Notifier

function configYaml(smtpPort: number): string {
  return [
    'name: Vigil KZ',
    'country: KZ',
    'vantage:',
    '  id: kz-almaty-1',
    '  role: in_country',
    '  country: KZ',
    '  region: Almaty',
    '  network:',
    '    asn: 9198',
    'regions:',
    '  - name: Almaty',
    '    timeZone: Asia/Almaty',
    '  - name: Aktau',
    '    timeZone: Asia/Aqtau',
    'targetGroups:',
    '  - name: control',
    '    purpose: control',
    '    probes: [http]',
    '    targets:',
    '      - name: example',
    '        url: http://127.0.0.1:9/',
    'api:',
    '  publicUrl: https://vigil.example.org/',
    'smtp:',
    '  host: 127.0.0.1',
    `  port: ${smtpPort}`,
    '  secure: false',
    '  from: Vigil <vigil@example.org>',
    '  timeout: 5s',
    'status:',
    '  enabled: true',
    '  title: Internet in Kazakhstan',
  ].join('\n')
}

async function subscribe(email: string, scopeType: 'country' | 'region', scope: string, consentAt?: Date) {
  const requested = await requestSubscription(store.sql, { email, scopeType, scope, at: new Date() })
  if (consentAt) await confirmSubscription(store.sql, requested.confirmToken, consentAt)
  return requested
}

// One outlet's item about the rally in Almaty, stored and filed into a report as newswatch files it.
async function publish(guid: string, count: number, title: string, at: Date): Promise<void> {
  const day = at.toISOString().slice(0, 10)
  const counts = [{ value: count, qualifier: 'approx' as const }]
  const evidence = `В Алматы задержали около ${count} человек`
  const [item] = await insertNewsItems(store.sql, [
    {
      source: 'vlast',
      guid,
      canonicalUrl: `https://vlast.kz/news/${guid}`,
      title,
      link: `https://vlast.kz/news/${guid}`,
      publishedAt: at,
      language: 'ru',
      detention: true,
      score: 5,
      counts,
      cities: ['Almaty'],
      dates: [],
      people: [],
      evidence,
      fetchedAt: at,
    },
  ])
  const candidate: ClusterCandidate = {
    day,
    cities: ['Almaty'],
    language: 'ru',
    text: `${title} ${evidence}`,
    people: [],
    counts,
  }
  const decision = decideCluster(candidate, await reportsOnDay(store.sql, day))
  let reportId: number
  if (decision.kind === 'new') {
    const created = await createReport(
      store.sql,
      { day, cities: ['Almaty'], counts, language: 'ru', title, evidence, people: [], at },
      item!.id,
    )
    reportId = created.id
  } else {
    reportId = decision.report.id
    await updateReport(
      store.sql,
      reportId,
      item!.id,
      joinReport(decision.report, candidate, { title, evidence }, decision.countUpdate, at),
    )
  }
  await raiseIncident(store.sql, reportIncident((await getReport(store.sql, reportId))!, at))
}

const to = (address: string): ReceivedEmail[] => smtp.received.filter((mail) => mail.to.includes(address))

async function rounds(n: number): Promise<void> {
  for (let round = 0; round < n; round++) await notifier.runOnce()
}

beforeAll(async () => {
  store = await openTestStore()
  smtp = await startSmtp()
  config = parseConfig(`${configYaml(smtp.port)}\n`, 'subscriber-reports.yaml', {})
  await upsertSources(store.sql, [{ name: 'vlast', url: 'https://vlast.kz/rss', type: 'rss' }])
  notifier = createNotifier({
    config,
    sql: store.sql,
    extraPlanners: [(at) => planSubscriberNotifications(store.sql, config, at)],
    backoff: { baseMs: 10, maxMs: 100 },
  })
})

afterAll(async () => {
  await notifier?.stop()
  await smtp?.close()
  await store?.close()
})

describe('detention reports to subscribers', () => {
  it('mail a new report once and its grown count once, as an update, to those who follow its place', async () => {
    const now = Date.now()
    const ago = (minutes: number) => new Date(now - minutes * MINUTE)
    await subscribe('almaty@desk.example', 'region', 'Almaty', ago(30))
    await subscribe('kz@desk.example', 'country', 'KZ', ago(30))
    await subscribe('aktau@desk.example', 'region', 'Aktau', ago(30))
    await subscribe('pending@desk.example', 'region', 'Almaty')

    await publish('a1', 40, 'В Алматы задержаны участники митинга', ago(20))
    await rounds(3)
    for (const address of ['almaty@desk.example', 'kz@desk.example']) {
      const [first, ...rest] = to(address)
      expect(rest, address).toEqual([])
      expect(first!.subject).toBe(
        `[WARNING] Detentions reported: about 40 in Almaty on ${ago(20).toISOString().slice(0, 10)}`,
      )
      expect(first!.text).toContain('A new report of detentions was published (one report).')
      expect(first!.text).toContain('Status: new report')
      expect(first!.text).toContain('https://vlast.kz/news/a1')
      const unsubscribe = /Unsubscribe: (\S+)/.exec(first!.text)![1]!
      expect(unsubscribe).toMatch(/^https:\/\/vigil\.example\.org\/status\/unsubscribe\?token=[\w-]{43}$/)
      expect(first!.headers['list-unsubscribe']).toBe(`<${unsubscribe}>`)
      expect(first!.html).toContain('>Unsubscribe</a>')
      // Operators' links need a key; a subscriber's message has the status page instead.
      expect(first!.text).not.toContain('/v1/incidents')
      expect(first!.html).not.toContain('/v1/incidents')
      expect(first!.text).not.toContain('Sent by Vigil')
      expect(first!.text).toContain('Status page: https://vigil.example.org/status')
    }
    expect(to('aktau@desk.example')).toEqual([])
    expect(to('pending@desk.example')).toEqual([])

    // A subscriber who consents after the report was published gets neither it nor its updates.
    await subscribe('late@desk.example', 'region', 'Almaty', ago(15))
    // Another outlet, the same count: the report gains a source, nobody is mailed again.
    await publish('a2', 40, 'Задержания на митинге в Алматы', ago(10))
    await rounds(2)
    expect(to('almaty@desk.example')).toHaveLength(1)

    // The count grows: one update each.
    await publish('a3', 700, 'В Алматы задержали около 700 человек', ago(5))
    await rounds(3)
    for (const address of ['almaty@desk.example', 'kz@desk.example']) {
      const messages = to(address)
      expect(messages, address).toHaveLength(2)
      expect(messages[1]!.subject).toBe(
        `[CRITICAL] Update: detentions reported: about 700 in Almaty on ${ago(20).toISOString().slice(0, 10)}`,
      )
      expect(messages[1]!.text).toContain(
        'A report of detentions sent earlier was updated: the count changed.',
      )
      expect(messages[1]!.text).toContain('Status: update (version 2 of this report)')
      expect(messages[1]!.headers['list-unsubscribe']).toMatch(/\/status\/unsubscribe\?token=/)
    }
    expect(to('late@desk.example')).toEqual([])
    expect(to('aktau@desk.example')).toEqual([])

    // Later rounds add nothing.
    await rounds(2)
    expect(to('almaty@desk.example')).toHaveLength(2)
    expect(to('kz@desk.example')).toHaveLength(2)
  }, 60_000)

  it('retries a report while the SMTP server is down and delivers it once when it is back', async () => {
    const now = Date.now()
    await subscribe('aktau-desk@press.example', 'region', 'Aktau', new Date(now - 10 * MINUTE))
    const port = smtp.port
    await smtp.close()
    const at = new Date(now - 5 * MINUTE)
    const day = at.toISOString().slice(0, 10)
    const counts = [{ value: 12, qualifier: 'exact' as const }]
    const [item] = await insertNewsItems(store.sql, [
      {
        source: 'vlast',
        guid: 'k1',
        canonicalUrl: 'https://vlast.kz/news/k1',
        title: 'В Актау задержаны журналисты',
        link: 'https://vlast.kz/news/k1',
        publishedAt: at,
        language: 'ru',
        detention: true,
        score: 5,
        counts,
        cities: ['Aktau'],
        dates: [],
        people: [],
        evidence: 'В Актау задержали 12 человек',
        fetchedAt: at,
      },
    ])
    const report = await createReport(
      store.sql,
      {
        day,
        cities: ['Aktau'],
        counts,
        language: 'ru',
        title: 'В Актау задержаны журналисты',
        evidence: 'В Актау задержали 12 человек',
        people: [],
        at,
      },
      item!.id,
    )
    await raiseIncident(store.sql, reportIncident((await getReport(store.sql, report.id))!, at))
    expect((await notifier.runOnce()).failed).toBeGreaterThanOrEqual(1)

    smtp = await startSmtp(port)
    await waitFor('the retried report', async () => {
      await notifier.runOnce()
      return to('aktau-desk@press.example').length > 0
    })
    await rounds(3)
    const received = to('aktau-desk@press.example')
    expect(received).toHaveLength(1)
    expect(received[0]!.subject).toBe(`[WARNING] Detentions reported: 12 in Aktau on ${day}`)
  }, 60_000)
})
