// Incidents in words and figures, shared by every channel: titles, places, the evidence behind a decision
// and the links to follow. Everything returned is plain text; channels escape it for their format.
import type { VigilConfig } from '@vigil/config'
import type { Incident, IncidentKind } from '@vigil/store'

export const KIND_TITLES: Record<IncidentKind, string> = {
  blackout: 'Internet blackout',
  service_blocking: 'Service blocking',
  throttling: 'Throttling',
  dns_tampering: 'DNS tampering',
  https_interception: 'HTTPS interception',
  detention_report: 'Detentions reported',
  monitor_offline: 'Monitor offline',
}

export interface EvidenceLine {
  label: string
  value: string
}

export interface SourceLink {
  title: string
  url: string
}

/** Where an incident happened, as people name it: the region, else the scope (a network, a vantage...). */
export function placeOf(incident: Incident): string {
  if (incident.region) return incident.region
  if (incident.scopeType === 'country') return `${countryName(incident.scope)} (country-wide)`
  if (incident.scopeType === 'network') return `network ${incident.scope}`
  return incident.scope
}

function countryName(code: string): string {
  try {
    return new Intl.DisplayNames(['en'], { type: 'region' }).of(code) ?? code
  } catch {
    return code
  }
}

/** The IANA zone of the incident's region, or UTC when it has none. */
export function zoneOf(config: VigilConfig, incident: Incident): string {
  const name = incident.region
  if (name === null) return config.regions[0]?.timeZone ?? 'UTC'
  return config.regions.find((region) => region.name === name)?.timeZone ?? 'UTC'
}

const QUALIFIER_WORDS: Record<string, string> = {
  exact: '',
  approx: 'about',
  at_least: 'at least',
  up_to: 'up to',
}

/** `about 700`, `at least 100`, `12`. */
export function describeCount(count: unknown): string | undefined {
  if (!count || typeof count !== 'object') return undefined
  const { value, qualifier } = count as { value?: unknown; qualifier?: unknown }
  if (typeof value !== 'number') return undefined
  const word = typeof qualifier === 'string' ? (QUALIFIER_WORDS[qualifier] ?? '') : ''
  return word ? `${word} ${value}` : String(value)
}

/**
 * The detention report an incident carries in its evidence: `{ version, day, cities, count: { value,
 * qualifier }, people, title, evidence, sources: [{ title, url }] }` (fields may be missing).
 */
export interface DetentionDetails {
  version: number
  day: string | undefined
  cities: string[]
  count: string | undefined
  people: string[]
  title: string | undefined
  sentence: string | undefined
  sources: SourceLink[]
}

export function detentionDetails(incident: Incident): DetentionDetails {
  const evidence = incident.evidence
  const version = typeof evidence.version === 'number' ? evidence.version : 1
  const sources: SourceLink[] = []
  if (Array.isArray(evidence.sources)) {
    for (const source of evidence.sources) {
      if (typeof source === 'string') sources.push({ title: source, url: source })
      else if (source && typeof source === 'object' && typeof source.url === 'string') {
        const title = [source.source, source.title].filter((part) => typeof part === 'string').join(': ')
        sources.push({ title: title || source.url, url: source.url })
      }
    }
  }
  const cities = strings(evidence.cities)
  return {
    version,
    day: typeof evidence.day === 'string' ? evidence.day : undefined,
    cities: cities.length > 0 ? cities : incident.region ? [incident.region] : [],
    count: describeCount(evidence.count ?? evidence.maxCount),
    people: strings(evidence.people),
    title: typeof evidence.title === 'string' ? evidence.title : undefined,
    sentence: typeof evidence.evidence === 'string' ? evidence.evidence : undefined,
    sources,
  }
}

/** The figures behind an incident, one line each. */
export function describeEvidence(incident: Incident): EvidenceLine[] {
  const e = incident.evidence
  const lines: EvidenceLine[] = []
  if (incident.kind === 'detention_report') {
    const report = detentionDetails(incident)
    if (report.cities.length > 0) lines.push({ label: 'City', value: report.cities.join(', ') })
    if (report.day) lines.push({ label: 'Date', value: report.day })
    if (report.count) lines.push({ label: 'Detained', value: report.count })
    if (report.people.length > 0) lines.push({ label: 'Named', value: report.people.join(', ') })
    if (report.title) lines.push({ label: 'Headline', value: report.title })
    if (report.sentence) lines.push({ label: 'Evidence', value: report.sentence })
    return lines
  }
  const used = new Set<string>()
  const take = (key: string) => {
    used.add(key)
    return e[key]
  }
  const share = take('share')
  const baseline = take('baseline')
  const ratio = take('ratio')
  if (typeof share === 'number') {
    const parts = [`${percent(share)} of probes succeed`]
    const hours = take('baselineHours')
    if (typeof baseline === 'number') {
      // Without enough history the detector assumes full availability; say so rather than claim a norm.
      parts.push(
        hours === 0
          ? `(no history yet: compared with ${percent(baseline)})`
          : `against ${percent(baseline)} normally`,
      )
    }
    if (typeof ratio === 'number') parts.push(`(${ratio.toFixed(2)} of baseline)`)
    lines.push({ label: 'Successful probes', value: parts.join(' ') })
  }
  const series = take('series')
  const failingSeries = take('failingSeries')
  if (typeof series === 'number' && typeof failingSeries === 'number') {
    lines.push({ label: 'Failing probe series', value: `${failingSeries} of ${series}` })
  }
  const targets = strings(take('failingTargets'))
  if (targets.length > 0) lines.push({ label: `Targets affected (${targets.length})`, value: list(targets) })
  const vantages = strings(take('failingVantages'))
  if (vantages.length > 0)
    lines.push({ label: `Vantages affected (${vantages.length})`, value: list(vantages) })
  const control = take('controlFailing')
  if (typeof control === 'boolean') {
    lines.push({ label: 'Control targets', value: control ? 'failing too' : 'still reachable' })
  }
  const outsideIn = take('outsideInFailing')
  if (typeof outsideIn === 'number' && outsideIn > 0) {
    lines.push({ label: 'Outside-in probes failing', value: String(outsideIn) })
  }
  take('confirmed')
  take('recoveringSince')
  const silent = strings(take('silentVantages'))
  if (silent.length > 0) lines.push({ label: 'Silent vantages', value: list(silent) })
  const failures = take('failures')
  if (failures && typeof failures === 'object' && !Array.isArray(failures)) {
    const counts = Object.entries(failures as Record<string, unknown>)
      .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
      .sort((a, b) => b[1] - a[1])
      .map(([failure, n]) => `${failure} ×${n}`)
    if (counts.length > 0) lines.push({ label: 'Failures', value: list(counts) })
  }
  for (const [key, value] of Object.entries(e)) {
    if (used.has(key) || value === null || value === undefined) continue
    const text = scalarText(value)
    if (text !== undefined) lines.push({ label: key, value: text })
  }
  return lines
}

/** The api query for the incident's kind and place from its start, if the api's address is configured. */
export function incidentLink(config: VigilConfig, incident: Incident): string | undefined {
  const base = config.alerts.links.api ?? config.api.publicUrl
  if (!base) return undefined
  const url = new URL('/v1/incidents', base)
  url.searchParams.set('kind', incident.kind)
  if (incident.region) url.searchParams.set('region', incident.region)
  url.searchParams.set('from', incident.startedAt.toISOString())
  return url.toString()
}

/**
 * The api's list of every incident of a group, for messages that list only the first few: the group's kind
 * and state, from the earliest start among them.
 */
export function groupLink(config: VigilConfig, incidents: readonly Incident[]): string | undefined {
  const base = config.alerts.links.api ?? config.api.publicUrl
  const first = incidents[0]
  if (!base || !first) return undefined
  const url = new URL('/v1/incidents', base)
  url.searchParams.set('kind', first.kind)
  url.searchParams.set('state', first.state === 'resolved' ? 'resolved' : 'firing')
  url.searchParams.set(
    'from',
    new Date(Math.min(...incidents.map((i) => i.startedAt.getTime()))).toISOString(),
  )
  return url.toString()
}

/** The Grafana dashboard over the incident's time, an hour either side, filtered to its region. */
export function dashboardLink(config: VigilConfig, incidents: readonly Incident[]): string | undefined {
  const base = config.alerts.links.dashboard
  if (!base || incidents.length === 0) return undefined
  const url = new URL(base)
  const start = Math.min(...incidents.map((i) => i.startedAt.getTime()))
  const ends = incidents.map((i) => i.resolvedAt?.getTime())
  url.searchParams.set('from', String(start - 3_600_000))
  url.searchParams.set(
    'to',
    ends.every((end) => end !== undefined) ? String(Math.max(...(ends as number[])) + 3_600_000) : 'now',
  )
  for (const region of new Set(incidents.map((i) => i.region).filter((r) => r !== null))) {
    url.searchParams.append('var-region', region)
  }
  return url.toString()
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}

// Long lists are cut so one message stays readable; the api has the rest.
function list(values: string[], max = 12): string {
  return values.length <= max
    ? values.join(', ')
    : `${values.slice(0, max).join(', ')} and ${values.length - max} more`
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length > 500 ? `${value.slice(0, 500)}…` : value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) {
    return list(value.map(String))
  }
  return undefined
}
