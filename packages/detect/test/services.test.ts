// Service blocking judged per service and per layer, per group, against the control; throttling with a
// relative and an absolute margin, and bodies that drip past the timeout.
import {
  type DetectionSettings,
  type DurationBaseline,
  type DurationWindow,
  detectServiceBlocking,
  detectThrottling,
  type SeriesSample,
  type Signal,
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
  blocking: { failureShare: 0.8, controlSuccessShare: 0.8, minSamples: 3, minFailures: 2 },
  throttling: { factor: 3, minSamples: 3, minExtraMs: 200, slowBodyBitsPerSecond: 1_000_000 },
  silenceAfterMs: 5 * 60_000,
  monitorOffline: { group: 'control', failureShare: 0.75 },
  controlGroups: { social: 'control' },
}
const now = new Date('2019-07-06T04:10:00Z')
const SOCIAL = ['facebook', 'instagram', 'twitter', 'youtube']
const CONTROL = ['wikipedia', 'example']
const KINDS = ['dns', 'tcp', 'tls', 'https'] as const

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
    blockPage: null,
    timeoutPhase: null,
    transferBytesPerSecond: null,
    windowSamples: 4,
    windowFailures: 0,
    ...overrides,
  }
}

/** Every layer of one target from one vantage; `fail` gives the failing kinds their failure. */
function target(
  targetId: string,
  fail: Partial<Record<(typeof KINDS)[number], Partial<SeriesSample>>> = {},
  base: Partial<SeriesSample> = {},
): SeriesSample[] {
  const control = CONTROL.includes(targetId)
  return KINDS.map((kind) =>
    sample({
      targetId,
      kind,
      ...(control ? { group: 'control', purpose: 'control' } : {}),
      ...base,
      ...(fail[kind] ?? {}),
    }),
  )
}

const refused = { ok: false, failure: 'connection_refused', windowFailures: 2 }
const refusedAtEveryLayer = { tcp: refused, tls: refused, https: refused }
const blockPage = {
  https: { ok: false, failure: 'http_blockpage', blockPage: 'access-restricted-ru', windowFailures: 1 },
}
const controls = () => CONTROL.flatMap((name) => target(name))
const raised = (signals: Signal[]) => signals.filter((s) => s.level !== null)
const byIdentity = (signals: Signal[], identity: string) => signals.find((s) => s.identity === identity)

describe('detectServiceBlocking', () => {
  it('raises one service on a block page served with 200 OK, with the pattern as evidence', () => {
    const samples = [
      ...target('facebook', blockPage),
      ...SOCIAL.slice(1).flatMap((name) => target(name)),
      ...controls(),
    ]
    const signals = detectServiceBlocking(samples, settings, new Set())
    expect(raised(signals).map((s) => [s.identity, s.level])).toEqual([
      ['service_blocking|vantage|kz-almaty-1|social|facebook', 'warning'],
    ])
    const facebook = byIdentity(signals, 'service_blocking|vantage|kz-almaty-1|social|facebook')!
    expect(facebook.summary).toBe('Service blocked: facebook (block page access-restricted-ru)')
    expect(facebook.evidence).toMatchObject({
      scope: 'service',
      target: 'facebook',
      blockedTargets: ['facebook'],
      failures: { http_blockpage: 1 },
      services: [
        {
          target: 'facebook',
          kind: 'https',
          failure: 'http_blockpage',
          blockPage: 'access-restricted-ru',
          control: 'none',
        },
      ],
      controlSuccessShare: 1,
    })
    expect(byIdentity(signals, 'service_blocking|vantage|kz-almaty-1|social')!.level).toBeNull()
  })

  it('raises one incident naming the group when the whole group is on block pages', () => {
    const samples = [...SOCIAL.flatMap((name) => target(name, blockPage)), ...controls()]
    const signals = detectServiceBlocking(samples, settings, new Set())
    expect(raised(signals).map((s) => [s.identity, s.level])).toEqual([
      ['service_blocking|vantage|kz-almaty-1|social', 'critical'],
    ])
    expect(raised(signals)[0]!.evidence).toMatchObject({
      scope: 'group',
      failureShare: 1,
      judgedTargets: 4,
      blockedTargets: ['facebook', 'instagram', 'twitter', 'youtube'],
      failures: { http_blockpage: 4 },
    })
  })

  it('calls a group refusing connections blocked although its names still resolve (12 of 16 series failing)', () => {
    const samples = [...SOCIAL.flatMap((name) => target(name, refusedAtEveryLayer)), ...controls()]
    const social = samples.filter((s) => s.group === 'social')
    expect(social.filter((s) => !s.ok)).toHaveLength(12)
    expect(social).toHaveLength(16)
    const signals = detectServiceBlocking(samples, settings, new Set())
    expect(raised(signals).map((s) => s.identity)).toEqual(['service_blocking|vantage|kz-almaty-1|social'])
    expect(raised(signals)[0]).toMatchObject({
      level: 'critical',
      evidence: {
        failureShare: 1,
        failures: { connection_refused: 4 },
        services: expect.arrayContaining([
          { target: 'twitter', kind: 'tcp', failure: 'connection_refused', blockPage: null, control: 'none' },
        ]),
      },
    })
  })

  it('does not call one target down everywhere censorship, and leaves it out of the group', () => {
    const outside = { vantageId: 'de-control', vantageRole: 'control' as const, region: null, asn: 24940 }
    const samples = [
      ...target('facebook', refusedAtEveryLayer),
      ...SOCIAL.slice(1).flatMap((name) => target(name)),
      ...controls(),
      // The control vantage abroad cannot reach it either.
      ...target('facebook', refusedAtEveryLayer, outside),
      ...target('twitter', {}, outside),
    ]
    const signals = detectServiceBlocking(samples, settings, new Set())
    expect(raised(signals)).toEqual([])
    expect(byIdentity(signals, 'service_blocking|vantage|kz-almaty-1|social')!.evidence).toMatchObject({
      downEverywhere: ['facebook'],
      judgedTargets: 3,
      failureShare: 0,
    })
    // The down-everywhere service counts as recovered, so an incident opened for it resolves.
    expect(byIdentity(signals, 'service_blocking|vantage|kz-almaty-1|social|facebook')!.recovered).toBe(true)
    // No signal at all for the control vantage itself: it is the reference, not a censored network.
    expect(signals.some((s) => s.vantageId === 'de-control')).toBe(false)
  })

  it('raises one refused target when the control reaches it, and not when nothing can compare', () => {
    const outside = { vantageId: 'de-control', vantageRole: 'control' as const, region: null, asn: 24940 }
    const alone = [
      ...target('twitter', refusedAtEveryLayer),
      ...SOCIAL.filter((name) => name !== 'twitter').flatMap((name) => target(name)),
      ...controls(),
    ]
    expect(raised(detectServiceBlocking(alone, settings, new Set()))).toEqual([])
    const compared = [...alone, ...target('twitter', {}, outside)]
    const signals = detectServiceBlocking(compared, settings, new Set())
    expect(raised(signals).map((s) => s.identity)).toEqual([
      'service_blocking|vantage|kz-almaty-1|social|twitter',
    ])
    expect(raised(signals)[0]!.evidence.services).toEqual([
      { target: 'twitter', kind: 'tcp', failure: 'connection_refused', blockPage: null, control: 'ok' },
    ])
    // Two services failing together from the vantage are a pattern even without a control measurement.
    const two = [
      ...target('twitter', refusedAtEveryLayer),
      ...target('youtube', { https: { ok: false, failure: 'connection_reset', windowFailures: 3 } }),
      ...target('facebook'),
      ...target('instagram'),
      ...controls(),
    ]
    expect(
      raised(detectServiceBlocking(two, settings, new Set()))
        .map((s) => s.identity)
        .sort(),
    ).toEqual([
      'service_blocking|vantage|kz-almaty-1|social|twitter',
      'service_blocking|vantage|kz-almaty-1|social|youtube',
    ])
  })

  it('waits for a connection failure to repeat, and ignores a lower layer failing under a working page', () => {
    const once = { ok: false, failure: 'connection_reset', windowFailures: 1 }
    const samples = [
      ...target('twitter', { tcp: once, tls: once, https: once }),
      ...target('youtube', { tcp: refused }),
      ...target('facebook'),
      ...target('instagram'),
      ...controls(),
    ]
    expect(raised(detectServiceBlocking(samples, settings, new Set()))).toEqual([])
  })

  it('says nothing when the control set fails too: that is the connection, not blocking', () => {
    const samples = [
      ...SOCIAL.flatMap((name) => target(name, refusedAtEveryLayer)),
      ...CONTROL.flatMap((name) => target(name, refusedAtEveryLayer)),
    ]
    const signals = detectServiceBlocking(samples, settings, new Set())
    expect(raised(signals)).toEqual([])
    expect(byIdentity(signals, 'service_blocking|vantage|kz-almaty-1|social')!.evidence).toMatchObject({
      controlSuccessShare: 0,
    })
  })

  it('counts a body dripping past the timeout as reachable, not blocked', () => {
    const drip = {
      https: {
        ok: false,
        failure: 'generic_timeout_error',
        timeoutPhase: 'body',
        transferBytesPerSecond: 16_000,
        windowFailures: 3,
      },
    }
    const samples = [...SOCIAL.flatMap((name) => target(name, drip)), ...controls()]
    expect(raised(detectServiceBlocking(samples, settings, new Set()))).toEqual([])
    // The same timeout with no answer at all (phase headers) is blocking.
    const silent = {
      https: { ...drip.https, timeoutPhase: 'headers', transferBytesPerSecond: null },
    }
    const dark = [...SOCIAL.flatMap((name) => target(name, silent)), ...controls()]
    expect(raised(detectServiceBlocking(dark, settings, new Set())).map((s) => s.identity)).toEqual([
      'service_blocking|vantage|kz-almaty-1|social',
    ])
  })
})

describe('detectThrottling', () => {
  const window = (targetId: string, medianMs: number, kind = 'tcp'): DurationWindow => ({
    vantageId: 'kz-almaty-1',
    targetId,
    kind,
    group: 'social',
    region: 'Almaty',
    medianMs,
    samples: 6,
  })
  const baseline = (targetId: string, medianMs: number, kind = 'tcp', samples = 100): DurationBaseline => ({
    vantageId: 'kz-almaty-1',
    targetId,
    kind,
    medianMs,
    samples,
  })

  it('does not call milliseconds of jitter on a tiny time throttling, although it is ×5', () => {
    const windows = SOCIAL.flatMap((name) => [window(name, 5, 'tcp'), window(name, 5, 'tls')])
    const baselines = SOCIAL.flatMap((name) => [baseline(name, 1, 'tcp'), baseline(name, 1, 'tls')])
    const [signal] = detectThrottling(windows, baselines, settings, new Set())
    expect(signal).toMatchObject({ level: null, recovered: true, evidence: { slow: [], comparedSeries: 8 } })
  })

  it('raises a real ×10 slowdown of several services, with both margins in the evidence', () => {
    const windows = [window('facebook', 1_500), window('youtube', 1_480), window('twitter', 160)]
    const baselines = [baseline('facebook', 150), baseline('youtube', 148), baseline('twitter', 150)]
    const [signal] = detectThrottling(windows, baselines, settings, new Set())
    expect(signal).toMatchObject({
      identity: 'throttling|vantage|kz-almaty-1|social',
      level: 'warning',
      evidence: {
        factorThreshold: 3,
        minExtraMs: 200,
        comparedSeries: 3,
        slow: [
          { target: 'facebook', medianMs: 1_500, baselineMs: 150, factor: 10, cause: 'latency' },
          { target: 'youtube', medianMs: 1_480, baselineMs: 148, factor: 10, cause: 'latency' },
        ],
      },
    })
  })

  it('gives no verdict without enough baseline samples, and says how many series had none', () => {
    const windows = [window('facebook', 1_500), window('youtube', 1_500)]
    const baselines = [baseline('facebook', 150, 'tcp', 2)]
    const [signal] = detectThrottling(windows, baselines, settings, new Set())
    expect(signal).toMatchObject({
      level: null,
      evidence: { comparedSeries: 0, withoutBaseline: 2, slow: [] },
    })
  })

  it('calls a body dripping at 128 kbit/s past the timeout throttling, with its rate', () => {
    const drip = (targetId: string, extra: Partial<SeriesSample> = {}) =>
      sample({
        targetId,
        kind: 'https',
        ok: false,
        failure: 'generic_timeout_error',
        durationMs: 10_000,
        timeoutPhase: 'body',
        transferBytesPerSecond: 16_000,
        windowFailures: 3,
        ...extra,
      })
    const [one] = detectThrottling([], [baseline('twitter', 300, 'https')], settings, new Set(), [
      drip('twitter'),
    ])
    // One slow site alone could be that site's trouble...
    expect(one).toMatchObject({
      level: null,
      recovered: false,
      evidence: {
        slow: [
          {
            target: 'twitter',
            kind: 'https',
            cause: 'slow_body',
            transferBitsPerSecond: 128_000,
            medianMs: 10_000,
            baselineMs: 300,
          },
        ],
      },
    })
    // ...unless the control vantage fetched the same page in full meanwhile.
    const control = sample({
      targetId: 'twitter',
      vantageId: 'de-control',
      vantageRole: 'control',
      region: null,
    })
    const [confirmed] = detectThrottling([], [], settings, new Set(), [drip('twitter'), control])
    expect(confirmed).toMatchObject({
      level: 'warning',
      evidence: {
        slow: [{ target: 'twitter', baselineMs: null, factor: null, transferBitsPerSecond: 128_000 }],
      },
    })
    // Two services dripping is throttling without any control.
    const [two] = detectThrottling([], [], settings, new Set(), [drip('twitter'), drip('facebook')])
    expect(two!.level).toBe('warning')
    // A fast body that still timed out (a huge page) is not slow; a timeout before any byte is not either.
    const fast = drip('twitter', { transferBytesPerSecond: 1_000_000 })
    const none = drip('facebook', { timeoutPhase: 'headers', transferBytesPerSecond: null })
    expect(detectThrottling([], [], settings, new Set(), [fast, none])).toEqual([])
  })
})
