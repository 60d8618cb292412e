// Blackouts per region (full or mobile-only), network and country, and monitors whose own connection is
// down, told apart on evidence (blackout-table.ts). Each region is read three ways without any baseline:
// its in-country vantages (failing everything, controls included, or up), outside-in probes of its
// endpoints from outside vantages whose own connection works, and its other vantages (dark or silent). A
// baseline (the median hourly share of the scope over past days) is used only where one exists: it never
// makes a blackout on its own, and without MIN_BASELINE_BUCKETS hours of history evidence says so (null).
import {
  type BlackoutEvidence,
  MIN_BASELINE_HOURS,
  type MonitorOfflineEvidence,
  type NetworkType,
} from '@vigil/model'
import {
  type DecisionRow,
  decideRegion,
  type InsideView,
  type OthersView,
  type OutsideInView,
  type RegionOutcome,
} from './blackout-table.js'
import { bodyWasArriving } from './service-verdicts.js'
import { groupBy, median, round, share } from './stats.js'
import type {
  CountryRule,
  DetectionSettings,
  HistoryBucket,
  Level,
  SeriesSample,
  Signal,
  VantageLiveness,
} from './types.js'

/** Hours of history before a baseline is trusted (model's MIN_BASELINE_HOURS); fewer, and there is none. */
export const MIN_BASELINE_BUCKETS = MIN_BASELINE_HOURS

/** The country rule when the settings give none: two regions, or two networks across two regions. */
export const DEFAULT_COUNTRY_RULE: CountryRule = { minRegions: 2, minNetworks: 2 }

export interface BlackoutInput {
  country: string
  samples: readonly SeriesSample[]
  history: readonly HistoryBucket[]
  liveness: readonly VantageLiveness[]
  settings: DetectionSettings
  now: Date
}

export interface BlackoutResult {
  signals: Signal[]
  /** Vantages whose own connection is down (offline or dark in a blackout): their other findings are void. */
  offlineVantages: Set<string>
}

/**
 * A scope's baseline from hourly history buckets (`region:<name>`, `country:<code>`, `network:AS<n>`):
 * the median share (0..1) of its buckets with samples, or null with fewer than MIN_BASELINE_BUCKETS of
 * them; `buckets` is how many hours there were.
 */
export function baselineOf(
  scope: string,
  history: readonly HistoryBucket[],
): { value: number | null; buckets: number } {
  const shares = history.filter((bucket) => bucket.scope === scope && bucket.samples > 0).map((b) => b.share)
  return { value: shares.length >= MIN_BASELINE_BUCKETS ? median(shares)! : null, buckets: shares.length }
}

type VantageState = 'dark' | 'up' | 'unclear'

interface VantageView {
  vantageId: string
  role: SeriesSample['vantageRole']
  region: string | null
  asn: number | null
  networkType: NetworkType
  state: VantageState
  silent: boolean
  controlFailing: number
  controlSeries: number
}

interface RegionView {
  region: string
  samples: SeriesSample[]
  inside: InsideView
  outsideIn: OutsideInView
  others: OthersView
  dark: VantageView[]
  up: VantageView[]
  silent: VantageView[]
  outsideInSeries: number
  outsideInShare: number
  baseline: { value: number | null; buckets: number }
}

/**
 * Every blackout and monitor-offline signal of one evaluation. Per region the decision table
 * (REGION_DECISION_TABLE) decides between a blackout and a monitor offline; a region's mobile networks
 * dark while its fixed ones are up is a mobile-only blackout (`blackout|region|<name>|mobile`); a network
 * (AS number) with two or more in-country vantages, all dark, is a network blackout; the country needs
 * several regions or networks (settings.blackout.country, DEFAULT_COUNTRY_RULE). Signals with level null
 * are scopes watched and healthy (`recovered` when nothing points at a blackout and, with a baseline, the
 * share is back above resolveAbove of it).
 */
export function detectBlackouts(input: BlackoutInput): BlackoutResult {
  const { settings, now } = input
  const samples = input.samples.map((s) => (reachedNetwork(s) ? { ...s, ok: true } : s))
  const vantages = vantageViews(samples, input.liveness, settings, now)
  const signals: Signal[] = []
  const victims = new Set<string>()
  const offline = new Map<string, { outcome: RegionOutcome; row: string }>()

  const regionNames = new Set<string>()
  for (const s of samples) if (s.region !== null) regionNames.add(s.region)
  for (const v of input.liveness) if (v.role === 'in_country' && v.region !== null) regionNames.add(v.region)

  const darkRegions: Array<{ region: string; level: Level }> = []
  let regionsWithData = 0
  for (const region of [...regionNames].sort()) {
    const view = regionView(region, samples, vantages, input.history, settings)
    if (view.samples.length > 0 || view.silent.length > 0) regionsWithData += 1
    const row = decideRegion(view.inside, view.outsideIn, view.others)
    if (row.row === 'R12') continue
    let level: Level | null =
      row.blackout === 'baseline'
        ? view.baseline.value !== null &&
          share(okCount(view.samples), view.samples.length) / view.baseline.value < settings.blackout.critical
          ? 'critical'
          : 'warning'
        : row.blackout
    // A verdict resting on outside-in probes alone needs the region's minimum of series behind it.
    if (row.row === 'R8' && view.samples.length < settings.blackout.minSamples) level = null

    const mobile = row.mobileCheck ? detectMobileOnly(view) : undefined
    if (mobile) {
      // The region's fixed networks are up: this is a mobile-only blackout, not a full one.
      for (const v of mobile.dark) victims.add(v.vantageId)
      level = null
    }
    if (mobile || hasMobile(view)) {
      const mobileDark = [...view.dark, ...view.silent].filter((v) => v.networkType === 'mobile')
      const fixedUp = view.up.filter((v) => v.networkType === 'fixed')
      signals.push(
        mobileSignal(
          view,
          mobile?.level ?? null,
          mobile?.dark ?? mobileDark,
          mobile?.up ?? fixedUp,
          row.row,
          settings,
        ),
      )
    }
    const full = level !== null
    // A vantage that failed everything and then fell silent counts as silent; its last results still do.
    const darkOrSilentDark = [...view.dark, ...view.silent.filter((v) => v.state === 'dark')]
    if (full) {
      darkRegions.push({ region, level: level! })
      for (const v of darkOrSilentDark) victims.add(v.vantageId)
    } else if (!mobile) {
      for (const v of darkOrSilentDark) {
        const lone = v.networkType === 'mobile' && !view.up.some((u) => u.networkType === 'mobile')
        offline.set(v.vantageId, {
          outcome: lone && row.row === 'R1' ? { ...row, blackoutRuledOut: false, why: LONE_MOBILE } : row,
          row: row.row,
        })
      }
    }
    signals.push(regionSignal(view, full ? level : null, row, settings))
  }

  // Networks: two or more in-country vantages of an AS number, none up, all dark.
  const darkNetworks: Array<{ asn: number; level: Level; regions: Set<string> }> = []
  const inCountry = [...vantages.values()].filter(
    (v) => v.role === 'in_country' && v.asn !== null && !v.silent,
  )
  for (const [asn, list] of groupBy(inCountry, (v) => v.asn!)) {
    const dark = list.filter((v) => v.state === 'dark')
    const up = list.filter((v) => v.state === 'up')
    const regions = new Set(dark.map((v) => v.region ?? ''))
    const level: Level | null =
      dark.length >= 2 && up.length === 0 ? (regions.size >= 2 ? 'critical' : 'warning') : null
    if (level) {
      darkNetworks.push({ asn, level, regions })
      for (const v of dark) victims.add(v.vantageId)
    }
    const networkSamples = samples.filter((s) => s.vantageRole === 'in_country' && s.asn === asn)
    signals.push(
      scopeSignal({
        type: 'network',
        scope: `AS${asn}`,
        name: `network AS${asn}`,
        samples: networkSamples,
        level,
        baseline: baselineOf(`network:AS${asn}`, input.history),
        settings,
        extra: {
          verdict: level ? 'network' : undefined,
          evidenceKinds: level ? ['in_country_dark'] : [],
          darkVantages: dark.map(label),
          upVantages: up.map(label),
        },
        anyDark: dark.length > 0,
      }),
    )
  }

  // The country: several regions, or several networks across regions; never one region alone.
  const scoped = samples.filter((s) => s.region !== null)
  if (scoped.length > 0 || darkRegions.length > 0) {
    const rule = settings.blackout.country ?? DEFAULT_COUNTRY_RULE
    const byRegions =
      darkRegions.length >= Math.max(2, rule.minRegions) ||
      (rule.minRegionShare !== undefined &&
        darkRegions.length >= 2 &&
        share(darkRegions.length, regionsWithData) >= rule.minRegionShare)
    const networkRegions = new Set(darkNetworks.flatMap((n) => [...n.regions]))
    const byNetworks = darkNetworks.length >= Math.max(2, rule.minNetworks) && networkRegions.size >= 2
    const critical =
      darkRegions.filter((r) => r.level === 'critical').length >= 2 ||
      darkNetworks.filter((n) => n.level === 'critical').length >= 2
    const level: Level | null = byRegions || byNetworks ? (critical ? 'critical' : 'warning') : null
    signals.push(
      scopeSignal({
        type: 'country',
        scope: input.country,
        name: `${input.country} (country-wide)`,
        samples: scoped,
        level,
        baseline: baselineOf(`country:${input.country}`, input.history),
        settings,
        extra: {
          verdict: byRegions ? 'country_regions' : byNetworks ? 'country_networks' : undefined,
          evidenceKinds: [...(byRegions ? ['regions_dark'] : []), ...(byNetworks ? ['networks_dark'] : [])],
          darkRegions: darkRegions.map((r) => r.region),
          regionsWithData,
          darkNetworks: darkNetworks.map((n) => `AS${n.asn}`),
        },
        anyDark: darkRegions.length > 0,
      }),
    )
  }

  // Monitors offline: vantages failing their own controls that no blackout explains.
  const offlineVantages = new Set<string>()
  for (const v of vantages.values()) if (v.state === 'dark') offlineVantages.add(v.vantageId)
  for (const v of vantages.values()) {
    if (v.state !== 'dark' || victims.has(v.vantageId)) continue
    const decided = offline.get(v.vantageId)
    const why =
      decided?.outcome.why ??
      (v.role !== 'in_country'
        ? 'an outside vantage that cannot reach its own control targets'
        : v.region === null
          ? 'an in-country vantage without a region'
          : 'its region’s evidence tells neither way')
    signals.push(
      offlineSignal(v, 'warning', settings, {
        blackoutRuledOut: decided?.outcome.blackoutRuledOut ?? v.role !== 'in_country',
        verdict: decided?.row,
        why,
      }),
    )
  }
  // Vantages whose controls answer are reported healthy so an open monitor-offline incident resolves.
  for (const v of vantages.values()) {
    if (v.state === 'up') signals.push(offlineSignal(v, null, settings, {}))
  }
  return { signals, offlineVantages }
}

const LONE_MOBILE =
  'the region’s only mobile vantage fails everything while its fixed networks are up (a mobile-only blackout)'

function okCount(samples: readonly SeriesSample[]): number {
  return samples.filter((s) => s.ok).length
}

function label(v: VantageView): string {
  return `${v.vantageId} (${v.asn !== null ? `AS${v.asn}` : 'AS unknown'}, ${v.networkType})`
}

function controlOf(sample: SeriesSample, settings: DetectionSettings): boolean {
  const group = settings.monitorOffline.group
  return group === undefined ? sample.purpose === 'control' : sample.group === group
}

/**
 * Each vantage's own state from its control series: `dark` with at least two control series of which
 * monitorOffline.failureShare or more fail (an in-country vantage must also fail that share of all its
 * series: "everything"); `up` when over half its control series answer; else `unclear`. Without control
 * series and with requireControlFailure off, an in-country vantage failing that share of all its series
 * across minTargets targets is dark. Silent: an in-country vantage last heard from more than silenceAfter
 * ago (liveness), which then counts as silent, not by its older series.
 */
function vantageViews(
  samples: readonly SeriesSample[],
  liveness: readonly VantageLiveness[],
  settings: DetectionSettings,
  now: Date,
): Map<string, VantageView> {
  const views = new Map<string, VantageView>()
  const failureShare = settings.monitorOffline.failureShare
  for (const [vantageId, list] of groupBy(samples, (s) => s.vantageId)) {
    const first = list[0]!
    const controls = list.filter((s) => controlOf(s, settings))
    const controlFailing = controls.filter((s) => !s.ok).length
    const allFailing = share(list.filter((s) => !s.ok).length, list.length)
    const everything = first.vantageRole !== 'in_country' || allFailing >= failureShare
    let state: VantageState = 'unclear'
    if (controls.length >= 2 && share(controlFailing, controls.length) >= failureShare && everything)
      state = 'dark'
    else if (controls.length > 0 && controlFailing * 2 < controls.length) state = 'up'
    else if (
      controls.length === 0 &&
      !settings.blackout.requireControlFailure &&
      first.vantageRole === 'in_country' &&
      allFailing >= failureShare &&
      new Set(list.filter((s) => !s.ok).map((s) => s.targetId)).size >= settings.blackout.minTargets
    )
      state = 'dark'
    const region = first.vantageRole === 'in_country' ? regionOfVantage(list) : null
    views.set(vantageId, {
      vantageId,
      role: first.vantageRole,
      region,
      asn: first.asn,
      networkType: first.networkType ?? 'unknown',
      state,
      silent: false,
      controlFailing,
      controlSeries: controls.length,
    })
  }
  for (const v of liveness) {
    if (v.role !== 'in_country' || v.region === null || v.lastSeenAt === null) continue
    const silent = now.getTime() - v.lastSeenAt.getTime() > settings.silenceAfterMs
    const known = views.get(v.vantageId)
    if (known) {
      known.silent = silent
      known.region = v.region
      if (v.networkType && known.networkType === 'unknown') known.networkType = v.networkType
    } else if (silent) {
      views.set(v.vantageId, {
        vantageId: v.vantageId,
        role: 'in_country',
        region: v.region,
        asn: null,
        networkType: v.networkType ?? 'unknown',
        state: 'unclear',
        silent: true,
        controlFailing: 0,
        controlSeries: 0,
      })
    }
  }
  return views
}

function regionOfVantage(list: readonly SeriesSample[]): string | null {
  const regions = groupBy(
    list.filter((s) => s.region !== null),
    (s) => s.region!,
  )
  let best: string | null = null
  let most = 0
  for (const [region, items] of regions)
    if (items.length > most) {
      best = region
      most = items.length
    }
  return best
}

function regionView(
  region: string,
  samples: readonly SeriesSample[],
  vantages: ReadonlyMap<string, VantageView>,
  history: readonly HistoryBucket[],
  settings: DetectionSettings,
): RegionView {
  const regionSamples = samples.filter((s) => s.region === region)
  const mine = [...vantages.values()].filter((v) => v.role === 'in_country' && v.region === region)
  const silent = mine.filter((v) => v.silent)
  const sending = mine.filter((v) => !v.silent)
  const dark = sending.filter((v) => v.state === 'dark')
  const up = sending.filter((v) => v.state === 'up')
  const inside: InsideView = up.length > 0 ? 'up' : dark.length > 0 ? 'dark' : 'none'
  const others: OthersView =
    inside === 'dark'
      ? dark.length + silent.length >= 2
        ? 'dark_or_silent'
        : 'none'
      : inside === 'none' && silent.length >= Math.max(1, settings.blackout.minVantages)
        ? 'dark_or_silent'
        : 'none'

  // Outside-in probes count only from outside vantages whose own connection is shown to work: their
  // controls answer, or, for one that probes no control target, something outside this region answers it
  // (another region's endpoints): a blackout must not be missed because the vantage abroad has no controls.
  const reachedElsewhere = new Set(samples.filter((s) => s.ok && s.region !== region).map((s) => s.vantageId))
  const trusted = (vantageId: string) => {
    const view = vantages.get(vantageId)
    if (view === undefined) return false
    return view.state === 'up' || (view.controlSeries === 0 && reachedElsewhere.has(vantageId))
  }
  const outside = regionSamples.filter(
    (s) => s.purpose === 'outside_in' && s.vantageRole !== 'in_country' && trusted(s.vantageId),
  )
  const failing = outside.filter((s) => !s.ok)
  const failingTargets = new Set(failing.map((s) => s.targetId)).size
  const baseline = baselineOf(`region:${region}`, history)
  const ratio =
    baseline.value !== null && baseline.value > 0
      ? share(okCount(regionSamples), regionSamples.length) / baseline.value
      : null
  let outsideIn: OutsideInView = 'none'
  if (outside.length > 0) {
    const failShare = share(failing.length, outside.length)
    if (
      failingTargets >= settings.blackout.minTargets &&
      (failShare >= settings.monitorOffline.failureShare ||
        (ratio !== null && ratio < settings.blackout.critical))
    )
      outsideIn = 'failing'
    else if (failing.length * 2 < outside.length) outsideIn = 'answering'
  }
  return {
    region,
    samples: regionSamples,
    inside,
    outsideIn,
    others,
    dark,
    up,
    silent,
    outsideInSeries: outside.length,
    outsideInShare: share(okCount(outside), outside.length),
    baseline,
  }
}

function hasMobile(view: RegionView): boolean {
  return [...view.dark, ...view.up, ...view.silent].some((v) => v.networkType === 'mobile')
}

/**
 * A region's mobile networks dark while its fixed ones stay up (the form of the 2019 cuts): two or more
 * in-country vantages on mobile networks dark or silent, none of its mobile vantages up, and the fixed
 * side up (a fixed in-country vantage up, or outside-in probes of the region answering). Critical when two
 * kinds agree (vantages failing everything and vantages silent) or the dark ones span two or more AS
 * numbers; warning otherwise. Vantages of unknown network type never count as either side.
 */
function detectMobileOnly(
  view: RegionView,
): { level: Level; dark: VantageView[]; up: VantageView[] } | undefined {
  const darkOrSilent = [...view.dark, ...view.silent]
  if (darkOrSilent.length < 2 || !darkOrSilent.every((v) => v.networkType === 'mobile')) return undefined
  if (view.up.some((v) => v.networkType === 'mobile')) return undefined
  const fixedUp = view.up.filter((v) => v.networkType === 'fixed')
  if (fixedUp.length === 0 && view.outsideIn !== 'answering') return undefined
  const asns = new Set(view.dark.map((v) => v.asn).filter((a) => a !== null))
  const twoKinds = (view.dark.length > 0 && view.silent.length > 0) || asns.size >= 2
  return { level: twoKinds ? 'critical' : 'warning', dark: darkOrSilent, up: fixedUp }
}

function evidenceFigures(
  samples: readonly SeriesSample[],
  baseline: { value: number | null; buckets: number },
) {
  const failing = samples.filter((s) => !s.ok)
  const current = share(samples.length - failing.length, samples.length)
  const inCountryControl = samples.filter((s) => s.vantageRole === 'in_country' && s.purpose === 'control')
  const outside = samples.filter((s) => s.purpose === 'outside_in')
  const failures: Record<string, number> = {}
  for (const sample of failing)
    failures[sample.failure ?? 'unknown'] = (failures[sample.failure ?? 'unknown'] ?? 0) + 1
  const perVantage = [...groupBy(samples, (s) => s.vantageId)]
    .filter(([, list]) => list.some((s) => !s.ok))
    .map(([id, list]) => ({
      id,
      role: list[0]!.vantageRole,
      networkType: list[0]!.networkType ?? 'unknown',
      failingSeries: list.filter((s) => !s.ok).length,
      series: list.length,
    }))
  return {
    share: round(current),
    baseline: baseline.value === null ? null : round(baseline.value),
    baselineHours: baseline.buckets,
    ratio: baseline.value === null || baseline.value === 0 ? null : round(current / baseline.value),
    series: samples.length,
    failingSeries: failing.length,
    failingTargets: [...new Set(failing.map((s) => s.targetId))].sort(),
    failingVantages: [...new Set(failing.map((s) => s.vantageId))].sort(),
    controlFailing:
      inCountryControl.length === 0
        ? null
        : inCountryControl.filter((s) => !s.ok).length * 2 >= inCountryControl.length,
    controlTargets: {
      failing: new Set(inCountryControl.filter((s) => !s.ok).map((s) => s.targetId)).size,
      total: new Set(inCountryControl.map((s) => s.targetId)).size,
    },
    outsideInFailing: new Set(outside.filter((s) => !s.ok).map((s) => s.targetId)).size,
    outsideInTargets: new Set(outside.map((s) => s.targetId)).size,
    vantages: perVantage,
    failures,
  }
}

function recoveredFrom(
  samples: readonly SeriesSample[],
  baseline: { value: number | null },
  settings: DetectionSettings,
): boolean {
  if (baseline.value === null || baseline.value === 0) return true
  return share(okCount(samples), samples.length) / baseline.value >= settings.blackout.resolveAbove
}

function kindsOf(view: RegionView): { agree: string[]; contrary: string[] } {
  const agree: string[] = []
  const contrary: string[] = []
  if (view.inside === 'dark') agree.push('in_country_dark')
  if (view.inside === 'up') contrary.push('in_country_up')
  if (view.outsideIn === 'failing') agree.push('outside_in_failing')
  if (view.outsideIn === 'answering') contrary.push('outside_in_answering')
  if (view.others === 'dark_or_silent') agree.push(view.silent.length > 0 ? 'others_silent' : 'others_dark')
  return { agree, contrary }
}

function regionSignal(
  view: RegionView,
  level: Level | null,
  row: DecisionRow,
  settings: DetectionSettings,
): Signal {
  const kinds = kindsOf(view)
  const figures = evidenceFigures(view.samples, view.baseline)
  // Recovered: the table rules a blackout out (a vantage still dark there is its own monitor offline and
  // left out of the share), outside-in probes (if any) mostly answer, and with a baseline the region's
  // share is back above resolveAbove of it.
  const offline = new Set(row.darkVantages === 'monitor_offline' ? view.dark.map((v) => v.vantageId) : [])
  const recovered =
    level === null &&
    row.blackout === null &&
    row.blackoutRuledOut &&
    (view.outsideInSeries === 0 || view.outsideInShare >= settings.blackout.resolveAbove) &&
    recoveredFrom(
      view.samples.filter((s) => !offline.has(s.vantageId)),
      view.baseline,
      settings,
    )
  return {
    identity: `blackout|region|${view.region}`,
    kind: 'blackout',
    scopeType: 'region',
    scope: view.region,
    region: view.region,
    vantageId: null,
    level,
    recovered,
    summary: `Internet blackout: ${view.region}`,
    evidence: {
      ...figures,
      confirmed: level !== null,
      silentVantages: view.silent.map((v) => v.vantageId).sort(),
      verdict: row.row,
      evidenceKinds: kinds.agree,
      contraryKinds: kinds.contrary,
      darkVantages: [...view.dark, ...view.silent].map(label).sort(),
      upVantages: view.up.map(label).sort(),
    } satisfies BlackoutEvidence,
  }
}

function mobileSignal(
  view: RegionView,
  level: Level | null,
  dark: readonly VantageView[],
  up: readonly VantageView[],
  row: string,
  settings: DetectionSettings,
): Signal {
  const ids = new Set(dark.map((v) => v.vantageId))
  const mobileSamples = view.samples.filter(
    (s) => s.vantageRole === 'in_country' && s.networkType === 'mobile',
  )
  const figures = evidenceFigures(mobileSamples, { value: null, buckets: 0 })
  const networks = (list: readonly VantageView[]) =>
    [...new Set(list.map((v) => `${v.asn !== null ? `AS${v.asn}` : 'AS unknown'} ${v.networkType}`))].sort()
  return {
    identity: `blackout|region|${view.region}|mobile`,
    kind: 'blackout',
    scopeType: 'region',
    scope: view.region,
    region: view.region,
    vantageId: null,
    level,
    // Recovered once no mobile vantage of the region is dark or silent.
    recovered: level === null && dark.length === 0 && recoveredFrom(mobileSamples, { value: null }, settings),
    summary: `Mobile internet blackout: ${view.region}`,
    evidence: {
      ...figures,
      confirmed: level !== null,
      silentVantages: view.silent
        .filter((v) => ids.has(v.vantageId))
        .map((v) => v.vantageId)
        .sort(),
      verdict: `${row}/mobile`,
      evidenceKinds: [
        ...(dark.some((v) => !v.silent) ? ['mobile_dark'] : []),
        ...(dark.some((v) => v.silent) ? ['mobile_silent'] : []),
        ...(up.length > 0 ? ['fixed_up'] : []),
        ...(view.outsideIn === 'answering' ? ['outside_in_answering'] : []),
      ],
      mobileOnly: true,
      networkType: 'mobile',
      darkVantages: dark.map(label).sort(),
      upVantages: up.map(label).sort(),
      darkNetworks: networks(dark),
      upNetworks: networks(up),
    } satisfies BlackoutEvidence,
  }
}

function scopeSignal(args: {
  type: 'network' | 'country'
  scope: string
  name: string
  samples: readonly SeriesSample[]
  level: Level | null
  baseline: { value: number | null; buckets: number }
  settings: DetectionSettings
  extra: Partial<BlackoutEvidence>
  anyDark: boolean
}): Signal {
  const figures = evidenceFigures(args.samples, args.baseline)
  return {
    identity: `blackout|${args.type}|${args.scope}`,
    kind: 'blackout',
    scopeType: args.type,
    scope: args.scope,
    region: null,
    vantageId: null,
    level: args.level,
    recovered:
      args.level === null && !args.anyDark && recoveredFrom(args.samples, args.baseline, args.settings),
    summary: `Internet blackout: ${args.name}`,
    evidence: {
      ...figures,
      confirmed: args.level !== null,
      silentVantages: [],
      ...args.extra,
    } satisfies BlackoutEvidence,
  }
}

function offlineSignal(
  v: VantageView,
  level: Level | null,
  settings: DetectionSettings,
  extra: Partial<MonitorOfflineEvidence>,
): Signal {
  return {
    identity: `monitor_offline|vantage|${v.vantageId}`,
    kind: 'monitor_offline',
    scopeType: 'vantage',
    scope: v.vantageId,
    region: v.region,
    vantageId: v.vantageId,
    level,
    recovered: level === null,
    summary: `Monitor offline: ${v.vantageId}`,
    evidence: {
      controlGroup: settings.monitorOffline.group ?? null,
      controlFailing: v.controlFailing,
      controlSeries: v.controlSeries,
      region: v.region,
      ...extra,
    } satisfies MonitorOfflineEvidence,
  }
}

/**
 * A probe that failed but reached the network: a block page answered (`http_blockpage`, the transport
 * worked) or a body was still arriving when the timeout hit (`timeoutPhase: 'body'` with bytes flowing).
 * Such a series is blocking or throttling, which the service detectors judge; for a blackout it is
 * connectivity, so it counts as reached.
 */
export function reachedNetwork(sample: SeriesSample): boolean {
  return !sample.ok && (sample.failure === 'http_blockpage' || bodyWasArriving(sample))
}
