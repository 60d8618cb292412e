// The notifier end to end against the real store, a real SMTP server and a real webhook receiver on
// loopback: exactly one email per event even when SMTP is down, a worker dies mid-send, or two race.

import type { VigilConfig } from '@vigil/config'
import { createMetricsRegistry, type Registry } from '@vigil/metrics'
import type { BlackoutEvidence, DetentionReportEvidence } from '@vigil/model'
import { createNotifier, type Notifier, type NotifierDeps } from '@vigil/notify'
import {
  createSilence,
  type IncidentSignal,
  leaseNotifications,
  openStore,
  queryNotifications,
  raiseIncident,
  resolveIncident,
  type Store,
} from '@vigil/store'
import { openTestStore, type TestStore, testStoreKind } from '@vigil/store/testing'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { freePort, type SmtpSink, startSmtp, startWebhook, testConfig } from './support.js'

// 10:02 in Almaty on the rally day of 6 July 2019 (the window is 10:00-14:00 local); and a quiet day.
const RALLY = new Date('2019-07-06T04:02:00Z')
const QUIET = new Date('2019-08-20T04:02:00Z')
const CITIES = ['Almaty', 'Nur-Sultan', 'Shymkent', 'Karaganda', 'Aktobe']

let store: TestStore
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
  smtp.received.length = 0
  await store.sql`truncate notifications, silences, incidents restart identity`
})

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const at = (base: Date, ms: number) => new Date(base.getTime() + ms)

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

function detentionReport(version: number, when: Date, title: string): IncidentSignal {
  return {
    identity: 'detention_report|report|41',
    kind: 'detention_report',
    scopeType: 'report',
    scope: '41',
    region: 'Almaty',
    level: 'warning',
    state: 'firing',
    summary: title,
    evidence: {
      reportId: 41,
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

async function metric(registry: Registry, name: string): Promise<string | undefined> {
  const text = await registry.metrics()
  return text.split('\n').find((line) => line.startsWith(name))
}

describe('email', () => {
  it('sends one email for a critical blackout, then one resolved email, and nothing more', async () => {
    clock = RALLY
    const registry = createMetricsRegistry({ version: 'test', defaultMetrics: false })
    const worker = notifier(testConfig({ smtpPort: smtp.port }), { registry })
    await raiseIncident(store.sql, blackout('Almaty', RALLY))

    expect(await worker.runOnce()).toEqual({ planned: 1, sent: 1, failed: 0 })
    expect(smtp.received).toHaveLength(1)
    const [email] = smtp.received
    expect(email!.subject).toBe('[CRITICAL] Internet blackout: Almaty — since 10:02 +06')
    expect(email!.to).toEqual(['monitors@example.org', 'desk@example.org'])
    expect(email!.messageId).toMatch(/^<[0-9a-f]{40}@example\.org>$/)
    expect(email!.text).toContain('Started: 2019-07-06 10:02 +06 (04:02 UTC)')
    expect(email!.text).toContain('4% of probes succeed against 97% normally (0.04 of baseline)')
    expect(email!.text).toContain('Targets affected (3): kz/egov, kz/tengrinews, kz/kaztelecom')
    expect(email!.text).toContain('Vantages affected (2): kz-almaty-1, outside-fra-1')
    expect(email!.text).toContain('http://vigil.example.org:8080/v1/incidents?kind=blackout&region=Almaty')
    expect(email!.text).toContain('http://grafana.example.org/d/vigil-rally-day?')
    expect(email!.html).toContain('<td>kz/egov, kz/tengrinews, kz/kaztelecom</td>')

    // Planning and delivering again, even later, adds nothing.
    clock = at(RALLY, 60_000)
    expect(await worker.runOnce()).toEqual({ planned: 0, sent: 0, failed: 0 })
    await raiseIncident(store.sql, blackout('Almaty', at(RALLY, 90_000)))
    expect(await worker.runOnce()).toEqual({ planned: 0, sent: 0, failed: 0 })
    expect(smtp.received).toHaveLength(1)

    await resolveIncident(store.sql, 'blackout|region|Almaty', at(RALLY, 3_600_000))
    clock = at(RALLY, 3_600_000)
    expect(await worker.runOnce()).toMatchObject({ planned: 1, sent: 1 })
    clock = at(RALLY, 3_700_000)
    expect(await worker.runOnce()).toMatchObject({ planned: 0, sent: 0 })
    expect(smtp.received.map((m) => m.subject)).toEqual([
      '[CRITICAL] Internet blackout: Almaty — since 10:02 +06',
      '[RESOLVED] Internet blackout: Almaty — 10:02–11:02 +06',
    ])
    expect(smtp.received[1]!.text).toContain('Resolved: 2019-07-06 11:02 +06 (05:02 UTC)')
    expect(await metric(registry, 'vigil_notifications_sent_total{channel="email"}')).toMatch(/ 2$/)
    expect(await metric(registry, 'vigil_notifications_pending')).toMatch(/ 0$/)
  })

  it('sends one email naming all five cities of a blackout that started together', async () => {
    const worker = notifier(testConfig({ smtpPort: smtp.port }))
    for (const [i, city] of CITIES.entries())
      await raiseIncident(store.sql, blackout(city, at(QUIET, i * 5_000)))
    clock = at(QUIET, 30_000)
    expect(await worker.runOnce()).toMatchObject({ planned: 0, sent: 0 })
    clock = at(QUIET, 61_000)
    expect(await worker.runOnce()).toMatchObject({ planned: 1, sent: 1 })
    clock = at(QUIET, 120_000)
    await worker.runOnce()
    expect(smtp.received).toHaveLength(1)
    expect(smtp.received[0]!.subject).toBe(
      '[CRITICAL] Internet blackout: Almaty, Nur-Sultan, Shymkent, Karaganda, Aktobe — since 10:02 +06',
    )
    for (const city of CITIES) expect(smtp.received[0]!.text).toContain(`Internet blackout: ${city}\n`)
  })

  it('retries with backoff while the SMTP server is down and delivers once when it is back', async () => {
    const port = await freePort()
    const registry = createMetricsRegistry({ version: 'test', defaultMetrics: false })
    const worker = notifier(testConfig({ smtpPort: port }), {
      registry,
      backoff: { baseMs: 1_000, maxMs: 4_000 },
    })
    clock = RALLY
    await raiseIncident(store.sql, blackout('Almaty', RALLY))
    expect(await worker.runOnce()).toEqual({ planned: 1, sent: 0, failed: 1 })
    clock = at(RALLY, 1_000)
    expect(await worker.runOnce()).toEqual({ planned: 0, sent: 0, failed: 1 })
    const [row] = await queryNotifications(store.sql, { limit: 10 })
    expect(row).toMatchObject({ state: 'pending', attempts: 2, leaseOwner: null })
    expect(row!.lastError).toMatch(/ECONNREFUSED|connect/i)
    expect(row!.nextAttemptAt).toEqual(at(RALLY, 3_000))

    const back = await startSmtp(port)
    cleanups.push(() => back.close())
    // Not due yet: the backoff holds even though the server is back.
    expect(await worker.runOnce()).toEqual({ planned: 0, sent: 0, failed: 0 })
    clock = at(RALLY, 3_000)
    expect(await worker.runOnce()).toEqual({ planned: 0, sent: 1, failed: 0 })
    clock = at(RALLY, 60_000)
    expect(await worker.runOnce()).toEqual({ planned: 0, sent: 0, failed: 0 })
    expect(back.received.map((m) => m.subject)).toEqual([
      '[CRITICAL] Internet blackout: Almaty — since 10:02 +06',
    ])
    expect(await metric(registry, 'vigil_notifications_failed_total{channel="email"}')).toMatch(/ 2$/)
  })

  it('delivers exactly once after a worker died holding the lease', async () => {
    clock = RALLY
    const config = testConfig({ smtpPort: smtp.port })
    await raiseIncident(store.sql, blackout('Almaty', RALLY))
    expect(await notifier(config).plan()).toBe(1)
    // A worker leases the row, as it does right before sending, and is killed.
    const leased = await leaseNotifications(store.sql, {
      owner: 'killed',
      now: RALLY,
      leaseMs: 60_000,
      limit: 10,
    })
    expect(leased).toHaveLength(1)

    const restarted = notifier(config, { owner: 'restarted' })
    clock = at(RALLY, 30_000)
    expect(await restarted.runOnce()).toEqual({ planned: 0, sent: 0, failed: 0 })
    clock = at(RALLY, 60_000)
    expect(await restarted.runOnce()).toEqual({ planned: 0, sent: 1, failed: 0 })
    clock = at(RALLY, 120_000)
    expect(await restarted.runOnce()).toEqual({ planned: 0, sent: 0, failed: 0 })
    expect(smtp.received).toHaveLength(1)
    const [row] = await queryNotifications(store.sql, { limit: 10 })
    expect(row).toMatchObject({ state: 'sent', attempts: 2, leaseOwner: null, sentAt: at(RALLY, 60_000) })
  })

  it('sends each email once when two notifiers race on the same outbox', async () => {
    // On a server the second notifier has connections of its own; the embedded store has one connection.
    let second: Store = store
    if (testStoreKind() === 'postgres') {
      const opened = await openStore({ databaseUrl: store.connection.databaseUrl, maxConnections: 4 })
      cleanups.push(() => opened.close())
      second = opened
    }
    const config = testConfig({ smtpPort: smtp.port })
    // Six cities two minutes apart: six separate emails.
    for (const [i, city] of [...CITIES, 'Aktau'].entries()) {
      await raiseIncident(store.sql, blackout(city, at(QUIET, i * 120_000)))
    }
    clock = at(QUIET, 20 * 60_000)
    const a = notifier(config, { owner: 'a', batchSize: 1 })
    const b = createNotifier({ config, sql: second.sql, now: () => clock, owner: 'b', batchSize: 1 })
    cleanups.push(() => b.stop())
    const [ra, rb] = await Promise.all([a.runOnce(), b.runOnce()])
    expect(ra.planned + rb.planned).toBe(6)
    expect(ra.sent + rb.sent).toBe(6)
    await Promise.all([a.runOnce(), b.runOnce()])
    expect(smtp.received).toHaveLength(6)
    expect(new Set(smtp.received.map((m) => m.messageId)).size).toBe(6)
    const rows = await queryNotifications(store.sql, { limit: 100 })
    expect(rows.map((r) => [r.state, r.attempts])).toEqual(Array.from({ length: 6 }, () => ['sent', 1]))
  })

  it('escapes a news title containing <script> in the HTML part', async () => {
    clock = RALLY
    const title = '<script>document.location="https://evil.example"</script> Задержания в Алматы'
    await raiseIncident(store.sql, detentionReport(1, RALLY, title))
    await notifier(testConfig({ smtpPort: smtp.port })).runOnce()
    expect(smtp.received).toHaveLength(1)
    const { html, text } = smtp.received[0]!
    expect(html).not.toContain('<script')
    expect(html).toContain(
      '&#60;script&#62;document.location=&#34;https://evil.example&#34;&#60;/script&#62;',
    )
    expect(text).toContain(title)
  })

  it('says whether a detention report is new or an update', async () => {
    clock = RALLY
    const worker = notifier(testConfig({ smtpPort: smtp.port }))
    await raiseIncident(store.sql, detentionReport(1, RALLY, 'Задержания на митинге в Алматы'))
    await worker.runOnce()
    clock = at(RALLY, 600_000)
    await raiseIncident(store.sql, detentionReport(2, clock, 'Около 700 задержанных в Алматы'))
    await worker.runOnce()
    clock = at(RALLY, 700_000)
    await worker.runOnce()
    expect(smtp.received.map((m) => m.subject)).toEqual([
      '[WARNING] Detentions reported: at least 100 in Almaty on 2019-07-06',
      '[WARNING] Update: detentions reported: about 700 in Almaty on 2019-07-06',
    ])
    const [fresh, update] = smtp.received
    expect(fresh!.text).toContain('Status: new report')
    expect(update!.text).toContain('Status: update (version 2 of this report)')
    for (const email of [fresh!, update!]) {
      expect(email.text).toContain('Named: Aigerim Tleuzhan')
      expect(email.text).toContain('Evidence: В Алматы задержали около 700 человек.')
      expect(email.text).toContain('https://rus.azattyq.org/a/30042123.html')
      expect(email.html).toContain('<a href="https://vlast.kz/novosti/34700.html">')
    }
  })

  it('sends nothing about a silenced incident', async () => {
    clock = RALLY
    await createSilence(store.sql, {
      kinds: ['blackout'],
      regions: ['Almaty'],
      startsAt: at(RALLY, -3_600_000),
      endsAt: at(RALLY, 3_600_000),
      comment: 'known outage of the Almaty vantage',
    })
    await raiseIncident(store.sql, blackout('Almaty', RALLY))
    const worker = notifier(testConfig({ smtpPort: smtp.port }))
    expect(await worker.runOnce()).toEqual({ planned: 0, sent: 0, failed: 0 })
    clock = at(RALLY, 600_000)
    expect(await worker.runOnce()).toEqual({ planned: 0, sent: 0, failed: 0 })
    expect(smtp.received).toHaveLength(0)
    expect(await queryNotifications(store.sql, { limit: 10 })).toEqual([])
  })
})

describe('webhook', () => {
  it('posts an Alertmanager version 4 payload with the bearer token', async () => {
    const hook = await startWebhook()
    cleanups.push(() => hook.close())
    clock = RALLY
    const worker = notifier(testConfig({ smtpPort: smtp.port, webhookUrl: hook.url }))
    await raiseIncident(store.sql, blackout('Almaty', RALLY))
    await raiseIncident(store.sql, blackout('Nur-Sultan', RALLY))
    // Inside a rally window both routes send at once: one email and one post for the two cities.
    expect(await worker.runOnce()).toMatchObject({ planned: 2, sent: 2 })
    clock = at(RALLY, 120_000)
    expect(await worker.runOnce()).toMatchObject({ planned: 0, sent: 0 })
    expect(smtp.received).toHaveLength(1)
    expect(hook.posts).toHaveLength(1)
    const [post] = hook.posts
    expect(post!.headers.authorization).toBe('Bearer hook-secret')
    expect(post!.headers['content-type']).toBe('application/json')
    expect(post!.body).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'hooks',
      groupLabels: { kind: 'blackout' },
      commonLabels: { alertname: 'InternetBlackout', severity: 'critical' },
      externalURL: 'http://vigil.example.org:8080/',
      truncatedAlerts: 0,
    })
    const body = post!.body as { groupKey: string; alerts: Array<Record<string, unknown>> }
    expect(typeof body.groupKey).toBe('string')
    expect(body.alerts).toHaveLength(2)
    for (const alert of body.alerts) {
      expect(Object.keys(alert).sort()).toEqual(
        ['annotations', 'endsAt', 'fingerprint', 'generatorURL', 'labels', 'startsAt', 'status'].sort(),
      )
      expect(alert.status).toBe('firing')
    }
  })
})
