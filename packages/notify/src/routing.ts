// Which receivers hear about an incident (the config's routes, first match unless `continue`) and whether
// a silence from the config or the api holds it back. Pure decisions over plain data.
import type { AlertSettings, Route } from '@vigil/config'
import type { Incident } from '@vigil/store'

/** A silence from either source, reduced to what matching needs. Undefined or null matches every value. */
export interface SilenceMatcher {
  kinds?: readonly string[] | null | undefined
  regions?: readonly string[] | null | undefined
  vantages?: readonly string[] | null | undefined
  start: Date
  end: Date
}

export interface RoutedReceiver {
  receiver: string
  route: Route
  /** Position of the route in the config; -1 for the default receiver. */
  routeIndex: number
}

/** The defaults of a route in the config file, used for the default receiver. */
export const DEFAULT_ROUTE_TIMING = {
  groupWait: 30_000,
  rallyGroupWait: 0,
  groupInterval: 300_000,
  repeatInterval: 4 * 3_600_000,
  sendResolved: true,
} as const

export function routeMatches(route: Route, incident: Pick<Incident, 'kind' | 'level' | 'region'>): boolean {
  if (!route.kinds.includes(incident.kind)) return false
  if (!route.levels.includes(incident.level)) return false
  if (route.regions !== undefined && (incident.region === null || !route.regions.includes(incident.region))) {
    return false
  }
  return true
}

/**
 * The receivers of an incident, each once (the first route naming a receiver decides its timing). Routes are
 * tried in order and matching stops at the first match that does not say `continue`; nothing matched sends
 * to the default receiver, if there is one.
 */
export function routeIncident(
  alerts: AlertSettings,
  incident: Pick<Incident, 'kind' | 'level' | 'region'>,
): RoutedReceiver[] {
  const routed: RoutedReceiver[] = []
  for (const [routeIndex, route] of alerts.routes.entries()) {
    if (!routeMatches(route, incident)) continue
    if (!routed.some((r) => r.receiver === route.receiver))
      routed.push({ receiver: route.receiver, route, routeIndex })
    if (!route.continue) break
  }
  if (routed.length === 0 && alerts.defaultReceiver !== undefined) {
    const route: Route = {
      receiver: alerts.defaultReceiver,
      kinds: [incident.kind],
      levels: [incident.level],
      regions: undefined,
      ...DEFAULT_ROUTE_TIMING,
      continue: false,
    }
    routed.push({ receiver: alerts.defaultReceiver, route, routeIndex: -1 })
  }
  return routed
}

export function silenceMatches(
  silence: SilenceMatcher,
  incident: Pick<Incident, 'kind' | 'region' | 'vantageId'>,
  at: Date,
): boolean {
  const time = at.getTime()
  if (time < silence.start.getTime() || time >= silence.end.getTime()) return false
  if (silence.kinds && !silence.kinds.includes(incident.kind)) return false
  if (silence.regions && (incident.region === null || !silence.regions.includes(incident.region)))
    return false
  if (silence.vantages && (incident.vantageId === null || !silence.vantages.includes(incident.vantageId))) {
    return false
  }
  return true
}

export function isSilenced(
  silences: readonly SilenceMatcher[],
  incident: Pick<Incident, 'kind' | 'region' | 'vantageId'>,
  at: Date,
): boolean {
  return silences.some((silence) => silenceMatches(silence, incident, at))
}
