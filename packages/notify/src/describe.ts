// Incidents in words and figures, shared by every channel: titles, places, the evidence behind a decision
// and the links to follow. Everything returned is plain text; channels escape it for their format.
import { formatBitRate, type VigilConfig } from '@vigil/config'
import {
  type BlackoutEvidence,
  type BlockedService,
  type DetentionCount,
  MIN_BASELINE_HOURS,
  readEvidence,
  type ServiceBlockingEvidence,
  type SlowTarget,
  type ThrottlingEvidence,
} from '@vigil/model'
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
  /** Null when the item had no address. */
  url: string | null
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

const QUALIFIER_WORDS: Record<DetentionCount['qualifier'], string> = {
  exact: '',
  approx: 'about',
  at_least: 'at least',
  up_to: 'up to',
}

/** `about 700`, `at least 100`, `12`. */
export function describeCount(count: DetentionCount | null | undefined): string | undefined {
  if (!count) return undefined
  const word = QUALIFIER_WORDS[count.qualifier]
  return word ? `${word} ${count.value}` : String(count.value)
}

/** The detention report an incident carries, as the email and other channels show it. */
export interface DetentionDetails {
  version: number
  day: string | undefined
  cities: string[]
  count: string | undefined
  people: string[]
  title: string | undefined
  sentence: string | undefined
  /** Every outlet's item, with its title and address (the address null when the feed gave none). */
  sources: SourceLink[]
}

/** Reads a detention report's typed evidence; evidence that does not fit gives an empty report, never a guess. */
export function detentionDetails(incident: Incident): DetentionDetails {
  const read = readEvidence(incident.kind, incident.evidence)
  const e = read.kind === 'detention_report' && read.evidence ? read.evidence : undefined
  const cities = e?.cities ?? []
  return {
    version: e?.version ?? 1,
    day: e?.day ?? undefined,
    cities: cities.length > 0 ? cities : incident.region ? [incident.region] : [],
    count: describeCount(e?.count),
    people: e?.people ?? [],
    title: e?.title,
    sentence: e?.evidence,
    sources: (e?.sources ?? []).map((source) => ({
      title: source.source ? `${source.source}: ${source.title}` : source.title,
      url: source.url,
    })),
  }
}

/**
 * The figures behind an incident, one line each, read from its kind's typed evidence. Evidence that does
 * not match its kind's schema is said to be unreadable, with the field at fault.
 */
export function describeEvidence(incident: Incident): EvidenceLine[] {
  const read = readEvidence(incident.kind, incident.evidence)
  if (read.evidence === null) return [{ label: 'Evidence', value: `unreadable (${read.problem})` }]
  switch (read.kind) {
    case 'detention_report': {
      const report = detentionDetails(incident)
      const lines: EvidenceLine[] = []
      if (report.cities.length > 0) lines.push({ label: 'City', value: report.cities.join(', ') })
      if (report.day) lines.push({ label: 'Date', value: report.day })
      if (report.count) lines.push({ label: 'Detained', value: report.count })
      // Figures the reports give per city, apart from the total above.
      const perCity = (read.evidence.cityCounts ?? []).map(
        (entry) => `${entry.city}: ${describeCount(entry) ?? 'count not given'}`,
      )
      if (perCity.length > 0) lines.push({ label: 'Per city', value: perCity.join('; ') })
      if (report.people.length > 0) lines.push({ label: 'Named', value: report.people.join(', ') })
      if (report.title) lines.push({ label: 'Headline', value: report.title })
      if (report.sentence) lines.push({ label: 'Evidence', value: report.sentence })
      return lines
    }
    case 'blackout':
      return blackoutLines(read.evidence)
    case 'service_blocking':
      return serviceBlockingLines(read.evidence)
    case 'throttling':
      return throttlingLines(read.evidence)
    case 'dns_tampering': {
      const e = read.evidence
      return [
        {
          label: `Tampered answers (${e.tamperedTargets.length} of ${e.dnsSeries} DNS probes)`,
          value: list(e.tamperedTargets),
        },
      ]
    }
    case 'https_interception': {
      const e = read.evidence
      const lines: EvidenceLine[] = [
        { label: 'Verdict', value: e.verdict },
        { label: `Hosts (${e.hosts.length})`, value: list(e.hosts) },
      ]
      // Incidents opened before the vantage list have one vantage: the incident's own.
      const vantages = e.vantages ?? [
        {
          id: incident.vantageId ?? incident.scope,
          region: incident.region,
          firstSeen: incident.startedAt.toISOString(),
          lastSeen: incident.lastSeenAt.toISOString(),
          hosts: e.hosts,
          clearedAt: null,
        },
      ]
      const regions = [...new Set(vantages.map((v) => v.region).filter((r): r is string => r !== null))]
      if (regions.length > 0) lines.push({ label: 'Regions', value: list(regions.sort()) })
      lines.push({
        label: `Seen from (${vantages.length} vantage${vantages.length === 1 ? '' : 's'})`,
        value: list(
          vantages.map(
            (v) =>
              `${v.id}${v.region ? ` (${v.region})` : ''} ${minute(v.firstSeen)} to ${minute(v.lastSeen)} UTC on ${v.hosts.join(', ')}${v.clearedAt ? `; over since ${minute(v.clearedAt)} UTC` : ''}`,
          ),
          25,
        ),
      })
      if (e.knownInterception) lines.push({ label: 'Known interception root', value: e.knownInterception })
      if (e.interceptorSubject) lines.push({ label: 'Presented by', value: e.interceptorSubject })
      if (e.interceptorIssuer) lines.push({ label: 'Issued by', value: e.interceptorIssuer })
      if (e.interceptorSpki) lines.push({ label: 'Key (SPKI SHA-256)', value: e.interceptorSpki })
      return lines
    }
    case 'monitor_offline': {
      const e = read.evidence
      const lines: EvidenceLine[] = [
        {
          label: 'Control targets',
          value: `${e.controlFailing} of ${e.controlSeries} failing${e.controlGroup ? ` (${e.controlGroup})` : ''}`,
        },
      ]
      if (e.blackoutRuledOut === false)
        lines.push({
          label: 'Blackout',
          value: `could not be ruled out${e.region ? ` in ${e.region}` : ''}${e.why ? `: ${e.why}` : ''}`,
        })
      else if (e.blackoutRuledOut === true && e.why) lines.push({ label: 'Not a blackout', value: e.why })
      return lines
    }
  }
}

const CONTROL_WORDS: Record<BlockedService['control'], string> = {
  ok: 'answers from the control vantage',
  failing: 'fails from the control vantage too',
  none: 'no control measurement of it',
}

function serviceBlockingLines(e: ServiceBlockingEvidence): EvidenceLine[] {
  const lines: EvidenceLine[] = []
  if (e.scope === 'service' && e.target) lines.push({ label: 'Service', value: e.target })
  lines.push({ label: 'Service group', value: e.group })
  lines.push(
    e.judgedTargets === undefined
      ? { label: 'Failing', value: `${percent(e.failureShare)} of its probes` }
      : {
          label: 'Blocked in the group',
          value: `${percent(e.failureShare)} of ${e.judgedTargets} services probed from this vantage`,
        },
  )
  lines.push({ label: 'Control group', value: `${e.controlGroup}: ${percent(e.controlSuccessShare)} answer` })
  if (e.services && e.services.length > 0) {
    const described = e.services.map((s) =>
      s.failure === 'http_blockpage'
        ? `${s.target}: block page${s.blockPage ? ` "${s.blockPage}"` : ''} (${s.kind})`
        : `${s.target}: ${s.failure} at ${s.kind}; ${CONTROL_WORDS[s.control]}`,
    )
    lines.push({ label: `Blocked (${described.length})`, value: list(described) })
  } else if (e.blockedTargets.length > 0) {
    lines.push({ label: `Targets blocked (${e.blockedTargets.length})`, value: list(e.blockedTargets) })
  }
  if (e.downEverywhere && e.downEverywhere.length > 0) {
    lines.push({ label: 'Down everywhere, not counted', value: list(e.downEverywhere) })
  }
  lines.push(...failureLines(e.failures))
  return lines
}

function throttlingLines(e: ThrottlingEvidence): EvidenceLine[] {
  const slow = [...e.slow].sort((a, b) => (b.factor ?? 0) - (a.factor ?? 0))
  const usual = (t: SlowTarget) =>
    t.baselineMs === null
      ? 'no baseline yet'
      : `${t.baselineMs} ms usually${t.factor === null ? '' : `, ×${t.factor}`}`
  const describeSlow = (t: SlowTarget) =>
    t.cause === 'slow_body'
      ? `${t.target} (${t.kind}) body still arriving at ${formatBitRate(t.transferBitsPerSecond ?? 0)} when the probe timed out after ${t.medianMs} ms (${usual(t)})`
      : `${t.target} (${t.kind}) ${t.medianMs} ms against ${usual(t)}`
  const lines: EvidenceLine[] = [
    { label: 'Service group', value: e.group },
    {
      label: `Slow targets (${slow.length} of ${e.comparedSeries} compared)`,
      value: slow.length === 0 ? 'none' : list(slow.map(describeSlow)),
    },
  ]
  if (e.withoutBaseline !== undefined && e.withoutBaseline > 0) {
    lines.push({ label: 'Not compared', value: `${e.withoutBaseline} series: no baseline yet` })
  }
  const margin = e.minExtraMs === undefined ? '' : ` and at least ${e.minExtraMs} ms slower`
  const body =
    e.slowBodyBelowBitsPerSecond === undefined
      ? ''
      : `; a body below ${formatBitRate(e.slowBodyBelowBitsPerSecond)} at the timeout`
  lines.push({ label: 'Threshold', value: `×${e.factorThreshold} the usual time${margin}${body}` })
  return lines
}

function blackoutLines(e: BlackoutEvidence): EvidenceLine[] {
  const lines: EvidenceLine[] = []
  // Without enough history there is no baseline to compare with; say so rather than claim a norm. Older
  // evidence stored an assumed 1 with fewer than MIN_BASELINE_HOURS hours behind it: the same holds.
  const baseline = e.baselineHours >= MIN_BASELINE_HOURS ? e.baseline : null
  const hours = `${e.baselineHours} ${e.baselineHours === 1 ? 'hour' : 'hours'} of history`
  lines.push({
    label: 'Successful probes',
    value:
      baseline === null
        ? `${percent(e.share)} of probes succeed; no baseline yet (${hours})`
        : `${percent(e.share)} of probes succeed against ${percent(baseline)} normally (${(e.ratio ?? e.share / baseline).toFixed(2)} of baseline)`,
  })
  if (e.mobileOnly) {
    lines.push({ label: 'Networks', value: 'mobile networks dark, fixed networks up' })
    if (e.darkNetworks?.length) lines.push({ label: 'Dark networks', value: list(e.darkNetworks) })
    if (e.upNetworks?.length) lines.push({ label: 'Networks still up', value: list(e.upNetworks) })
  }
  if (e.darkRegions?.length)
    lines.push({
      label: `Regions dark (${e.darkRegions.length})`,
      value: `${list(e.darkRegions)}${e.regionsWithData !== undefined ? ` of ${e.regionsWithData} with data` : ''}`,
    })
  if (e.darkVantages?.length) lines.push({ label: 'Vantages dark or silent', value: list(e.darkVantages) })
  if (e.upVantages?.length) lines.push({ label: 'Vantages still up', value: list(e.upVantages) })
  lines.push({ label: 'Failing probe series', value: `${e.failingSeries} of ${e.series}` })
  if (e.failingTargets.length > 0)
    lines.push({ label: `Targets affected (${e.failingTargets.length})`, value: list(e.failingTargets) })
  if (e.failingVantages.length > 0)
    lines.push({ label: `Vantages affected (${e.failingVantages.length})`, value: list(e.failingVantages) })
  if (e.controlTargets && e.controlTargets.total > 0) {
    lines.push({
      label: 'Control targets',
      value: `${e.controlTargets.failing} of ${e.controlTargets.total} failing from in-country vantages`,
    })
  } else if (e.controlFailing !== null) {
    lines.push({ label: 'Control targets', value: e.controlFailing ? 'failing too' : 'still reachable' })
  }
  if (e.outsideInFailing > 0) {
    lines.push({
      label: 'Outside-in probes failing',
      value: e.outsideInTargets
        ? `${e.outsideInFailing} of ${e.outsideInTargets} in-country endpoints probed from abroad`
        : String(e.outsideInFailing),
    })
  }
  if (e.silentVantages.length > 0) lines.push({ label: 'Silent vantages', value: list(e.silentVantages) })
  lines.push(...failureLines(e.failures))
  return lines
}

function failureLines(failures: Record<string, number>): EvidenceLine[] {
  const counts = Object.entries(failures)
    .sort((a, b) => b[1] - a[1])
    .map(([failure, n]) => `${failure} ×${n}`)
  return counts.length > 0 ? [{ label: 'Failures', value: list(counts) }] : []
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

// Long lists are cut so one message stays readable; the api has the rest.
/** `2019-06-09 04:05` from an ISO 8601 instant; the text itself when it is not one. */
function minute(iso: string): string {
  const at = new Date(iso)
  return Number.isNaN(at.getTime()) ? iso : at.toISOString().slice(0, 16).replace('T', ' ')
}

function list(values: string[], max = 12): string {
  return values.length <= max
    ? values.join(', ')
    : `${values.slice(0, max).join(', ')} and ${values.length - max} more`
}
