// `vigil start` probes the configured targets on its own schedule, stores the results and exports them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createTestDatabase } from '@vigil/store/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type Loopback, loopbackConfigYaml, serve } from '../services/prober/test/support.js'
import { spawnVigil } from './support/vigil-process.js'

let site: Loopback
let database: Awaited<ReturnType<typeof createTestDatabase>>
const dir = mkdtempSync(path.join(tmpdir(), 'vigil-e2e-'))

beforeAll(async () => {
  site = await serve(() => ({ status: 200, body: '<title>Azattyq</title>' }))
  database = await createTestDatabase({ migrated: false })
})
afterAll(async () => {
  await site.close()
  await database.drop()
  rmSync(dir, { recursive: true, force: true })
})

it('measures, stores and exports without being asked', async () => {
  const file = path.join(dir, 'vigil.yaml')
  writeFileSync(
    file,
    loopbackConfigYaml([
      {
        name: 'independent-news',
        interval: '2s',
        rallyInterval: '1s',
        timeout: '1s',
        targets: [{ name: 'azattyq', port: site.port }],
      },
    ]),
  )
  const vigil = await spawnVigil({
    args: ['start', '--config', file, '--port', '0'],
    connection: database.connection,
  })
  try {
    let rows: Array<{ target: string; ok: boolean; details: { statusCode: number } }> = []
    for (let attempt = 0; attempt < 60 && rows.length < 2; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 250))
      const body = (await (await vigil.get(`/v1/measurements?target=azattyq`)).json()) as {
        measurements: typeof rows
      }
      rows = body.measurements
    }
    expect(rows.length).toBeGreaterThanOrEqual(2)
    expect(rows[0]).toMatchObject({ target: 'azattyq', ok: true, details: { statusCode: 200 } })
    const metrics = await (await vigil.get(`/metrics`)).text()
    expect(metrics).toContain(
      'probe_success{target="azattyq",kind="http",vantage="test-almaty",region="Almaty"} 1',
    )
    expect(metrics).toMatch(/vigil_store_rows_written_total\{table="measurements"\} [1-9]/)
  } finally {
    expect(await vigil.stop('SIGTERM')).toBe(0)
  }
})
