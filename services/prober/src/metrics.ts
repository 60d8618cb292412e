// The prober's Prometheus metrics. Probe results use blackbox_exporter's names and meanings, labelled by
// target, kind, vantage and region so one Vigil serves what many blackbox scrapes would.
import { Counter, Gauge, type Registry, registerOnce } from '@vigil/metrics'
import { failureReason, type ProbeResult } from '@vigil/probes'

const PROBE_LABELS = ['target', 'kind', 'vantage', 'region'] as const

function gauge(registry: Registry, name: string, help: string, labelNames: readonly string[]) {
  return registerOnce(registry, name, () => new Gauge({ name, help, labelNames, registers: [registry] }))
}

function counter(registry: Registry, name: string, help: string, labelNames: readonly string[]) {
  return registerOnce(registry, name, () => new Counter({ name, help, labelNames, registers: [registry] }))
}

// blackbox_exporter's phase names, so its dashboards read Vigil's series unchanged.
const HTTP_PHASES = {
  dns: 'resolve',
  connect: 'connect',
  tls: 'tls',
  firstByte: 'processing',
  transfer: 'transfer',
} as const

export function createProberMetrics(registry: Registry) {
  const success = gauge(
    registry,
    'probe_success',
    'Whether the probe succeeded (1) or failed (0).',
    PROBE_LABELS,
  )
  const duration = gauge(
    registry,
    'probe_duration_seconds',
    'How long the probe took to complete.',
    PROBE_LABELS,
  )
  const httpStatus = gauge(
    registry,
    'probe_http_status_code',
    'HTTP status code of the final response, 0 if none.',
    PROBE_LABELS,
  )
  const dnsLookup = gauge(
    registry,
    'probe_dns_lookup_time_seconds',
    'Time taken to resolve the name.',
    PROBE_LABELS,
  )
  const httpPhase = gauge(
    registry,
    'probe_http_duration_seconds',
    'Duration of an HTTP request by phase, summed over redirects.',
    [...PROBE_LABELS, 'phase'],
  )
  const certExpiry = gauge(
    registry,
    'probe_ssl_earliest_cert_expiry',
    'Earliest expiry among the certificates the server sent, in Unix seconds.',
    PROBE_LABELS,
  )
  const lastChainExpiry = gauge(
    registry,
    'probe_ssl_last_chain_expiry_timestamp_seconds',
    'Earliest expiry on the certificate path that verified, in Unix seconds.',
    PROBE_LABELS,
  )
  const bodyLength = gauge(
    registry,
    'probe_http_uncompressed_body_length',
    'Bytes of the final response body read (up to the cap).',
    PROBE_LABELS,
  )
  const timeouts = counter(
    registry,
    'vigil_probe_http_timeouts_total',
    'HTTP probes that timed out, by the phase they were in (body: the status had arrived and the body was still flowing).',
    ['kind', 'phase'],
  )
  const failures = counter(
    registry,
    'vigil_probe_failures_total',
    'Failed probes by kind and OONI failure string.',
    ['kind', 'reason'],
  )
  const rounds = counter(registry, 'vigil_probe_rounds_total', 'Probe rounds completed, by target group.', [
    'group',
  ])
  const skipped = counter(
    registry,
    'vigil_probe_rounds_skipped_total',
    'Rounds not started because the previous round of the group was still running.',
    ['group'],
  )
  const roundDuration = gauge(
    registry,
    'vigil_probe_round_duration_seconds',
    'Duration of the last round, by target group.',
    ['group'],
  )
  const interval = gauge(
    registry,
    'vigil_probe_interval_seconds',
    'Current probing interval of the group (shorter inside rally windows).',
    ['group'],
  )

  const targetInfo = gauge(
    registry,
    'vigil_target_info',
    'Always 1; the labels say which group and purpose a target belongs to, and the region and network type (mobile, fixed, unknown) its measurements speak for (join on target).',
    ['target', 'group', 'purpose', 'region', 'network_type'],
  )
  const rallyWindow = gauge(
    registry,
    'vigil_rally_window_active',
    'Whether a rally window (announced start minus lead hours to end plus tail hours) is open in the region.',
    ['region'],
  )

  return {
    target(target: string, group: string, purpose: string, region: string | null, networkType: string): void {
      targetInfo.set({ target, group, purpose, region: region ?? '', network_type: networkType }, 1)
    },
    rallyWindow(region: string, open: boolean): void {
      rallyWindow.set({ region }, open ? 1 : 0)
    },
    observe(result: ProbeResult, vantage: string, region: string | null): void {
      const labels = { target: result.target, kind: result.kind, vantage, region: region ?? '' }
      success.set(labels, result.ok ? 1 : 0)
      duration.set(labels, result.durationMs / 1000)
      if (!result.ok && result.failure)
        failures.inc({ kind: result.kind, reason: failureReason(result.failure) })
      switch (result.kind) {
        case 'dns':
          if (result.details.lookupMs !== null) dnsLookup.set(labels, result.details.lookupMs / 1000)
          break
        case 'tls':
          setExpiry(certExpiry, labels, result.details.earliestCertExpiry)
          setExpiry(lastChainExpiry, labels, result.details.lastChainExpiry)
          break
        case 'http':
        case 'https': {
          const { details } = result
          httpStatus.set(labels, details.statusCode ?? 0)
          for (const [phase, label] of Object.entries(HTTP_PHASES)) {
            httpPhase.set(
              { ...labels, phase: label },
              details.timings[phase as keyof typeof HTTP_PHASES] / 1000,
            )
          }
          if (details.timings.dns > 0) dnsLookup.set(labels, details.timings.dns / 1000)
          setExpiry(certExpiry, labels, details.tls?.earliestCertExpiry ?? null)
          setExpiry(lastChainExpiry, labels, details.tls?.lastChainExpiry ?? null)
          bodyLength.set(labels, details.bytesRead)
          if (details.timeoutPhase !== null) timeouts.inc({ kind: result.kind, phase: details.timeoutPhase })
          break
        }
      }
    },
    roundDone(group: string, durationMs: number): void {
      rounds.inc({ group })
      roundDuration.set({ group }, durationMs / 1000)
    },
    roundSkipped(group: string): void {
      skipped.inc({ group })
    },
    interval(group: string, intervalMs: number): void {
      interval.set({ group }, intervalMs / 1000)
    },
  }
}

export type ProberMetrics = ReturnType<typeof createProberMetrics>

function setExpiry(metric: Gauge<string>, labels: Record<string, string>, iso: string | null): void {
  if (iso === null) return
  const seconds = Date.parse(iso) / 1000
  if (Number.isFinite(seconds)) metric.set(labels, seconds)
}
