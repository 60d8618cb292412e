// The board's region states from the blackouts detection really produces: a region's mobile networks dark
// with its fixed ones up is `mobile_only_blackout`, the whole region dark is `blackout`, a monitor offline
// is `no_data`, and one dark region leaves the others (and the country) as they are.
import { type DetectionSettings, detectBlackouts, type SeriesSample } from '@vigil/detect'
import type { Incident } from '@vigil/store'
import { describe, expect, it } from 'vitest'
import { deriveRegionStates } from '../src/region-state.js'

const settings: DetectionSettings = {
  blackout: {
    warning: 0.8,
    critical: 0.5,
    resolveAbove: 0.9,
    minTargets: 2,
    minVantages: 1,
    minSamples: 3,
    requireControlFailure: true,
  },
  blocking: { failureShare: 0.8, controlSuccessShare: 0.8, minSamples: 2 },
  throttling: { factor: 3, minSamples: 3 },
  silenceAfterMs: 5 * 60_000,
  monitorOffline: { group: 'control', failureShare: 0.75 },
  controlGroups: { social: 'control' },
}
const now = new Date('2019-06-09T04:10:00Z')
const REGIONS = [
  { name: 'Almaty', country: 'KZ' },
  { name: 'Shymkent', country: 'KZ' },
]

function round(
  vantageId: string,
  region: string,
  networkType: 'mobile' | 'fixed',
  asn: number,
  ok: boolean,
): SeriesSample[] {
  return ['facebook', 'telegram', 'wikipedia', 'example'].map((targetId) => {
    const control = targetId === 'wikipedia' || targetId === 'example'
    return {
      vantageId,
      vantageRole: 'in_country',
      targetId,
      kind: 'https',
      group: control ? 'control' : 'social',
      purpose: control ? 'control' : 'service',
      region,
      asn,
      networkType,
      ok,
      failure: ok ? null : 'generic_timeout_error',
      durationMs: ok ? 90 : null,
      measuredAt: now,
    }
  })
}

function states(samples: SeriesSample[]) {
  const open: Incident[] = detectBlackouts({
    country: 'KZ',
    samples,
    history: [],
    liveness: [],
    settings,
    now,
  })
    .signals.filter((s) => s.level !== null)
    .map((s, i) => ({
      id: i + 1,
      identity: s.identity,
      kind: s.kind,
      scopeType: s.scopeType,
      scope: s.scope,
      region: s.region,
      vantageId: s.vantageId,
      level: s.level!,
      state: 'firing',
      summary: s.summary,
      evidence: s.evidence,
      startedAt: now,
      firingAt: now,
      resolvedAt: null,
      lastSeenAt: now,
    }))
  const samplesPerRegion = new Map(REGIONS.map((r) => [r.name, 40]))
  return deriveRegionStates({ regions: REGIONS, open, samples: samplesPerRegion }).map(
    (r) => `${r.region} ${r.state}`,
  )
}

const shymkent = round('kz-shymkent-1', 'Shymkent', 'fixed', 9198, true)

describe('region states from detected blackouts', () => {
  it('mobile networks dark, fixed up: mobile-only blackout; the other region stays ok', () => {
    expect(
      states([
        ...round('kz-almaty-kcell', 'Almaty', 'mobile', 29355, false),
        ...round('kz-almaty-beeline', 'Almaty', 'mobile', 21299, false),
        ...round('kz-almaty-ktel', 'Almaty', 'fixed', 9198, true),
        ...shymkent,
      ]),
    ).toEqual(['Almaty mobile_only_blackout', 'Shymkent ok'])
  })

  it('every network of the region dark: blackout; its lone vantage dark with no other evidence: no data', () => {
    expect(
      states([
        ...round('kz-almaty-kcell', 'Almaty', 'mobile', 29355, false),
        ...round('kz-almaty-ktel', 'Almaty', 'fixed', 9198, false),
        ...shymkent,
      ]),
    ).toEqual(['Almaty blackout', 'Shymkent ok'])
    expect(states([...round('kz-almaty-ktel', 'Almaty', 'fixed', 9198, false), ...shymkent])).toEqual([
      'Almaty no_data',
      'Shymkent ok',
    ])
  })
})
