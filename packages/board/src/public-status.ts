// The public status page's content: per region a state and a history of incidents and detention reports.
// Public means anyone, including those who run the blocking: nothing here names a vantage, a network, an
// address or a token. Entries are built from a whitelist of fields, never from free text that detection
// writes (an incident's summary may name vantages), so a new evidence field stays private until chosen.
import { createHash } from 'node:crypto'
import type { VigilConfig } from '@vigil/config'
import { describeCount, describeEvidence, KIND_TITLES } from '@vigil/notify'
import { type Incident, openIncidents, queryIncidents, queryReports, type Sql } from '@vigil/store'
import { deriveRegionStates, REGION_STATE_TITLES, type RegionStateName } from './region-state.js'
import { loadRegionCharts, safeLink } from './snapshot.js'

const DAY = 86_400_000

/** Kinds shown publicly: what happened to a region's network. Monitor health and the like stay private. */
const PUBLIC_KINDS = new Set([
  'blackout',
  'service_blocking',
  'throttling',
  'dns_tampering',
  'https_interception',
])
/** Scopes shown publicly: a region or the country, never a network, a vantage or a target. */
const PUBLIC_SCOPES = new Set(['country', 'region'])
/** Evidence lines (by label, from describeEvidence) that carry no vantage or network detail. */
const PUBLIC_EVIDENCE = new Set(['Successful probes', 'Control targets', 'Regions'])

export interface PublicEntry {
  /** A stable URN, the same in the page, the Atom and the RSS feed. */
  id: string
  /** `incident-<n>` or `report-<n>`: the anchor on the page. */
  anchor: string
  type: 'incident' | 'detention_report'
  title: string
  /** Regions it concerns; empty for the whole country. */
  regions: string[]
  country: string
  published: string
  updated: string
  resolved: string | null
  /** Plain-text lines of figures. */
  lines: string[]
  links: Array<{ title: string; url: string }>
}

export interface PublicRegion {
  name: string
  country: string
  state: RegionStateName
  stateTitle: string
  since: string | null
}

export interface PublicStatus {
  title: string
  country: string
  /** Countries with a feed: the monitored one and any a region declares. */
  countries: string[]
  generatedAt: string
  regions: PublicRegion[]
  /** Newest first. */
  entries: PublicEntry[]
  subscriptions: boolean
}

/** A name-based UUID (RFC 9562 version 5 layout) under the installation's country, for feed ids. */
export function entryUrn(country: string, key: string): string {
  const hash = createHash('sha1').update(`vigil:${country}:${key}`).digest()
  hash[6] = (hash[6]! & 0x0f) | 0x50
  hash[8] = (hash[8]! & 0x3f) | 0x80
  const hex = hash.subarray(0, 16).toString('hex')
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

/** Whether an incident may appear publicly at all. */
export function isPublicIncident(incident: Incident): boolean {
  return PUBLIC_KINDS.has(incident.kind) && PUBLIC_SCOPES.has(incident.scopeType)
}

/** The public entry of an incident (see isPublicIncident). */
export function publicIncidentEntry(config: VigilConfig, incident: Incident): PublicEntry {
  const regionCountry = config.regions.find((region) => region.name === incident.region)?.country
  const country =
    incident.scopeType === 'country' ? incident.scope.toUpperCase() : (regionCountry ?? config.country)
  const place = incident.region ?? `${country} (country-wide)`
  const title = `${KIND_TITLES[incident.kind] ?? 'Disruption'}: ${place}${incident.state === 'resolved' ? ' (resolved)' : ''}`
  const lines = [`Since ${(incident.firingAt ?? incident.startedAt).toISOString()}`]
  if (incident.resolvedAt) lines.push(`Resolved ${incident.resolvedAt.toISOString()}`)
  for (const line of describeEvidence(incident)) {
    if (PUBLIC_EVIDENCE.has(line.label)) lines.push(`${line.label}: ${line.value}`)
  }
  const published = incident.firingAt ?? incident.startedAt
  return {
    id: entryUrn(config.country, `incident:${incident.id}`),
    anchor: `incident-${incident.id}`,
    type: 'incident',
    title,
    regions: incident.region ? [incident.region] : [],
    country,
    published: published.toISOString(),
    updated: (incident.resolvedAt ?? published).toISOString(),
    resolved: incident.resolvedAt?.toISOString() ?? null,
    lines,
    links: [],
  }
}

/** Reads the public status: states now and the history of the last `status.historyDays` days. */
export async function loadPublicStatus(sql: Sql, config: VigilConfig, now: Date): Promise<PublicStatus> {
  const from = new Date(now.getTime() - config.status.historyDays * DAY)
  const open = await openIncidents(sql)
  const recent = await queryIncidents(sql, { from, limit: 1000 })
  const charts = await loadRegionCharts(sql, config, now)
  const samples = new Map<string, number>()
  for (const [region, { chart }] of charts) {
    samples.set(
      region,
      chart.slice(-2).reduce((sum, point) => sum + point.samples, 0),
    )
  }
  const refs = config.regions.map((region) => ({
    name: region.name,
    country: region.country ?? config.country,
  }))
  const states = deriveRegionStates({
    regions: refs,
    open,
    resolved: recent.filter((incident) => incident.state === 'resolved'),
    samples,
  })
  const regions = states.map((state, index) => ({
    name: state.region,
    country: refs[index]!.country,
    state: state.state,
    stateTitle: REGION_STATE_TITLES[state.state],
    since: state.since?.toISOString() ?? null,
  }))

  const entries: PublicEntry[] = recent
    .filter(isPublicIncident)
    .map((incident) => publicIncidentEntry(config, incident))
  const reports = await queryReports(sql, { from: from.toISOString().slice(0, 10), limit: 500 })
  for (const report of reports) {
    const countText = describeCount(report.maxCount) ?? 'an unknown number of people'
    const links: Array<{ title: string; url: string }> = []
    for (const item of report.items) {
      const url = safeLink(item.link ?? item.canonicalUrl)
      if (url && !links.some((link) => link.url === url))
        links.push({ title: `${item.source}: ${item.title}`, url })
    }
    entries.push({
      id: entryUrn(config.country, `report:${report.id}`),
      anchor: `report-${report.id}`,
      type: 'detention_report',
      title: `Detentions reported: ${report.cities.join(', ') || 'city unknown'}: ${countText}`,
      regions: report.cities.filter((city) => refs.some((region) => region.name === city)),
      country: config.country,
      published: report.firstSeenAt.toISOString(),
      updated: report.updatedAt.toISOString(),
      resolved: null,
      lines: [
        ...(report.day ? [`Day: ${report.day}`] : []),
        `Detained: ${countText} (version ${report.version} of the count)`,
        `Headline: ${report.title}`,
      ],
      links,
    })
  }
  entries.sort((a, b) => b.updated.localeCompare(a.updated) || a.id.localeCompare(b.id))
  const countries = [...new Set([config.country, ...refs.map((region) => region.country)])]
  return {
    title: config.status.title ?? `${config.name}: status`,
    country: config.country,
    countries,
    generatedAt: now.toISOString(),
    regions,
    entries,
    subscriptions: config.status.subscriptions,
  }
}

/** The entries of one feed: a country's (all its regions and country-wide ones) or one region's. */
export function feedEntries(
  status: PublicStatus,
  scopeType: 'country' | 'region',
  scope: string,
): PublicEntry[] {
  if (scopeType === 'country') return status.entries.filter((entry) => entry.country === scope)
  return status.entries.filter(
    (entry) =>
      entry.regions.includes(scope) ||
      (entry.regions.length === 0 &&
        entry.type === 'incident' &&
        status.regions.some((region) => region.name === scope && region.country === entry.country)),
  )
}
