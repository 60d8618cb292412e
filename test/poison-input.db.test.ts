// Poison input from outside never blinds measurement storage. Pages whose titles hold a NUL byte, a lone
// UTF-16 surrogate (from `&#xD800;`, or from a title cut inside an emoji) are stored with U+FFFD in their
// place, by `vigil start` and through an agent's upload, and the measurements after them are stored too. A
// row the database still refuses for its data (here: a check constraint the test adds, standing for any
// refusal Vigil does not foresee) is quarantined with its error, a log line and a metric, and the rest of
// its batch is stored; an agent's spool drains instead of re-sending that row forever.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { buildApp, type IngestMeasurement } from '@vigil/api'
import { parseConfig } from '@vigil/config'
import { createMetricsRegistry } from '@vigil/metrics'
import { Spool } from '@vigil/spool'
import { createAgentToken, ensureVantage, openStore, queryQuarantine, type Sql } from '@vigil/store'
import { createTestDatabase, openTestStore } from '@vigil/store/testing'
import { createUploader, startAgent } from '@vigil/vigil/agent'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Loopback, loopbackConfigYaml, serve } from '../services/prober/test/support.js'
import { spawnVigil } from './support/vigil-process.js'
import { waitFor } from './support/wait.js'

const PAGES: Record<string, string> = {
  '/nul': '<title>Azat\u0000tyq</title>',
  '/surrogate': '<title>Vlast &#xD800; news</title>',
  // The prober keeps 300 characters of a title: the cut falls between the two halves of the emoji.
  '/cut': `<title>${'a'.repeat(299)}😀</title>`,
  '/ok': '<title>Kaztag</title>',
  '/poison': '<title>Refused by the database</title>',
}

let site: Loopback
const dir = mkdtempSync(path.join(tmpdir(), 'vigil-poison-'))

beforeAll(async () => {
  site = await serve((url) => ({ status: 200, body: PAGES[url] ?? '<title>?</title>' }))
})
afterAll(async () => {
  await site.close()
  rmSync(dir, { recursive: true, force: true })
})

function targets() {
  return ['nul', 'surrogate', 'cut', 'ok', 'poison'].map((name) => ({
    name,
    port: site.port,
    path: `/${name}`,
  }))
}

// Stands for any refusal in the data that Vigil does not foresee: the database refuses this target's rows.
async function poisonTarget(sql: Sql): Promise<void> {
  await sql`alter table measurements add constraint test_poison check (target_id <> 'poison')`
}

async function titles(sql: Sql): Promise<Map<string, string[]>> {
  const rows = await sql<{ target_id: string; title: string | null }[]>`
    select target_id, details->>'title' as title from measurements order by id`
  const byTarget = new Map<string, string[]>()
  for (const row of rows)
    byTarget.set(row.target_id, [...(byTarget.get(row.target_id) ?? []), row.title ?? ''])
  return byTarget
}

// A probe on a loaded machine may time out and have no title; the pages' titles are among the rest.
function expectStorableTitles(byTarget: Map<string, string[]>, times: number): void {
  for (const target of ['nul', 'surrogate', 'cut', 'ok'])
    expect(byTarget.get(target)?.length).toBeGreaterThanOrEqual(times)
  expect(byTarget.get('nul')).toContain('Azat\uFFFDtyq')
  expect(byTarget.get('surrogate')).toContain('Vlast \uFFFD news')
  expect(byTarget.get('cut')).toContain(`${'a'.repeat(299)}\uFFFD`)
  expect(byTarget.get('ok')).toContain('Kaztag')
  expect(byTarget.has('poison')).toBe(false)
}

describe('vigil start', () => {
  it('stores the measurements after a NUL page and a lone surrogate, and quarantines the refused one', {
    timeout: 120_000,
  }, async () => {
    const database = await createTestDatabase()
    try {
      const { databaseUrl, dataDir } = database.connection
      const setup = await openStore(databaseUrl ? { databaseUrl } : { dataDir })
      try {
        await poisonTarget(setup.sql)
      } finally {
        await setup.close()
      }
      const file = path.join(dir, 'start.yaml')
      writeFileSync(
        file,
        loopbackConfigYaml([
          {
            name: 'independent-news',
            interval: '1s',
            rallyInterval: '1s',
            timeout: '1s',
            targets: targets(),
          },
        ]),
      )
      const vigil = await spawnVigil({
        args: ['start', '--config', file, '--port', '0', '--only', 'api,prober'],
        connection: database.connection,
      })
      const quarantined = async () =>
        /vigil_store_rows_quarantined_total\{table="measurements"\} ([2-9]|\d\d)/.test(
          await (await vigil.get('/metrics')).text(),
        )
      const stored = async (target: string) => {
        const body = (await (await vigil.get(`/v1/measurements?target=${target}`)).json()) as {
          measurements: Array<{ details: { title: string | null } }>
        }
        return body.measurements
      }
      try {
        // Two rounds after the first poisoned one: the writer did not stop at it.
        await waitFor(
          'two quarantined rows and the rounds after them',
          async () => {
            if (!(await quarantined())) return false
            for (const target of ['nul', 'surrogate', 'cut', 'ok'])
              if ((await stored(target)).length < 3) return false
            return true
          },
          60_000,
        )
        expect((await stored('nul')).map((row) => row.details.title)).toContain('Azat\uFFFDtyq')
        expect((await stored('poison')).length).toBe(0)
        const logged = vigil.logs.filter((entry) => String(entry.msg).includes('quarantined it'))
        expect(logged.length).toBeGreaterThanOrEqual(2)
        expect(logged[0]).toMatchObject({ level: 50, table: 'measurements', source: 'prober' })
        // Nothing was retried: no write failed for any reason other than the poisoned rows.
        expect(vigil.logs.some((entry) => String(entry.msg).includes('keeping the rows and retrying'))).toBe(
          false,
        )
      } finally {
        expect(await vigil.stop('SIGTERM')).toBe(0)
      }
      const check = await openStore(databaseUrl ? { databaseUrl } : { dataDir })
      try {
        expectStorableTitles(await titles(check.sql), 3)
        const kept = await queryQuarantine(check.sql, { table: 'measurements', limit: 100 })
        expect(kept.length).toBeGreaterThanOrEqual(2)
        expect(kept[0]).toMatchObject({ source: 'prober', errorCode: '23514' })
        expect(JSON.parse(kept[0]!.payload)).toMatchObject({ targetId: 'poison', kind: 'http' })
      } finally {
        await check.close()
      }
    } finally {
      await database.drop()
    }
  })
})

describe('agent uploads', () => {
  let store: Awaited<ReturnType<typeof openTestStore>>
  let token: string
  let api: Awaited<ReturnType<typeof buildApp>>
  let apiUrl: string
  const registry = createMetricsRegistry({ version: 'test', defaultMetrics: false })

  beforeAll(async () => {
    store = await openTestStore()
    await ensureVantage(store.sql, {
      id: 'test-almaty',
      country: 'KZ',
      region: 'Almaty',
      asn: 9198,
      network: null,
      role: 'in_country',
    })
    await poisonTarget(store.sql)
    token = (await createAgentToken(store.sql, 'test-almaty')).token
    api = await buildApp({
      store,
      registry,
      version: 'test',
      ingest: { maxBytes: 4 * 1_048_576, ratePerMinute: 100_000 },
    })
    await api.listen({ host: '127.0.0.1', port: 0 })
    apiUrl = `http://127.0.0.1:${(api.server.address() as { port: number }).port}`
  })
  afterAll(async () => {
    await api.close()
    await store.close()
  })

  it('a spooled record holding NUL and lone surrogates is stored, not answered 500 forever', async () => {
    await store.sql`delete from measurements`
    // Records spooled by an agent that did not clean its text (an older version, or a hostile one).
    const spoolDir = path.join(dir, 'raw-spool')
    const spool = Spool.open<IngestMeasurement>({ dir: spoolDir, maxBytes: 1_048_576, fullPolicy: 'stop' })
    const raw = (n: number, details: Record<string, unknown>, region = 'Almaty'): IngestMeasurement => ({
      id: `test-almaty:raw-${n}`,
      measuredAt: new Date(Date.now() - 3_600_000 + n * 60_000).toISOString(),
      vantage: 'test-almaty',
      target: 'azattyq',
      kind: 'http',
      region,
      asn: 9198,
      ok: true,
      failure: null,
      durationMs: 10,
      details,
    })
    spool.append([
      raw(0, { title: 'NUL \u0000 title' }),
      raw(1, { title: 'lone \uD800 high', 'key\u0000': ['\uDC00'] }),
      raw(2, { title: 'fine' }, 'Alma\u0000ty'),
      raw(3, { title: 'after' }),
    ])
    const uploader = createUploader({
      spool,
      apiUrl,
      token,
      batchSize: 100,
      uploadIntervalMs: 1_000,
      heartbeatIntervalMs: 1_000,
      maxBackoffMs: 1_000,
      version: 'test',
    })
    try {
      expect((await uploader.runOnce()).kind).not.toBe('failed')
      expect(spool.stats().backlog).toBe(0)
    } finally {
      spool.close()
    }
    const rows = await store.sql<
      { idempotency_key: string; details: Record<string, unknown>; region: string }[]
    >`
      select idempotency_key, details, region from measurements order by idempotency_key`
    expect(rows.map((row) => row.idempotency_key)).toEqual([0, 1, 2, 3].map((n) => `test-almaty:raw-${n}`))
    expect(rows[0]!.details.title).toBe('NUL \uFFFD title')
    expect(rows[1]!.details).toEqual({ title: 'lone \uFFFD high', 'key\uFFFD': ['\uFFFD'] })
    // What the upload says of its region (NUL included) is not stored: the registered vantage's region is.
    expect(rows[2]!.region).toBe('Almaty')
  })

  it('a heartbeat whose version holds NUL and a lone surrogate is recorded, not answered 500', async () => {
    const response = await fetch(`${apiUrl}/v1/heartbeat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        agentTime: new Date().toISOString(),
        spoolBacklog: 0,
        version: '1.0\u0000-\uD800',
      }),
    })
    expect(response.status).toBe(200)
    const [vantage] = await store.sql<{ agent_version: string }[]>`
      select agent_version from vantages where id = 'test-almaty'`
    expect(vantage!.agent_version).toBe('1.0\uFFFD-\uFFFD')
  })

  it('an agent probing poisoned pages delivers everything storable and quarantines the refused rows', {
    timeout: 120_000,
  }, async () => {
    await store.sql`delete from measurements`
    await store.sql`delete from quarantine`
    const spoolDir = path.join(dir, 'agent-spool')
    const config = parseConfig(
      loopbackConfigYaml(
        [
          {
            name: 'independent-news',
            interval: '1s',
            rallyInterval: '1s',
            timeout: '1s',
            targets: targets(),
          },
        ],
        [
          'agent:',
          `  spoolDir: ${spoolDir}`,
          '  batchSize: 5',
          '  uploadInterval: 1s',
          '  heartbeatInterval: 1s',
          '  maxBackoff: 1s',
          '',
        ].join('\n'),
      ),
      'agent.yaml',
      {},
    )
    const agent = startAgent({ config, apiUrl, token })
    try {
      await waitFor(
        'three rounds stored',
        async () => {
          const byTarget = await titles(store.sql)
          return ['nul', 'surrogate', 'cut', 'ok'].every((target) => (byTarget.get(target)?.length ?? 0) >= 3)
        },
        60_000,
      )
      await agent.prober.stop()
      agent.flush()
      // The spool drains: the refused rows were answered for, not sent again and again.
      await waitFor('the spool to drain', () => agent.spool.stats().backlog === 0, 60_000)
    } finally {
      await agent.stop()
    }
    expectStorableTitles(await titles(store.sql), 3)
    const kept = await queryQuarantine(store.sql, { table: 'measurements', limit: 1_000 })
    expect(kept.length).toBeGreaterThanOrEqual(3)
    expect(kept.every((row) => row.source === 'agent:test-almaty' && row.errorCode === '23514')).toBe(true)
    // Each poisoned measurement is quarantined once: the agent did not send it again.
    const keys = kept.map((row) => (JSON.parse(row.payload) as { idempotencyKey: string }).idempotencyKey)
    expect(new Set(keys).size).toBe(keys.length)
    expect(await registry.getSingleMetricAsString('vigil_store_rows_quarantined_total')).toMatch(
      new RegExp(`vigil_store_rows_quarantined_total\\{table="measurements"\\} ${kept.length}`),
    )
  })
})
