// `vigil incident ack` and `unack` against a running `vigil start`, through its api with API keys made the
// way an operator makes them: the acknowledgement carries the key's name, a read key is refused, and the
// api's 404 and 409 reach the operator as they are.
import { type IncidentSignal, migrate, raiseIncident, resolveIncident } from '@vigil/store'
import { createTestDatabase } from '@vigil/store/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnVigil, type VigilProcess } from '../../../test/support/vigil-process.js'
import { runCli } from '../src/cli.js'
import { withStore } from './support.js'

let database: Awaited<ReturnType<typeof createTestDatabase>>
let vigil: VigilProcess
let openId = 0
let resolvedId = 0

const signal = (identity: string): IncidentSignal => ({
  identity,
  kind: 'blackout',
  scopeType: 'region',
  scope: 'Almaty',
  region: 'Almaty',
  level: 'critical',
  state: 'firing',
  summary: 'Internet blackout: Almaty',
  evidence: {},
  at: new Date('2019-07-06T04:02:00Z'),
})

beforeAll(async () => {
  database = await createTestDatabase({ migrated: false })
  // The incidents exist before Vigil starts: the embedded store has one process at a time.
  await withStore(database.connection, async (sql) => {
    await migrate(sql)
    openId = (await raiseIncident(sql, signal('blackout|region|Almaty'))).incident.id
    resolvedId = (await raiseIncident(sql, signal('blackout|region|Aktau'))).incident.id
    await resolveIncident(sql, 'blackout|region|Aktau', new Date('2019-07-06T06:00:00Z'))
  })
  vigil = await spawnVigil({
    args: ['start', '--port', '0', '--only', 'api'],
    connection: database.connection,
  })
})

afterAll(async () => {
  const code = await vigil?.stop('SIGTERM')
  await database?.drop()
  expect(code).toBe(0)
})

async function incident(args: string[], key: string | undefined) {
  let stdout = ''
  let stderr = ''
  const code = await runCli(['incident', ...args], key === undefined ? {} : { VIGIL_API_KEY: key }, {
    stdout: (text) => {
      stdout += text
    },
    stderr: (text) => {
      stderr += text
    },
  })
  return { code, stdout, stderr }
}

async function acknowledgementOf(id: number) {
  const answer = (await (await vigil.get('/v1/incidents?limit=100')).json()) as {
    incidents: Array<{ id: number; acknowledgement: { by: string; comment: string | null } | null }>
  }
  return answer.incidents.find((item) => item.id === id)?.acknowledgement
}

describe('vigil incident', { timeout: 90_000 }, () => {
  it('acknowledges and withdraws through the api with an operate key', async () => {
    const key = await vigil.apiKey('operate')
    const acked = await incident(
      ['ack', String(openId), '--comment', 'calling Kcell', '--api', vigil.url],
      key,
    )
    expect(acked.stderr).toBe('')
    expect(acked.code).toBe(0)
    expect(acked.stdout).toMatch(
      new RegExp(`^incident ${openId} acknowledged by test operate at \\S+Z: calling Kcell\\n$`),
    )
    expect(await acknowledgementOf(openId)).toMatchObject({ by: 'test operate', comment: 'calling Kcell' })

    const withdrawn = await incident(['unack', String(openId), '--api', vigil.url], key)
    expect(withdrawn).toEqual({
      code: 0,
      stdout: `incident ${openId}: acknowledgement withdrawn\n`,
      stderr: '',
    })
    expect(await acknowledgementOf(openId)).toBeNull()
  })

  it("passes on the api's refusals: a read key, an unknown and a resolved incident", async () => {
    const operate = await vigil.apiKey('operate')
    const read = await incident(['ack', String(openId), '--api', vigil.url], await vigil.apiKey('read'))
    expect(read.code).toBe(1)
    expect(read.stderr).toContain('the api answered 403: this API key has scope read; POST needs operate')
    const unknown = await incident(['ack', '999999', '--api', vigil.url], operate)
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain('the api answered 404: no incident with id 999999')
    const resolved = await incident(['unack', String(resolvedId), '--api', vigil.url], operate)
    expect(resolved.code).toBe(1)
    expect(resolved.stderr).toContain(`the api answered 409: incident ${resolvedId} is resolved`)
    const badKey = await incident(['ack', String(openId), '--api', vigil.url], `vgk_${'A'.repeat(43)}`)
    expect(badKey.code).toBe(1)
    expect(badKey.stderr).toContain('the api answered 401')
    expect(await acknowledgementOf(openId)).toBeNull()
  })

  it('refuses before sending: no key, a bad id, a key over plain HTTP to another machine', async () => {
    const noKey = await incident(['ack', String(openId), '--api', vigil.url], undefined)
    expect(noKey.code).toBe(2)
    expect(noKey.stderr).toContain('set VIGIL_API_KEY')
    const badId = await incident(['ack', 'twelve', '--api', vigil.url], 'vgk_x')
    expect(badId.code).toBe(2)
    expect(badId.stderr).toContain("give the incident's id")
    const clear = await incident(['ack', '1', '--api', 'http://vigil.example.org:8080'], 'vgk_x')
    expect(clear.code).toBe(2)
    expect(clear.stderr).toContain('refusing to send the API key to http://vigil.example.org:8080')
    const long = await incident(['ack', '1', '--comment', 'x'.repeat(2001), '--api', vigil.url], 'vgk_x')
    expect(long.code).toBe(2)
  })
})
