// certwatch as a process runs it, without a database: start() checks at once, tick() waits for the
// interval, stop() ends the schedule; with no control to ask, the config's SPKI pins show the interceptor.
import { createServer, type Socket } from 'node:net'
import { createCertwatch } from '@vigil/certwatch'
import { parseConfig } from '@vigil/config'
import { describeCertificate } from '@vigil/interception'
import type { NewTlsObservation } from '@vigil/store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildPki, type Pki, SITE } from '../../../packages/interception/test/support/fixtures.js'
import { keyPem } from '../../../packages/interception/test/support/pki.js'
import {
  expectNoOpenSockets,
  type RunningServer,
  serveTls,
} from '../../../packages/interception/test/support/servers.js'
import {
  certwatchConfig,
  certwatchConfigYaml,
  type InterceptingProxy,
  startInterceptingProxy,
} from './support.js'

let pki: Pki
let origin: RunningServer
let proxy: InterceptingProxy

beforeAll(async () => {
  pki = buildPki()
  origin = await serveTls(pki.siteChain, keyPem(pki.siteLeaf.key))
  proxy = await startInterceptingProxy(pki, origin.port, 'own-root')
})

afterAll(async () => {
  await proxy?.close()
  await origin?.close()
  await expectNoOpenSockets()
})

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 20) {
    if (waited > 10_000) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('the certwatch schedule', () => {
  it('checks on start, again only after the interval, and flags a chain without the pinned key', async () => {
    const config = certwatchConfig({
      id: 'kz-almaty-1',
      role: 'in_country',
      region: 'Almaty',
      targets: [{ name: 'site', port: proxy.port, sni: SITE }],
      pins: [{ host: SITE, spkiSha256: [describeCertificate(pki.intermediate.der).spkiSha256] }],
    })
    let clock = Date.parse('2026-01-10T12:00:00Z')
    const recorded: NewTlsObservation[] = []
    const certwatch = createCertwatch({
      config,
      record: (observation) => recorded.push(observation),
      now: () => new Date(clock),
      ca: pki.root.pem,
    })
    try {
      certwatch.start()
      await waitFor(() => recorded.length === 1, 'the first round')
      expect(recorded[0]).toMatchObject({
        vantageId: 'kz-almaty-1',
        targetId: 'site',
        sni: SITE,
        verdict: 'control_mismatch',
        failure: 'ssl_unknown_authority',
      })
      expect(recorded[0]!.evidence.map((e) => e.kind)).toContain('spki_not_pinned')

      // Let the first round finish, then tick before and after the 15 minute interval.
      await certwatch.runOnce()
      const afterFirst = recorded.length
      clock += 14 * 60_000
      certwatch.tick()
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(recorded.length).toBe(afterFirst)
      clock += 60_000
      certwatch.tick()
      await waitFor(() => recorded.length === afterFirst + 1, 'the round after the interval')
    } finally {
      await certwatch.stop()
    }
    const stoppedAt = recorded.length
    clock += 60 * 60_000
    certwatch.tick()
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(recorded.length).toBe(stoppedAt)
  })
})

describe('a round of many checks at once', () => {
  it('adds no listener per check to the shared abort signal (no MaxListenersExceededWarning)', async () => {
    // A server that accepts and never answers: every check stays in flight until the round is stopped.
    const sockets = new Set<Socket>()
    const silent = createServer((socket) => {
      sockets.add(socket)
      socket.on('error', () => {})
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const port = (silent.address() as { port: number }).port
    const targets = Array.from({ length: 24 }, (_, n) => ({
      name: `silent-${n}`,
      port,
      sni: `s${n}.example`,
    }))
    const config = parseConfig(
      certwatchConfigYaml({ id: 'kz-almaty-1', role: 'in_country', region: 'Almaty', targets }).replace(
        'concurrency: 8',
        'concurrency: 24',
      ),
      'test.yaml',
      {},
    )
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    const certwatch = createCertwatch({ config, record: () => {} })
    const stop = new AbortController()
    try {
      const round = certwatch.runOnce({ signal: stop.signal })
      await waitFor(() => sockets.size === targets.length, 'every check connected')
      stop.abort()
      expect(await round).toEqual([])
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning')
    } finally {
      process.off('warning', onWarning)
      await certwatch.stop()
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => silent.close(resolve))
    }
  })
})
