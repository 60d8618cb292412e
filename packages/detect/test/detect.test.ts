import {
  type DetectionSettings,
  decideIncident,
  detectBlackouts,
  detectDnsTampering,
  detectServiceBlocking,
  detectThrottling,
  type HistoryBucket,
  type SeriesSample,
} from '@vigil/detect'
import { describe, expect, it } from 'vitest'

const settings: DetectionSettings = {
  blackout: {
    warning: 0.8,
    critical: 0.5,
    resolveAbove: 0.9,
    minTargets: 2,
    minVantages: 1,
    minSamples: 4,
    requireControlFailure: true,
  },
  blocking: { failureShare: 0.8, controlSuccessShare: 0.8, minSamples: 2 },
  throttling: { factor: 3, minSamples: 3 },
  silenceAfterMs: 5 * 60_000,
  monitorOffline: { group: 'control', failureShare: 0.75 },
  controlGroups: { social: 'control' },
}
const now = new Date('2019-07-06T04:10:00Z')

function sample(overrides: Partial<SeriesSample>): SeriesSample {
  return {
    vantageId: 'kz-almaty-1',
    vantageRole: 'in_country',
    targetId: 'facebook',
    kind: 'https',
    group: 'social',
    purpose: 'service',
    region: 'Almaty',
    asn: 9198,
    ok: true,
    failure: null,
    durationMs: 100,
    measuredAt: now,
    ...overrides,
  }
}

const down = { ok: false, failure: 'generic_timeout_error' }
const inCountry = (vantageId: string, region: string, ok: boolean) => [
  sample({ vantageId, region, targetId: 'facebook', ...(ok ? {} : down) }),
  sample({ vantageId, region, targetId: 'youtube', ...(ok ? {} : down) }),
  sample({
    vantageId,
    region,
    targetId: 'wikipedia',
    group: 'control',
    purpose: 'control',
    ...(ok ? {} : down),
  }),
  sample({
    vantageId,
    region,
    targetId: 'example',
    group: 'control',
    purpose: 'control',
    ...(ok ? {} : down),
  }),
]
const outsideIn = (region: string, targets: string[], ok: boolean) =>
  targets.map((targetId) =>
    sample({
      vantageId: 'de-outside',
      vantageRole: 'outside',
      region,
      targetId,
      group: 'in-country',
      purpose: 'outside_in',
      asn: null,
      ...(ok ? {} : down),
    }),
  )
const history = (scope: string, shares: number[]): HistoryBucket[] =>
  shares.map((value, hour) => ({
    scope,
    start: new Date(Date.UTC(2019, 6, 5, hour)),
    share: value,
    samples: 10,
  }))

describe('detectBlackouts', () => {
  it('fires critical for a region whose in-country endpoints all stop answering from abroad', () => {
    const samples = [
      ...outsideIn('Almaty', ['gov-kz', 'tengrinews', 'kcell'], false),
      ...outsideIn('Aktau', ['aktau-isp', 'aktau-news'], true),
      // The outside vantage's own control answers: the monitor is fine.
      sample({
        vantageId: 'de-outside',
        vantageRole: 'outside',
        region: null,
        targetId: 'wikipedia',
        group: 'control',
        purpose: 'control',
        asn: null,
      }),
      sample({
        vantageId: 'de-outside',
        vantageRole: 'outside',
        region: null,
        targetId: 'example',
        group: 'control',
        purpose: 'control',
        asn: null,
      }),
    ]
    const { signals, offlineVantages } = detectBlackouts({
      country: 'KZ',
      samples,
      history: history('region:Almaty', [1, 1, 0.9, 1]),
      liveness: [],
      settings: { ...settings, blackout: { ...settings.blackout, minSamples: 3 } },
      now,
    })
    const almaty = signals.find((s) => s.identity === 'blackout|region|Almaty')!
    expect(almaty.level).toBe('critical')
    expect(almaty.evidence).toMatchObject({
      share: 0,
      baseline: 1,
      failingTargets: ['gov-kz', 'kcell', 'tengrinews'],
      outsideInFailing: 3,
    })
    const aktau = signals.find((s) => s.identity === 'blackout|region|Aktau')!
    expect(aktau.level).toBeNull()
    expect(offlineVantages.size).toBe(0)
  })

  it('calls a lone vantage that loses everything offline, not a blackout', () => {
    const { signals, offlineVantages } = detectBlackouts({
      country: 'KZ',
      samples: inCountry('kz-almaty-1', 'Almaty', false),
      history: [],
      liveness: [],
      settings,
      now,
    })
    expect([...offlineVantages]).toEqual(['kz-almaty-1'])
    expect(signals.filter((s) => s.level !== null).map((s) => s.identity)).toEqual([
      'monitor_offline|vantage|kz-almaty-1',
    ])
  })

  it('confirms the same loss as a blackout when another vantage in the region sees it', () => {
    const samples = [
      ...inCountry('kz-almaty-1', 'Almaty', false),
      ...outsideIn('Almaty', ['gov-kz', 'kcell'], false),
    ]
    const { signals, offlineVantages } = detectBlackouts({
      country: 'KZ',
      samples,
      history: [],
      liveness: [],
      settings,
      now,
    })
    expect(offlineVantages.size).toBe(0)
    const almaty = signals.find((s) => s.identity === 'blackout|region|Almaty')!
    expect(almaty.level).toBe('critical')
    expect(almaty.evidence.failingVantages).toEqual(['de-outside', 'kz-almaty-1'])
    expect(signals.find((s) => s.kind === 'monitor_offline' && s.level !== null)).toBeUndefined()
  })

  it('does not call blocked services a blackout while the control set answers', () => {
    const samples = [
      sample({ targetId: 'facebook', ...down }),
      sample({ targetId: 'youtube', ...down }),
      sample({ targetId: 'instagram', ...down }),
      sample({ targetId: 'wikipedia', group: 'control', purpose: 'control' }),
      sample({ targetId: 'example', group: 'control', purpose: 'control' }),
    ]
    const { signals } = detectBlackouts({ country: 'KZ', samples, history: [], liveness: [], settings, now })
    const almaty = signals.find((s) => s.identity === 'blackout|region|Almaty')!
    expect(almaty.level).toBeNull()
    expect(almaty.recovered).toBe(false)
    expect(almaty.evidence.controlFailing).toBe(false)
    const blocking = detectServiceBlocking(samples, settings, new Set())
    expect(blocking[0]).toMatchObject({
      identity: 'service_blocking|vantage|kz-almaty-1|social',
      level: 'critical',
    })
    expect(blocking[0]!.evidence.blockedTargets).toEqual(['facebook', 'instagram', 'youtube'])
  })

  it('measures the drop against the baseline: a region that is usually half up is not dark at half', () => {
    const samples = [...outsideIn('Atyrau', ['a', 'b'], true), ...outsideIn('Atyrau', ['c', 'd'], false)]
    const usual = detectBlackouts({
      country: 'KZ',
      samples,
      history: history('region:Atyrau', [0.5, 0.5, 0.6, 0.5]),
      liveness: [],
      settings,
      now,
    })
    expect(usual.signals.find((s) => s.identity === 'blackout|region|Atyrau')!.level).toBeNull()
    const fresh = detectBlackouts({ country: 'KZ', samples, history: [], liveness: [], settings, now })
    expect(fresh.signals.find((s) => s.identity === 'blackout|region|Atyrau')!.level).toBe('warning')
  })

  it('counts in-country vantages of a region falling silent together as a blackout', () => {
    const liveness = [
      {
        vantageId: 'kz-uralsk-1',
        role: 'in_country' as const,
        region: 'Uralsk',
        lastSeenAt: new Date(now.getTime() - 20 * 60_000),
      },
      {
        vantageId: 'kz-uralsk-2',
        role: 'in_country' as const,
        region: 'Uralsk',
        lastSeenAt: new Date(now.getTime() - 15 * 60_000),
      },
      { vantageId: 'kz-almaty-1', role: 'in_country' as const, region: 'Almaty', lastSeenAt: now },
    ]
    const { signals } = detectBlackouts({
      country: 'KZ',
      samples: inCountry('kz-almaty-1', 'Almaty', true),
      history: [],
      liveness,
      settings,
      now,
    })
    const uralsk = signals.find((s) => s.identity === 'blackout|region|Uralsk')!
    expect(uralsk.level).toBe('critical')
    expect(uralsk.evidence.silentVantages).toEqual(['kz-uralsk-1', 'kz-uralsk-2'])
    expect(signals.find((s) => s.identity === 'blackout|region|Almaty')!.level).toBeNull()
  })
})

describe('vantage signals', () => {
  it('flags DNS tampering per vantage, suppressed for an offline vantage', () => {
    const samples = [
      sample({ kind: 'dns', targetId: 'facebook', ok: false, failure: 'dns_tampering' }),
      sample({ kind: 'dns', targetId: 'twitter', ok: false, failure: 'dns_tampering' }),
      sample({ kind: 'dns', targetId: 'wikipedia' }),
    ]
    expect(detectDnsTampering(samples, new Set())[0]).toMatchObject({
      level: 'warning',
      evidence: { tamperedTargets: ['facebook', 'twitter'] },
    })
    expect(detectDnsTampering(samples, new Set(['kz-almaty-1']))).toEqual([])
  })

  it('flags throttling when several targets are far slower than their baseline', () => {
    const windows = ['facebook', 'youtube', 'wikipedia'].map((targetId) => ({
      vantageId: 'kz-almaty-1',
      targetId,
      kind: 'https',
      group: 'social',
      region: 'Almaty',
      medianMs: targetId === 'wikipedia' ? 110 : 2_000,
      samples: 5,
    }))
    const baselines = windows.map((w) => ({
      vantageId: w.vantageId,
      targetId: w.targetId,
      kind: w.kind,
      medianMs: 150,
      samples: 100,
    }))
    const [signal] = detectThrottling(windows, baselines, settings, new Set())
    expect(signal!.level).toBe('warning')
    expect((signal!.evidence.slow as Array<{ target: string }>).map((s) => s.target)).toEqual([
      'facebook',
      'youtube',
    ])
  })
})

describe('decideIncident', () => {
  const firingSignal = {
    identity: 'blackout|region|Almaty',
    kind: 'blackout' as const,
    scopeType: 'region' as const,
    scope: 'Almaty',
    region: 'Almaty',
    vantageId: null,
    summary: 'x',
    evidence: { share: 0 },
  }
  const timing = { forMs: 60_000, resolveAfterMs: 300_000, flapping: false }

  it('opens pending, fires after the for duration, and stays firing between the thresholds', () => {
    expect(
      decideIncident(undefined, { ...firingSignal, level: 'critical', recovered: false }, now, timing),
    ).toMatchObject({ action: 'raise', state: 'pending' })
    const pending = {
      state: 'pending' as const,
      level: 'critical' as const,
      startedAt: new Date(now.getTime() - 61_000),
      evidence: {},
    }
    expect(
      decideIncident(pending, { ...firingSignal, level: 'critical', recovered: false }, now, timing),
    ).toMatchObject({ action: 'raise', state: 'firing' })
    const firing = { ...pending, state: 'firing' as const }
    expect(
      decideIncident(firing, { ...firingSignal, level: null, recovered: false }, now, timing),
    ).toMatchObject({ action: 'raise', state: 'firing', level: 'critical' })
  })

  it('drops a pending incident whose signal went away, and resolves a firing one only after it stayed recovered', () => {
    const pending = { state: 'pending' as const, level: 'warning' as const, startedAt: now, evidence: {} }
    expect(
      decideIncident(pending, { ...firingSignal, level: null, recovered: true }, now, timing).action,
    ).toBe('resolve')
    const firing = {
      state: 'firing' as const,
      level: 'critical' as const,
      startedAt: new Date(0),
      evidence: {},
    }
    const first = decideIncident(firing, { ...firingSignal, level: null, recovered: true }, now, timing)
    expect(first).toMatchObject({ action: 'raise', evidence: { recoveringSince: now.toISOString() } })
    const recovering = { ...firing, evidence: (first as { evidence: Record<string, unknown> }).evidence }
    const later = new Date(now.getTime() + 300_000)
    expect(
      decideIncident(recovering, { ...firingSignal, level: null, recovered: true }, later, timing).action,
    ).toBe('resolve')
    expect(
      decideIncident(recovering, { ...firingSignal, level: null, recovered: true }, later, {
        ...timing,
        flapping: true,
      }).action,
    ).toBe('raise')
  })
})
