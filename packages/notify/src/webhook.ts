// The Alertmanager webhook payload (version 4), so anything that already receives Alertmanager
// notifications (chat bridges, incident tools) can receive Vigil's.
import { createHash } from 'node:crypto'
import type { VigilConfig } from '@vigil/config'
import type { Incident, IncidentKind } from '@vigil/store'
import { describeEvidence, incidentLink, KIND_TITLES, placeOf } from './describe.js'
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

export function buildWebhookPayload(bundle: NotificationBundle, config: VigilConfig): WebhookPayload {
  const status = bundle.event === 'resolved' ? 'resolved' : 'firing'
  const alerts = bundle.items.map((item) => toAlert(item.incident, config))
  return {
    version: '4',
    groupKey: bundle.groupKey,
    truncatedAlerts: 0,
    status,
    receiver: bundle.receiver,
    groupLabels: { kind: bundle.kind },
    commonLabels: common(alerts.map((alert) => alert.labels)),
    commonAnnotations: common(alerts.map((alert) => alert.annotations)),
    externalURL: config.alerts.links.api ?? config.api.publicUrl ?? '',
    alerts,
  }
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
