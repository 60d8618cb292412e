import { createMetricsRegistry, Gauge, registerOnce } from '@vigil/metrics'
import { describe, expect, it } from 'vitest'

describe('createMetricsRegistry', () => {
  it('exports build info and the process metrics in Prometheus text format', async () => {
    const registry = createMetricsRegistry({ version: '1.2.3' })
    const text = await registry.metrics()
    expect(text).toMatch(/^vigil_build_info\{version="1\.2\.3",node_version="v\d+\.\d+\.\d+"\} 1$/m)
    expect(text).toContain('# TYPE process_cpu_seconds_total counter')
    expect(registry.contentType).toContain('text/plain')
  })

  it('registers a metric once however many services ask for it', () => {
    const registry = createMetricsRegistry({ version: '0', defaultMetrics: false })
    const make = () =>
      registerOnce(
        registry,
        'vigil_test_gauge',
        () => new Gauge({ name: 'vigil_test_gauge', help: 'x', registers: [registry] }),
      )
    expect(make()).toBe(make())
  })
})
