// An in-country agent behind an intercepting TLS proxy, with no database of its own: its certwatch chains
// travel through the spool to the api, which judges them against the control's stored chain and raises one
// https_interception incident; the central certwatch of another region, behind the same interceptor, adds
// itself to that incident rather than opening another, and the notifier sends one email listing both
// vantages (a later round sends nothing more); a re-sent batch stores nothing twice; bad TLS uploads store
// nothing.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { buildApp, type IngestResponse } from '@vigil/api'
import { publicIncidentEntry } from '@vigil/board'
import { createCertwatch } from '@vigil/certwatch'
import { parseConfig, type VigilConfig } from '@vigil/config'
import { describeCertificate } from '@vigil/interception'
import { createMetricsRegistry } from '@vigil/metrics'
import { createNotifier } from '@vigil/notify'
import { Spool } from '@vigil/spool'
import {
  createAgentToken,
  ensureVantage,
  insertTlsObservations,
  type NewTlsObservation,
  queryIncidents,
  queryTlsObservations,
} from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { createUploader, type SpooledRecord, startAgent, toIngestBatch } from '@vigil/vigil/agent'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildPki, type Pki, SITE } from '../packages/interception/test/support/fixtures.js'
import { keyPem } from '../packages/interception/test/support/pki.js'
import { type RunningServer, serveTls } from '../packages/interception/test/support/servers.js'
import { startSmtp } from '../packages/notify/test/support.js'
import {
  certwatchConfig,
  certwatchConfigYaml,
  type InterceptingProxy,
  startInterceptingProxy,
} from '../services/certwatch/test/support.js'
import { registerConfiguredTargets } from '../services/vigil/src/register.js'
import { freePort, waitFor } from './support/wait.js'

const NEWS = `news.${SITE}`
const AGENT = 'kz-almaty-agent'
const CONTROL = 'control-de-agent'
/** The central certwatch, in another region, behind the same interceptor. */
const CENTRAL = 'kz-aktau-1'
type Api = Awaited<ReturnType<typeof buildApp>>

let store: TestStore
let pki: Pki
let origin: RunningServer
let proxy: InterceptingProxy
let controlConfig: VigilConfig
let token: string
const apps = new Set<Api>()
const dir = mkdtempSync(path.join(tmpdir(), 'vigil-agent-tls-'))

beforeAll(async () => {
  store = await openTestStore()
  pki = buildPki()
  origin = await serveTls(pki.siteChain, keyPem(pki.siteLeaf.key))
  proxy = await startInterceptingProxy(pki, origin.port, 'own-root')
  controlConfig = certwatchConfig({ id: CONTROL, role: 'control', targets: targets(origin.port) })
  await registerConfiguredTargets(store.sql, controlConfig)
  await ensureVantage(store.sql, {
    id: AGENT,
    country: 'KZ',
    region: 'Almaty',
    asn: 9198,
    network: null,
    role: 'in_country',
  })
  token = (await createAgentToken(store.sql, AGENT)).token
})

afterAll(async () => {
  for (const app of apps) await app.close()
  await proxy?.close()
  await origin?.close()
  await store?.close()
  rmSync(dir, { recursive: true, force: true })
})

function targets(port: number) {
  return [
    { name: 'site', port, sni: SITE },
    { name: 'site-news', port, sni: NEWS },
  ]
}

/** The in-country agent's config: the proxy's port for both hosts, uploads and retries every second. */
function agentConfig(): VigilConfig {
  const yaml = certwatchConfigYaml({
    id: AGENT,
    role: 'in_country',
    region: 'Almaty',
    targets: targets(proxy.port),
  })
  const agent = ['agent:', '  uploadInterval: 1s', '  heartbeatInterval: 1s', '  maxBackoff: 1s', ''].join(
    '\n',
  )
  return parseConfig(yaml + agent, 'agent.yaml', {})
}

/** The control vantage's round, stored as certwatch stores it with a database. */
async function controlRound(): Promise<void> {
  const observations: NewTlsObservation[] = []
  const certwatch = createCertwatch({
    config: controlConfig,
    sql: store.sql,
    record: (observation) => observations.push(observation),
    ca: pki.root.pem,
  })
  try {
    const checks = await certwatch.runOnce()
    expect(checks.map((check) => check.verdict.verdict)).toEqual(['ok', 'ok'])
  } finally {
    await certwatch.stop()
  }
  await insertTlsObservations(store.sql, observations)
}

async function startApi(port = 0): Promise<{ app: Api; url: string }> {
  const app = await buildApp({
    store,
    registry: createMetricsRegistry({ version: 'test', defaultMetrics: false }),
    version: 'test',
    ingest: { maxBytes: 4 * 1_048_576, ratePerMinute: 100_000 },
    config: controlConfig,
  })
  apps.add(app)
  await app.listen({ host: '127.0.0.1', port })
  return { app, url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` }
}

const post = (url: string, body: unknown, bearer = token) =>
  fetch(`${url}/v1/ingest`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

const agentObservations = () => queryTlsObservations(store.sql, { vantage: AGENT, limit: 100 })
const incidents = () => queryIncidents(store.sql, { kind: 'https_interception', limit: 100 })

/** A round of the central in-country certwatch (with the database) through the same interceptor. */
async function centralRound(): Promise<void> {
  const certwatch = createCertwatch({
    config: certwatchConfig({
      id: CENTRAL,
      role: 'in_country',
      region: 'Aktau',
      targets: targets(proxy.port),
    }),
    sql: store.sql,
    record: () => {},
    ca: pki.root.pem,
  })
  try {
    const checks = await certwatch.runOnce()
    expect(checks.map((check) => check.verdict.verdict)).toEqual(['control_mismatch', 'control_mismatch'])
  } finally {
    await certwatch.stop()
  }
}
const count = async (table: 'measurements' | 'tls_observations') =>
  (await store.sql<{ n: number }[]>`select count(*)::int as n from ${store.sql(table)}`)[0]!.n

describe('an agent behind an intercepting proxy', () => {
  let url: string
  let spooled: SpooledRecord[] = []

  it('spools its chains while the api is away; the api judges them against the control and raises one incident', async () => {
    await controlRound()
    const port = await freePort()
    url = `http://127.0.0.1:${port}`
    const agent = startAgent({
      config: agentConfig(),
      apiUrl: url,
      token,
      spoolDir: path.join(dir, 'intercepted'),
      ca: pki.root.pem,
    })
    try {
      const spooledOf = (type: string) =>
        agent.spool.read(1_000).filter((entry) => 'type' in entry.record && entry.record.type === type)
      // The prober's measurements and certwatch's chains share the spool.
      await waitFor(
        'the round’s two chains and a measurement in the spool',
        () => spooledOf('tls_observation').length === 2 && spooledOf('measurement').length > 0,
      )
      // What the agent is about to send, kept to send again below.
      spooled = agent.spool.read(1_000).map((entry) => entry.record)

      await startApi(port)
      await waitFor('the chains to arrive', async () => (await agentObservations()).length === 2)
      await waitFor('the incident', async () => (await incidents()).length === 1)
      await waitFor('the spool to drain', () => agent.spool.stats().backlog === 0)
    } finally {
      await agent.stop()
    }

    const stored = await agentObservations()
    expect(stored.map((row) => row.sni).sort()).toEqual([NEWS, SITE])
    for (const row of stored) {
      // The agent alone saw only an unknown root; the control's chain makes it a mismatch.
      expect(row).toMatchObject({ verdict: 'control_mismatch', verified: false, port: proxy.port })
      expect(row.evidence.map((e) => e.kind)).toContain('leaf_differs_from_control')
    }
    const [incident] = await incidents()
    expect(incident).toMatchObject({
      kind: 'https_interception',
      scopeType: 'country',
      scope: 'KZ',
      region: 'Almaty',
      vantageId: AGENT,
      level: 'critical',
      state: 'firing',
    })
    expect(incident!.evidence).toMatchObject({
      verdict: 'control_mismatch',
      hosts: [NEWS, SITE],
      interceptorSubject: 'C=ZZ, CN=Interceptor Root',
      interceptorSpki: describeCertificate(pki.interceptorRoot.der).spkiSha256,
    })

    // The central certwatch in Aktau is shown the same interceptor: the same incident, now listing both.
    await centralRound()
    const merged = await incidents()
    expect(merged.map((i) => i.id)).toEqual([incident!.id])
    expect(merged[0]).toMatchObject({ scopeType: 'country', scope: 'KZ', region: null, state: 'firing' })
    const vantages = merged[0]!.evidence.vantages as Array<{ id: string; region: string; hosts: string[] }>
    expect(vantages.map((v) => [v.id, v.region, v.hosts])).toEqual([
      [AGENT, 'Almaty', [NEWS, SITE]],
      [CENTRAL, 'Aktau', [NEWS, SITE]],
    ])
    // The public status page names the regions, never the vantages.
    const entry = publicIncidentEntry(controlConfig, merged[0]!)
    expect(entry.title).toBe('HTTPS interception: KZ (country-wide)')
    expect(entry.lines).toContain('Regions: Aktau, Almaty')
    expect(JSON.stringify(entry)).not.toContain(AGENT)
    expect(JSON.stringify(entry)).not.toContain(CENTRAL)

    // The next stage, real too: the notifier emails the incident with the evidence the api wrote.
    const smtp = await startSmtp()
    try {
      const mailConfig = parseConfig(
        [
          certwatchConfigYaml({ id: CONTROL, role: 'control', targets: targets(origin.port) }),
          'alerts:',
          '  receivers:',
          '    - { name: press, email: [press@example.org] }',
          '  routes:',
          '    - { receiver: press, kinds: [https_interception], groupWait: 0s }',
          'smtp:',
          '  host: 127.0.0.1',
          `  port: ${smtp.port}`,
          '  secure: false',
          '  from: Vigil <vigil@example.org>',
          '',
        ].join('\n'),
        'mail.yaml',
        {},
      )
      const notifier = createNotifier({ config: mailConfig, sql: store.sql })
      try {
        await notifier.plan()
        await notifier.deliver()
        expect(smtp.received).toHaveLength(1)
        const [mail] = smtp.received
        expect(mail!.subject).toMatch(/^\[CRITICAL\] HTTPS interception: Kazakhstan \(country-wide\)/)
        for (const body of [mail!.text, mail!.html]) {
          expect(body).toContain('control_mismatch')
          expect(body).toContain(NEWS)
          expect(body).toContain(SITE)
          expect(body).toContain('CN=Interceptor Root')
          expect(body).toContain(describeCertificate(pki.interceptorRoot.der).spkiSha256)
          expect(body).toContain('Seen from (2 vantages)')
          expect(body).toContain(`${AGENT} (Almaty)`)
          expect(body).toContain(`${CENTRAL} (Aktau)`)
        }
        // Both vantages see it again in later rounds: evidence updated, nothing more to send.
        await centralRound()
        expect(await notifier.plan()).toBe(0)
        await notifier.deliver()
        expect(smtp.received).toHaveLength(1)
      } finally {
        await notifier.stop()
      }
    } finally {
      await smtp.close()
    }
  })

  it('stores nothing twice when the same batch is sent again', async () => {
    const measurements = await count('measurements')
    const response = await post(url, toIngestBatch(spooled, new Date()))
    expect(response.status).toBe(200)
    const body = (await response.json()) as IngestResponse
    expect(body.tlsObservations).toEqual({ received: 2, new: 0, duplicates: 2, quarantined: 0 })
    expect(body.new).toBe(0)
    expect(await agentObservations()).toHaveLength(2)
    expect(await count('measurements')).toBe(measurements)
    const open = await incidents()
    expect(open).toHaveLength(1)
    expect(open[0]!.state).toBe('firing')
  })

  it('rejects a malformed or foreign TLS observation and stores nothing of the batch', async () => {
    const record = spooled.find((r) => 'type' in r && r.type === 'tls_observation')!
    const { type: _type, ...observation } = record as Extract<SpooledRecord, { type: 'tls_observation' }>
    const measurement = {
      id: `${AGENT}:fresh-measurement`,
      measuredAt: new Date().toISOString(),
      vantage: AGENT,
      target: 'site',
      kind: 'tls',
      ok: true,
      failure: null,
    }
    const before = { measurements: await count('measurements'), tls: await count('tls_observations') }
    const { sni: _sni, ...withoutSni } = { ...observation, id: `${AGENT}:no-sni` }
    const missing = await post(url, { measurements: [measurement], tlsObservations: [withoutSni] })
    expect(missing.status).toBe(400)
    expect(((await missing.json()) as { message: string }).message).toMatch(/tlsObservations\/0.*sni/)

    const badPort = await post(url, {
      measurements: [measurement],
      tlsObservations: [{ ...observation, id: `${AGENT}:bad-port`, port: 'https' }],
    })
    expect(badPort.status).toBe(400)
    expect(((await badPort.json()) as { message: string }).message).toMatch(/tlsObservations\/0\/port/)

    const foreign = await post(url, {
      measurements: [measurement],
      tlsObservations: [{ ...observation, id: 'kz-aktau-1:x', vantage: 'kz-aktau-1' }],
    })
    expect(foreign.status).toBe(403)
    expect(((await foreign.json()) as { message: string }).message).toMatch(/tlsObservations\/0\/vantage/)

    expect(await count('measurements')).toBe(before.measurements)
    expect(await count('tls_observations')).toBe(before.tls)
  })

  it('still uploads measurements spooled before records had a type', async () => {
    const spool = Spool.open<SpooledRecord>({
      dir: path.join(dir, 'old-format'),
      maxBytes: 1_048_576,
      fullPolicy: 'stop',
    })
    try {
      spool.append([
        {
          id: `${AGENT}:before-upgrade`,
          measuredAt: new Date(Date.now() - 3_600_000).toISOString(),
          vantage: AGENT,
          target: 'site',
          kind: 'tls',
          region: 'Almaty',
          asn: 9198,
          ok: false,
          failure: 'ssl_unknown_authority',
          durationMs: 12,
          details: {},
        },
      ])
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
      expect(await uploader.runOnce()).toEqual({ kind: 'sent', measurements: 1 })
      expect(spool.stats().backlog).toBe(0)
    } finally {
      spool.close()
    }
    const [row] = await store.sql<{ failure: string; source: string }[]>`
      select failure, source from measurements where idempotency_key = ${`${AGENT}:before-upgrade`}`
    expect(row).toEqual({ failure: 'ssl_unknown_authority', source: 'agent' })
  })
})
