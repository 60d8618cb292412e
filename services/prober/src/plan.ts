// Turns the config into what the prober runs: for every target group this vantage probes, one probe
// target per target and kind, with the scope its measurements speak for. Pure.
import { getServers } from 'node:dns'
import { groupsForVantage, type TargetGroup, type VigilConfig } from '@vigil/config'
import type { BlockPagePattern, ProbeKind, ProbeTarget } from '@vigil/probes'

export interface PlannedProbe {
  probe: ProbeTarget
  /** The target's name in the config and the store; `probe.name` is the same. */
  targetId: string
  /** The region the measurement speaks for: the target's for outside-in probes, else the vantage's. */
  region: string | null
}

export interface PlannedGroup {
  group: TargetGroup
  probes: PlannedProbe[]
  /** Regions whose rally windows speed this group up; empty means any region's. */
  regions: string[]
}

export function planProbes(
  config: VigilConfig,
  systemResolvers: () => string[] = getServers,
): PlannedGroup[] {
  const vantageRegion = config.vantage.region ?? null
  return groupsForVantage(config).map((group) => {
    const outsideIn = group.purpose === 'outside_in'
    const probes = group.targets.flatMap((target) =>
      target.probes.flatMap((kind): PlannedProbe[] => {
        const probe = probeTarget(group, target, kind, systemResolvers)
        if (!probe) return []
        return [{ probe, targetId: target.name, region: outsideIn ? (target.region ?? null) : vantageRegion }]
      }),
    )
    const regions = outsideIn
      ? [...new Set(group.targets.map((target) => target.region).filter((region) => region !== undefined))]
      : vantageRegion
        ? [vantageRegion]
        : []
    return { group, probes, regions }
  })
}

function probeTarget(
  group: TargetGroup,
  target: TargetGroup['targets'][number],
  kind: ProbeKind,
  systemResolvers: () => string[],
): ProbeTarget | undefined {
  const base = { name: target.name, timeoutMs: group.timeout }
  switch (kind) {
    case 'dns': {
      const resolver = group.dns.resolver === 'system' ? systemResolvers()[0] : group.dns.resolver
      if (!resolver) return undefined
      return {
        ...base,
        kind,
        host: target.host,
        resolver,
        ...(group.dns.controlResolver ? { controlResolver: group.dns.controlResolver } : {}),
        recordTypes: group.dns.recordTypes,
        blockPageAddresses: group.dns.blockPageAddresses,
      }
    }
    case 'tcp':
      return { ...base, kind, host: target.host, port: target.port }
    case 'tls':
      return { ...base, kind, host: target.host, port: target.port, servername: target.sni }
    case 'http':
    case 'https': {
      const url = target.urls[kind]
      if (!url) return undefined
      return {
        ...base,
        kind,
        url,
        maxRedirects: group.http.maxRedirects,
        maxBodyBytes: group.http.maxBodyBytes,
        headers: { 'user-agent': group.http.userAgent },
        blockPages: group.blockPages.flatMap(toProbePatterns),
      }
    }
  }
}

// The config allows several status codes per pattern; a probe pattern matches one.
function toProbePatterns(
  pattern: VigilConfig['targetGroups'][number]['blockPages'][number],
): BlockPagePattern[] {
  const body = pattern.bodyPattern === undefined ? {} : { body: new RegExp(pattern.bodyPattern, 'iu') }
  const header =
    pattern.header === undefined
      ? {}
      : { header: { name: pattern.header.name, pattern: new RegExp(pattern.header.pattern, 'iu') } }
  const statuses = pattern.statusCodes?.length ? pattern.statusCodes : [undefined]
  return statuses.map((status) => ({
    name: pattern.name,
    hop: pattern.hop,
    ...(status === undefined ? {} : { status }),
    ...header,
    ...body,
  }))
}
