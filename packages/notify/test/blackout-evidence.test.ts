// The words of blackout and monitor-offline evidence, from what detection really produces: a baseline is
// named only when one exists ("no baseline yet" otherwise, older evidence with an assumed 100% included),
// a mobile-only blackout names its dark and still-up networks, and a monitor offline says whether a
// blackout was ruled out. Evidence that does not fit is refused, never half-read.
import { type DetectionSettings, detectBlackouts, type SeriesSample, type Signal } from '@vigil/detect'
import { readEvidence } from '@vigil/model'
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

function round(vantageId: string, networkType: 'mobile' | 'fixed', asn: number, ok: boolean): SeriesSample[] {
  return ['facebook', 'telegram', 'wikipedia', 'example'].map((targetId) => ({
    vantageId,
    vantageRole: 'in_country',
    targetId,
    kind: 'https',
    group: targetId === 'wikipedia' || targetId === 'example' ? 'control' : 'social',
    purpose: targetId === 'wikipedia' || targetId === 'example' ? 'control' : 'service',
    region: 'Almaty',
    asn,
    networkType,
    ok,
    failure: ok ? null : 'generic_timeout_error',
    durationMs: ok ? 90 : null,
    measuredAt: now,
  }))
}

function asIncident(signal: Signal): Incident {
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
    startedAt: now,
    firingAt: now,
    resolvedAt: null,
    lastSeenAt: now,
  }
}

const text = (incident: Incident) =>
  describeEvidence(incident)
    .map((l) => `${l.label}: ${l.value}`)
    .join('\n')

describe('blackout evidence in words', () => {
  it('a mobile-only blackout on a fresh install: no baseline yet, dark and still-up networks named', () => {
    const { signals } = detectBlackouts({
      country: 'KZ',
      samples: [
        ...round('kz-almaty-kcell', 'mobile', 29355, false),
        ...round('kz-almaty-beeline', 'mobile', 21299, false),
        ...round('kz-almaty-ktel', 'fixed', 9198, true),
      ],
      history: [],
      liveness: [],
      settings,
      now,
    })
    const mobile = signals.find((s) => s.identity === 'blackout|region|Almaty|mobile')!
    expect(mobile.level).toBe('critical')
    const words = text(asIncident(mobile))
    expect(words).toContain('Successful probes: 0% of probes succeed; no baseline yet (0 hours of history)')
    expect(words).not.toContain('normally')
    expect(words).toContain('Networks: mobile networks dark, fixed networks up')
    expect(words).toContain('Dark networks: AS21299 mobile, AS29355 mobile')
    expect(words).toContain('Networks still up: AS9198 fixed')
  })

  it('older evidence with an assumed 100% and under three hours of history says no baseline yet', () => {
    for (const hours of [0, 1, 2]) {
      const incident = asIncident({
        identity: 'blackout|region|Almaty',
        kind: 'blackout',
        scopeType: 'region',
        scope: 'Almaty',
        region: 'Almaty',
        vantageId: null,
        level: 'critical',
        recovered: false,
        summary: 'Internet blackout: Almaty',
        evidence: {
          share: 0.1,
          baseline: 1,
          baselineHours: hours,
          ratio: 0.1,
          series: 10,
          failingSeries: 9,
          failingTargets: ['a', 'b'],
          failingVantages: ['v'],
          controlFailing: true,
          outsideInFailing: 0,
          failures: {},
          confirmed: true,
          silentVantages: [],
        },
      })
      expect(text(incident)).toContain(
        `no baseline yet (${hours} ${hours === 1 ? 'hour' : 'hours'} of history)`,
      )
      expect(text(incident)).not.toContain('against 100% normally')
      expect(text({ ...incident, evidence: { ...incident.evidence, baselineHours: 3 } })).toContain(
        'against 100% normally',
      )
    }
  })

  it('a monitor offline says when a blackout of its region could not be ruled out', () => {
    const { signals } = detectBlackouts({
      country: 'KZ',
      samples: round('kz-almaty-1', 'fixed', 9198, false),
      history: [],
      liveness: [],
      settings,
      now,
    })
    const offline = signals.find((s) => s.identity === 'monitor_offline|vantage|kz-almaty-1')!
    expect(offline.level).toBe('warning')
    expect(text(asIncident(offline))).toBe(
      [
        'Control targets: 2 of 2 failing (control)',
        'Blackout: could not be ruled out in Almaty: no outside-in probes of the region and no other vantage there',
      ].join('\n'),
    )
  })

  it('refuses evidence whose baseline is not a number or null', () => {
    const read = readEvidence('blackout', {
      share: 0,
      baseline: '100%',
      baselineHours: 0,
      ratio: null,
      series: 1,
      failingSeries: 1,
      failingTargets: [],
      failingVantages: [],
      controlFailing: null,
      outsideInFailing: 0,
      failures: {},
      confirmed: false,
      silentVantages: [],
    })
    expect(read.evidence).toBeNull()
    expect('problem' in read && read.problem).toMatch(/^baseline:/)
  })
})
