// Which subscribers an incident reaches, and the config rule that subscriptions need a public address.
import { parseConfig } from '@vigil/config'
import type { Incident, StatusSubscriber } from '@vigil/store'
import { describe, expect, it } from 'vitest'
import { isPublicIncident } from '../src/public-status.js'
import { subscriberFollows } from '../src/subscriptions.js'

function yaml(extra: string): string {
  return `${[
    'country: KZ',
    'vantage:',
    '  id: v1',
    '  role: in_country',
    '  country: KZ',
    '  region: Almaty',
    '  network:',
    '    asn: 9198',
    'regions:',
    '  - name: Almaty',
    '    timeZone: Asia/Almaty',
    '  - name: Shymkent',
    '    timeZone: Asia/Almaty',
    '  - name: Bishkek',
    '    country: KG',
    '    timeZone: Asia/Bishkek',
    'targetGroups:',
    '  - name: control',
    '    purpose: control',
    '    probes: [http]',
    '    targets:',
    '      - name: example',
    '        url: http://127.0.0.1:9/',
    extra,
  ].join('\n')}\n`
}

const config = parseConfig(
  yaml('api:\n  publicUrl: https://status.example.org/\nstatus:\n  enabled: true'),
  't.yaml',
  {},
)

function incident(overrides: Partial<Incident>): Incident {
  const at = new Date('2019-06-09T04:00:00Z')
  return {
    id: 1,
    identity: 'blackout|region|Almaty',
    kind: 'blackout',
    scopeType: 'region',
    scope: 'Almaty',
    region: 'Almaty',
    vantageId: null,
    level: 'critical',
    state: 'firing',
    summary: '',
    evidence: {},
    startedAt: at,
    firingAt: at,
    resolvedAt: null,
    lastSeenAt: at,
    ...overrides,
  }
}

function subscriber(scopeType: 'country' | 'region', scope: string): StatusSubscriber {
  return {
    id: 1,
    email: 'a@example.org',
    scopeType,
    scope,
    state: 'confirmed',
    requestedAt: new Date(),
    consentAt: new Date(),
    unsubscribedAt: null,
    unsubscribeToken: 'x'.repeat(43),
  }
}

describe('subscriberFollows', () => {
  it('reaches the region and its country, not other regions or countries', () => {
    const almaty = incident({})
    expect(subscriberFollows(config, subscriber('region', 'Almaty'), almaty)).toBe(true)
    expect(subscriberFollows(config, subscriber('country', 'KZ'), almaty)).toBe(true)
    expect(subscriberFollows(config, subscriber('region', 'Shymkent'), almaty)).toBe(false)
    expect(subscriberFollows(config, subscriber('country', 'KG'), almaty)).toBe(false)
  })

  it('reaches every region of the country for a country-wide incident, and a region of its own country', () => {
    const countryWide = incident({
      scopeType: 'country',
      scope: 'KZ',
      region: null,
      identity: 'blackout|country|KZ',
    })
    expect(subscriberFollows(config, subscriber('region', 'Shymkent'), countryWide)).toBe(true)
    expect(subscriberFollows(config, subscriber('region', 'Bishkek'), countryWide)).toBe(false)
    const bishkek = incident({ region: 'Bishkek', scope: 'Bishkek', identity: 'blackout|region|Bishkek' })
    expect(subscriberFollows(config, subscriber('country', 'KG'), bishkek)).toBe(true)
    expect(subscriberFollows(config, subscriber('country', 'KZ'), bishkek)).toBe(false)
  })
})

describe('isPublicIncident', () => {
  it('keeps networks, vantages, monitors and targets private', () => {
    expect(isPublicIncident(incident({}))).toBe(true)
    expect(isPublicIncident(incident({ scopeType: 'network', scope: 'AS9198' }))).toBe(false)
    expect(isPublicIncident(incident({ scopeType: 'vantage', scope: 'v1' }))).toBe(false)
    expect(isPublicIncident(incident({ kind: 'monitor_offline' }))).toBe(false)
    expect(isPublicIncident(incident({ scopeType: 'target', scope: 'telegram' }))).toBe(false)
    expect(isPublicIncident(incident({ kind: 'route_leak' as Incident['kind'] }))).toBe(false)
  })
})

describe('status config', () => {
  it('refuses subscriptions without api.publicUrl, and is off by default', () => {
    expect(() => parseConfig(yaml('status:\n  enabled: true'), 't.yaml', {})).toThrow(/api.publicUrl/)
    expect(
      parseConfig(yaml('status:\n  enabled: true\n  subscriptions: false'), 't.yaml', {}).status.enabled,
    ).toBe(true)
    expect(parseConfig(yaml(''), 't.yaml', {}).status).toMatchObject({
      enabled: false,
      subscribeRatePerHour: 10,
    })
  })
})
