// An in-country agent against a real api on loopback: it keeps measuring into its spool while the api is
// down and delivers every measurement exactly once, in order, when the api is back; a `kill -9` mid-upload
// loses and doubles nothing; a torn last record is skipped with a warning.
import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { buildApp, type IngestMeasurement } from '@vigil/api'
import { parseConfig } from '@vigil/config'
import { createMetricsRegistry } from '@vigil/metrics'
import { Spool } from '@vigil/spool'
import { createAgentToken, ensureVantage } from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { createUploader, startAgent } from '@vigil/vigil/agent'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type Loopback, loopbackConfigYaml, serve } from '../services/prober/test/support.js'
import { spawnVigil } from './support/vigil-process.js'
import { freePort, waitFor } from './support/wait.js'

let store: TestStore
let site: Loopback
let token: string
const dir = mkdtempSync(path.join(tmpdir(), 'vigil-agent-'))
type Api = Awaited<ReturnType<typeof buildApp>>
const apps = new Set<Api>()

beforeAll(async () => {
  store = await openTestStore()
  site = await serve(() => ({ status: 200, body: '<title>Azattyq</title>' }))
  await ensureVantage(store.sql, {
    id: 'test-almaty',
    country: 'KZ',
    region: 'Almaty',
    asn: 9198,
    network: null,
    role: 'in_country',
  })
  token = (await createAgentToken(store.sql, 'test-almaty')).token
})

afterAll(async () => {
  for (const app of apps) await app.close()
  await site.close()
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

function configYaml(spoolDir: string, batchSize: number): string {
  return loopbackConfigYaml(
    [
      {
        name: 'independent-news',
        interval: '1s',
        rallyInterval: '1s',
        timeout: '1s',
        targets: ['azattyq', 'vlast', 'kaztag'].map((name) => ({ name, port: site.port, path: `/${name}` })),
      },
    ],
    [
      'agent:',
      `  spoolDir: ${spoolDir}`,
      `  batchSize: ${batchSize}`,
      '  uploadInterval: 1s',
      '  heartbeatInterval: 1s',
      '  maxBackoff: 1s',
      '',
    ].join('\n'),
  )
}

/** An api on loopback; on `port` when given (an api restarted where agents expect it). */
async function startApi(port = 0): Promise<{ app: Api; url: string; port: number }> {
  const app = await buildApp({
    store,
    registry: createMetricsRegistry({ version: 'test', defaultMetrics: false }),
    version: 'test',
    ingest: { maxBytes: 4 * 1_048_576, ratePerMinute: 100_000 },
  })
  apps.add(app)
  await app.listen({ host: '127.0.0.1', port })
  const bound = (app.server.address() as { port: number }).port
  return { app, url: `http://127.0.0.1:${bound}`, port: bound }
}

async function stopApi(app: Api): Promise<void> {
  await app.close()
  apps.delete(app)
}

const stored = async () =>
  store.sql<{ target_id: string; measured_at: Date; idempotency_key: string }[]>`
    select target_id, measured_at, idempotency_key from measurements order by id`

async function expectExactlyOnceInOrder(expected: number): Promise<void> {
  const rows = await stored()
  expect(rows).toHaveLength(expected)
  expect(new Set(rows.map((row) => row.idempotency_key)).size).toBe(expected)
  const byTarget = new Map<string, number[]>()
  for (const row of rows)
    byTarget.set(row.target_id, [...(byTarget.get(row.target_id) ?? []), row.measured_at.getTime()])
  for (const times of byTarget.values()) expect(times).toEqual([...times].sort((a, b) => a - b))
}

it('keeps measuring while the api is down, then delivers every measurement exactly once, in order', {
  timeout: 120_000,
}, async () => {
  await store.sql`delete from measurements`
  const spoolDir = path.join(dir, 'outage')
  const config = parseConfig(configYaml(spoolDir, 4), 'agent.yaml', {})
  let api = await startApi()
  const agent = startAgent({ config, apiUrl: api.url, token })
  try {
    await waitFor('the first uploads', async () => (await stored()).length >= 3)
    await stopApi(api.app)
    const storedDuringOutage = (await stored()).length
    await waitFor('measurements to pile up in the spool', () => agent.spool.stats().backlog >= 9)
    expect((await stored()).length).toBe(storedDuringOutage)

    api = await startApi(api.port)
    await waitFor('uploads to resume', async () => (await stored()).length > storedDuringOutage, 60_000)
    // Stop measuring so the backlog can only shrink: on a loaded machine uploads may not outpace a prober
    // that adds three measurements a second.
    await agent.prober.stop()
    agent.flush()
    await waitFor('the backlog to drain', () => agent.spool.stats().backlog === 0, 60_000)
    const [vantage] = await store.sql<{ last_heartbeat_at: Date | null; spool_backlog: number | null }[]>`
      select last_heartbeat_at, spool_backlog from vantages where id = 'test-almaty'`
    expect(vantage!.last_heartbeat_at).not.toBeNull()
  } finally {
    await agent.stop()
  }
  const total = agent.spool.stats().nextSeq
  expect(total).toBeGreaterThanOrEqual(12)
  await expectExactlyOnceInOrder(total)
  await stopApi(api.app)
})

it('loses and doubles nothing when the agent is killed mid-upload and restarted', async () => {
  await store.sql`delete from measurements`
  const spoolDir = path.join(dir, 'killed')
  const file = path.join(dir, 'killed.yaml')
  writeFileSync(file, configYaml(spoolDir, 2))
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const env = { VIGIL_AGENT_TOKEN: token }
  const first = await spawnVigil({ args: ['agent', '--api', url, '--config', file], connection: {}, env })
  let api: Awaited<ReturnType<typeof startApi>> | undefined
  try {
    // The api is not there yet: measurements pile up in the spool.
    await waitFor('a spooled backlog', () => spooledBytes(spoolDir) > 3_000)
    api = await startApi(port)
    await waitFor('the first batch to arrive', async () => (await stored()).length > 0, 30_000)
  } finally {
    expect(await first.stop('SIGKILL')).toBe('SIGKILL')
  }
  const atKill = (await stored()).length

  const second = await spawnVigil({ args: ['agent', '--api', url, '--config', file], connection: {}, env })
  try {
    await waitFor('uploads to resume', async () => (await stored()).length > atKill, 30_000)
  } finally {
    expect(await second.stop('SIGTERM')).toBe(0)
  }

  // Whatever the second run had not confirmed when it stopped is still spooled; deliver it and count.
  const spool = Spool.open<IngestMeasurement>({
    dir: spoolDir,
    maxBytes: 512 * 1_048_576,
    fullPolicy: 'stop',
  })
  try {
    const uploader = createUploader({
      spool,
      apiUrl: url,
      token,
      batchSize: 100,
      uploadIntervalMs: 1_000,
      heartbeatIntervalMs: 1_000,
      maxBackoffMs: 1_000,
      version: 'test',
    })
    expect((await uploader.runOnce()).kind).not.toBe('failed')
    expect(spool.stats().backlog).toBe(0)
    // The kill came while batches were still to be sent.
    expect(atKill).toBeLessThan(spool.stats().nextSeq)
    await expectExactlyOnceInOrder(spool.stats().nextSeq)
  } finally {
    spool.close()
    if (api) await stopApi(api.app)
  }
})

it('starts on a spool whose last record is torn, skipping it with a warning', async () => {
  await store.sql`delete from measurements`
  const spoolDir = path.join(dir, 'torn')
  const spool = Spool.open<IngestMeasurement>({ dir: spoolDir, maxBytes: 1_048_576, fullPolicy: 'stop' })
  spool.append(
    [0, 1, 2].map((n) => ({
      id: `test-almaty:before-crash-${n}`,
      measuredAt: new Date(Date.now() - 3_600_000 + n * 60_000).toISOString(),
      vantage: 'test-almaty',
      target: 'azattyq',
      kind: 'http',
      region: 'Almaty',
      asn: 9198,
      ok: false,
      failure: 'generic_timeout_error',
      durationMs: 1000,
      details: {},
    })),
  )
  spool.close()
  const segment = path.join(spoolDir, readdirSync(spoolDir).find((name) => name.endsWith('.seg'))!)
  truncateSync(segment, statSync(segment).size - 7)

  const file = path.join(dir, 'torn.yaml')
  writeFileSync(file, configYaml(spoolDir, 100))
  const api = await startApi()
  const agent = await spawnVigil({
    args: ['agent', '--api', api.url, '--config', file],
    connection: {},
    env: { VIGIL_AGENT_TOKEN: token },
  })
  try {
    const warning = agent.logs.find((entry) => String(entry.msg).includes('torn'))
    expect(warning).toMatchObject({ level: 40 })
    await waitFor('the intact records', async () =>
      (await stored()).some((row) => row.idempotency_key === 'test-almaty:before-crash-1'),
    )
    const keys = (await stored()).map((row) => row.idempotency_key)
    expect(keys).toContain('test-almaty:before-crash-0')
    expect(keys).not.toContain('test-almaty:before-crash-2')
  } finally {
    expect(await agent.stop('SIGTERM')).toBe(0)
    await stopApi(api.app)
  }
})

function spooledBytes(spoolDir: string): number {
  try {
    return readdirSync(spoolDir)
      .filter((name) => name.endsWith('.seg'))
      .reduce((n, name) => n + statSync(path.join(spoolDir, name)).size, 0)
  } catch {
    return 0
  }
}
