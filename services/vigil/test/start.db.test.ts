// `vigil start` as a user runs it: it comes up, answers /readyz and /metrics, stops cleanly on SIGTERM,
// and after SIGKILL starts again on the same data with nothing lost and nothing to repair.
import { createApiKey, insertMeasurements, openStore, upsertVantage } from '@vigil/store'
import { createTestDatabase } from '@vigil/store/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnVigil } from '../../../test/support/vigil-process.js'

let database: Awaited<ReturnType<typeof createTestDatabase>>

beforeAll(async () => {
  database = await createTestDatabase({ migrated: false })
})
afterAll(async () => {
  await database.drop()
})

describe('vigil start', { timeout: 90_000 }, () => {
  it('serves the api, then stops cleanly on SIGTERM', async () => {
    const vigil = await spawnVigil({ args: ['start', '--port', '0'], connection: database.connection })
    try {
      expect(vigil.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const ready = await fetch(`${vigil.url}/readyz`)
      expect(ready.status).toBe(200)
      expect((await fetch(`${vigil.url}/metrics`)).status).toBe(401)
      const metrics = await vigil.get('/metrics')
      expect(metrics.headers.get('content-type')).toContain('text/plain')
      const text = await metrics.text()
      expect(text).toContain('# TYPE vigil_build_info gauge')
      expect(text).toContain('process_resident_memory_bytes')
      expect(vigil.logs.some((entry) => entry.msg === 'migrations applied')).toBe(true)
    } finally {
      expect(await vigil.stop('SIGTERM')).toBe(0)
    }
    expect(vigil.logs.at(-1)?.msg).toBe('stopped')
  })

  it('runs only the services named with --only, still serving health and metrics', async () => {
    const vigil = await spawnVigil({
      args: ['start', '--port', '0', '--only', 'alerter,notifier', '--metrics-listen', '127.0.0.1:0'],
      connection: database.connection,
    })
    try {
      const running = vigil.logs.find((entry) => String(entry.msg).startsWith('vigil is running'))
      expect(running?.services).toEqual(['alerter', 'notifier'])
      expect((await fetch(`${vigil.url}/readyz`)).status).toBe(200)
      // The metrics listener needs no key; the api's port needs one, which `vigil api-key create` makes
      // while this process runs (through it on the embedded store), though its api routes are off.
      expect((await fetch(`${vigil.url}/metrics`)).status).toBe(401)
      const metrics = await (await fetch(String(running?.metricsListen))).text()
      expect((await vigil.get('/metrics')).status).toBe(200)
      expect(metrics).toContain('# TYPE vigil_incident_active gauge')
      expect(metrics).not.toContain('# TYPE probe_success gauge')
      expect((await fetch(`${vigil.url}/v1/measurements`)).status).toBe(404)
    } finally {
      expect(await vigil.stop('SIGTERM')).toBe(0)
    }
  })

  it('starts again after SIGKILL with every committed row and no repair', async () => {
    const first = await spawnVigil({ args: ['start', '--port', '0'], connection: database.connection })
    expect(await first.stop('SIGKILL')).toBe('SIGKILL')

    // Data written between the two runs, as a prober or an agent upload would have committed it.
    const { databaseUrl, dataDir } = database.connection
    const store = await openStore(databaseUrl ? { databaseUrl } : { dataDir })
    await upsertVantage(store.sql, {
      id: 'kz-test',
      country: 'KZ',
      region: 'Almaty',
      asn: null,
      network: null,
      role: 'in_country',
    })
    await insertMeasurements(store.sql, [
      {
        measuredAt: new Date('2019-07-06T04:00:00Z'),
        vantageId: 'kz-test',
        targetId: 'facebook',
        kind: 'https',
        ok: false,
        failure: 'connection_reset',
      },
    ])
    const { key } = await createApiKey(store.sql, { name: 'test', scope: 'read' })
    await store.close()
    const read = { headers: { authorization: `Bearer ${key}` } }

    const second = await spawnVigil({ args: ['start', '--port', '0'], connection: database.connection })
    try {
      expect(second.logs.some((entry) => entry.msg === 'migrations applied')).toBe(false)
      const body = (await (await fetch(`${second.url}/v1/measurements?vantage=kz-test`, read)).json()) as {
        measurements: Array<{ failure: string }>
      }
      expect(body.measurements.map((row) => row.failure)).toEqual(['connection_reset'])
    } finally {
      expect(await second.stop('SIGKILL')).toBe('SIGKILL')
    }

    const third = await spawnVigil({ args: ['start', '--port', '0'], connection: database.connection })
    try {
      expect((await fetch(`${third.url}/readyz`)).status).toBe(200)
      const body = (await (await fetch(`${third.url}/v1/measurements?vantage=kz-test`, read)).json()) as {
        measurements: unknown[]
      }
      expect(body.measurements).toHaveLength(1)
    } finally {
      expect(await third.stop('SIGINT')).toBe(0)
    }
  })
})
