// Blackout of a region or monitor offline, decided on evidence: the decision table. Three views of a region
// are read without any baseline (what its in-country vantages see, what outside-in probes of its endpoints
// see, whether its other vantages are dark or silent too); the table maps them to a verdict. The same table
// is in the README ("Blackout or monitor offline: the decision table").
import type { Level } from './types.js'

/**
 * What the region's sending in-country vantages show. `dark`: at least one fails everything, its control
 * targets included, and none is up. `up`: at least one still reaches its controls. `none`: no sending
 * in-country vantage (none registered, all silent, or none with a clear view).
 */
export type InsideView = 'dark' | 'up' | 'none'
/**
 * What outside-in probes of the region's endpoints show, counted only from outside vantages whose own
 * control targets answer. `failing`: at least minTargets endpoints fail and they are "everything" (at least
 * monitorOffline.failureShare of the series), or, with a baseline, the region is below the critical ratio.
 * `answering`: most series (over half) succeed. `none`: no such probes, or a result in between.
 */
export type OutsideInView = 'failing' | 'answering' | 'none'
/**
 * Whether other in-country vantages of the region agree: `dark_or_silent` when, beside the one(s) looked
 * at, in-country vantages of the region are dark or silent (at least two dark-or-silent vantages in all;
 * with no sending vantage, at least max(1, minVantages) silent ones). `none` otherwise.
 */
export type OthersView = 'dark_or_silent' | 'none'

/** What a row decides about the region and about its dark in-country vantages. */
export interface RegionOutcome {
  /**
   * The region's blackout level: null for none; `baseline` means critical when the region's baseline (at
   * least MIN_BASELINE_HOURS hours) shows a drop below the critical ratio, warning without one.
   */
  blackout: Level | 'baseline' | null
  /**
   * Dark in-country vantages of the region: `victims` of the blackout (no monitor_offline), or
   * `monitor_offline`. `blackoutRuledOut` says whether other evidence excludes a blackout of the region.
   */
  darkVantages: 'victims' | 'monitor_offline'
  blackoutRuledOut: boolean
  /** The region's dark or silent vantages may be its mobile networks alone: check for a mobile-only blackout. */
  mobileCheck: boolean
  why: string
}

export interface DecisionRow extends RegionOutcome {
  row: string
  inside: InsideView | '*'
  outsideIn: OutsideInView | '*'
  others: OthersView | '*'
}

/**
 * The decision table, first matching row wins (`*` matches anything). Two independent kinds of evidence
 * agreeing make a critical blackout; one kind alone a warning; a vantage failing everything while the
 * region answers from abroad and its other vantages are fine is that monitor offline. With no evidence
 * either way (row R6) the choice is monitor offline with `blackoutRuledOut: false`: a lone vantage losing
 * everything is more often its own uplink, and the message says a blackout could not be ruled out.
 *
 * | row | in-country vantages | outside-in probes | other vantages | verdict                                  |
 * | --- | ------------------- | ----------------- | -------------- | ---------------------------------------- |
 * | R1  | up                  | any               | any            | no blackout; dark ones: monitor offline* |
 * | R2  | dark                | failing           | any            | blackout, critical                       |
 * | R3  | dark                | none              | dark/silent    | blackout, critical                       |
 * | R4  | dark                | answering         | dark/silent    | blackout, warning*                       |
 * | R5  | dark                | answering         | none           | monitor offline (blackout ruled out)     |
 * | R6  | dark                | none              | none           | monitor offline (blackout not ruled out) |
 * | R7  | none                | failing           | silent         | blackout, critical                       |
 * | R8  | none                | failing           | none           | blackout, critical with baseline drop, else warning |
 * | R9  | none                | answering         | silent         | blackout, warning*                       |
 * | R10 | none                | none              | silent         | blackout, warning                        |
 * | R11 | none                | answering         | none           | no blackout (healthy)                    |
 * | R12 | none                | none              | none           | nothing measured: no signal              |
 *
 * `*`: a mobile-only blackout instead when the dark or silent vantages are all on mobile networks and
 * fixed networks are up (see detectMobileOnly in blackout.ts).
 */
export const REGION_DECISION_TABLE: readonly DecisionRow[] = [
  {
    row: 'R1',
    inside: 'up',
    outsideIn: '*',
    others: '*',
    blackout: null,
    darkVantages: 'monitor_offline',
    blackoutRuledOut: true,
    mobileCheck: true,
    why: 'another in-country vantage of the region still reaches its control targets',
  },
  {
    row: 'R2',
    inside: 'dark',
    outsideIn: 'failing',
    others: '*',
    blackout: 'critical',
    darkVantages: 'victims',
    blackoutRuledOut: false,
    mobileCheck: false,
    why: 'in-country vantages fail everything, controls included, and the region fails from abroad',
  },
  {
    row: 'R3',
    inside: 'dark',
    outsideIn: 'none',
    others: 'dark_or_silent',
    blackout: 'critical',
    darkVantages: 'victims',
    blackoutRuledOut: false,
    mobileCheck: false,
    why: 'in-country vantages fail everything and the region’s other vantages are dark or silent',
  },
  {
    row: 'R4',
    inside: 'dark',
    outsideIn: 'answering',
    others: 'dark_or_silent',
    blackout: 'warning',
    darkVantages: 'victims',
    blackoutRuledOut: false,
    mobileCheck: true,
    why: 'in-country vantages are dark or silent, but the region’s endpoints answer from abroad',
  },
  {
    row: 'R5',
    inside: 'dark',
    outsideIn: 'answering',
    others: 'none',
    blackout: null,
    darkVantages: 'monitor_offline',
    blackoutRuledOut: true,
    mobileCheck: false,
    why: 'the region’s endpoints answer from abroad and no other vantage there is dark or silent',
  },
  {
    row: 'R6',
    inside: 'dark',
    outsideIn: 'none',
    others: 'none',
    blackout: null,
    darkVantages: 'monitor_offline',
    blackoutRuledOut: false,
    mobileCheck: false,
    why: 'no outside-in probes of the region and no other vantage there',
  },
  {
    row: 'R7',
    inside: 'none',
    outsideIn: 'failing',
    others: 'dark_or_silent',
    blackout: 'critical',
    darkVantages: 'victims',
    blackoutRuledOut: false,
    mobileCheck: false,
    why: 'the region fails from abroad and its in-country vantages fell silent',
  },
  {
    row: 'R8',
    inside: 'none',
    outsideIn: 'failing',
    others: 'none',
    blackout: 'baseline',
    darkVantages: 'victims',
    blackoutRuledOut: false,
    mobileCheck: false,
    why: 'the region’s endpoints fail from outside vantages whose own controls answer',
  },
  {
    row: 'R9',
    inside: 'none',
    outsideIn: 'answering',
    others: 'dark_or_silent',
    blackout: 'warning',
    darkVantages: 'victims',
    blackoutRuledOut: false,
    mobileCheck: true,
    why: 'the region’s in-country vantages fell silent, but its endpoints answer from abroad',
  },
  {
    row: 'R10',
    inside: 'none',
    outsideIn: 'none',
    others: 'dark_or_silent',
    blackout: 'warning',
    darkVantages: 'victims',
    blackoutRuledOut: false,
    mobileCheck: false,
    why: 'the region’s in-country vantages fell silent together',
  },
  {
    row: 'R11',
    inside: 'none',
    outsideIn: 'answering',
    others: 'none',
    blackout: null,
    darkVantages: 'monitor_offline',
    blackoutRuledOut: true,
    mobileCheck: false,
    why: 'the region’s endpoints answer from abroad',
  },
  {
    row: 'R12',
    inside: 'none',
    outsideIn: 'none',
    others: 'none',
    blackout: null,
    darkVantages: 'monitor_offline',
    blackoutRuledOut: false,
    mobileCheck: false,
    why: 'nothing measured in the region',
  },
]

/** The first row of REGION_DECISION_TABLE matching the three views; every combination has one. */
export function decideRegion(inside: InsideView, outsideIn: OutsideInView, others: OthersView): DecisionRow {
  const row = REGION_DECISION_TABLE.find(
    (r) =>
      (r.inside === '*' || r.inside === inside) &&
      (r.outsideIn === '*' || r.outsideIn === outsideIn) &&
      (r.others === '*' || r.others === others),
  )
  // The table covers all 3 × 3 × 2 combinations (a test checks it); this is for a future edit that breaks it.
  if (!row) throw new Error(`blackout decision table has no row for ${inside}/${outsideIn}/${others}`)
  return row
}
