// What detection reads (the latest measurement of every series in the window, history for baselines,
// vantage liveness) and what it says (signals with their evidence). Plain data, no I/O.

import type { IncidentKind, IncidentScopeType, NetworkType, VantageRole } from '@vigil/model'

export type { NetworkType, VantageRole }
export type Level = 'warning' | 'critical'

/** The latest measurement of one series (vantage, target, kind) inside the detection window. */
export interface SeriesSample {
  vantageId: string
  vantageRole: VantageRole
  targetId: string
  kind: string
  /** Target group and its purpose, when the target is declared in the config. */
  group: string | null
  purpose: 'service' | 'control' | 'outside_in' | null
  /** The region the measurement speaks for (null for a vantage abroad probing its own controls). */
  region: string | null
  /** The registered vantage's AS number. */
  asn: number | null
  /** The registered vantage's network type; unknown when not given. */
  networkType?: NetworkType
  ok: boolean
  failure: string | null
  durationMs: number | null
  measuredAt: Date
  /** Name of the block-page pattern an http/https probe matched (`details.blockPage`); null or absent otherwise. */
  blockPage?: string | null
  /** The phase an http/https probe timed out in (`details.timeoutPhase`: dns, connect, tls, headers, body). */
  timeoutPhase?: string | null
  /** Body bytes per second of an http/https probe's transfer (`details.transferBytesPerSecond`). */
  transferBytesPerSecond?: number | null
  /** Probes of this series inside the detection window, and how many of them failed (latest included). */
  windowSamples?: number
  windowFailures?: number
}

/** Share of successful probes of a scope in one past bucket (an hour). */
export interface HistoryBucket {
  scope: string
  start: Date
  share: number
  samples: number
}

export interface VantageLiveness {
  vantageId: string
  role: VantageRole
  region: string | null
  networkType?: NetworkType
  /** Latest measurement or heartbeat received from it (the api's clock); null when never seen. */
  lastSeenAt: Date | null
}

export interface DurationBaseline {
  vantageId: string
  targetId: string
  kind: string
  /** Median duration of successful probes over the baseline period. */
  medianMs: number
  samples: number
}

export interface DurationWindow {
  vantageId: string
  targetId: string
  kind: string
  group: string | null
  region: string | null
  medianMs: number
  samples: number
}

export interface BlackoutThresholds {
  warning: number
  critical: number
  resolveAbove: number
  minTargets: number
  minVantages: number
  minSamples: number
  requireControlFailure: boolean
  /** When a country-wide blackout may be called; DEFAULT_COUNTRY_RULE when absent. */
  country?: CountryRule
}

/**
 * What a country-wide blackout needs: never one region's series alone. Either at least `minRegions`
 * regions (2 or more) with a confirmed blackout; or, when `minRegionShare` is set, at least two regions
 * with a confirmed blackout that are that share (0..1) of the regions with data; or at least
 * `minNetworks` in-country networks (AS numbers, 2 or more) dark across two or more regions.
 */
export interface CountryRule {
  minRegions: number
  minRegionShare?: number
  minNetworks: number
}

export interface DetectionSettings {
  blackout: BlackoutThresholds
  blocking: {
    failureShare: number
    controlSuccessShare: number
    minSamples: number
    /** Failed probes of a series in the window before a connection failure counts (block pages count at once); 2 when absent. */
    minFailures?: number
  }
  throttling: {
    factor: number
    minSamples: number
    /** Milliseconds a series' median must exceed its baseline by, besides the factor; 200 when absent. */
    minExtraMs?: number
    /** A body still arriving at a timeout below this rate (bits per second) is throttling; 1,000,000 when absent. */
    slowBodyBitsPerSecond?: number
  }
  silenceAfterMs: number
  monitorOffline: { group: string | undefined; failureShare: number }
  /** Target groups and the control group each is compared with. */
  controlGroups: Record<string, string | undefined>
}

/** The incident kinds detection decides (the others come from certwatch and newswatch). */
export type SignalKind = Extract<
  IncidentKind,
  'blackout' | 'service_blocking' | 'throttling' | 'dns_tampering' | 'monitor_offline'
>

/** What detection found in one evaluation. `level: null` means the scope is watched and healthy. */
export interface Signal {
  identity: string
  kind: SignalKind
  scopeType: Extract<IncidentScopeType, 'country' | 'region' | 'network' | 'vantage'>
  scope: string
  region: string | null
  vantageId: string | null
  level: Level | null
  /** For hysteresis: true when the scope is healthy enough to resolve (above resolveAbove of baseline). */
  recovered: boolean
  summary: string
  evidence: Record<string, unknown>
}
