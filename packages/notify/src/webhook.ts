// The Alertmanager webhook payload (version 4), so anything that already receives Alertmanager
// notifications (chat bridges, incident tools) can receive Vigil's.
import { createHash } from 'node:crypto'
import type { VigilConfig } from '@vigil/config'
import { displayText } from '@vigil/outside-text'
import type { Incident, IncidentKind } from '@vigil/store'
import { describeEvidence, incidentLink, KIND_TITLES, placeOf } from './describe.js'
import { MAX_LISTED_INCIDENTS } from './email.js'
import type { NotificationBundle } from './types.js'

export interface WebhookAlert {
  status: 'firing' | 'resolved'
  labels: Record<string, string>
  annotations: Record<string, string>
  startsAt: string
  endsAt: string
  generatorURL: string
  fingerprint: string
}

export interface WebhookPayload {
  version: '4'
  groupKey: string
  truncatedAlerts: number
  status: 'firing' | 'resolved'
  receiver: string
  groupLabels: Record<string, string>
  commonLabels: Record<string, string>
  commonAnnotations: Record<string, string>
  externalURL: string
  alerts: WebhookAlert[]
}

const ALERT_NAMES: Record<IncidentKind, string> = {
  blackout: 'InternetBlackout',
  service_blocking: 'ServiceBlocking',
  throttling: 'Throttling',
  dns_tampering: 'DnsTampering',
  https_interception: 'HttpsInterception',
  detention_report: 'DetentionReport',
  monitor_offline: 'MonitorOffline',
}

// Alertmanager's zero time: an alert that has not ended.
const NOT_ENDED = '0001-01-01T00:00:00Z'

/**
 * The payload of one group: at most MAX_LISTED_INCIDENTS alerts, the rest counted in `truncatedAlerts` as
 * Alertmanager does past `max_alerts`. Every string loses its bidirectional controls.
 */
export function buildWebhookPayload(bundle: NotificationBundle, config: VigilConfig): WebhookPayload {
  const status = bundle.event === 'resolved' ? 'resolved' : 'firing'
  const listed = bundle.items.slice(0, MAX_LISTED_INCIDENTS)
  const alerts = listed.map((item) => toAlert(item.incident, config))
  return displayJson({
    version: '4',
    groupKey: bundle.groupKey,
    truncatedAlerts: bundle.items.length - listed.length,
    status,
    receiver: bundle.receiver,
    groupLabels: { kind: bundle.kind },
    commonLabels: common(alerts.map((alert) => alert.labels)),
    commonAnnotations: common(alerts.map((alert) => alert.annotations)),
    externalURL: config.alerts.links.api ?? config.api.publicUrl ?? '',
    alerts,
  })
}

/** `value` with every string (keys included) through `displayText`. */
function displayJson<T>(value: T): T {
  if (typeof value === 'string') return displayText(value) as T
  if (Array.isArray(value)) return value.map(displayJson) as T
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [displayText(key), displayJson(inner)]),
    ) as T
  }
  return value
}

function toAlert(incident: Incident, config: VigilConfig): WebhookAlert {
  const labels: Record<string, string> = {
    alertname: ALERT_NAMES[incident.kind],
    kind: incident.kind,
    level: incident.level,
    severity: incident.level,
    scope_type: incident.scopeType,
    scope: incident.scope,
    incident_id: String(incident.id),
  }
  if (incident.region) labels.region = incident.region
  if (incident.vantageId) labels.vantage = incident.vantageId
  const description = describeEvidence(incident)
    .map((line) => `${line.label}: ${line.value}`)
    .join('\n')
  return {
    status: incident.state === 'resolved' ? 'resolved' : 'firing',
    labels,
    annotations: {
      summary: incident.summary,
      description: description || `${KIND_TITLES[incident.kind]}: ${placeOf(incident)}`,
    },
    startsAt: incident.startedAt.toISOString(),
    endsAt: incident.resolvedAt?.toISOString() ?? NOT_ENDED,
    generatorURL: incidentLink(config, incident) ?? '',
    fingerprint: createHash('sha256').update(incident.identity).digest('hex').slice(0, 16),
  }
}

/** The pairs every map shares. */
function common(maps: Array<Record<string, string>>): Record<string, string> {
  const [first, ...rest] = maps
  if (!first) return {}
  return Object.fromEntries(
    Object.entries(first).filter(([key, value]) => rest.every((map) => map[key] === value)),
  )
}
