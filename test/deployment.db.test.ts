// The README's deployment section, run as written: its shell block is read from README.md and each command
// is run with real processes on loopback (central `vigil start`, `vigil agent-token create`, `vigil agent`
// in Almaty on a mobile and a fixed line, and an outside agent abroad), on the shipped config with every
// target's address replaced by a loopback server. An outside-in failure of an Almaty endpoint is stored
// with region Almaty, from the outside agent's uploads and from the central server's own probes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createTestDatabase } from '@vigil/store/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { isMap, isSeq, parseDocument, type YAMLMap } from 'yaml'
import { type Loopback, serve } from '../services/prober/test/support.js'
import { runVigil } from '../services/vigil/test/support.js'
import { REPO_ROOT, spawnVigil, type VigilProcess } from './support/vigil-process.js'
import { freePort, waitFor } from './support/wait.js'

const SECTION = '## Deployment that sees a city go dark'
const PUBLIC_API = 'https://vigil.example.org'

interface Command {
  env: Record<string, string>
  args: string[]
  text: string
}

/** The commands of the section's shell block: continuation lines joined, comments dropped, env split off. */
function readmeCommands(): Command[] {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8')
  const start = readme.indexOf(`${SECTION}\n`)
  expect(start, `README.md has the section "${SECTION}"`).toBeGreaterThanOrEqual(0)
  const end = readme.indexOf('\n## ', start + SECTION.length)
  const section = readme.slice(start, end === -1 ? undefined : end)
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!)
  expect(blocks).toHaveLength(1)
  return blocks[0]!
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((text) => {
      const words = text.split(/\s+/)
      const env: Record<string, string> = {}
      while (/^[A-Z_]+=/.test(words[0] ?? '')) {
        const [name, ...value] = words.shift()!.split('=')
        env[name!] = value.join('=')
      }
      expect(words.slice(0, 2), text).toEqual(['pnpm', 'vigil'])
      return { env, args: words.slice(2), text }
    })
}

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-deployment-'))
let site: Loopback
let closedPort: number
let database: Awaited<ReturnType<typeof createTestDatabase>>
const processes: VigilProcess[] = []

beforeAll(async () => {
  site = await serve(() => ({ status: 200, body: '<title>ok</title>' }))
  closedPort = await freePort()
  database = await createTestDatabase({ migrated: false })
})

afterAll(async () => {
  for (const process of processes.reverse()) await process.stop('SIGTERM')
  await site?.close()
  await database?.drop()
  rmSync(dir, { recursive: true, force: true })
})

/**
 * config/kazakhstan.yaml with every target probed over plain HTTP at a loopback address: the site for
 * everything, a closed port for the in-country endpoints of `darkRegion`; fast rounds, no news sources, and
 * mail to a closed port. Names, groups, regions and networks stay as shipped.
 */
function loopbackShippedConfig(darkRegion: string): string {
  const doc = parseDocument(readFileSync(path.join(REPO_ROOT, 'config/kazakhstan.yaml'), 'utf8'))
  const groups = doc.get('targetGroups')
  if (!isSeq(groups)) throw new Error('config/kazakhstan.yaml has no targetGroups list')
  for (const group of groups.items as YAMLMap[]) {
    group.set('probes', doc.createNode(['http'], { flow: true }))
    group.set('interval', '2s')
    group.set('rallyInterval', '2s')
    group.set('timeout', '1s')
    const targets = group.get('targets')
    if (!isSeq(targets)) throw new Error('a target group without targets')
    for (const target of targets.items) {
      if (!isMap(target)) throw new Error('a target that is not a map')
      for (const key of ['host', 'port', 'probes', 'sni']) target.delete(key)
      const dark = group.get('purpose') === 'outside_in' && target.get('region') === darkRegion
      target.set('url', `http://127.0.0.1:${dark ? closedPort : site.port}/`)
    }
  }
  doc.setIn(['news', 'sources'], doc.createNode([]))
  doc.setIn(['smtp', 'host'], '127.0.0.1')
  doc.setIn(['smtp', 'port'], closedPort)
  return doc.toString()
}

interface Measurement {
  vantage: string
  target: string
  region: string | null
  ok: boolean
  failure: string | null
}

it('the deployment commands of the README, as written, store an Almaty endpoint failure for Almaty', {
  timeout: 240_000,
}, async () => {
  const commands = readmeCommands()
  // The section promises one central process, a token per agent, and the agents.
  expect(commands.map((c) => c.args.slice(0, 2).join(' '))).toEqual([
    'start',
    'agent-token create',
    'agent-token create',
    'agent-token create',
    'agent --api',
    'agent --api',
    'agent --api',
  ])
  const config = path.join(dir, 'kazakhstan.yaml')
  writeFileSync(config, loopbackShippedConfig('Almaty'))

  const [start, ...rest] = commands
  const central = await spawnVigil({
    args: [...start!.args, '--config', config, '--port', '0'],
    connection: database.connection,
    env: start!.env,
  })
  processes.push(central)

  const tokens = new Map<string, string>()
  for (const command of rest.filter((c) => c.args[0] === 'agent-token')) {
    const result = await runVigil(database.connection, [...command.args, '--config', config])
    expect(result.code, `${command.text}\n${result.stderr}`).toBe(0)
    const vantage = command.args[command.args.indexOf('--vantage') + 1]!
    tokens.set(vantage, result.stdout.trim())
  }
  expect([...tokens.keys()].sort()).toEqual(['kz-almaty-fixed-1', 'kz-almaty-mobile-1', 'nl-outside-1'])

  for (const command of rest.filter((c) => c.args[0] === 'agent')) {
    const vantage = command.env.VIGIL_VANTAGE_ID!
    expect(command.env.VIGIL_AGENT_TOKEN, command.text).toMatch(/^vgl_/)
    expect(command.args[command.args.indexOf('--api') + 1]).toBe(PUBLIC_API)
    const args = command.args.map((word) => (word === PUBLIC_API ? central.url : word))
    processes.push(
      await spawnVigil({
        args: [...args, '--config', config, '--spool-dir', path.join(dir, `spool-${vantage}`)],
        connection: {},
        env: { ...command.env, VIGIL_AGENT_TOKEN: tokens.get(vantage)! },
      }),
    )
  }

  const vantages = async () =>
    ((await (await central.get('/v1/vantages')).json()) as { vantages: Array<Record<string, unknown>> })
      .vantages
  await waitFor(
    'every vantage online',
    async () => (await vantages()).filter((v) => v.status === 'online').length === 4,
    90_000,
    250,
  )
  const byId = Object.fromEntries((await vantages()).map((v) => [v.id, v]))
  expect(byId['de-central-1']).toMatchObject({ role: 'control', region: null, asn: 24940 })
  expect(byId['kz-almaty-mobile-1']).toMatchObject({
    role: 'in_country',
    region: 'Almaty',
    asn: 29355,
    networkType: 'mobile',
  })
  expect(byId['kz-almaty-fixed-1']).toMatchObject({
    role: 'in_country',
    region: 'Almaty',
    asn: 9198,
    networkType: 'fixed',
  })
  expect(byId['nl-outside-1']).toMatchObject({ role: 'outside', region: null, asn: 1136 })

  const measurements = async (query: string) =>
    (
      (await (await central.get(`/v1/measurements?${query}&limit=200`)).json()) as {
        measurements: Measurement[]
      }
    ).measurements
  // The outside agent's uploads and the central server's own probes of the in-country endpoints.
  for (const vantage of ['nl-outside-1', 'de-central-1']) {
    await waitFor(
      `${vantage}'s probes of an Almaty and a Nur-Sultan endpoint`,
      async () => {
        const rows = await measurements(`vantage=${vantage}`)
        return rows.some((m) => m.target === 'kcell') && rows.some((m) => m.target === 'gov-kz')
      },
      90_000,
      250,
    )
    const rows = await measurements(`vantage=${vantage}`)
    const kcell = rows.filter((m) => m.target === 'kcell')
    expect(kcell.length).toBeGreaterThan(0)
    for (const m of kcell) {
      expect(m).toMatchObject({ region: 'Almaty', ok: false, failure: 'connection_refused' })
    }
    for (const m of rows.filter((row) => row.target === 'gov-kz')) {
      expect(m).toMatchObject({ region: 'Nur-Sultan', ok: true })
    }
    // What the same vantage measures of the neutral control set speaks for no city.
    for (const m of rows.filter((row) => row.target === 'wikipedia')) expect(m.region).toBeNull()
  }
  // Almaty's own agents never probe the endpoints meant to be seen from abroad, and speak for Almaty.
  for (const vantage of ['kz-almaty-mobile-1', 'kz-almaty-fixed-1']) {
    await waitFor(
      `${vantage}'s uploads`,
      async () => (await measurements(`vantage=${vantage}`)).length > 0,
      60_000,
      250,
    )
    const rows = await measurements(`vantage=${vantage}`)
    expect(rows.some((m) => m.target === 'kcell')).toBe(false)
    expect(new Set(rows.map((m) => m.region))).toEqual(new Set(['Almaty']))
  }
})
