// A region's state as a monitor reads it, derived from the incidents open now. This is the one place that
// maps incident kinds and scopes to region states, so the board, the status page and their feeds agree,
// and a change in what detection records (new kinds, new scopes) is followed here and nowhere else.
import type { Incident } from '@vigil/store'

/** From worst to best; `no_data` when nothing was measured and nothing is open. */
export const REGION_STATES = [
  'blackout',
  'mobile_only_blackout',
  'blocked_services',
  'throttled',
  'degraded',
  'ok',
  'no_data',
] as const
export type RegionStateName = (typeof REGION_STATES)[number]

export const REGION_STATE_TITLES: Record<RegionStateName, string> = {
  blackout: 'Blackout',
  mobile_only_blackout: 'Mobile-only blackout',
  blocked_services: 'Blocked services',
  throttled: 'Throttled',
  degraded: 'Degraded',
  ok: 'OK',
  no_data: 'No data',
}

export interface RegionRef {
  name: string
  /** ISO 3166-1 alpha-2; the monitored country when the region declares none. */
  country: string
}

export interface RegionState {
  region: string
  state: RegionStateName
  /** When the current state began: the first firing of the incidents behind it, or the last resolution. */
  since: Date | null
  /** The open incidents behind the state, oldest first. */
  incidentIds: number[]
}

export interface RegionStateInput {
  regions: readonly RegionRef[]
  /** Incidents not resolved (pending or firing). */
  open: readonly Incident[]
  /** Recently resolved incidents, for the `since` of a region that is ok again. */
  resolved?: readonly Incident[]
  /** Probe results stored per region over the recent past (e.g. the last hour); 0 or absent is no data. */
  samples: ReadonlyMap<string, number>
  /** The share of those probes that succeeded, 0..1, per region with samples. */
  shares?: ReadonlyMap<string, number>
}

/**
 * Below this share of successful probes, with no incident (yet) to say why, a region is `degraded`, never
 * `ok`: detection may still be confirming, or its vantage is the one that cannot see. Half, IODA's
 * critical level (0.5 of baseline) taken against a full baseline.
 */
export const UNEXPLAINED_LOW_SHARE = 0.5

// Kinds that describe people and machines, not the network of a region.
const NOT_NETWORK_STATE = new Set(['detention_report', 'monitor_offline'])

/**
 * The state one incident puts its region in. A blackout whose evidence or identity marks it as affecting
 * mobile networks only (`evidence.mobileOnly === true`, `evidence.networkType === 'mobile'`, or `mobile` in
 * the identity) is a mobile-only blackout. A kind this function does not know is `degraded`, never `ok`
 * (fail closed). A pending incident (not yet confirmed) shows as `degraded` at most.
 */
export function stateOfIncident(incident: Incident): RegionStateName | undefined {
  if (NOT_NETWORK_STATE.has(incident.kind)) return undefined
  let state: RegionStateName
  switch (incident.kind) {
    case 'blackout': {
      const e = incident.evidence
      const mobile =
        e.mobileOnly === true ||
        e.networkType === 'mobile' ||
        /(^|[|:_-])mobile([|:_-]|$)/.test(incident.identity)
      state = mobile ? 'mobile_only_blackout' : 'blackout'
      break
    }
    case 'service_blocking':
    case 'dns_tampering':
      state = 'blocked_services'
      break
    case 'throttling':
      state = 'throttled'
      break
    default:
      state = 'degraded'
  }
  return incident.state === 'pending' ? 'degraded' : state
}

/** Whether an incident concerns a region: its own, or the region's whole country. */
export function incidentCovers(incident: Incident, region: RegionRef): boolean {
  if (incident.region !== null) return incident.region === region.name
  return incident.scopeType === 'country' && incident.scope.toUpperCase() === region.country.toUpperCase()
}

/** Every region's state, in the order the regions are given. */
export function deriveRegionStates(input: RegionStateInput): RegionState[] {
  return input.regions.map((region) => {
    let worst: RegionStateName | undefined
    let behind: Incident[] = []
    for (const incident of input.open) {
      if (!incidentCovers(incident, region)) continue
      const state = stateOfIncident(incident)
      if (state === undefined) continue
      const rank = REGION_STATES.indexOf(state)
      if (worst === undefined || rank < REGION_STATES.indexOf(worst)) {
        worst = state
        behind = [incident]
      } else if (state === worst) {
        behind.push(incident)
      }
    }
    if (worst !== undefined) {
      behind.sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime() || a.id - b.id)
      const since = Math.min(...behind.map((incident) => (incident.firingAt ?? incident.startedAt).getTime()))
      return {
        region: region.name,
        state: worst,
        since: new Date(since),
        incidentIds: behind.map((i) => i.id),
      }
    }
    // A monitor that cannot reach anything says nothing about its region's network: no data, not ok.
    const offline = input.open.filter(
      (incident) => incident.kind === 'monitor_offline' && incidentCovers(incident, region),
    )
    if ((input.samples.get(region.name) ?? 0) === 0 || offline.length > 0) {
      return {
        region: region.name,
        state: 'no_data',
        since: offline.length > 0 ? new Date(Math.min(...offline.map((i) => i.startedAt.getTime()))) : null,
        incidentIds: offline.map((incident) => incident.id),
      }
    }
    const share = input.shares?.get(region.name)
    if (share !== undefined && share < UNEXPLAINED_LOW_SHARE) {
      return { region: region.name, state: 'degraded', since: null, incidentIds: [] }
    }
    const resolvedAt = (input.resolved ?? [])
      .filter((incident) => incidentCovers(incident, region) && stateOfIncident(incident) !== undefined)
      .map((incident) => incident.resolvedAt?.getTime() ?? 0)
    const since = resolvedAt.length > 0 ? new Date(Math.max(...resolvedAt)) : null
    return { region: region.name, state: 'ok', since, incidentIds: [] }
  })
}
