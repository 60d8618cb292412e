// A flood of detention reports never mutes Vigil. 2,000 reports firing in one group wait once made the
// outbox key (every incident id and version, concatenated) outgrow the unique index, so planning failed on
// every round and no email was sent again, blackouts included. Now keys are fixed-size, a large group is
// summarised with a count and a link, and a group that cannot be stored is left out alone.
import type { VigilConfig } from '@vigil/config'
import { createMetricsRegistry } from '@vigil/metrics'
import { createNotifier, MAX_LISTED_INCIDENTS } from '@vigil/notify'
import { queryNotifications, raiseIncident } from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import pino from 'pino'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type SmtpSink, startSmtp, testConfig } from './support.js'

// A quiet day (no rally window): groups wait their full minute.
const T0 = new Date('2019-08-20T04:00:00Z')
const FLOOD = 2_000

let store: TestStore
let smtp: SmtpSink

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

/** 2,000 detention reports, each its own incident, all firing within the same minute. */
async function flood(at: Date): Promise<void> {
  await store.sql.begin(async (tx) => {
    for (let n = 0; n < FLOOD; n++) {
      const title = `Задержаны участники акции №${n}`
      await raiseIncident(tx, {
        identity: `detention_report|report|${n}`,
        kind: 'detention_report',
        scopeType: 'report',
        scope: String(n),
        region: 'Almaty',
        level: 'warning',
        state: 'firing',
        summary: title,
        evidence: {
          version: 1,
          day: '2019-08-20',
          cities: ['Almaty'],
          count: { value: 10 + n, qualifier: 'approx' },
          people: [],
          title,
          evidence: title,
          sources: [{ source: 'feed', title, url: `https://news.example.org/${n}` }],
        },
        at,
      })
    }
  })
}

async function blackout(at: Date): Promise<void> {
  await raiseIncident(store.sql, {
    identity: 'blackout|region|Almaty',
    kind: 'blackout',
    scopeType: 'region',
    scope: 'Almaty',
    region: 'Almaty',
    level: 'critical',
    state: 'firing',
    summary: 'Internet blackout in Almaty',
    evidence: { share: 0.02, baseline: 0.96, ratio: 0.02 },
    at,
  })
}

function logged() {
  const lines: Array<Record<string, unknown>> = []
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  )
  return { logger, lines }
}

describe('after a 2,000-report detention flood', () => {
  it('a blackout still gets its email in the first round after its group wait', async () => {
    const config = testConfig({ smtpPort: smtp.port })
    await flood(T0)
    await blackout(new Date(T0.getTime() + 30_000))
    let clock = new Date(T0.getTime() + 61_000)
    const notifier = createNotifier({ config, sql: store.sql, now: () => clock })
    try {
      // The detention group's wait is over; the blackout's is not yet.
      const started = performance.now()
      expect(await notifier.runOnce()).toEqual({ planned: 1, sent: 1, failed: 0 })
      const floodRoundMs = performance.now() - started
      clock = new Date(T0.getTime() + 91_000)
      expect(await notifier.runOnce()).toEqual({ planned: 1, sent: 1, failed: 0 })
      console.log(`flood round (plan + send of a ${FLOOD}-report group): ${floodRoundMs.toFixed(0)} ms`)
    } finally {
      await notifier.stop()
    }
    const [detentions, dark] = smtp.received
    expect(dark!.subject).toBe('[CRITICAL] Internet blackout: Almaty — since 10:00 +06')
    expect(detentions!.subject).toMatch(/^\[WARNING\] Detentions reported: 2000 reports, Almaty/)
    // The flood is summarised: the first reports, then the count of the rest and a link to all of them.
    const more = FLOOD - MAX_LISTED_INCIDENTS
    expect(detentions!.text).toContain(
      `…and ${more} more (${FLOOD} in all, the first ${MAX_LISTED_INCIDENTS} above)`,
    )
    expect(detentions!.text).toContain(
      'http://vigil.example.org:8080/v1/incidents?kind=detention_report&state=firing&from=2019-08-20T04%3A00%3A00.000Z',
    )
    expect(detentions!.text.match(/New report: /g)).toHaveLength(MAX_LISTED_INCIDENTS)
    expect(detentions!.text.length).toBeLessThan(30_000)
    const rows = await queryNotifications(store.sql, { limit: 10 })
    // Every report is on record as told, so none is sent again; the keys are fixed-size.
    expect(rows[0]!.incidentIds).toHaveLength(FLOOD)
    expect(rows.map((row) => row.idempotencyKey)).toEqual([
      expect.stringMatching(/^[0-9a-f]{64}$/),
      expect.stringMatching(/^[0-9a-f]{64}$/),
    ])
  })

  it('a webhook for the flood carries the first alerts and counts the rest in truncatedAlerts', async () => {
    const { startWebhook } = await import('./support.js')
    const hook = await startWebhook()
    try {
      const config = testConfig({
        webhookUrl: hook.url,
        routes: '    - receiver: hooks\n      groupWait: 1m',
      })
      await flood(T0)
      const notifier = createNotifier({ config, sql: store.sql, now: () => new Date(T0.getTime() + 61_000) })
      try {
        expect(await notifier.runOnce()).toMatchObject({ planned: 1, sent: 1 })
      } finally {
        await notifier.stop()
      }
      const body = hook.posts[0]!.body as { alerts: unknown[]; truncatedAlerts: number }
      expect(body.alerts).toHaveLength(MAX_LISTED_INCIDENTS)
      expect(body.truncatedAlerts).toBe(FLOOD - MAX_LISTED_INCIDENTS)
    } finally {
      await hook.close()
    }
  })

  it('a group the store refuses is left out, logged and counted; the other groups are sent', async () => {
    const config: VigilConfig = testConfig({
      smtpPort: smtp.port,
      receivers: '    - name: desk\n      email: [desk@example.org]',
      routes: [
        '    - receiver: desk',
        '      groupWait: 1m',
        '      continue: true',
        '    - receiver: monitors',
        '      groupWait: 1m',
      ].join('\n'),
    })
    // Stands for any refusal of one group's row (here: the database refuses every row for `desk`).
    await store.sql`alter table notifications add constraint test_refuse_desk check (receiver <> 'desk')`
    const registry = createMetricsRegistry({ version: 'test', defaultMetrics: false })
    const { logger, lines } = logged()
    try {
      await blackout(T0)
      const notifier = createNotifier({
        config,
        sql: store.sql,
        registry,
        logger,
        now: () => new Date(T0.getTime() + 61_000),
      })
      try {
        expect(await notifier.runOnce()).toEqual({ planned: 1, sent: 1, failed: 0 })
        // The refused group is tried again each round, and fails alone each time.
        expect(await notifier.runOnce()).toEqual({ planned: 0, sent: 0, failed: 0 })
      } finally {
        await notifier.stop()
      }
      expect(smtp.received.map((mail) => mail.to)).toEqual([['monitors@example.org', 'desk@example.org']])
      const failures = lines.filter(
        (line) => line.msg === 'could not plan a notification group; planned the others',
      )
      expect(failures).toHaveLength(2)
      expect(failures[0]).toMatchObject({ level: 50, receiver: 'desk', kind: 'blackout', incidents: 1 })
      expect(await registry.getSingleMetricAsString('vigil_notification_groups_failed_total')).toContain(
        'vigil_notification_groups_failed_total 2',
      )
    } finally {
      await store.sql`alter table notifications drop constraint test_refuse_desk`
    }
  })
})
