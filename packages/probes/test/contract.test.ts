// Every probe's result, taken against real servers on loopback, is a probed measurement as the contracts
// (packages/model) define it: what the prober hands on is what the store's writer and the agent's spool
// expect, for a success and for each kind of failure.
import { createServer as createHttpServer } from 'node:http'
import { createServer as createTlsServer } from 'node:tls'
import { probedMeasurementSchema } from '@vigil/model'
import { runProbe } from '@vigil/probes'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createTestPki, type TestPki } from './fixtures/certs.js'
import { Loopback } from './fixtures/loopback.js'

const loopback = new Loopback()
let pki: TestPki

beforeAll(() => {
  pki = createTestPki()
})
afterEach(() => loopback.closeAll())
afterAll(() => loopback.closeAll())

describe('probe results are probed measurements', () => {
  it('holds for tcp: an open port and a refused one', async () => {
    const open = await runProbe(
      { kind: 'tcp', name: 'open', host: '127.0.0.1', port: await loopback.tcp(() => {}) },
      { timeoutMs: 5_000 },
    )
    const refused = await runProbe(
      { kind: 'tcp', name: 'closed', host: '127.0.0.1', port: await loopback.refusedPort() },
      { timeoutMs: 5_000 },
    )
    expect(probedMeasurementSchema.parse(open)).toMatchObject({ kind: 'tcp', ok: true, failure: null })
    expect(probedMeasurementSchema.parse(refused)).toMatchObject({ ok: false, failure: 'connection_refused' })
  })

  it('holds for tls: a verified chain and one no root signed', async () => {
    const port = await loopback.listen(
      createTlsServer({ key: pki.localhost.key, cert: pki.localhost.cert }, (socket) => socket.end()),
    )
    const target = { kind: 'tls' as const, name: 'tls', host: '127.0.0.1', port }
    const verified = await runProbe({ ...target, ca: pki.ca }, { timeoutMs: 5_000 })
    const untrusted = await runProbe(target, { timeoutMs: 5_000 })
    expect(probedMeasurementSchema.parse(verified).ok).toBe(true)
    const refused = probedMeasurementSchema.parse(untrusted)
    expect(refused.ok).toBe(false)
    expect(refused.failure).toMatch(/^ssl_/)
  })

  it('holds for http: an answer and a refused connection', async () => {
    const port = await loopback.listen(
      createHttpServer((_request, response) => response.end('<title>up</title>')),
    )
    const answered = await runProbe(
      { kind: 'http', name: 'page', url: `http://127.0.0.1:${port}/` },
      { timeoutMs: 5_000 },
    )
    const refused = await runProbe(
      { kind: 'http', name: 'gone', url: `http://127.0.0.1:${await loopback.refusedPort()}/` },
      { timeoutMs: 5_000 },
    )
    expect(probedMeasurementSchema.parse(answered)).toMatchObject({ kind: 'http', ok: true })
    expect(probedMeasurementSchema.parse(refused)).toMatchObject({ ok: false, failure: 'connection_refused' })
  })

  it('refuses a result whose ok and failure disagree, naming ok', () => {
    const result = probedMeasurementSchema.safeParse({
      target: 't',
      kind: 'tcp',
      ok: true,
      failure: 'connection_reset',
      durationMs: 3,
      startedAt: new Date(),
      details: {},
    })
    expect(result.success).toBe(false)
    expect(result.error?.issues[0]?.path).toEqual(['ok'])
  })
})
