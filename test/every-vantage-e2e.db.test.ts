// The deployment Vigil exists for, with real processes on loopback: a central `vigil start` (api,
// detection, email to a real SMTP sink), an in-country `vigil agent` in Almaty and one in Shymkent, each
// with its own token and registered region, and an outside vantage (`vigil agent` abroad) probing
// in-country endpoints. Almaty goes dark: its agent's targets and controls stop answering, then its
// uploads are cut, and the outside vantage's probes of Almaty's endpoints fail. Exactly one blackout email
// for Almaty arrives, naming evidence from the agent's own measurements and from the outside vantage;
// nothing for Shymkent, no country-wide incident (one region is not the country) and no monitor offline. When Almaty returns, the agent's spooled measurements arrive once, one RESOLVED
// email follows, and the rally report of the day shows Almaty's outage from the agent's measurements.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { openStore } from '@vigil/store'
import { createTestDatabase } from '@vigil/store/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type SmtpSink, startSmtp } from '../packages/notify/test/support.js'
import { runVigil } from '../services/vigil/test/support.js'
import { type CuttableProxy, cuttableProxy } from './support/cuttable-proxy.js'
import { type SwitchableSite, switchableSite } from './support/switchable-site.js'
import { spawnVigil, type VigilProcess } from './support/vigil-process.js'
import { waitFor } from './support/wait.js'

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-every-vantage-'))
let smtp: SmtpSink
let database: Awaited<ReturnType<typeof createTestDatabase>>
const sites: Record<string, SwitchableSite> = {}
const processes: VigilProcess[] = []
let proxy: CuttableProxy | undefined

const CITIES = { almaty: 'Almaty', shymkent: 'Shymkent' } as const
// What each in-country agent probes: its city's view of two services and two neutral controls.
const AGENT_TARGETS = ['facebook', 'telegram', 'wikipedia', 'example'] as const
// In-country endpoints the outside vantage probes, per city.
const ENDPOINTS = ['gov', 'isp', 'news'] as const

beforeAll(async () => {
  smtp = await startSmtp()
  database = await createTestDatabase({ migrated: true })
  for (const city of Object.keys(CITIES)) {
    for (const name of AGENT_TARGETS) sites[`${city}-${name}`] = await switchableSite(`${city} ${name}`)
    for (const name of ENDPOINTS) sites[`${city}-${name}`] = await switchableSite(`${city} ${name}`)
  }
})

afterAll(async () => {
  for (const process of processes) await process.stop('SIGTERM')
  await proxy?.close()
  await Promise.all(Object.values(sites).map((site) => site.close()))
  await smtp.close()
  await database.drop()
  rmSync(dir, { recursive: true, force: true })
})

/** Today in Almaty's zone (UTC+5), YYYY-MM-DD: the rally day of the test. */
function almatyToday(): string {
  return new Date(Date.now() + 5 * 3_600_000).toISOString().slice(0, 10)
}

/**
 * One config for every process; only the vantage and where the same target names lead differ (a city's
 * agent reaches that city's view of each site).
 */
function config(vantage: string, viewOf: 'almaty' | 'shymkent', extra: string[] = []): string {
  const url = (site: string) => `'http://127.0.0.1:${sites[site]!.port}/'`
  const group = (name: string, purpose: string, roles: string, targets: string[]) => [
    `  - name: ${name}`,
    `    purpose: ${purpose}`,
    `    vantageRoles: [${roles}]`,
    '    probes: [http]',
    '    interval: 2s',
    '    rallyInterval: 2s',
    '    timeout: 1s',
    '    targets:',
    ...targets,
  ]
  const day = almatyToday()
  return [
    'country: KZ',
    `vantage: ${vantage}`,
    'regions:',
    '  - { name: Almaty, timeZone: Asia/Almaty }',
    '  - { name: Shymkent, timeZone: Asia/Almaty }',
    'probing: { concurrency: 16, jitter: 0 }',
    'targetGroups:',
    ...group('social', 'service', 'in_country', [
      `      - { name: facebook, url: ${url(`${viewOf}-facebook`)} }`,
      `      - { name: telegram, url: ${url(`${viewOf}-telegram`)} }`,
    ]),
    ...group('control', 'control', 'in_country, outside, control', [
      `      - { name: wikipedia, url: ${url(`${viewOf}-wikipedia`)} }`,
      `      - { name: example, url: ${url(`${viewOf}-example`)} }`,
    ]),
    ...group(
      'kz-endpoints',
      'outside_in',
      'outside',
      Object.entries(CITIES).flatMap(([city, region]) =>
        ENDPOINTS.map(
          (name) => `      - { name: ${city}-${name}, url: ${url(`${city}-${name}`)}, region: ${region} }`,
        ),
      ),
    ),
    'rallies:',
    `  - { name: Test rally, city: all, start: '${day}T00:00', end: '${day}T23:59', leadHours: 0, tailHours: 0 }`,
    'thresholds:',
    '  blackout: { window: 1m, minSamples: 3, minTargets: 2 }',
    '  silenceAfter: 10s',
    '  monitorOffline: { group: control }',
    '  incident: { for: 4s, resolveAfter: 6s }',
    'alerts:',
    '  receivers:',
    '    - { name: press, email: [press@example.org] }',
    '  routes:',
    '    - { receiver: press, kinds: [blackout], regions: [Almaty, Shymkent], groupWait: 2s, rallyGroupWait: 0s, groupInterval: 5s, repeatInterval: 4h, sendResolved: true }',
    'smtp:',
    '  host: 127.0.0.1',
    `  port: ${smtp.port}`,
    '  secure: false',
    '  from: Vigil <vigil@example.org>',
    'news: { sources: [] }',
    ...extra,
    '',
  ].join('\n')
}

function agentConfig(vantage: string, viewOf: 'almaty' | 'shymkent', name: string): string {
  return config(vantage, viewOf, [
    'agent:',
    `  spoolDir: ${path.join(dir, `spool-${name}`)}`,
    '  batchSize: 500',
    '  uploadInterval: 1s',
    '  heartbeatInterval: 1s',
    '  maxBackoff: 1s',
  ])
}

function write(name: string, text: string): string {
  const file = path.join(dir, name)
  writeFileSync(file, text)
  return file
}

async function token(file: string, ...args: string[]): Promise<string> {
  const result = await runVigil(database.connection, ['agent-token', 'create', '--config', file, ...args])
  expect(result.code, result.stderr).toBe(0)
  return result.stdout.trim()
}

interface Email {
  subject: string
  text: string
  html: string
}

it('an Almaty blackout seen by its own agent and from abroad: one email, one resolution, the report', {
  timeout: 300_000,
}, async () => {
  const central = write(
    'central.yaml',
    config('{ id: de-central, role: control, country: DE, network: { asn: 24940 } }', 'shymkent'),
  )
  const almatyFile = write(
    'almaty.yaml',
    agentConfig(
      '{ id: kz-almaty-1, role: in_country, country: KZ, region: Almaty, network: { asn: 9198, type: fixed } }',
      'almaty',
      'almaty',
    ),
  )
  const shymkentFile = write(
    'shymkent.yaml',
    agentConfig(
      '{ id: kz-shymkent-1, role: in_country, country: KZ, region: Shymkent, network: { asn: 9198, type: fixed } }',
      'shymkent',
      'shymkent',
    ),
  )
  const outsideFile = write(
    'outside.yaml',
    agentConfig(
      '{ id: nl-outside-1, role: outside, country: NL, network: { asn: 1136 } }',
      'shymkent',
      'outside',
    ),
  )
  // Each agent's vantage is registered with its token, before the central process holds the store.
  const tokens = {
    almaty: await token(
      central,
      '--vantage',
      'kz-almaty-1',
      '--role',
      'in_country',
      '--region',
      'Almaty',
      '--asn',
      '9198',
      '--network-type',
      'fixed',
    ),
    shymkent: await token(
      central,
      '--vantage',
      'kz-shymkent-1',
      '--role',
      'in_country',
      '--region',
      'Shymkent',
      '--asn',
      '9198',
      '--network-type',
      'fixed',
    ),
    outside: await token(
      central,
      '--vantage',
      'nl-outside-1',
      '--role',
      'outside',
      '--country',
      'NL',
      '--asn',
      '1136',
    ),
  }

  const vigil = await spawnVigil({
    args: ['start', '--config', central, '--port', '0'],
    connection: database.connection,
  })
  processes.push(vigil)
  const api = new URL(vigil.url)
  proxy = await cuttableProxy(Number(api.port))
  const agent = async (file: string, secret: string, port: number) => {
    const running = await spawnVigil({
      args: ['agent', '--config', file, '--api', `http://127.0.0.1:${port}`],
      connection: {},
      env: { VIGIL_AGENT_TOKEN: secret },
    })
    processes.push(running)
    return running
  }
  await agent(almatyFile, tokens.almaty, proxy.port)
  await agent(shymkentFile, tokens.shymkent, Number(api.port))
  await agent(outsideFile, tokens.outside, Number(api.port))

  const vantages = async () =>
    ((await (await vigil.get(`/v1/vantages`)).json()) as { vantages: Array<Record<string, unknown>> })
      .vantages
  const measurements = async (query: string) =>
    (
      (await (await vigil.get(`/v1/measurements?${query}`)).json()) as {
        measurements: Array<{ ok: boolean; region: string | null; target: string; measuredAt: string }>
      }
    ).measurements
  // Every vantage is online and uploading under its registered region.
  await waitFor(
    'every vantage online',
    async () => (await vantages()).filter((v) => v.status === 'online').length >= 4,
    60_000,
    250,
  )
  expect((await vantages()).find((v) => v.id === 'kz-shymkent-1')).toMatchObject({
    role: 'in_country',
    region: 'Shymkent',
    asn: 9198,
    networkType: 'fixed',
  })
  await waitFor(
    'healthy rounds from every vantage',
    async () => (await measurements('limit=500')).length >= 40,
    60_000,
    250,
  )
  expect(smtp.received).toHaveLength(0)

  // Almaty goes dark: everything its agent probes, and its endpoints seen from abroad.
  const wentDark = Date.now()
  const darkFrom = new Date(wentDark)
  await Promise.all([...AGENT_TARGETS, ...ENDPOINTS].map((name) => sites[`almaty-${name}`]!.dark()))
  // The agent's failing rounds reach the api before its own uplink goes too.
  await waitFor(
    "the Almaty agent's failures",
    async () =>
      (await measurements(`vantage=kz-almaty-1&from=${darkFrom.toISOString()}&limit=50`)).some(
        (m) => !m.ok && m.target === 'wikipedia',
      ),
    60_000,
    250,
  )
  await proxy.cut()
  const cutAt = new Date()

  await waitFor('the blackout email', () => smtp.received.length >= 1, 90_000, 250)
  const darkToEmailMs = Date.now() - wentDark
  // Wait past one more group interval: nothing else may follow.
  await new Promise((resolve) => setTimeout(resolve, 8_000))
  expect(smtp.received).toHaveLength(1)
  const alert = smtp.received[0] as Email
  expect(alert.subject).toMatch(/^\[(CRITICAL|WARNING)\] Internet blackout: Almaty/)
  expect(alert.subject).not.toContain('Shymkent')
  expect(alert.text).toMatch(/Vantages affected \(2\): kz-almaty-1, nl-outside-1/)
  expect(alert.text).toMatch(/Control targets: 2 of 2 failing from in-country vantages/)
  expect(alert.text).toMatch(/Outside-in probes failing: 3 of 3 in-country endpoints probed from abroad/)
  expect(alert.text).toContain('almaty-gov')
  expect(alert.text).toContain('wikipedia')
  const firing = (await (await vigil.get(`/v1/incidents?kind=blackout&state=firing`)).json()) as {
    incidents: Array<{ region: string | null; scopeType: string }>
  }
  expect(firing.incidents.filter((i) => i.scopeType === 'region').map((i) => i.region)).toEqual(['Almaty'])
  // One region's series never make a country-wide blackout: that needs two regions (or networks) to agree.
  expect(firing.incidents.filter((i) => i.scopeType === 'country')).toEqual([])
  // The dark agent is a victim of the blackout, never a monitor offline: none fired.
  const offline = (await (await vigil.get(`/v1/incidents?kind=monitor_offline`)).json()) as {
    incidents: Array<{ scope: string; firingAt: string | null }>
  }
  expect(offline.incidents.filter((i) => i.firingAt !== null)).toEqual([])
  // A fresh install has no baseline: the email says so rather than claim a norm.
  expect(alert.text).toContain('no baseline yet')
  expect(alert.text).not.toContain('normally')
  console.log(`dark to email: ${(darkToEmailMs / 1000).toFixed(1)} s`)

  // The agent keeps measuring into its spool while cut off; its silence shows.
  await waitFor(
    'the Almaty agent silent',
    async () => (await vantages()).find((v) => v.id === 'kz-almaty-1')?.status === 'silent',
    60_000,
    250,
  )

  // Almaty returns.
  await Promise.all([...AGENT_TARGETS, ...ENDPOINTS].map((name) => sites[`almaty-${name}`]!.light()))
  const restoredAt = new Date()
  await proxy.restore()
  await waitFor('the resolved email', () => smtp.received.length >= 2, 120_000, 250)
  await new Promise((resolve) => setTimeout(resolve, 8_000))
  expect(smtp.received).toHaveLength(2)
  expect((smtp.received[1] as Email).subject).toMatch(/^\[RESOLVED\] Internet blackout: Almaty/)

  await vigil.stop('SIGTERM')
  for (const process of processes) await process.stop('SIGTERM')

  // What the agent measured while cut off arrived after the cut was lifted, each measurement once.
  const store = await openStore(database.connection)
  try {
    const [spooled] = await store.sql<{ n: number; keys: number }[]>`
      select count(*)::int as n, count(distinct idempotency_key)::int as keys from measurements
      where vantage_id = 'kz-almaty-1' and measured_at > ${cutAt} and measured_at < ${restoredAt}
        and received_at >= ${restoredAt}`
    expect(spooled!.n).toBeGreaterThan(0)
    expect(spooled!.keys).toBe(spooled!.n)
    const [region] = await store.sql<{ regions: string[] }[]>`
      select array_agg(distinct region) as regions from measurements where vantage_id = 'kz-almaty-1'`
    expect(region!.regions).toEqual(['Almaty'])
  } finally {
    await store.close()
  }

  // The rally report of the day shows Almaty's outage, counted from the agent's own measurements too.
  const out = path.join(dir, 'report.json')
  const report = await runVigil(database.connection, [
    'report',
    'rally',
    '--config',
    central,
    '--date',
    almatyToday(),
    '--city',
    'Almaty',
    '--format',
    'json',
    '--resolution',
    '1m',
    '--out',
    out,
  ])
  expect(report.code, report.stderr).toBe(0)
  const parsed = JSON.parse(readFileSync(out, 'utf8')) as {
    cities: Array<{
      city: string
      windowStart: string
      windowEnd: string
      availability: Array<{ start: string; share: number | null; samples: number }>
    }>
  }
  const almaty = parsed.cities.find((c) => c.city === 'Almaty')!
  const during = almaty.availability.filter(
    (p) => Date.parse(p.start) >= wentDark - 60_000 && Date.parse(p.start) < restoredAt.getTime(),
  )
  // The outage lasts well under a minute, so a 1-minute bucket holds it beside healthy rounds: below the
  // 0.8 warning level is what it shows.
  expect(during.some((p) => p.share !== null && p.share < 0.8)).toBe(true)
  // The outside vantage sends 3 Almaty probes per round; more samples than that per minute in the
  // blackout's minutes can only be the agent's own, spooled and uploaded later.
  const store2 = await openStore(database.connection)
  try {
    const [agentRows] = await store2.sql<{ n: number }[]>`
      select count(*)::int as n from measurements where vantage_id = 'kz-almaty-1' and not ok`
    expect(agentRows!.n).toBeGreaterThan(0)
    const reported = almaty.availability.reduce((sum, p) => sum + p.samples, 0)
    const [stored] = await store2.sql<{ n: number }[]>`
      select count(*)::int as n from measurements
      where region = 'Almaty' and source in ('vigil', 'agent')
        and measured_at >= ${new Date(almaty.windowStart)} and measured_at < ${new Date(almaty.windowEnd)}`
    expect(reported).toBe(stored!.n)
  } finally {
    await store2.close()
  }
})
