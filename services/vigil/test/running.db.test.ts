// The `vigil` commands that need the database work while `vigil start` runs: on the embedded store they go
// through the running process' control socket (only one process may open the data directory), on a
// PostgreSQL server straight to it. The first admin key comes from `vigil api-key create` on the machine;
// /metrics answers a read key, or anyone on the metrics listener.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createTestDatabase, testStoreKind } from '@vigil/store/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnVigil, type VigilProcess } from '../../../test/support/vigil-process.js'
import { runVigil } from './support.js'

let database: Awaited<ReturnType<typeof createTestDatabase>>
let vigil: VigilProcess
let outDir: string
const embedded = testStoreKind() === 'embedded'

const fixture = (name: string) =>
  path.resolve(import.meta.dirname, '../../../test/fixtures/observatories', name)

beforeAll(async () => {
  database = await createTestDatabase({ migrated: false })
  outDir = mkdtempSync(path.join(tmpdir(), 'vigil-running-'))
  // Only the api: nothing probes or fetches beyond loopback.
  vigil = await spawnVigil({
    args: ['start', '--port', '0', '--only', 'api', '--metrics-listen', '127.0.0.1:0'],
    connection: database.connection,
  })
})

afterAll(async () => {
  const code = await vigil?.stop('SIGTERM')
  rmSync(outDir, { recursive: true, force: true })
  await database?.drop()
  expect(code).toBe(0)
})

const cli = (...args: string[]) => runVigil(database.connection, args)
const get = (url: string, key?: string) =>
  fetch(url, key === undefined ? {} : { headers: { authorization: `Bearer ${key}` } })

describe('while vigil start runs', { timeout: 90_000 }, () => {
  let admin = ''

  it('creates the first admin key, and the running api accepts it', async () => {
    const created = await cli('api-key', 'create', '--scope', 'admin', '--name', 'first admin')
    expect(created.code, created.stderr).toBe(0)
    admin = created.stdout.trim()
    expect(admin).toMatch(/^vgk_[\w-]{43}$/)
    expect(created.stderr).toContain('shown only now')
    expect((await get(`${vigil.url}/v1/api-keys`)).status).toBe(401)
    const listed = await get(`${vigil.url}/v1/api-keys`, admin)
    expect(listed.status).toBe(200)
    expect(((await listed.json()) as { keys: Array<{ name: string }> }).keys.map((k) => k.name)).toEqual([
      'first admin',
    ])
    const list = await cli('api-key', 'list')
    expect(list.stdout).toMatch(/^1\tfirst admin\tadmin\t\S+\t\S+\tactive$/m)
    expect(list.stdout).not.toContain(admin)
  })

  it('creates an agent token the running api accepts for heartbeats and nothing else', async () => {
    // The config's own vantage is the prober's; the running api refuses it, naming the option.
    const own = await cli('agent-token', 'create', '--vantage', 'kz-almaty-1')
    expect(own.code).toBe(2)
    expect(own.stderr).toContain("--vantage: kz-almaty-1 is this Vigil's own vantage")
    expect(own.stderr).not.toContain('body/')
    const created = await cli(
      'agent-token',
      'create',
      '--vantage',
      'kz-almaty-7',
      '--role',
      'in_country',
      '--region',
      'Almaty',
      '--asn',
      '9198',
    )
    expect(created.code, created.stderr).toBe(0)
    const token = created.stdout.trim()
    expect(token).toMatch(/^vgl_[\w-]{43}$/)
    const heartbeat = await fetch(`${vigil.url}/v1/heartbeat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ agentTime: new Date().toISOString(), spoolBacklog: 0, version: 'test' }),
    })
    expect(heartbeat.status).toBe(200)
    expect((await get(`${vigil.url}/v1/measurements`, token)).status).toBe(403)
    expect((await cli('agent-token', 'list')).stdout).toMatch(/^1\tkz-almaty-7\t\S+\t\S+\tactive$/m)
    expect(await cli('agent-token', 'revoke', '1')).toMatchObject({ code: 0, stdout: 'revoked token 1\n' })
    expect((await cli('agent-token', 'revoke', '1')).code).toBe(1)
  })

  it('imports, reports and exports', async () => {
    const imported = await cli(
      'import',
      'ooni',
      fixture('ooni-api-measurements.json'),
      fixture('ooni-raw.jsonl'),
    )
    expect(imported.code, imported.stderr).toBe(0)
    expect(imported.stdout).toContain('7 measurements read, 7 new')
    // A malformed record is left out and named; the good ones are stored. With --strict nothing is.
    const partial = await cli('import', 'ooni', fixture('ooni-malformed.jsonl'))
    expect(partial.code, partial.stderr).toBe(0)
    expect(partial.stderr).toMatch(/ooni-malformed\.jsonl: line 3: .*\(left out\)/)
    expect(partial.stdout).toContain('malformed: 1 records left out')
    const strict = await cli('import', 'ooni', '--strict', fixture('ooni-malformed.jsonl'))
    expect(strict.code).toBe(1)
    expect(strict.stderr).toMatch(/rejected \(--strict\), nothing stored: .*line 3/)

    const report = await cli('report', 'rally', '--date', '2019-07-06', '--format', 'json')
    expect(report.code, report.stderr).toBe(0)
    expect(JSON.parse(report.stdout).date).toBe('2019-07-06')
    const paris = await cli('report', 'rally', '--date', '2019-07-06', '--city', 'Paris')
    expect(paris.code).toBe(2)
    expect(paris.stderr).toContain('no region called "Paris"')
    // The api's field paths are given as the options the user typed.
    const badDay = await cli('report', 'rally', '--date', '2019-02-30')
    expect(badDay.code).toBe(2)
    expect(badDay.stderr).toContain('2019-02-30')
    expect(badDay.stderr).not.toContain('querystring')
    if (embedded) expect(badDay.stderr).toContain('--date')
    const early = await cli('export', 'incidents', '--from', '1900-01-01T00:00Z', '--to', '2019-01-01T00:00Z')
    expect(early.code).toBe(2)
    expect(early.stderr).toContain('--from must lie between')

    const out = path.join(outDir, 'measurements.csv')
    const exported = await cli(
      'export',
      'measurements',
      '--from',
      '2019-07-01T00:00:00Z',
      '--to',
      '2019-08-01T00:00:00Z',
      '--out',
      out,
    )
    expect(exported.code, exported.stderr).toBe(0)
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n')
    expect(lines[0]).toMatch(/^id,measured_at,received_at,vantage,target/)
    // The 7 of the first import and the 2 good records of the partial one.
    expect(lines.slice(1).filter((line) => line.includes(',ooni,'))).toHaveLength(9)
    expect(exported.stderr).toContain(`exported ${lines.length - 1} measurements`)
    if (embedded) expect(exported.stderr).toContain(`through the running Vigil (pid ${vigil.child.pid})`)
  })

  it('names its control socket in the lock file, in a directory only its owner may enter', () => {
    const { dataDir } = database.connection
    if (!dataDir || !embedded) {
      expect(vigil.logs.find((entry) => entry.controlSocket)).toBeUndefined()
      return
    }
    const lock = readFileSync(path.join(dataDir, 'vigil.pid'), 'utf8')
    const socket = /^control (.+)$/m.exec(lock)?.[1]
    expect(lock.split('\n')[0]).toMatch(new RegExp(`^${vigil.child.pid} \\d+$`))
    expect(socket).toBeDefined()
    expect(statSync(path.dirname(socket!)).mode & 0o777).toBe(0o700)
    expect(statSync(socket!).isSocket()).toBe(true)
  })

  it('serves /metrics to a read key, and without a key only on the metrics listener', async () => {
    const read = (await cli('api-key', 'create', '--scope', 'read', '--name', 'prometheus')).stdout.trim()
    expect((await get(`${vigil.url}/metrics`)).status).toBe(401)
    const scraped = await get(`${vigil.url}/metrics`, read)
    expect(scraped.status).toBe(200)
    expect(await scraped.text()).toContain('vigil_build_info')

    const running = vigil.logs.find((entry) => String(entry.msg).startsWith('vigil is running'))
    const listener = String(running?.metricsListen)
    expect(listener).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    const open = await get(listener)
    expect(open.status).toBe(200)
    expect(await open.text()).toContain('vigil_http_requests_total')
    const elsewhere = await get(listener.replace('/metrics', '/v1/measurements'), read)
    expect(elsewhere.status).toBe(404)
  })
})
