// The retention job of `vigil start` applies the config's retention and reports it in its metrics.
import { createMetricsRegistry } from '@vigil/metrics'
import { insertMeasurements, upsertVantage } from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import pino from 'pino'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { loopbackConfig } from '../../prober/test/support.js'
import { createRetentionJob } from '../src/retention-job.js'

const DAY = 86_400_000
let store: TestStore
beforeEach(async () => {
  store = await openTestStore()
})
afterEach(async () => {
  await store.close()
})

it('deletes measurements past store.retention.measurements and counts them per table', async () => {
  const config = loopbackConfig(
    [{ name: 'social', targets: [{ name: 'site', port: 1 }] }],
    'store:\n  retention:\n    measurements: 7d\n',
  )
  const now = new Date('2026-03-01T00:00:00Z')
  await upsertVantage(store.sql, {
    id: 'test-almaty',
    country: 'KZ',
    region: 'Almaty',
    asn: 9198,
    network: null,
    role: 'in_country',
  })
  await insertMeasurements(
    store.sql,
    [8, 9, 10, 6].map((days) => ({
      measuredAt: new Date(now.getTime() - days * DAY),
      vantageId: 'test-almaty',
      targetId: `social/site-${days}`,
      kind: 'http',
      ok: true,
      failure: null,
    })),
  )
  const registry = createMetricsRegistry({ version: 'test', defaultMetrics: false })
  const lines: Array<Record<string, unknown>> = []
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) })
  const job = createRetentionJob({ config, sql: store.sql, registry, logger, batchSize: 2, now: () => now })

  expect(await job.runOnce()).toMatchObject({ measurements: 3 })

  const [left] = await store.sql<{ n: number }[]>`select count(*)::int as n from measurements`
  expect(left!.n).toBe(1)
  const metrics = await registry.metrics()
  expect(metrics).toContain('vigil_retention_deleted_rows_total{table="measurements"} 3')
  expect(metrics).toContain('vigil_retention_deleted_rows_total{table="incidents"} 0')
  expect(metrics).toContain('vigil_retention_runs_total{result="ok"} 1')
  expect(lines.find((line) => line.msg === 'retention applied')).toMatchObject({
    deleted: { measurements: 3 },
  })
  // The loop starts and stops without running when stopped before its first run.
  job.start()
  await job.stop()
})
