// What certwatch checks and how often: every target this vantage probes over tls or https (host, port,
// SNI), at the interception interval, faster inside rally windows. Pure.
import { groupsForVantage, isInRallyWindow, type VigilConfig } from '@vigil/config'

export interface CertTarget {
  /** The target's name in the config and the store; the `target` metric label. */
  targetId: string
  host: string
  port: number
  servername: string
  /** The region the observation speaks for: the target's for outside-in groups, else the vantage's. */
  region: string | null
  timeoutMs: number
}

export function planCertTargets(config: VigilConfig): CertTarget[] {
  const vantageRegion = config.vantage.region ?? null
  return groupsForVantage(config).flatMap((group) =>
    group.targets.flatMap((target): CertTarget[] => {
      const region = group.purpose === 'outside_in' ? (target.region ?? null) : vantageRegion
      const base = { targetId: target.name, servername: target.sni, region, timeoutMs: group.timeout }
      if (target.probes.includes('tls')) return [{ ...base, host: target.host, port: target.port }]
      const https = target.urls.https
      if (target.probes.includes('https') && https) {
        // The https probe's URL, not the target's port: a target written as an http URL has port 80.
        const url = new URL(https)
        return [{ ...base, host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 443) }]
      }
      return []
    }),
  )
}

/** The interception interval, or the rally interval while a window is open in a region the targets speak for. */
export function certwatchInterval(config: VigilConfig, targets: readonly CertTarget[], now: Date): number {
  const regions = [...new Set(targets.map((t) => t.region).filter((r): r is string => r !== null))]
  const inRally =
    regions.length === 0
      ? isInRallyWindow(config, now)
      : regions.some((region) => isInRallyWindow(config, now, region))
  return inRally ? config.interception.rallyInterval : config.interception.interval
}
