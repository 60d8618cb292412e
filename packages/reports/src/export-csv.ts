// Measurements and incidents as CSV rows: the one shape the api's CSV pages and `vigil export` share.
import type { Incident, Measurement } from '@vigil/store'
import { csvField } from './render-text.js'

export const MEASUREMENT_CSV_HEADER =
  'id,measured_at,received_at,vantage,target,kind,region,asn,ok,failure,duration_ms,source,details\n'

export function measurementCsvRow(row: Measurement): string {
  return `${[
    row.id,
    row.measuredAt.toISOString(),
    row.receivedAt.toISOString(),
    row.vantageId,
    row.targetId,
    row.kind,
    row.region,
    row.asn,
    row.ok,
    row.failure,
    row.durationMs,
    row.source,
    JSON.stringify(row.details ?? {}),
  ]
    .map(csvField)
    .join(',')}\n`
}

export const INCIDENT_CSV_HEADER =
  'id,kind,scope_type,scope,region,vantage,level,state,summary,started_at,firing_at,resolved_at,last_seen_at,evidence\n'

export function incidentCsvRow(row: Incident): string {
  return `${[
    row.id,
    row.kind,
    row.scopeType,
    row.scope,
    row.region,
    row.vantageId,
    row.level,
    row.state,
    row.summary,
    row.startedAt.toISOString(),
    row.firingAt?.toISOString() ?? null,
    row.resolvedAt?.toISOString() ?? null,
    row.lastSeenAt.toISOString(),
    JSON.stringify(row.evidence ?? {}),
  ]
    .map(csvField)
    .join(',')}\n`
}
