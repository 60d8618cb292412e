import {
  type DetectionSettings,
  decideIncident,
  detectDnsTampering,
  detectThrottling,
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
