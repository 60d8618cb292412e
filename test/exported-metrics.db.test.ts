// Every metric the dashboards and the alert rules query is one a running Vigil really exports, and every
// counter an alert rule watches for events has its series from the start.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createTestDatabase } from '@vigil/store/testing'
import { expect, it } from 'vitest'
import { loopbackConfigYaml, serve } from '../services/prober/test/support.js'
import { dashboardExpressions, metricNames, ruleExpressions } from './support/metric-names.js'
import { spawnVigil } from './support/vigil-process.js'

it('exports every metric the dashboards and rules use', async () => {
  const site = await serve(() => ({ status: 200, body: '<title>ok</title>' }))
  const database = await createTestDatabase({ migrated: false })
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-metrics-'))
  const file = path.join(dir, 'vigil.yaml')
  writeFileSync(
    file,
    `${loopbackConfigYaml([{ name: 'social', targets: [{ name: 'site', port: site.port }] }])}news: { sources: [] }\n` +
      'thresholds: { silenceAfter: 7m }\n',
  )
  const vigil = await spawnVigil({
    args: ['start', '--config', file, '--port', '0'],
    connection: database.connection,
  })
  try {
    const scrape = await (await vigil.get(`/metrics`)).text()
    const exported = new Set([...scrape.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!))
    const used = new Set([...dashboardExpressions(), ...ruleExpressions()].flatMap(metricNames))
    const missing = [...used].filter((name) => !exported.has(name))
    expect(missing).toEqual([])

    // The counters the event rules watch have their series at 0 before any event, so the first event is
    // an increase; and the silence threshold the rules compare with is the config's (7m).
    const samples = new Map(
      [...scrape.matchAll(/^([a-z_]+(?:\{[^}]*\})?) (\S+)$/gm)].map((m) => [m[1]!, Number(m[2])]),
    )
    expect({
      newReport: samples.get('vigil_detention_reports_total{update="false"}'),
      updatedReport: samples.get('vigil_detention_reports_total{update="true"}'),
      quarantinedMeasurements: samples.get('vigil_store_rows_quarantined_total{table="measurements"}'),
      quarantinedTls: samples.get('vigil_store_rows_quarantined_total{table="tls_observations"}'),
      groupsFailed: samples.get('vigil_notification_groups_failed_total'),
      silenceThreshold: samples.get('vigil_vantage_silence_threshold_seconds'),
    }).toEqual({
      newReport: 0,
      updatedReport: 0,
      quarantinedMeasurements: 0,
      quarantinedTls: 0,
      groupsFailed: 0,
      silenceThreshold: 420,
    })
    const counted = new Set(
      ruleExpressions().flatMap((expr) => [...expr.matchAll(/increase\(([a-z_]+)/g)].map((m) => m[1]!)),
    )
    expect(counted.size).toBeGreaterThan(2)
    const withoutSeries = [...counted].filter(
      (name) => ![...samples.keys()].some((series) => series === name || series.startsWith(`${name}{`)),
    )
    expect(withoutSeries).toEqual([])
  } finally {
    await vigil.stop('SIGTERM')
    await site.close()
    await database.drop()
    rmSync(dir, { recursive: true, force: true })
  }
})
