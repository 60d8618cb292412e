// Service blocking and throttling in words, from the evidence the real detectors write: which service, how
// it was stopped, what the control saw; how slow, against which baseline, or that there is none yet.
import {
  type DetectionSettings,
  detectServiceBlocking,
  detectThrottling,
  type SeriesSample,
  type Signal,
} from '@vigil/detect'
import { describeEvidence } from '@vigil/notify'
import type { Incident } from '@vigil/store'
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
  blocking: { failureShare: 0.8, controlSuccessShare: 0.8, minSamples: 3, minFailures: 2 },
  throttling: { factor: 3, minSamples: 3, minExtraMs: 200, slowBodyBitsPerSecond: 1_000_000 },
  silenceAfterMs: 300_000,
  monitorOffline: { group: 'control', failureShare: 0.75 },
  controlGroups: { social: 'control' },
}
const at = new Date('2019-07-06T04:10:00Z')

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
    durationMs: 120,
    measuredAt: at,
    windowSamples: 3,
    windowFailures: 0,
    ...overrides,
  }
}

function incidentOf(signal: Signal): Incident {
  return {
    id: 1,
    identity: signal.identity,
    kind: signal.kind,
    scopeType: signal.scopeType,
    scope: signal.scope,
    region: signal.region,
    vantageId: signal.vantageId,
    level: signal.level ?? 'warning',
    state: 'firing',
    summary: signal.summary,
    evidence: signal.evidence,
    startedAt: at,
    firingAt: at,
    resolvedAt: null,
    lastSeenAt: at,
  }
}

const control = [
  sample({ targetId: 'wikipedia', group: 'control', purpose: 'control' }),
  sample({ targetId: 'example', group: 'control', purpose: 'control' }),
]

describe('service blocking in words', () => {
  it('names the service, the failing layer and what the control vantage saw', () => {
    const signals = detectServiceBlocking(
      [
        sample({
          targetId: 'twitter',
          kind: 'tcp',
          ok: false,
          failure: 'connection_refused',
          windowFailures: 2,
        }),
        sample({
          targetId: 'twitter',
          kind: 'https',
          ok: false,
          failure: 'connection_refused',
          windowFailures: 2,
        }),
        sample({ targetId: 'twitter', vantageId: 'de-control', vantageRole: 'control', region: null }),
        sample({ targetId: 'youtube' }),
        sample({ targetId: 'vk' }),
        ...control,
      ],
      settings,
      new Set(),
    )
    const twitter = signals.find((s) => s.level !== null)!
    expect(describeEvidence(incidentOf(twitter))).toEqual([
      { label: 'Service', value: 'twitter' },
      { label: 'Service group', value: 'social' },
      { label: 'Blocked in the group', value: '33% of 3 services probed from this vantage' },
      { label: 'Control group', value: 'control: 100% answer' },
      { label: 'Blocked (1)', value: 'twitter: connection_refused at tcp; answers from the control vantage' },
      { label: 'Failures', value: 'connection_refused ×1' },
    ])
  })

  it('lists every service of a blocked group with its block page', () => {
    const signals = detectServiceBlocking(
      ['facebook', 'instagram', 'vk']
        .map((targetId) =>
          sample({ targetId, ok: false, failure: 'http_blockpage', blockPage: 'access-restricted-kk' }),
        )
        .concat(control),
      settings,
      new Set(),
    )
    const group = signals.find((s) => s.level !== null)!
    expect(group.identity).toBe('service_blocking|vantage|kz-almaty-1|social')
    expect(describeEvidence(incidentOf(group))).toContainEqual({
      label: 'Blocked (3)',
      value:
        'facebook: block page "access-restricted-kk" (https), instagram: block page "access-restricted-kk" (https), vk: block page "access-restricted-kk" (https)',
    })
  })

  it('still reads evidence written before services were judged one by one', () => {
    const old = incidentOf(detectServiceBlocking([sample({}), ...control], settings, new Set())[0]!)
    old.evidence = {
      group: 'social',
      controlGroup: 'control',
      failureShare: 0.9,
      controlSuccessShare: 1,
      blockedTargets: ['facebook'],
      failures: { connection_reset: 3 },
    }
    expect(describeEvidence(old)).toContainEqual({ label: 'Failing', value: '90% of its probes' })
    expect(describeEvidence(old)).toContainEqual({ label: 'Targets blocked (1)', value: 'facebook' })
  })
})

describe('throttling in words', () => {
  it('gives the slowdown against the baseline with both thresholds, and says when a series has no baseline yet', () => {
    const window = (targetId: string, medianMs: number) => ({
      vantageId: 'kz-almaty-1',
      targetId,
      kind: 'https',
      group: 'social',
      region: 'Almaty',
      medianMs,
      samples: 5,
    })
    const baseline = (targetId: string) => ({
      vantageId: 'kz-almaty-1',
      targetId,
      kind: 'https',
      medianMs: 150,
      samples: 100,
    })
    const [signal] = detectThrottling(
      [window('facebook', 1_500), window('youtube', 900), window('vk', 1_000)],
      [baseline('facebook'), baseline('youtube')],
      settings,
      new Set(),
    )
    expect(describeEvidence(incidentOf(signal!))).toEqual([
      { label: 'Service group', value: 'social' },
      {
        label: 'Slow targets (2 of 2 compared)',
        value:
          'facebook (https) 1500 ms against 150 ms usually, ×10, youtube (https) 900 ms against 150 ms usually, ×6',
      },
      { label: 'Not compared', value: '1 series: no baseline yet' },
      {
        label: 'Threshold',
        value: '×3 the usual time and at least 200 ms slower; a body below 1 Mbit/s at the timeout',
      },
    ])
  })
})
