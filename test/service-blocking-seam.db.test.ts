// The real http probe against loopback sites (a 200 OK block page, bodies dripping at about 128 kbit/s past
// the timeout) into the real store into the real alerter: the blocked service and the throttled group each
// open an incident with their evidence, whether the measurements come from the central prober or from an
// agent's upload through /v1/ingest; the dripping services are not called blocked.
import { createServer, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { createAlerter } from '@vigil/alerter'
import { buildApp } from '@vigil/api'
import { parseConfig, type VigilConfig } from '@vigil/config'
import { createMetricsRegistry } from '@vigil/metrics'
import { describeEvidence } from '@vigil/notify'
import { createProber } from '@vigil/prober'
import { createAgentToken, insertMeasurements, type NewMeasurement, openIncidents } from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest'
import { type Loopback, loopbackConfigYaml, serve } from '../services/prober/test/support.js'
import { toIngestMeasurement } from '../services/vigil/src/agent/run-agent.js'
import { registerConfiguredTargets } from '../services/vigil/src/register.js'

/** 2,000 bytes every 125 ms: 16,000 bytes a second, 128 kbit/s, for as long as the client listens. */
async function drippingSite(): Promise<Loopback> {
  const sockets = new Set<Socket>()
  const timers = new Set<NodeJS.Timeout>()
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    response.write('<title>Twitter</title>')
    const timer = setInterval(() => response.write('x'.repeat(2_000)), 125)
    timers.add(timer)
    response.on('close', () => {
      clearInterval(timer)
      timers.delete(timer)
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearInterval(timer)
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

const sites: Record<string, Loopback> = {}
let store: TestStore

beforeAll(async () => {
  const fine = () => ({ status: 200, body: '<title>Welcome</title><p>all fine</p>' })
  sites.facebook = await serve(() => ({
    status: 200,
    body: '<title>Блокировка</title><p>Доступ к ресурсу ограничен по решению суда</p>',
  }))
  sites.twitter = await drippingSite()
  sites.telegram = await drippingSite()
  for (const name of ['youtube', 'instagram', 'wikipedia', 'example']) sites[name] = await serve(fine)
})
afterAll(async () => {
  await Promise.all(Object.values(sites).map((site) => site.close()))
})
beforeEach(async () => {
  store = await openTestStore()
})
afterEach(async () => {
  await store.close()
})

function config(vantageId: string): VigilConfig {
  const yaml = loopbackConfigYaml(
    [
      {
        name: 'social',
        timeout: '1500ms',
        targets: ['facebook', 'twitter', 'telegram', 'youtube', 'instagram'].map((name) => ({
          name,
          port: sites[name]!.port,
        })),
      },
      {
        name: 'control',
        purpose: 'control',
        timeout: '1500ms',
        targets: ['wikipedia', 'example'].map((name) => ({ name, port: sites[name]!.port })),
      },
    ],
    'thresholds:\n  incident: { for: 0s }\n',
  ).replace('id: test-almaty', `id: ${vantageId}`)
  return parseConfig(yaml, 'seam.yaml', {})
}

/** Runs the alerter once and checks what it opened for the vantage, and how a message words it. */
async function expectIncidents(cfg: VigilConfig, vantageId: string): Promise<void> {
  const alerter = createAlerter({ config: cfg, sql: store.sql })
  const { changes } = await alerter.runOnce()
  await alerter.stop()
  const opened = changes.filter((c) => c.action === 'opened').map((c) => c.identity)
  expect(opened).toContain(`service_blocking|vantage|${vantageId}|social|facebook`)
  expect(opened).toContain(`throttling|vantage|${vantageId}|social`)
  // Dripping bodies are slow, not blocked; one blocked service of five is not the whole group.
  expect(opened.filter((identity) => identity.startsWith('service_blocking'))).toEqual([
    `service_blocking|vantage|${vantageId}|social|facebook`,
  ])

  const open = await openIncidents(store.sql)
  const blocking = open.find((i) => i.identity === `service_blocking|vantage|${vantageId}|social|facebook`)!
  expect(blocking).toMatchObject({ state: 'firing', level: 'warning', region: 'Almaty' })
  expect(blocking.evidence).toMatchObject({
    services: [
      { target: 'facebook', kind: 'http', failure: 'http_blockpage', blockPage: 'access-restricted-ru' },
    ],
  })
  expect(describeEvidence(blocking)).toContainEqual({
    label: 'Blocked (1)',
    value: 'facebook: block page "access-restricted-ru" (http)',
  })

  const throttling = open.find((i) => i.identity === `throttling|vantage|${vantageId}|social`)!
  expect(throttling).toMatchObject({ state: 'firing', level: 'warning' })
  const slow = throttling.evidence.slow as Array<{ target: string; transferBitsPerSecond: number }>
  expect(slow.map((s) => s.target).sort()).toEqual(['telegram', 'twitter'])
  for (const entry of slow) {
    // 128 kbit/s sent; timers late on a loaded machine only lower it.
    expect(entry.transferBitsPerSecond).toBeGreaterThan(50_000)
    expect(entry.transferBitsPerSecond).toBeLessThan(200_000)
  }
  const slowLine = describeEvidence(throttling).find((line) => line.label.startsWith('Slow targets'))!
  expect(slowLine.value).toMatch(
    /twitter \(http\) body still arriving at \d+(\.\d+)? kbit\/s .*no baseline yet/,
  )
}

it('opens the block page and the dripping bodies measured by the central prober', {
  timeout: 60_000,
}, async () => {
  const cfg = config('kz-almaty-1')
  await registerConfiguredTargets(store.sql, cfg)
  const prober = createProber({ config: cfg, record: () => {} })
  const observations = await prober.runOnce()
  const twitter = observations.find((o) => o.result.target === 'twitter')!
  expect(twitter.measurement).toMatchObject({ ok: false, failure: 'generic_timeout_error' })
  expect(twitter.measurement.details).toMatchObject({ timeoutPhase: 'body' })
  await insertMeasurements(
    store.sql,
    observations.map((o) => o.measurement),
  )
  await expectIncidents(cfg, 'kz-almaty-1')
})

it('opens the same incidents from an agent whose measurements arrive through /v1/ingest', {
  timeout: 60_000,
}, async () => {
  const cfg = config('kz-agent-1')
  await registerConfiguredTargets(store.sql, cfg)
  const token = (await createAgentToken(store.sql, 'kz-agent-1')).token
  const prober = createProber({ config: cfg, record: () => {} })
  const measurements: NewMeasurement[] = (await prober.runOnce()).map((o) => o.measurement)
  const app = await buildApp({
    store,
    registry: createMetricsRegistry({ version: 'test', defaultMetrics: false }),
    version: 'test',
  })
  try {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/ingest',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ measurements: measurements.map(toIngestMeasurement) }),
    })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toMatchObject({ new: measurements.length })
  } finally {
    await app.close()
  }
  await expectIncidents(cfg, 'kz-agent-1')
})
