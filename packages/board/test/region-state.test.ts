// Region states from open incidents, per kind and scope, on incidents shaped as the store keeps them.
import type { Incident } from '@vigil/store'
import { describe, expect, it } from 'vitest'
import { deriveRegionStates, stateOfIncident } from '../src/region-state.js'

const REGIONS = [
  { name: 'Almaty', country: 'KZ' },
  { name: 'Shymkent', country: 'KZ' },
  { name: 'Bishkek', country: 'KG' },
]
const MEASURED = new Map([
  ['Almaty', 40],
  ['Shymkent', 40],
  ['Bishkek', 40],
])

let nextId = 1
function incident(overrides: Partial<Incident>): Incident {
  const at = new Date('2019-06-09T04:00:00Z')
  return {
    id: nextId++,
    identity: `${overrides.kind ?? 'blackout'}|region|${overrides.region ?? 'Almaty'}`,
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

function stateOf(open: Incident[], region = 'Almaty', samples = MEASURED) {
  return deriveRegionStates({ regions: REGIONS, open, samples }).find((state) => state.region === region)!
}

describe('deriveRegionStates', () => {
  it('maps each network kind to its state', () => {
    expect(stateOf([incident({ kind: 'blackout' })]).state).toBe('blackout')
    expect(stateOf([incident({ kind: 'throttling' })]).state).toBe('throttled')
    expect(stateOf([incident({ kind: 'service_blocking' })]).state).toBe('blocked_services')
    expect(stateOf([incident({ kind: 'dns_tampering' })]).state).toBe('blocked_services')
    expect(stateOf([incident({ kind: 'https_interception' })]).state).toBe('degraded')
  })

  it('tells a mobile-only blackout by its evidence or its identity', () => {
    expect(stateOf([incident({ evidence: { mobileOnly: true } })]).state).toBe('mobile_only_blackout')
    expect(stateOf([incident({ evidence: { networkType: 'mobile' } })]).state).toBe('mobile_only_blackout')
    expect(stateOf([incident({ identity: 'blackout|region|Almaty|mobile' })]).state).toBe(
      'mobile_only_blackout',
    )
    // "mobile" inside another word is not the marker.
    expect(stateOf([incident({ identity: 'blackout|region|Almaty|automobile' })]).state).toBe('blackout')
  })

  it('takes the worst of several incidents and dates it from the first of them to fire', () => {
    const early = incident({ kind: 'throttling', firingAt: new Date('2019-06-09T03:00:00Z') })
    const first = incident({ kind: 'blackout', firingAt: new Date('2019-06-09T04:10:00Z') })
    const second = incident({
      kind: 'blackout',
      identity: 'blackout|region|Almaty|AS9198',
      firingAt: new Date('2019-06-09T04:05:00Z'),
    })
    const state = stateOf([early, first, second])
    expect(state.state).toBe('blackout')
    expect(state.since?.toISOString()).toBe('2019-06-09T04:05:00.000Z')
    expect(state.incidentIds.sort()).toEqual([first.id, second.id].sort())
  })

  it('applies a country-wide incident to the regions of that country only', () => {
    const countryWide = incident({
      scopeType: 'country',
      scope: 'KZ',
      region: null,
      identity: 'blackout|country|KZ',
    })
    expect(stateOf([countryWide], 'Almaty').state).toBe('blackout')
    expect(stateOf([countryWide], 'Shymkent').state).toBe('blackout')
    expect(stateOf([countryWide], 'Bishkek').state).toBe('ok')
  })

  it('ignores incidents about people, and incidents of other regions', () => {
    expect(stateOf([incident({ kind: 'detention_report', scopeType: 'report' })]).state).toBe('ok')
    expect(stateOf([incident({ region: 'Shymkent', scope: 'Shymkent' })], 'Almaty').state).toBe('ok')
    expect(
      stateOf([incident({ kind: 'monitor_offline', scopeType: 'vantage', region: 'Shymkent' })]).state,
    ).toBe('ok')
  })

  it('is no_data, never ok, while a monitor of the region cannot reach anything', () => {
    const offline = incident({ kind: 'monitor_offline', scopeType: 'vantage', scope: 'kz-almaty-1' })
    const second = incident({ kind: 'monitor_offline', scopeType: 'vantage', scope: 'kz-almaty-2' })
    const state = stateOf([offline, second])
    expect(state.state).toBe('no_data')
    expect(state.incidentIds.sort()).toEqual([offline.id, second.id].sort())
    // A network incident of the region still says more than the monitor's silence.
    expect(stateOf([offline, incident({ kind: 'blackout' })]).state).toBe('blackout')
  })

  it("is degraded, never ok, when most of a region's recent probes fail and no incident says why yet", () => {
    const shares = (almaty: number) =>
      deriveRegionStates({
        regions: REGIONS,
        open: [],
        samples: MEASURED,
        shares: new Map([['Almaty', almaty]]),
      })[0]!.state
    for (const share of [0, 0.2, 0.49]) expect(shares(share)).toBe('degraded')
    for (const share of [0.5, 0.9, 1]) expect(shares(share)).toBe('ok')
  })

  it('fails closed: an unknown kind is degraded and a pending blackout is degraded, never ok', () => {
    expect(stateOf([incident({ kind: 'route_leak' as Incident['kind'] })]).state).toBe('degraded')
    expect(stateOfIncident(incident({ state: 'pending' }))).toBe('degraded')
    expect(stateOf([incident({ state: 'pending' })]).state).toBe('degraded')
  })

  it('is no_data without measurements and without incidents, but an incident wins over missing data', () => {
    const none = new Map<string, number>()
    expect(stateOf([], 'Almaty', none).state).toBe('no_data')
    expect(stateOf([incident({})], 'Almaty', none).state).toBe('blackout')
  })

  it('dates an ok region from the last resolution that concerned it', () => {
    const resolved = [
      incident({ state: 'resolved', resolvedAt: new Date('2019-06-09T06:00:00Z') }),
      incident({ state: 'resolved', resolvedAt: new Date('2019-06-09T07:30:00Z'), kind: 'throttling' }),
      incident({ state: 'resolved', resolvedAt: new Date('2019-06-09T09:00:00Z'), region: 'Shymkent' }),
    ]
    const [almaty] = deriveRegionStates({ regions: REGIONS, open: [], resolved, samples: MEASURED })
    expect(almaty).toEqual({
      region: 'Almaty',
      state: 'ok',
      since: new Date('2019-06-09T07:30:00Z'),
      incidentIds: [],
    })
  })
})
