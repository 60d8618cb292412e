// The Prometheus registry a Vigil process exports at /metrics: Node's process metrics plus Vigil's own.
// Names follow blackbox_exporter where the meaning is the same; Vigil's own start with `vigil_`, use base
// units and bounded labels.
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client'

export { Counter, Gauge, Histogram, Registry } from 'prom-client'

export interface MetricsOptions {
  version: string
  /** Node's default process metrics; off in tests that build many registries. */
  defaultMetrics?: boolean
}

export function createMetricsRegistry(options: MetricsOptions): Registry {
  const registry = new Registry()
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry })
  const build = new Gauge({
    name: 'vigil_build_info',
    help: 'Always 1; the labels say which Vigil and Node versions are running.',
    labelNames: ['version', 'node_version'],
    registers: [registry],
  })
  build.set({ version: options.version, node_version: process.version }, 1)
  return registry
}

/** Returns the metric of that name in the registry, creating it the first time (services share one registry). */
export function registerOnce<T>(registry: Registry, name: string, create: () => T): T {
  const existing = registry.getSingleMetric(name)
  return (existing as T | undefined) ?? create()
}
