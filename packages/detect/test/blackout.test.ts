// Blackout or monitor offline, decided on evidence: every row of the decision table over a class of
// inputs (how many vantages, which networks, how many endpoints, which probe kinds and failures), the
// mobile-only blackout, the country rule, and a fresh install without a baseline.
import { readFileSync } from 'node:fs'
import {
  type DetectionSettings,
  decideRegion,
  detectBlackouts,
  type HistoryBucket,
  type InsideView,
  type OthersView,
  type OutsideInView,
  REGION_DECISION_TABLE,
  type SeriesSample,
  type Signal,
  type VantageLiveness,
} from '@vigil/detect'
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

/** How one input of a class varies: the probe kinds, the failure string, and how many endpoints. */
interface Variant {
  kinds: string[]
  failure: string
  endpoints: number
  asn: number
  /** The role of the vantage probing from abroad: an outside agent, or the central control vantage. */
  outsideRole: 'outside' | 'control'
}
const VARIANTS: Variant[] = [
  { kinds: ['http'], failure: 'generic_timeout_error', endpoints: 3, asn: 9198, outsideRole: 'outside' },
  { kinds: ['tcp', 'https'], failure: 'connection_reset', endpoints: 2, asn: 29355, outsideRole: 'control' },
  { kinds: ['https'], failure: 'connection_refused', endpoints: 5, asn: 21299, outsideRole: 'outside' },
]

interface VantageSpec {
  id: string
  region: string
  state: 'dark' | 'up' | 'silent'
  networkType?: 'mobile' | 'fixed' | 'unknown'
  asn?: number
}

/** An in-country vantage's latest round: two services and two controls, per probe kind. */
function inCountry(v: VantageSpec, variant: Variant): SeriesSample[] {
  if (v.state === 'silent') return []
  const dark = v.state === 'dark'
  const targets: Array<[string, 'service' | 'control']> = [
    ['facebook', 'service'],
    ['telegram', 'service'],
    ['wikipedia', 'control'],
    ['example', 'control'],
  ]
  return variant.kinds.flatMap((kind) =>
    targets.map(([targetId, purpose]) => ({
      vantageId: v.id,
      vantageRole: 'in_country' as const,
      targetId,
      kind,
      group: purpose === 'control' ? 'control' : 'social',
      purpose,
      region: v.region,
      asn: v.asn ?? variant.asn,
      networkType: v.networkType ?? 'fixed',
      ok: !dark,
      failure: dark ? variant.failure : null,
      durationMs: dark ? null : 80,
      measuredAt: now,
    })),
  )
}

/** The outside vantage: its own two controls (up unless `offline`) and the region's endpoints. */
function outside(
  region: string,
  endpoints: 'failing' | 'answering',
  variant: Variant,
  opts: { offline?: boolean; vantageId?: string } = {},
): SeriesSample[] {
  const vantageId = opts.vantageId ?? 'nl-outside-1'
  const base = {
    vantageId,
    vantageRole: variant.outsideRole,
    asn: 1136,
    networkType: 'unknown' as const,
    durationMs: 40,
    measuredAt: now,
  }
  const controls = ['wikipedia', 'example'].map((targetId) => ({
    ...base,
    targetId,
    kind: 'http',
    group: 'control',
    purpose: 'control' as const,
    region: null,
    ok: !opts.offline,
    failure: opts.offline ? 'network_unreachable' : null,
  }))
  const failing = endpoints === 'failing' || opts.offline
  const probes = variant.kinds.flatMap((kind) =>
    Array.from({ length: variant.endpoints }, (_, i) => ({
      ...base,
      targetId: `${region.toLowerCase()}-endpoint-${i}`,
      kind,
      group: 'kz-endpoints',
      purpose: 'outside_in' as const,
      region,
      ok: !failing,
      failure: failing ? variant.failure : null,
    })),
  )
  return [...controls, ...probes]
}

function liveness(vantages: readonly VantageSpec[]): VantageLiveness[] {
  return vantages.map((v) => ({
    vantageId: v.id,
    role: 'in_country',
    region: v.region,
    networkType: v.networkType ?? 'fixed',
    lastSeenAt: v.state === 'silent' ? new Date(now.getTime() - 20 * 60_000) : now,
  }))
}

/** A healthy second region, always present: nothing in it may change. */
function shymkent(variant: Variant): { samples: SeriesSample[]; vantages: VantageSpec[] } {
  const vantages: VantageSpec[] = [{ id: 'kz-shymkent-1', region: 'Shymkent', state: 'up' }]
  return {
    vantages,
    samples: [
      ...inCountry(vantages[0]!, variant),
      ...outside('Shymkent', 'answering', variant).filter((s) => s.purpose === 'outside_in'),
    ],
  }
}

/**
 * Almaty's vantages for the three views of a class: `count` says how many vantages are dark (inside dark),
 * silent (others), or up besides a dark one (inside up).
 */
function almatyVantages(inside: InsideView, others: OthersView, count: number): VantageSpec[] {
  const v = (n: number, state: VantageSpec['state']): VantageSpec => ({
    id: `kz-almaty-${n}`,
    region: 'Almaty',
    state,
  })
  const list: VantageSpec[] = []
  if (inside === 'dark') {
    list.push(v(1, 'dark'))
    // Others dark or silent: a second dark one, or `count` silent ones.
    if (others === 'dark_or_silent') {
      if (count === 1) list.push(v(2, 'dark'))
      else for (let n = 0; n < count; n++) list.push(v(2 + n, 'silent'))
    }
  } else if (inside === 'up') {
    list.push(v(1, 'dark'))
    for (let n = 0; n < count; n++) list.push(v(2 + n, 'up'))
    if (others === 'dark_or_silent') list.push(v(9, 'silent'))
  } else if (others === 'dark_or_silent') {
    for (let n = 0; n < count; n++) list.push(v(1 + n, 'silent'))
  }
  return list
}

function run(
  inside: InsideView,
  outsideIn: OutsideInView,
  others: OthersView,
  variant: Variant,
  count: number,
  history: HistoryBucket[] = [],
) {
  const almaty = almatyVantages(inside, others, count)
  const healthy = shymkent(variant)
  const samples = [
    ...almaty.flatMap((v) => inCountry(v, variant)),
    ...healthy.samples,
    // The outside vantage's own controls answer in every round.
    ...outside('Almaty', 'answering', variant).filter((s) => s.purpose === 'control'),
  ]
  if (outsideIn !== 'none')
    samples.push(...outside('Almaty', outsideIn, variant).filter((s) => s.purpose === 'outside_in'))
  // No outside-in view: none probed, or (even counts) probed by a second outside vantage that is offline itself.
  else if (count % 2 === 0)
    samples.push(...outside('Almaty', 'failing', variant, { offline: true, vantageId: OFFLINE_OUTSIDE }))
  return detectBlackouts({
    country: 'KZ',
    samples,
    history,
    liveness: liveness([...almaty, ...healthy.vantages]),
    settings,
    now,
  })
}

const OFFLINE_OUTSIDE = 'de-outside-offline'
const find = (signals: readonly Signal[], identity: string) => signals.find((s) => s.identity === identity)
const firing = (signals: readonly Signal[]) =>
  signals
    .filter((s) => s.level !== null)
    .map((s) => `${s.identity} ${s.level}`)
    .sort()

const INSIDE: InsideView[] = ['dark', 'up', 'none']
const OUTSIDE_IN: OutsideInView[] = ['failing', 'answering', 'none']
const OTHERS: OthersView[] = ['dark_or_silent', 'none']

describe('the decision table', () => {
  it('has one row for every combination of the three views, and the README shows the same table', () => {
    for (const inside of INSIDE)
      for (const outsideIn of OUTSIDE_IN)
        for (const others of OTHERS) expect(decideRegion(inside, outsideIn, others).row).toMatch(/^R\d+$/)
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')
    const section = readme.slice(readme.indexOf('## Blackout or monitor offline: the decision table'))
    for (const row of REGION_DECISION_TABLE) {
      const line = section.split('\n').find((l) => l.startsWith(`| ${row.row} `))
      expect(line, row.row).toBeDefined()
      const cells = line!.split('|').map((c) => c.trim())
      const word = (v: string) => (v === '*' ? 'any' : v.replace(/_/g, ' '))
      expect(cells.slice(2, 5)).toEqual([word(row.inside), word(row.outsideIn), word(row.others)])
      const verdict = cells[5]!
      if (row.blackout === null) expect(verdict).not.toMatch(/^blackout/)
      else
        expect(verdict).toMatch(
          new RegExp(`^blackout, ${row.blackout === 'baseline' ? 'critical with' : row.blackout}`),
        )
      if (row.darkVantages === 'monitor_offline' && row.row !== 'R11' && row.row !== 'R12')
        expect(verdict).toContain('monitor offline')
    }
  })

  // Each row over its class of inputs: every variant, and one to three vantages.
  for (const inside of INSIDE)
    for (const outsideIn of OUTSIDE_IN)
      for (const others of OTHERS) {
        const row = decideRegion(inside, outsideIn, others)
        it(`${row.row}: in-country ${inside}, outside-in ${outsideIn}, others ${others}`, () => {
          for (const variant of VARIANTS)
            for (const count of [1, 2, 3]) {
              const context = `${variant.kinds.join('+')} ${variant.failure} ×${variant.endpoints}, ${count}`
              const { signals } = run(inside, outsideIn, others, variant, count)
              const region = find(signals, 'blackout|region|Almaty')
              if (row.row === 'R12') {
                expect(region, context).toBeUndefined()
                continue
              }
              expect(region?.evidence.verdict, context).toBe(row.row)
              const expected = row.blackout === 'baseline' ? 'warning' : row.blackout
              expect(region!.level, context).toBe(expected)
              // An open blackout resolves only where the table rules one out and the region answers
              // (a vantage still dark there is its own monitor offline and does not hold it open).
              expect(region!.recovered, context).toBe(
                row.blackout === null && row.blackoutRuledOut && outsideIn !== 'failing',
              )
              const offline = signals.filter(
                (s) => s.kind === 'monitor_offline' && s.level !== null && s.scope !== OFFLINE_OUTSIDE,
              )
              // A blackout explains its dark vantages; otherwise each dark one is that monitor offline.
              if (row.blackout !== null) expect(offline, context).toEqual([])
              else if (inside === 'dark' || inside === 'up') {
                expect(
                  offline.map((s) => s.identity),
                  context,
                ).toContain('monitor_offline|vantage|kz-almaty-1')
                const evidence = offline.find((s) => s.scope === 'kz-almaty-1')!.evidence
                expect(evidence.blackoutRuledOut, context).toBe(row.blackoutRuledOut)
                expect(evidence.verdict, context).toBe(row.row)
              }
              // One region, whatever its verdict, never makes the country dark; Shymkent stays clear.
              expect(find(signals, 'blackout|country|KZ')!.level, context).toBeNull()
              expect(find(signals, 'blackout|region|Shymkent')!.level, context).toBeNull()
            }
        })
      }

  it('R8: outside-in failure alone is critical when the region has a baseline that shows the drop', () => {
    const history: HistoryBucket[] = [0, 1, 2, 3].map((hour) => ({
      scope: 'region:Almaty',
      start: new Date(Date.UTC(2019, 5, 8, hour)),
      share: 0.97,
      samples: 40,
    }))
    for (const variant of VARIANTS) {
      const { signals } = run('none', 'failing', 'none', variant, 1, history)
      const almaty = find(signals, 'blackout|region|Almaty')!
      expect(almaty.level).toBe('critical')
      expect(almaty.evidence).toMatchObject({ baseline: 0.97, baselineHours: 4, ratio: 0 })
    }
  })
})

describe('the rally-day faults', () => {
  it("Almaty's only sending vantage dark, a second Almaty agent silent, its endpoints failing from abroad: a critical Almaty blackout, no monitor offline, no country", () => {
    for (const variant of VARIANTS) {
      const almaty: VantageSpec[] = [
        { id: 'kz-almaty-1', region: 'Almaty', state: 'dark' },
        { id: 'kz-almaty-2', region: 'Almaty', state: 'silent' },
      ]
      const healthy = shymkent(variant)
      const { signals, offlineVantages } = detectBlackouts({
        country: 'KZ',
        samples: [
          ...inCountry(almaty[0]!, variant),
          ...healthy.samples,
          ...outside('Almaty', 'failing', variant),
        ],
        history: [],
        liveness: liveness([...almaty, ...healthy.vantages]),
        settings,
        now,
      })
      expect(firing(signals)).toEqual(['blackout|region|Almaty critical'])
      const evidence = find(signals, 'blackout|region|Almaty')!.evidence
      expect(evidence).toMatchObject({
        verdict: 'R2',
        evidenceKinds: ['in_country_dark', 'outside_in_failing', 'others_silent'],
        silentVantages: ['kz-almaty-2'],
        baseline: null,
        ratio: null,
        baselineHours: 0,
      })
      // Dark in the blackout: its service findings are void, but it is no monitor offline.
      expect([...offlineVantages]).toEqual(['kz-almaty-1'])
    }
  })

  it('a vantage failing everything while its region answers from abroad and its other vantage is up is that monitor offline', () => {
    for (const variant of VARIANTS) {
      const almaty: VantageSpec[] = [
        { id: 'kz-almaty-1', region: 'Almaty', state: 'dark' },
        { id: 'kz-almaty-2', region: 'Almaty', state: 'up' },
      ]
      const { signals } = detectBlackouts({
        country: 'KZ',
        samples: [
          ...almaty.flatMap((v) => inCountry(v, variant)),
          ...outside('Almaty', 'answering', variant),
        ],
        history: [],
        liveness: liveness(almaty),
        settings,
        now,
      })
      expect(firing(signals)).toEqual(['monitor_offline|vantage|kz-almaty-1 warning'])
      expect(find(signals, 'monitor_offline|vantage|kz-almaty-1')!.evidence).toMatchObject({
        blackoutRuledOut: true,
        region: 'Almaty',
      })
    }
  })
})

describe('mobile-only blackouts', () => {
  const mobile = (n: number, state: VantageSpec['state'], asn: number): VantageSpec => ({
    id: `kz-almaty-mobile-${n}`,
    region: 'Almaty',
    state,
    networkType: 'mobile',
    asn,
  })
  const fixed: VantageSpec = {
    id: 'kz-almaty-fixed',
    region: 'Almaty',
    state: 'up',
    networkType: 'fixed',
    asn: 9198,
  }

  function round(vantages: VantageSpec[], variant: Variant, outsideIn?: 'failing' | 'answering') {
    return detectBlackouts({
      country: 'KZ',
      samples: [
        ...vantages.flatMap((v) => inCountry(v, variant)),
        ...(outsideIn ? outside('Almaty', outsideIn, variant) : []),
      ],
      history: [],
      liveness: liveness(vantages),
      settings,
      now,
    })
  }

  it('mobile networks dark while fixed ones stay up: a mobile-only blackout with per-network evidence', () => {
    for (const variant of VARIANTS) {
      // Kcell and Beeline both dark (two networks), or one dark and one silent (two kinds): critical.
      for (const darkOnes of [
        [mobile(1, 'dark', 29355), mobile(2, 'dark', 21299)],
        [mobile(1, 'dark', 29355), mobile(2, 'silent', 29355)],
      ]) {
        const { signals } = round([...darkOnes, fixed], variant)
        expect(firing(signals)).toEqual(['blackout|region|Almaty|mobile critical'])
        const signal = find(signals, 'blackout|region|Almaty|mobile')!
        expect(signal.summary).toBe('Mobile internet blackout: Almaty')
        expect(signal.scopeType).toBe('region')
        expect(signal.evidence).toMatchObject({
          mobileOnly: true,
          networkType: 'mobile',
          upVantages: ['kz-almaty-fixed (AS9198, fixed)'],
          upNetworks: ['AS9198 fixed'],
        })
        expect(signal.evidence.darkVantages).toHaveLength(2)
        expect((signal.evidence.darkNetworks as string[]).every((n) => n.endsWith(' mobile'))).toBe(true)
        expect(find(signals, 'blackout|region|Almaty')!.level).toBeNull()
      }
      // Two dark on one network, with nothing else agreeing: warning, and that network dark in one region.
      const { signals } = round([mobile(1, 'dark', 29355), mobile(2, 'dark', 29355), fixed], variant)
      expect(firing(signals)).toEqual([
        'blackout|network|AS29355 warning',
        'blackout|region|Almaty|mobile warning',
      ])
    }
  })

  it('mobile vantages dark and the region answering from abroad, no fixed vantage: mobile-only, not a full blackout', () => {
    for (const variant of VARIANTS) {
      const { signals } = round([mobile(1, 'dark', 29355), mobile(2, 'dark', 21299)], variant, 'answering')
      expect(firing(signals)).toEqual(['blackout|region|Almaty|mobile critical'])
      expect(find(signals, 'blackout|region|Almaty')!.evidence.verdict).toBe('R4')
    }
  })

  it('a full blackout is not also reported as mobile-only', () => {
    for (const variant of VARIANTS) {
      const dark = [mobile(1, 'dark', 29355), mobile(2, 'dark', 21299), { ...fixed, state: 'dark' as const }]
      const { signals } = round(dark, variant, 'failing')
      expect(firing(signals)).toEqual(['blackout|region|Almaty critical'])
      expect(find(signals, 'blackout|region|Almaty|mobile')!.level).toBeNull()
    }
  })

  it("the region's only mobile vantage dark while fixed is up is that monitor offline, a mobile-only blackout not ruled out", () => {
    for (const variant of VARIANTS) {
      const { signals } = round([mobile(1, 'dark', 29355), fixed], variant)
      expect(firing(signals)).toEqual(['monitor_offline|vantage|kz-almaty-mobile-1 warning'])
      expect(find(signals, 'monitor_offline|vantage|kz-almaty-mobile-1')!.evidence.blackoutRuledOut).toBe(
        false,
      )
    }
  })

  it('resolves once every mobile vantage answers again', () => {
    const { signals } = round([mobile(1, 'up', 29355), mobile(2, 'up', 21299), fixed], VARIANTS[0]!)
    expect(find(signals, 'blackout|region|Almaty|mobile')).toMatchObject({ level: null, recovered: true })
  })
})

describe('the country scope', () => {
  const REGIONS = ['Almaty', 'Nur-Sultan', 'Shymkent', 'Aktau']
  /** Each region with one vantage and outside-in probes, the `dark` ones failing both ways. */
  function country(dark: string[], variant: Variant, rule?: DetectionSettings['blackout']['country']) {
    const vantages: VantageSpec[] = REGIONS.map((region, i) => ({
      id: `kz-${region.toLowerCase()}-1`,
      region,
      state: dark.includes(region) ? 'dark' : 'up',
      asn: 9198 + i,
    }))
    const samples = [
      ...vantages.flatMap((v) => inCountry(v, variant)),
      ...REGIONS.flatMap((region) =>
        outside(region, dark.includes(region) ? 'failing' : 'answering', variant).filter(
          (s) => s.purpose === 'outside_in' || region === 'Almaty',
        ),
      ),
    ]
    return detectBlackouts({
      country: 'KZ',
      samples,
      history: [],
      liveness: liveness(vantages),
      settings: { ...settings, blackout: { ...settings.blackout, ...(rule ? { country: rule } : {}) } },
      now,
    })
  }

  it("never from one region's series alone, whichever region and however many series it has", () => {
    for (const variant of VARIANTS)
      for (const region of REGIONS) {
        const { signals } = country([region], variant)
        expect(firing(signals)).toEqual([`blackout|region|${region} critical`])
        expect(find(signals, 'blackout|country|KZ')!.evidence).toMatchObject({
          darkRegions: [region],
          regionsWithData: 4,
        })
      }
  })

  it('needs two regions by default; a configured minimum or share of regions with data', () => {
    for (const variant of VARIANTS) {
      const two = country(['Almaty', 'Nur-Sultan'], variant)
      expect(find(two.signals, 'blackout|country|KZ')).toMatchObject({ level: 'critical' })
      expect(find(two.signals, 'blackout|country|KZ')!.evidence.darkRegions).toEqual(['Almaty', 'Nur-Sultan'])
      const three = { minRegions: 3, minNetworks: 2 }
      expect(
        find(country(['Almaty', 'Nur-Sultan'], variant, three).signals, 'blackout|country|KZ')!.level,
      ).toBeNull()
      expect(
        find(country(['Almaty', 'Nur-Sultan', 'Aktau'], variant, three).signals, 'blackout|country|KZ')!
          .level,
      ).toBe('critical')
      // A share of the regions with data: half of four is two, but never one region however small the share.
      const share = { minRegions: 4, minRegionShare: 0.5, minNetworks: 2 }
      expect(find(country(['Almaty', 'Aktau'], variant, share).signals, 'blackout|country|KZ')!.level).toBe(
        'critical',
      )
      expect(
        find(country(['Almaty'], variant, { ...share, minRegionShare: 0.1 }).signals, 'blackout|country|KZ')!
          .level,
      ).toBeNull()
    }
  })

  it('several networks dark across regions make it country-wide even while another network is up', () => {
    for (const variant of VARIANTS) {
      const vantages: VantageSpec[] = []
      for (const region of ['Almaty', 'Shymkent'])
        for (const [asn, state] of [
          [9198, 'dark'],
          [29355, 'dark'],
          [21299, 'up'],
        ] as const)
          vantages.push({ id: `kz-${region.toLowerCase()}-as${asn}`, region, state, asn })
      const { signals } = detectBlackouts({
        country: 'KZ',
        samples: vantages.flatMap((v) => inCountry(v, variant)),
        history: [],
        liveness: liveness(vantages),
        settings,
        now,
      })
      expect(firing(signals)).toEqual([
        'blackout|country|KZ critical',
        'blackout|network|AS29355 critical',
        'blackout|network|AS9198 critical',
      ])
      expect(find(signals, 'blackout|country|KZ')!.evidence.darkNetworks).toEqual(['AS9198', 'AS29355'])
    }
  })
})

describe('a fresh install without a baseline', () => {
  it('opens nothing on its first round from a drop against an assumed full availability', () => {
    for (const variant of VARIANTS) {
      const vantage: VantageSpec = { id: 'kz-almaty-1', region: 'Almaty', state: 'up' }
      // Services blocked (controls answer), and about half the endpoints down from abroad, as usual there.
      const services = inCountry(vantage, variant).map((s) =>
        s.purpose === 'service' ? { ...s, ok: false, failure: variant.failure } : s,
      )
      const endpoints = outside('Almaty', 'answering', variant).map((s, i) =>
        s.purpose === 'outside_in' && i % 2 === 0 ? { ...s, ok: false, failure: variant.failure } : s,
      )
      const { signals } = detectBlackouts({
        country: 'KZ',
        samples: [...services, ...endpoints],
        history: [],
        liveness: liveness([vantage]),
        settings,
        now,
      })
      expect(firing(signals)).toEqual([])
      const almaty = find(signals, 'blackout|region|Almaty')!
      expect(almaty.evidence).toMatchObject({ baseline: null, ratio: null, baselineHours: 0 })
      expect(almaty.evidence.share as number).toBeLessThan(0.8)
    }
  })

  it('opens on baseline-free evidence alone, saying there is no baseline', () => {
    for (const variant of VARIANTS) {
      const { signals } = run('dark', 'failing', 'none', variant, 1)
      const almaty = find(signals, 'blackout|region|Almaty')!
      expect(almaty.level).toBe('critical')
      expect(almaty.evidence).toMatchObject({
        baseline: null,
        ratio: null,
        baselineHours: 0,
        confirmed: true,
      })
    }
    // Two hours of history are not yet a baseline.
    const history: HistoryBucket[] = [0, 1].map((hour) => ({
      scope: 'region:Almaty',
      start: new Date(Date.UTC(2019, 5, 9, hour)),
      share: 1,
      samples: 10,
    }))
    const { signals } = run('dark', 'failing', 'none', VARIANTS[0]!, 1, history)
    expect(find(signals, 'blackout|region|Almaty')!.evidence).toMatchObject({
      baseline: null,
      baselineHours: 2,
    })
  })
})

describe('settings the table reads', () => {
  it('requireControlFailure: without control series a vantage is dark only when the setting is off', () => {
    for (const variant of VARIANTS) {
      const vantages: VantageSpec[] = [
        { id: 'kz-almaty-1', region: 'Almaty', state: 'dark' },
        { id: 'kz-almaty-2', region: 'Almaty', state: 'dark' },
      ]
      const samples = vantages.flatMap((v) => inCountry(v, variant)).filter((s) => s.purpose !== 'control')
      const round = (requireControlFailure: boolean) =>
        detectBlackouts({
          country: 'KZ',
          samples,
          history: [],
          liveness: liveness(vantages),
          settings: { ...settings, blackout: { ...settings.blackout, requireControlFailure } },
          now,
        }).signals
      // Blocked services and a dark link look alike without controls: no verdict either way.
      expect(firing(round(true))).toEqual([])
      expect(firing(round(false))).toContain('blackout|region|Almaty critical')
    }
  })

  it('minSamples: outside-in failure alone needs that many series in the region', () => {
    const few: Variant = {
      kinds: ['http'],
      failure: 'generic_timeout_error',
      endpoints: 2,
      asn: 9198,
      outsideRole: 'outside',
    }
    const { signals } = run('none', 'failing', 'none', few, 1)
    expect(find(signals, 'blackout|region|Almaty')).toMatchObject({ level: null, recovered: false })
    expect(find(signals, 'blackout|region|Almaty')!.evidence.verdict).toBe('R8')
    const enough = run('none', 'failing', 'none', { ...few, endpoints: 3 }, 1)
    expect(find(enough.signals, 'blackout|region|Almaty')!.level).toBe('warning')
  })
})

describe('a vantage that fails everything and then falls silent', () => {
  it('is a victim of its region’s blackout while its last failing results are still in the window', () => {
    for (const variant of VARIANTS) {
      const almaty: VantageSpec = { id: 'kz-almaty-1', region: 'Almaty', state: 'dark' }
      const healthy = shymkent(variant)
      // Its uplink was cut after its failing round: last heard from 20 minutes ago, results still in the window.
      const stale = liveness([almaty, ...healthy.vantages]).map((v) =>
        v.vantageId === 'kz-almaty-1' ? { ...v, lastSeenAt: new Date(now.getTime() - 20 * 60_000) } : v,
      )
      for (const outsideIn of ['failing', 'answering'] as const) {
        const { signals } = detectBlackouts({
          country: 'KZ',
          samples: [
            ...inCountry(almaty, variant),
            ...healthy.samples,
            ...outside('Almaty', outsideIn, variant),
          ],
          history: [],
          liveness: stale,
          settings,
          now,
        })
        // Failing from abroad and silent: R7, critical. Answering from abroad and silent: R9, warning.
        expect(firing(signals)).toEqual([
          `blackout|region|Almaty ${outsideIn === 'failing' ? 'critical' : 'warning'}`,
        ])
        expect(find(signals, 'blackout|region|Almaty')!.evidence.verdict).toBe(
          outsideIn === 'failing' ? 'R7' : 'R9',
        )
      }
    }
  })
})

describe('failures that reached the network', () => {
  it('block pages and bodies still arriving at the timeout are connectivity, never a blackout', () => {
    for (const variant of VARIANTS) {
      for (const reached of ['block page', 'dripping body'] as const) {
        const almaty: VantageSpec[] = [
          { id: 'kz-almaty-1', region: 'Almaty', state: 'up' },
          { id: 'kz-almaty-2', region: 'Almaty', state: 'up' },
        ]
        const healthy = shymkent(variant)
        // Every series of both Almaty vantages, controls included, and every endpoint probed from abroad
        // fails, but each one reached a server: a block page answered, or a body was arriving.
        const touched = (s: SeriesSample): SeriesSample =>
          reached === 'block page'
            ? { ...s, kind: 'http', ok: false, failure: 'http_blockpage', blockPage: 'kz-ministry' }
            : {
                ...s,
                kind: 'http',
                ok: false,
                failure: 'generic_timeout_error',
                timeoutPhase: 'body',
                transferBytesPerSecond: 16_000,
              }
        const samples = [
          ...almaty.flatMap((v) => inCountry(v, variant)).map(touched),
          ...healthy.samples,
          ...outside('Almaty', 'answering', variant).map((s) =>
            s.purpose === 'outside_in' ? touched(s) : s,
          ),
        ]
        const { signals, offlineVantages } = detectBlackouts({
          country: 'KZ',
          samples,
          history: [],
          liveness: liveness([...almaty, ...healthy.vantages]),
          settings,
          now,
        })
        expect(firing(signals), `${reached}, ${variant.kinds.join('+')}`).toEqual([])
        expect([...offlineVantages]).toEqual([])
      }
    }
  })

  it('a timeout with no byte of the body received still counts as a failure', () => {
    const variant = VARIANTS[0]!
    const almaty: VantageSpec[] = [{ id: 'kz-almaty-1', region: 'Almaty', state: 'dark' }]
    const healthy = shymkent(variant)
    const stalled = (s: SeriesSample): SeriesSample => ({
      ...s,
      timeoutPhase: 'body',
      transferBytesPerSecond: 0,
    })
    const { signals } = detectBlackouts({
      country: 'KZ',
      samples: [
        ...inCountry(almaty[0]!, variant).map(stalled),
        ...healthy.samples,
        ...outside('Almaty', 'failing', variant),
      ],
      history: [],
      liveness: liveness([...almaty, ...healthy.vantages]),
      settings,
      now,
    })
    expect(firing(signals)).toEqual(['blackout|region|Almaty critical'])
  })
})

describe('an outside vantage that probes no control target', () => {
  const variant = VARIANTS[0]!
  const endpointsOnly = (region: string, state: 'failing' | 'answering') =>
    outside(region, state, variant).filter((s) => s.purpose === 'outside_in')

  it("counts as outside-in evidence while another region's endpoints answer it", () => {
    const almaty: VantageSpec[] = [{ id: 'kz-almaty-1', region: 'Almaty', state: 'dark' }]
    const healthy = shymkent(variant)
    const { signals, offlineVantages } = detectBlackouts({
      country: 'KZ',
      samples: [
        ...inCountry(almaty[0]!, variant),
        ...inCountry(healthy.vantages[0]!, variant),
        ...endpointsOnly('Almaty', 'failing'),
        ...endpointsOnly('Shymkent', 'answering'),
      ],
      history: [],
      liveness: liveness([...almaty, ...healthy.vantages]),
      settings,
      now,
    })
    expect(firing(signals)).toEqual(['blackout|region|Almaty critical'])
    expect(find(signals, 'blackout|region|Almaty')!.evidence).toMatchObject({ verdict: 'R2' })
    expect([...offlineVantages]).toEqual(['kz-almaty-1'])
  })

  it('does not, when nothing at all answers it: its own connection may be down', () => {
    const almaty: VantageSpec[] = [{ id: 'kz-almaty-1', region: 'Almaty', state: 'dark' }]
    const healthy = shymkent(variant)
    const { signals } = detectBlackouts({
      country: 'KZ',
      samples: [
        ...inCountry(almaty[0]!, variant),
        ...inCountry(healthy.vantages[0]!, variant),
        ...endpointsOnly('Almaty', 'failing'),
        ...endpointsOnly('Shymkent', 'failing'),
      ],
      history: [],
      liveness: liveness([...almaty, ...healthy.vantages]),
      settings,
      now,
    })
    expect(firing(signals)).toEqual(['monitor_offline|vantage|kz-almaty-1 warning'])
    expect(find(signals, 'monitor_offline|vantage|kz-almaty-1')!.evidence).toMatchObject({
      blackoutRuledOut: false,
    })
  })
})
