// A feed title carrying U+202E (RIGHT-TO-LEFT OVERRIDE) and its kin once reached emails unchanged, turning a
// count or a city around on the reader's screen. Every rendered text loses them: subject, text and HTML
// parts, and every string of the webhook payload.
import { buildWebhookPayload, type NotificationBundle, renderEmail } from '@vigil/notify'
import type { Incident } from '@vigil/store'
import { describe, expect, it } from 'vitest'
import { testConfig } from './support.js'

const BIDI = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/
const AT = new Date('2019-07-06T08:00:00Z')

function report(id: number, title: string): Incident {
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
      version: 1,
      day: '2019-07-06',
      cities: ['Almaty'],
      count: { value: 700, qualifier: 'approx' },
      people: ['\u2067Aigerim\u2069 Tleuzhan'],
      title,
      evidence: `${title}.`,
      sources: [{ source: 'feed\u200F', title, url: 'https://news.example.org/a' }],
    },
    startedAt: AT,
    firingAt: AT,
    resolvedAt: null,
    lastSeenAt: AT,
  } as Incident
}

describe('bidirectional controls from feeds', () => {
  const titles = [
    'Задержаны \u202E007 ,ытамлА\u202C человек',
    '\u202Dprotesters\u202C detained \u202Aat\u202C \u202Bthe rally\u202C',
    'Арестованы \u061Cжурналисты\u200E',
  ]
  const bundle = (channel: 'email' | 'webhook'): NotificationBundle => ({
    receiver: channel === 'email' ? 'monitors' : 'hooks',
    channel,
    groupKey: 'monitors/0:{kind="detention_report"}',
    kind: 'detention_report',
    event: 'firing',
    items: titles.map((title, index) => ({
      incident: report(index + 1, title),
      event: 'firing',
      version: 'v1',
      at: AT,
    })),
  })

  it('are removed from the subject, the text and the HTML of an email', () => {
    const email = renderEmail(bundle('email'), testConfig())
    for (const part of [email.subject, email.text, email.html]) expect(part).not.toMatch(BIDI)
    expect(email.text).toContain('Задержаны 007 ,ытамлА человек')
    expect(email.text).toContain('protesters detained at the rally')
  })

  it('are removed from every string of a webhook payload', () => {
    const payload = buildWebhookPayload(
      bundle('webhook'),
      testConfig({ webhookUrl: 'http://127.0.0.1:9/hook' }),
    )
    expect(JSON.stringify(payload)).not.toMatch(BIDI)
    expect(payload.alerts[0]!.annotations.summary).toBe('Задержаны 007 ,ытамлА человек')
  })
})
