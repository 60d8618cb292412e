// The notifier's decisions on plain data: routing, silences, grouping, events, idempotency keys, and what
// an email and a webhook payload say.
import type { BlackoutEvidence, DetentionReportEvidence } from '@vigil/model'
import {
  buildWebhookPayload,
  decideNotifications,
  idempotencyKey,
  renderEmail,
  retryDelay,
  routeIncident,
  toOutboxRow,
} from '@vigil/notify'
import type { Incident, NotifiedItem } from '@vigil/store'
import { describe, expect, it } from 'vitest'
import { testConfig } from './support.js'

// 10:02 in Almaty on the July 2019 rally day; the rally window runs 10:00-14:00 local (04:00-08:00 UTC).
const RALLY = new Date('2019-07-06T04:02:00Z')
// A quiet day, outside every rally window.
const QUIET = new Date('2019-08-20T04:02:00Z')

function blackout(id: number, region: string, at: Date, overrides: Partial<Incident> = {}): Incident {
  return {
    id,
    identity: `blackout|region|${region}`,
    kind: 'blackout',
    scopeType: 'region',
    scope: region,
    region,
    vantageId: null,
    level: 'critical',
    state: 'firing',
    summary: `Internet blackout in ${region}`,
    evidence: {
      share: 0.04,
      baseline: 0.97,
      baselineHours: 72,
      ratio: 0.04,
      series: 12,
      failingSeries: 11,
      failingTargets: ['kz/gov', 'kz/tengrinews'],
      failingVantages: ['kz-almaty-1'],
      controlFailing: true,
      controlTargets: { failing: 2, total: 2 },
      outsideInFailing: 0,
      failures: { generic_timeout_error: 11 },
      confirmed: true,
      silentVantages: [],
    } satisfies BlackoutEvidence,
    startedAt: at,
    firingAt: at,
    resolvedAt: null,
    lastSeenAt: at,
    ...overrides,
  }
}

function detention(
  id: number,
  version: number,
  at: Date,
  title = 'Около 700 задержанных в Алматы',
): Incident {
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
      update: version > 1,
      version,
      day: '2019-07-06',
      cities: ['Almaty'],
      count: version === 1 ? { value: 100, qualifier: 'at_least' } : { value: 700, qualifier: 'approx' },
      people: ['Aigerim Tleuzhan'],
      title,
      evidence: 'Police detained about 700 people at the rally in Almaty.',
      sources: [
        { source: 'Radio Azattyq', title, url: 'https://rus.azattyq.org/a/30042123.html' },
        { source: 'Vlast.kz', title: 'Задержания', url: 'https://vlast.kz/novosti/34700.html' },
      ],
    } satisfies DetentionReportEvidence,
    startedAt: at,
    firingAt: at,
    resolvedAt: null,
    lastSeenAt: at,
  }
}

const told = (
  incidentId: number,
  event: NotifiedItem['event'],
  version: string,
  createdAt: Date,
): NotifiedItem => ({
  receiver: 'monitors',
  channel: 'email',
  incidentId,
  event,
  version,
  createdAt,
})

const later = (at: Date, ms: number) => new Date(at.getTime() + ms)

describe('routing', () => {
  const config = testConfig({
    receivers: '    - name: press\n      email: [press@example.org]',
    routes: [
      '    - receiver: press',
      '      kinds: [detention_report]',
      '    - receiver: monitors',
      '      levels: [critical]',
      '      continue: true',
      '    - receiver: press',
      '      regions: [Almaty]',
    ].join('\n'),
  })

  it('stops at the first match unless it says continue', () => {
    expect(routeIncident(config.alerts, detention(1, 1, QUIET)).map((r) => r.receiver)).toEqual(['press'])
    expect(routeIncident(config.alerts, blackout(2, 'Almaty', QUIET)).map((r) => r.receiver)).toEqual([
      'monitors',
      'press',
    ])
    expect(routeIncident(config.alerts, blackout(3, 'Aktau', QUIET)).map((r) => r.receiver)).toEqual([
      'monitors',
    ])
  })

  it('sends what no route matched to the default receiver, or drops it without one', () => {
    const warning = blackout(4, 'Aktau', QUIET, { level: 'warning' })
    expect(routeIncident(config.alerts, warning)).toEqual([])
    const withDefault = { ...config.alerts, defaultReceiver: 'monitors' }
    expect(routeIncident(withDefault, warning).map((r) => [r.receiver, r.routeIndex])).toEqual([
      ['monitors', -1],
    ])
  })
})

describe('grouping and events', () => {
  const config = testConfig()

  it('waits the group wait outside rally windows, then sends one message for incidents that started together', () => {
    const incidents = ['Almaty', 'Nur-Sultan', 'Shymkent', 'Karaganda', 'Aktobe'].map((city, i) =>
      blackout(i + 1, city, later(QUIET, i * 10_000)),
    )
    expect(
      decideNotifications({ config, incidents, notified: [], silences: [], now: later(QUIET, 59_000) }),
    ).toEqual([])
    const bundles = decideNotifications({
      config,
      incidents,
      notified: [],
      silences: [],
      now: later(QUIET, 60_000),
    })
    expect(bundles).toHaveLength(1)
    expect(bundles[0]!.items.map((item) => item.incident.region)).toEqual([
      'Almaty',
      'Nur-Sultan',
      'Shymkent',
      'Karaganda',
      'Aktobe',
    ])
    expect(renderEmail(bundles[0]!, config).subject).toBe(
      '[CRITICAL] Internet blackout: Almaty, Nur-Sultan, Shymkent, Karaganda, Aktobe — since 10:02 +06',
    )
  })

  it('sends at once inside a rally window', () => {
    const bundles = decideNotifications({
      config,
      incidents: [blackout(1, 'Almaty', RALLY)],
      notified: [],
      silences: [],
      now: RALLY,
    })
    expect(bundles.map((b) => b.event)).toEqual(['firing'])
  })

  it('keeps a later incident for a message of its own', () => {
    const incidents = [blackout(1, 'Aktau', QUIET), blackout(2, 'Aktobe', later(QUIET, 90_000))]
    const bundles = decideNotifications({
      config,
      incidents,
      notified: [],
      silences: [],
      now: later(QUIET, 200_000),
    })
    expect(bundles.map((b) => b.items.map((item) => item.incident.id))).toEqual([[1], [2]])
  })

  it('sends nothing twice, an update when the level changes, a reminder after the repeat interval', () => {
    const sent = [told(1, 'firing', 'critical', later(QUIET, 60_000))]
    const quiet = blackout(1, 'Aktau', QUIET)
    expect(
      decideNotifications({
        config,
        incidents: [quiet],
        notified: sent,
        silences: [],
        now: later(QUIET, 120_000),
      }),
    ).toEqual([])
    const lowered = { ...quiet, level: 'warning' as const }
    const update = decideNotifications({
      config,
      incidents: [lowered],
      notified: sent,
      silences: [],
      now: later(QUIET, 60_000 + 5 * 60_000),
    })
    expect(update.map((b) => [b.event, b.items[0]!.version])).toEqual([['update', 'warning']])
    const reminder = decideNotifications({
      config,
      incidents: [quiet],
      notified: sent,
      silences: [],
      now: later(QUIET, 60_000 + 4 * 3_600_000),
    })
    expect(reminder.map((b) => [b.event, b.items[0]!.version])).toEqual([['reminder', '1']])
    expect(renderEmail(reminder[0]!, config).subject).toBe(
      '[CRITICAL] Still ongoing: Internet blackout: Aktau — since 09:02 +05',
    )
  })

  it('sends resolved only after a firing message, and only when the route asks for it', () => {
    const resolved = blackout(1, 'Aktau', QUIET, { state: 'resolved', resolvedAt: later(QUIET, 3_600_000) })
    const now = later(QUIET, 2 * 3_600_000)
    expect(decideNotifications({ config, incidents: [resolved], notified: [], silences: [], now })).toEqual(
      [],
    )
    const bundles = decideNotifications({
      config,
      incidents: [resolved],
      notified: [told(1, 'firing', 'critical', later(QUIET, 60_000))],
      silences: [],
      now,
    })
    expect(bundles.map((b) => b.event)).toEqual(['resolved'])
    expect(renderEmail(bundles[0]!, config).subject).toBe(
      '[RESOLVED] Internet blackout: Aktau — 09:02–10:02 +05',
    )
    const noResolved = testConfig({ routes: '    - receiver: monitors\n      sendResolved: false' })
    expect(
      decideNotifications({
        config: noResolved,
        incidents: [resolved],
        notified: [told(1, 'firing', 'critical', later(QUIET, 60_000))],
        silences: [],
        now,
      }),
    ).toEqual([])
  })

  it('holds back silenced incidents: config maintenance windows and silences from the api', () => {
    const withWindow = testConfig({
      silences: [
        '    - comment: planned maintenance of the Aktau vantage',
        '      start: 2019-08-20T00:00:00Z',
        '      end: 2019-08-21T00:00:00Z',
        '      regions: [Aktau]',
      ].join('\n'),
    })
    const incidents = [blackout(1, 'Aktau', QUIET), blackout(2, 'Almaty', later(QUIET, 1_000))]
    const now = later(QUIET, 120_000)
    const fromConfig = decideNotifications({ config: withWindow, incidents, notified: [], silences: [], now })
    expect(fromConfig.flatMap((b) => b.items.map((item) => item.incident.region))).toEqual(['Almaty'])
    const fromApi = decideNotifications({
      config,
      incidents,
      notified: [],
      silences: [{ kinds: ['blackout'], start: QUIET, end: later(QUIET, 3_600_000) }],
      now,
    })
    expect(fromApi).toEqual([])
    // Once the silence ends, what is still firing is told.
    const after = decideNotifications({
      config,
      incidents,
      notified: [],
      silences: [{ kinds: ['blackout'], start: QUIET, end: later(QUIET, 3_600_000) }],
      now: later(QUIET, 3_600_000),
    })
    expect(after).toHaveLength(1)
  })

  it('gives the same message the same idempotency key, whatever the order of its incidents', () => {
    const incidents = [blackout(2, 'Almaty', QUIET), blackout(1, 'Aktau', QUIET)]
    const now = later(QUIET, 60_000)
    const [a] = decideNotifications({ config, incidents, notified: [], silences: [], now })
    const [b] = decideNotifications({
      config,
      incidents: [...incidents].reverse(),
      notified: [],
      silences: [],
      now,
    })
    expect(idempotencyKey(a!)).toMatch(/^[0-9a-f]{64}$/)
    expect(idempotencyKey(b!)).toBe(idempotencyKey(a!))
    // Another version of the same incidents is another message.
    const [c] = decideNotifications({
      config,
      incidents: incidents.map((incident) => ({ ...incident, level: 'warning' as const })),
      notified: [],
      silences: [],
      now,
    })
    expect(idempotencyKey(c!)).not.toBe(idempotencyKey(a!))
    expect(toOutboxRow(a!, config, now).items).toEqual(['1:firing:critical', '2:firing:critical'])
  })

  it('backs off exponentially up to a ceiling', () => {
    const backoff = { baseMs: 5_000, maxMs: 60_000 }
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelay(n, backoff))).toEqual([
      5_000, 10_000, 20_000, 40_000, 60_000, 60_000,
    ])
  })
})

describe('email content', () => {
  const config = testConfig()

  it('escapes untrusted text in the HTML part and never links a javascript: URL', () => {
    const report = detention(7, 1, RALLY, '<script>alert("x")</script> Задержания в Алматы')
    report.evidence.sources = [{ title: 'bad', url: 'javascript:alert(1)' }]
    report.evidence.people = ['<img src=x onerror=alert(1)>']
    const [bundle] = decideNotifications({
      config,
      incidents: [report],
      notified: [],
      silences: [],
      now: RALLY,
    })
    const email = renderEmail(bundle!, config)
    expect(email.html).not.toContain('<script>')
    expect(email.html).not.toContain('<img')
    expect(email.html).not.toContain('href="javascript:')
    expect(email.html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; Задержания в Алматы')
    expect(email.text).toContain('<script>alert("x")</script> Задержания в Алматы')
  })

  it('tells a new detention report from an update, with the count, names, evidence and every source', () => {
    const first = decideNotifications({
      config,
      incidents: [detention(7, 1, RALLY)],
      notified: [],
      silences: [],
      now: RALLY,
    })
    const fresh = renderEmail(first[0]!, config)
    expect(fresh.subject).toBe('[WARNING] Detentions reported: at least 100 in Almaty on 2019-07-06')
    expect(fresh.text).toContain('Status: new report')
    expect(fresh.text).toContain('Named: Aigerim Tleuzhan')
    expect(fresh.text).toContain('Evidence: Police detained about 700 people at the rally in Almaty.')
    expect(fresh.text).toContain('https://rus.azattyq.org/a/30042123.html')
    expect(fresh.text).toContain('https://vlast.kz/novosti/34700.html')
    expect(fresh.text).not.toMatch(/update/i)

    const updated = decideNotifications({
      config,
      incidents: [detention(7, 2, RALLY)],
      notified: [told(7, 'firing', 'v1', RALLY)],
      silences: [],
      now: later(RALLY, 1_000),
    })
    expect(updated.map((b) => b.event)).toEqual(['update'])
    const update = renderEmail(updated[0]!, config)
    expect(update.subject).toBe('[WARNING] Update: detentions reported: about 700 in Almaty on 2019-07-06')
    expect(update.text).toContain('Status: update (version 2 of this report)')
    expect(update.text).not.toContain('new report')
  })

  it('builds an Alertmanager version 4 webhook payload', () => {
    const hooks = testConfig({ webhookUrl: 'http://127.0.0.1:9/alerts' })
    const incidents = [blackout(1, 'Almaty', RALLY), blackout(2, 'Nur-Sultan', RALLY)]
    const bundles = decideNotifications({ config: hooks, incidents, notified: [], silences: [], now: RALLY })
    const webhook = bundles.find((b) => b.channel === 'webhook')!
    const payload = buildWebhookPayload(webhook, hooks)
    expect(payload).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'hooks',
      groupLabels: { kind: 'blackout' },
      commonLabels: { alertname: 'InternetBlackout', kind: 'blackout', severity: 'critical' },
      externalURL: 'http://vigil.example.org:8080/',
    })
    expect(payload.alerts.map((a) => [a.labels.region, a.status, a.startsAt, a.endsAt])).toEqual([
      ['Almaty', 'firing', '2019-07-06T04:02:00.000Z', '0001-01-01T00:00:00Z'],
      ['Nur-Sultan', 'firing', '2019-07-06T04:02:00.000Z', '0001-01-01T00:00:00Z'],
    ])
    expect(payload.alerts[0]!.fingerprint).toMatch(/^[0-9a-f]{16}$/)
    expect(payload.alerts[0]!.annotations.summary).toBe('Internet blackout in Almaty')
  })
})
