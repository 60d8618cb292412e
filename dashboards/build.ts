// Builds the Grafana dashboards in grafana/*.json from the definitions below, so the panels, queries and
// variables stay consistent and every query can be checked against the metrics Vigil exports.
// Run `pnpm dashboards` after changing this file; a test fails when the committed JSON is stale.
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const PROMETHEUS = { type: 'prometheus', uid: 'vigil-prometheus' } as const
export const POSTGRES = { type: 'grafana-postgresql-datasource', uid: 'vigil-postgres' } as const

type Unit = 'percentunit' | 's' | 'ms' | 'short' | 'dateTimeFromNow' | 'bytes' | 'none'

interface PanelSpec {
  title: string
  type: 'timeseries' | 'stat' | 'table' | 'state-timeline' | 'bargauge'
  description: string
  targets: Array<{ expr: string; legend?: string; instant?: boolean }>
  unit?: Unit
  width?: number
  height?: number
  min?: number
  max?: number
  thresholds?: Array<{ value: number | null; color: string }>
}

interface DashboardSpec {
  uid: string
  title: string
  description: string
  tags: string[]
  variables: Array<{ name: string; label: string; query: string }>
  annotations: unknown[]
  panels: PanelSpec[]
}

/** `probe_*` joined with the target's group, filtered by the dashboard variables. */
const byGroup = (metric: string, filter = '') =>
  `${metric}{vantage=~"$vantage"${filter}} * on(instance, target) group_left(group) vigil_target_info{group=~"$group"}`

const regionFilter = ', region=~"$region", region!=""'

function variable(name: string, label: string, query: string) {
  return {
    name,
    label,
    type: 'query',
    datasource: PROMETHEUS,
    query: { query, refId: `${name}-values` },
    definition: query,
    refresh: 2,
    includeAll: true,
    multi: true,
    allValue: '.*',
    current: { text: 'All', value: '$__all' },
    sort: 1,
  }
}

function panel(spec: PanelSpec, id: number, gridPos: { x: number; y: number; w: number; h: number }) {
  return {
    id,
    type: spec.type,
    title: spec.title,
    description: spec.description,
    datasource: PROMETHEUS,
    gridPos,
    targets: spec.targets.map((target, index) => ({
      datasource: PROMETHEUS,
      refId: String.fromCharCode(65 + index),
      expr: target.expr,
      legendFormat: target.legend ?? '__auto',
      instant: target.instant ?? false,
      range: !(target.instant ?? false),
    })),
    fieldConfig: {
      defaults: {
        unit: spec.unit ?? 'short',
        ...(spec.min === undefined ? {} : { min: spec.min }),
        ...(spec.max === undefined ? {} : { max: spec.max }),
        thresholds: {
          mode: 'absolute',
          steps: spec.thresholds ?? [{ value: null, color: 'green' }],
        },
      },
      overrides: [],
    },
    options:
      spec.type === 'timeseries'
        ? { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } }
        : {},
  }
}

function dashboard(spec: DashboardSpec) {
  let x = 0
  let y = 0
  let rowHeight = 0
  const panels = spec.panels.map((p, index) => {
    const w = p.width ?? 12
    const h = p.height ?? 8
    if (x + w > 24) {
      x = 0
      y += rowHeight
      rowHeight = 0
    }
    const placed = panel(p, index + 1, { x, y, w, h })
    x += w
    rowHeight = Math.max(rowHeight, h)
    return placed
  })
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: spec.tags,
    schemaVersion: 39,
    version: 1,
    editable: true,
    timezone: 'browser',
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    templating: { list: spec.variables.map((v) => variable(v.name, v.label, v.query)) },
    annotations: { list: spec.annotations },
    panels,
  }
}

const red = [
  { value: null, color: 'green' },
  { value: 1, color: 'red' },
]

export const dashboards: Record<string, ReturnType<typeof dashboard>> = {
  'rally-day': dashboard({
    uid: 'vigil-rally-day',
    title: 'Vigil: rally day',
    description:
      'Availability per region against its baseline, incidents, failures by reason, HTTPS interception, detention reports.',
    tags: ['vigil'],
    variables: [
      { name: 'region', label: 'Region', query: 'label_values(probe_success, region)' },
      { name: 'vantage', label: 'Vantage', query: 'label_values(probe_success, vantage)' },
      { name: 'group', label: 'Target group', query: 'label_values(vigil_target_info, group)' },
    ],
    annotations: [
      {
        name: 'Rally windows',
        enable: true,
        iconColor: 'orange',
        datasource: PROMETHEUS,
        expr: 'max by (region) (vigil_rally_window_active{region=~"$region"}) == 1',
        titleFormat: 'Rally window',
        textFormat: '{{region}}',
        step: '60s',
      },
      {
        name: 'Detention reports',
        enable: true,
        iconColor: 'red',
        datasource: POSTGRES,
        rawQuery: true,
        format: 'table',
        rawSql:
          "select started_at as time, summary as text, coalesce(region, '') as tags from incidents where kind = 'detention_report' and $__timeFilter(started_at) order by started_at",
      },
    ],
    panels: [
      {
        title: 'Availability per region',
        type: 'timeseries',
        description:
          'Share of successful probes per region now, and the same share a day earlier as a baseline.',
        targets: [
          { expr: `avg by (region) (${byGroup('probe_success', regionFilter)})`, legend: '{{region}}' },
          {
            expr: `avg by (region) (avg_over_time(probe_success{vantage=~"$vantage"${regionFilter}}[1h] offset 1d))`,
            legend: '{{region}} a day earlier',
          },
        ],
        unit: 'percentunit',
        min: 0,
        max: 1,
        width: 16,
        height: 10,
      },
      {
        title: 'Active incidents',
        type: 'table',
        description: 'Firing incidents by kind, region and level.',
        targets: [
          {
            expr: 'sum by (kind, region, level) (vigil_incident_active{region=~"$region|"}) > 0',
            instant: true,
          },
        ],
        width: 8,
        height: 10,
      },
      {
        title: 'Probe failures by reason',
        type: 'timeseries',
        description: 'Failed probes per second by OONI failure string.',
        targets: [{ expr: 'sum by (reason) (rate(vigil_probe_failures_total[5m]))', legend: '{{reason}}' }],
        unit: 'short',
      },
      {
        title: 'HTTPS interception verdicts',
        type: 'table',
        description:
          'Current verdict per target and vantage; known_interception and control_mismatch are interception.',
        targets: [{ expr: 'vigil_tls_interception{vantage=~"$vantage"} == 1', instant: true }],
        thresholds: red,
      },
      {
        title: 'Regions in a rally window',
        type: 'state-timeline',
        description: 'When the fast probing cadence was on.',
        targets: [
          { expr: 'max by (region) (vigil_rally_window_active{region=~"$region"})', legend: '{{region}}' },
        ],
        width: 12,
      },
      {
        title: 'Detention reports',
        type: 'timeseries',
        description: 'New and updated detention reports found by the news watcher.',
        targets: [{ expr: 'sum(increase(vigil_detention_reports_total[1h]))', legend: 'reports' }],
        width: 12,
      },
    ],
  }),
  vantages: dashboard({
    uid: 'vigil-vantages',
    title: 'Vigil: vantages',
    description: 'Every vantage: liveness, spool backlog, clock skew, success by target group.',
    tags: ['vigil'],
    variables: [
      { name: 'region', label: 'Region', query: 'label_values(probe_success, region)' },
      { name: 'vantage', label: 'Vantage', query: 'label_values(probe_success, vantage)' },
      { name: 'group', label: 'Target group', query: 'label_values(vigil_target_info, group)' },
    ],
    annotations: [],
    panels: [
      {
        title: 'Vantages online',
        type: 'state-timeline',
        description:
          'Whether each vantage was heard from (heartbeat or measurement) within the silence threshold.',
        targets: [
          {
            expr: 'max by (vantage) (vigil_vantage_up{vantage=~"$vantage", region=~"$region|"})',
            legend: '{{vantage}}',
          },
        ],
        width: 24,
      },
      {
        title: 'Last heard from',
        type: 'table',
        description: 'Seconds since each vantage last sent a heartbeat or a measurement.',
        targets: [
          {
            expr: 'time() - max by (vantage, region, role) (vigil_vantage_last_seen_timestamp_seconds{vantage=~"$vantage"})',
            instant: true,
          },
        ],
        unit: 's',
        width: 8,
      },
      {
        title: 'Spool backlog',
        type: 'timeseries',
        description: 'Measurements waiting in each agent spool (they upload when the path is back).',
        targets: [
          {
            expr: 'max by (vantage) (vigil_vantage_spool_backlog{vantage=~"$vantage"})',
            legend: '{{vantage}}',
          },
        ],
        width: 8,
      },
      {
        title: 'Clock skew',
        type: 'timeseries',
        description: "Each agent's clock minus the api's at its last heartbeat.",
        targets: [
          {
            expr: 'max by (vantage) (vigil_vantage_clock_skew_seconds{vantage=~"$vantage"})',
            legend: '{{vantage}}',
          },
        ],
        unit: 's',
        width: 8,
      },
      {
        title: 'Probe success by target group',
        type: 'timeseries',
        description: 'Share of successful probes per vantage and target group.',
        targets: [
          { expr: `avg by (vantage, group) (${byGroup('probe_success')})`, legend: '{{vantage}} {{group}}' },
        ],
        unit: 'percentunit',
        min: 0,
        max: 1,
        width: 24,
      },
      {
        title: 'Rounds per minute',
        type: 'timeseries',
        description: 'Probe rounds completed per minute by target group (faster in rally windows).',
        targets: [{ expr: 'sum by (group) (rate(vigil_probe_rounds_total[5m])) * 60', legend: '{{group}}' }],
      },
      {
        title: 'Probing interval',
        type: 'timeseries',
        description: 'Current interval of each target group.',
        targets: [{ expr: 'max by (group) (vigil_probe_interval_seconds)', legend: '{{group}}' }],
        unit: 's',
      },
      {
        title: 'Rows waiting to be written',
        type: 'timeseries',
        description: 'Results buffered in memory while the database is slow or away.',
        targets: [{ expr: 'sum by (table) (vigil_store_rows_pending)', legend: '{{table}}' }],
      },
      {
        title: 'Store write errors',
        type: 'timeseries',
        description: 'Failed batch writes per second (rows are kept and retried).',
        targets: [{ expr: 'sum by (table) (rate(vigil_store_write_errors_total[5m]))', legend: '{{table}}' }],
      },
    ],
  }),
  targets: dashboard({
    uid: 'vigil-targets',
    title: 'Vigil: targets',
    description: 'Per target: success, latency by phase, status codes, certificate expiry and chain.',
    tags: ['vigil'],
    variables: [
      { name: 'vantage', label: 'Vantage', query: 'label_values(probe_success, vantage)' },
      { name: 'group', label: 'Target group', query: 'label_values(vigil_target_info, group)' },
      { name: 'target', label: 'Target', query: 'label_values(vigil_target_info{group=~"$group"}, target)' },
    ],
    annotations: [],
    panels: [
      {
        title: 'Success',
        type: 'state-timeline',
        description: 'Whether each probe of the target succeeded.',
        targets: [
          {
            expr: 'probe_success{vantage=~"$vantage", target=~"$target"}',
            legend: '{{target}} {{kind}} {{vantage}}',
          },
        ],
        width: 24,
      },
      {
        title: 'HTTP latency by phase',
        type: 'timeseries',
        description: 'blackbox_exporter phases: resolve, connect, tls, processing, transfer.',
        targets: [
          {
            expr: 'sum by (target, phase) (probe_http_duration_seconds{vantage=~"$vantage", target=~"$target"})',
            legend: '{{target}} {{phase}}',
          },
        ],
        unit: 's',
      },
      {
        title: 'Probe duration',
        type: 'timeseries',
        description: 'Whole probe duration per kind.',
        targets: [
          {
            expr: 'probe_duration_seconds{vantage=~"$vantage", target=~"$target"}',
            legend: '{{target}} {{kind}}',
          },
        ],
        unit: 's',
      },
      {
        title: 'HTTP status code',
        type: 'timeseries',
        description: 'Status code of the final response (0 when none came).',
        targets: [
          {
            expr: 'probe_http_status_code{vantage=~"$vantage", target=~"$target"}',
            legend: '{{target}} {{kind}}',
          },
        ],
      },
      {
        title: 'DNS lookup time',
        type: 'timeseries',
        description: 'Time to resolve the target name.',
        targets: [
          {
            expr: 'probe_dns_lookup_time_seconds{vantage=~"$vantage", target=~"$target"}',
            legend: '{{target}} {{kind}}',
          },
        ],
        unit: 's',
      },
      {
        title: 'Certificate expiry',
        type: 'table',
        description: 'Days until the earliest certificate of the presented chain expires.',
        targets: [
          {
            expr: '(min by (target, vantage) (probe_ssl_earliest_cert_expiry{vantage=~"$vantage", target=~"$target"}) - time()) / 86400',
            instant: true,
          },
        ],
        unit: 'none',
      },
      {
        title: 'Presented chain',
        type: 'table',
        description: 'Leaf fingerprint, subject and issuer as each vantage sees them.',
        targets: [
          { expr: 'probe_ssl_last_chain_info{vantage=~"$vantage", target=~"$target"}', instant: true },
        ],
        width: 24,
      },
    ],
  }),
}

export function dashboardJson(name: string): string {
  return `${JSON.stringify(dashboards[name], null, 2)}\n`
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const name of Object.keys(dashboards)) {
    writeFileSync(new URL(`./grafana/${name}.json`, import.meta.url), dashboardJson(name))
  }
  process.stdout.write(`wrote ${Object.keys(dashboards).length} dashboards\n`)
}
