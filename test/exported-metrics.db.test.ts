// Every metric the dashboards and the alert rules query is one a running Vigil really exports.
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
    `${loopbackConfigYaml([{ name: 'social', targets: [{ name: 'site', port: site.port }] }])}news: { sources: [] }\n`,
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
  } finally {
    await vigil.stop('SIGTERM')
    await site.close()
    await database.drop()
    rmSync(dir, { recursive: true, force: true })
  }
})
