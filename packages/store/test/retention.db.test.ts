// Retention deletes what is older than its configured retention, in batches, and keeps what an open
// incident rests on: the open incident itself, the news items of a report it cites, the notifications
// about it, and any notification still to deliver with the incident it is about.
import {
  createReport,
  deleteExpired,
  insertMeasurements,
  insertNewsItems,
  insertNotifications,
  insertTlsObservations,
  leaseNotifications,
  markNotificationSent,
  type NewMeasurement,
  type NewNewsItem,
  type NewNotification,
  type NewTlsObservation,
  type RetentionPolicy,
  raiseIncident,
  resolveIncident,
  type Sql,
  upsertSources,
  upsertVantage,
} from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

const DAY = 86_400_000
const NOW = new Date('2026-03-01T00:00:00Z')
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY)
const POLICY: RetentionPolicy = {
  measurements: 30 * DAY,
  tlsObservations: 60 * DAY,
  newsItems: 90 * DAY,
  notifications: 30 * DAY,
  incidents: 120 * DAY,
}

let store: TestStore
beforeEach(async () => {
  store = await openTestStore()
  await upsertVantage(store.sql, {
    id: 'kz-almaty-1',
    country: 'KZ',
    region: 'Almaty',
    asn: 9198,
    network: null,
    role: 'in_country',
  })
  await upsertSources(store.sql, [{ name: 'azattyq', url: 'https://rus.azattyq.org/api/rss', type: 'rss' }])
})
afterEach(async () => {
  await store.close()
})

const measurement = (at: Date, target: string): NewMeasurement => ({
  measuredAt: at,
  vantageId: 'kz-almaty-1',
  targetId: target,
  kind: 'http',
  region: 'Almaty',
  ok: true,
  failure: null,
  durationMs: 120,
})

const tlsObservation = (at: Date): NewTlsObservation => ({
  measuredAt: at,
  vantageId: 'kz-almaty-1',
  targetId: 'social/facebook',
  host: 'www.facebook.com',
  port: 443,
  sni: 'www.facebook.com',
  verdict: 'ok',
  failure: null,
  verified: true,
  chain: [],
  protocol: 'TLSv1.3',
  cipher: null,
  evidence: [],
  knownMatch: null,
})

const newsItem = (guid: string, fetchedAt: Date): NewNewsItem => ({
  source: 'azattyq',
  guid,
  canonicalUrl: null,
  title: `Задержаны участники акции ${guid}`,
  link: null,
  publishedAt: fetchedAt,
  language: 'ru',
  detention: true,
  score: 0.9,
  counts: [],
  cities: ['Almaty'],
  dates: [],
  people: [],
  evidence: '',
  fetchedAt,
})

const notification = (key: string, incidentIds: number[], createdAt: Date): NewNotification => ({
  idempotencyKey: key,
  channel: 'email',
  receiver: 'press',
  groupKey: key,
  incidentIds,
  items: incidentIds.map((id) => `${id}:firing:1`),
  event: 'firing',
  subject: key,
  bodyText: key,
  bodyHtml: key,
  payload: null,
  createdAt,
})

async function ids(sql: Sql, table: string, column: string): Promise<string[]> {
  const rows = await sql<{ v: string }[]>`select ${sql(column)}::text as v from ${sql(table)} order by 1`
  return rows.map((row) => row.v)
}

async function raise(sql: Sql, identity: string, scopeType: 'region' | 'report', scope: string, at: Date) {
  const { incident } = await raiseIncident(sql, {
    identity,
    kind: scopeType === 'report' ? 'detention_report' : 'blackout',
    scopeType,
    scope,
    region: 'Almaty',
    level: 'warning',
    state: 'firing',
    summary: identity,
    evidence: {},
    at,
  })
  return incident
}

describe('retention', () => {
  it('deletes measurements and TLS observations older than their retention, in batches', async () => {
    await insertMeasurements(store.sql, [
      ...[31, 40, 45, 50, 200].map((days) => measurement(daysAgo(days), `old-${days}`)),
      measurement(daysAgo(29), 'kept-29'),
      measurement(daysAgo(0), 'kept-0'),
    ])
    await insertTlsObservations(store.sql, [tlsObservation(daysAgo(61)), tlsObservation(daysAgo(59))])

    const batches: Array<[string, number]> = []
    const result = await deleteExpired(store.sql, POLICY, {
      now: NOW,
      batchSize: 2,
      onBatch: (table, deleted) => batches.push([table, deleted]),
    })

    expect(result).toEqual({
      measurements: 5,
      tls_observations: 1,
      news_items: 0,
      notifications: 0,
      incidents: 0,
    })
    expect(batches).toEqual([
      ['measurements', 2],
      ['measurements', 2],
      ['measurements', 1],
      ['tls_observations', 1],
    ])
    expect(await ids(store.sql, 'measurements', 'target_id')).toEqual(['kept-0', 'kept-29'])
    const [kept] = await store.sql<{ at: Date }[]>`select measured_at as at from tls_observations`
    expect(kept!.at).toEqual(daysAgo(59))
    // A second run finds nothing more to do.
    expect(Object.values(await deleteExpired(store.sql, POLICY, { now: NOW })).every((n) => n === 0)).toBe(
      true,
    )
  })

  it('keeps open incidents, the news items of a report an open incident cites, and what the outbox needs', async () => {
    const [cited, uncited, recent] = await insertNewsItems(store.sql, [
      newsItem('cited', daysAgo(100)),
      newsItem('uncited', daysAgo(100)),
      newsItem('recent', daysAgo(10)),
    ])
    const openReport = await createReport(
      store.sql,
      {
        day: '2025-11-20',
        cities: ['Almaty'],
        counts: [],
        language: 'ru',
        title: 'cited',
        evidence: '',
        people: [],
        at: daysAgo(100),
      },
      cited!.id,
    )
    const closedReport = await createReport(
      store.sql,
      {
        day: '2025-11-20',
        cities: ['Almaty'],
        counts: [],
        language: 'ru',
        title: 'uncited',
        evidence: '',
        people: [],
        at: daysAgo(100),
      },
      uncited!.id,
    )

    // Open for 200 days: never deleted, however old.
    const open = await raise(
      store.sql,
      `report|${openReport.id}`,
      'report',
      String(openReport.id),
      daysAgo(200),
    )
    // Resolved 130 days ago: past the incidents' retention of 120 days.
    const oldResolved = await raise(store.sql, 'blackout|region|Almaty', 'region', 'Almaty', daysAgo(140))
    await resolveIncident(store.sql, 'blackout|region|Almaty', daysAgo(130))
    // Resolved 130 days ago too, but a notification about it was never delivered.
    const undelivered = await raise(store.sql, 'blackout|region|Aktau', 'region', 'Aktau', daysAgo(140))
    await resolveIncident(store.sql, 'blackout|region|Aktau', daysAgo(130))
    // The report without an open incident: its incident resolved long ago.
    await raise(store.sql, `report|${closedReport.id}`, 'report', String(closedReport.id), daysAgo(150))
    await resolveIncident(store.sql, `report|${closedReport.id}`, daysAgo(10))
    // Resolved recently: kept.
    const recentResolved = await raise(
      store.sql,
      'blackout|region|Shymkent',
      'region',
      'Shymkent',
      daysAgo(20),
    )
    await resolveIncident(store.sql, 'blackout|region|Shymkent', daysAgo(10))

    await insertNotifications(store.sql, [
      notification('sent-old', [oldResolved.id], daysAgo(140)),
      notification('sent-old-about-open', [open.id], daysAgo(140)),
      notification('pending-old', [undelivered.id], daysAgo(140)),
      notification('sent-recent', [recentResolved.id], daysAgo(5)),
    ])
    const leased = await leaseNotifications(store.sql, {
      owner: 'test',
      now: NOW,
      leaseMs: 60_000,
      limit: 10,
    })
    for (const row of leased.filter((n) => n.idempotencyKey.startsWith('sent-'))) {
      expect(await markNotificationSent(store.sql, row.id, 'test', row.createdAt)).toBe(true)
    }
    await store.sql`update notifications set state = 'pending', lease_owner = null, lease_until = null
                    where idempotency_key = 'pending-old'`

    const result = await deleteExpired(store.sql, POLICY, { now: NOW, batchSize: 1 })

    expect(result).toMatchObject({ news_items: 1, notifications: 1, incidents: 1 })
    expect(await ids(store.sql, 'news_items', 'guid')).toEqual(['cited', 'recent'].sort())
    expect(recent).toBeDefined()
    expect(await ids(store.sql, 'notifications', 'idempotency_key')).toEqual(
      ['pending-old', 'sent-old-about-open', 'sent-recent'].sort(),
    )
    const incidents = await ids(store.sql, 'incidents', 'identity')
    expect(incidents).toContain(`report|${openReport.id}`)
    expect(incidents).toContain('blackout|region|Aktau')
    expect(incidents).toContain('blackout|region|Shymkent')
    expect(incidents).not.toContain('blackout|region|Almaty')
    // Reports are never deleted; the cited one keeps its item.
    const links = await store.sql<{ report_id: number }[]>`select report_id from report_items order by 1`
    expect(links.map((row) => row.report_id)).toEqual([openReport.id])
    const [reports] = await store.sql<{ n: number }[]>`select count(*)::int as n from reports`
    expect(reports!.n).toBe(2)
  })

  it('refuses a batch size that is not a positive whole number', async () => {
    await expect(deleteExpired(store.sql, POLICY, { batchSize: 0 })).rejects.toThrow(/batch size/)
  })
})
