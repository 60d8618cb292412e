// Vantage liveness as Prometheus sees it, read from the store at scrape time: when each vantage was last
// heard from, the spool backlog its agent reported, its clock skew, whether it counts as online, and the
// silence threshold that decides it.
import { Gauge, type Registry, registerOnce } from '@vigil/metrics'
import { listVantageHealth, type Store, vantageStatus } from '@vigil/store'

/**
 * Registers the vantage gauges on `registry`: `vigil_vantage_last_seen_timestamp_seconds` (Unix seconds),
 * `vigil_vantage_spool_backlog` (measurements), `vigil_vantage_clock_skew_seconds`, `vigil_vantage_up`
 * (0/1), labelled vantage, region, role and read from the store at each scrape, and
 * `vigil_vantage_silence_threshold_seconds`, `silenceAfterMs` (the config's thresholds.silenceAfter, in
 * milliseconds) in seconds, without labels.
 */
export function registerVantageMetrics(registry: Registry, store: Store, silenceAfterMs: number): void {
  let last: Promise<Awaited<ReturnType<typeof listVantageHealth>>> | undefined
  // One query per scrape, shared by the four gauges.
  const health = () => {
    last ??= listVantageHealth(store.sql).finally(() => {
      setTimeout(() => {
        last = undefined
      }, 1_000).unref()
    })
    return last
  }
  const labels = ['vantage', 'region', 'role']
  const define = (
    name: string,
    help: string,
    value: (v: Awaited<ReturnType<typeof health>>[number]) => number | null,
  ) =>
    registerOnce(
      registry,
      name,
      () =>
        new Gauge({
          name,
          help,
          labelNames: labels,
          registers: [registry],
          async collect() {
            this.reset()
            for (const vantage of await health().catch(() => [])) {
              const v = value(vantage)
              if (v === null) continue
              this.set({ vantage: vantage.id, region: vantage.region ?? '', role: vantage.role }, v)
            }
          },
        }),
    )
  const newest = (...dates: Array<Date | null>) => {
    const times = dates.filter((d): d is Date => d !== null).map((d) => d.getTime())
    return times.length === 0 ? null : Math.max(...times) / 1000
  }
  define(
    'vigil_vantage_last_seen_timestamp_seconds',
    'When the vantage was last heard from (heartbeat or measurement), Unix seconds.',
    (v) => newest(v.lastSeenAt, v.lastHeartbeatAt, v.lastMeasurementAt),
  )
  define(
    'vigil_vantage_spool_backlog',
    'Measurements waiting in the agent spool, as its last heartbeat reported.',
    (v) => v.spoolBacklog,
  )
  define(
    'vigil_vantage_clock_skew_seconds',
    "The agent's clock minus the api's at its last heartbeat.",
    (v) => (v.clockSkewMs === null ? null : v.clockSkewMs / 1000),
  )
  // The config's thresholds.silenceAfter, so alert rules compare against the same threshold as Vigil.
  const threshold = registerOnce(
    registry,
    'vigil_vantage_silence_threshold_seconds',
    () =>
      new Gauge({
        name: 'vigil_vantage_silence_threshold_seconds',
        help: 'How long a vantage may stay silent before it counts as offline (config thresholds.silenceAfter).',
        registers: [registry],
      }),
  )
  threshold.set(silenceAfterMs / 1000)
  define('vigil_vantage_up', 'Whether the vantage was heard from within the silence threshold.', (v) =>
    vantageStatus(v, new Date(), silenceAfterMs) === 'online' ? 1 : 0,
  )
}
