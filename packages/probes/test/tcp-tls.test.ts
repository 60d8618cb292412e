// The tcp and tls probes against real servers on loopback: connect time, refused ports, and TLS handshakes
// whose certificate verifies, names another host, or is self-signed.
import { createServer as createTlsServer } from 'node:tls'
import { runProbe, type TlsTarget } from '@vigil/probes'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createTestPki, type Leaf, type TestPki } from './fixtures/certs.js'
import { Loopback } from './fixtures/loopback.js'

const loopback = new Loopback()
let pki: TestPki

beforeAll(() => {
  pki = createTestPki()
})
beforeEach(() => loopback.markBaseline())
afterEach(() => loopback.closeAll())
afterAll(() => loopback.closeAll())

describe('tcp probe', () => {
  it('reports the connect time to an open port', async () => {
    const port = await loopback.tcp(() => {})
    const result = await runProbe({ kind: 'tcp', name: 'open', host: '127.0.0.1', port }, { timeoutMs: 2000 })
    expect(result).toMatchObject({ target: 'open', kind: 'tcp', ok: true, failure: null })
    expect(result.details).toMatchObject({ address: '127.0.0.1', dnsMs: 0 })
    expect(result.details.connectMs).toBeGreaterThan(0)
  })

  it('reports a refused port as connection_refused', async () => {
    const port = await loopback.refusedPort()
    const result = await runProbe(
      { kind: 'tcp', name: 'closed', host: '127.0.0.1', port },
      { timeoutMs: 2000 },
    )
    expect(result).toMatchObject({ ok: false, failure: 'connection_refused' })
    expect(result.details.connectMs).toBeNull()
  })
})

describe('tls probe', () => {
  function serve(leaf: Leaf): Promise<number> {
    return loopback.listen(createTlsServer({ key: leaf.key, cert: leaf.cert }, (socket) => socket.end()))
  }

  function tls(port: number, extra: Partial<TlsTarget> = {}): TlsTarget {
    return { kind: 'tls', name: 'tls-target', host: '127.0.0.1', port, ...extra }
  }

  it('reports protocol, cipher, handshake time and the leaf SHA-256', async () => {
    const port = await serve(pki.localhost)
    const result = await runProbe(tls(port, { ca: pki.ca }), { timeoutMs: 2000 })
    expect(result).toMatchObject({ ok: true, failure: null })
    expect(result.details).toMatchObject({
      protocol: 'TLSv1.3',
      leafSha256: pki.localhost.sha256,
      verifyError: null,
      servername: '127.0.0.1',
    })
    expect(result.details.cipher).toMatch(/^TLS_/)
    expect(result.details.handshakeMs).toBeGreaterThan(0)
    expect(result.details.connectMs).toBeGreaterThan(0)
  })

  it('sends the configured servername and verifies against it', async () => {
    let sni: string | undefined
    const server = createTlsServer({
      key: pki.localhost.key,
      cert: pki.localhost.cert,
      // Seen during the handshake, before the probe hangs up.
      SNICallback: (servername, done) => {
        sni = servername
        done(null)
      },
    })
    const port = await loopback.listen(server)
    const result = await runProbe(tls(port, { servername: 'localhost' }), { timeoutMs: 2000, ca: pki.ca })
    expect(result).toMatchObject({ ok: true })
    expect(sni).toBe('localhost')
  })

  it('reports a certificate for another name as ssl_invalid_hostname and keeps its fingerprint', async () => {
    const port = await serve(pki.wrongHost)
    const result = await runProbe(tls(port, { ca: pki.ca }), { timeoutMs: 2000 })
    expect(result).toMatchObject({ ok: false, failure: 'ssl_invalid_hostname' })
    expect(result.details).toMatchObject({
      leafSha256: pki.wrongHost.sha256,
      verifyError: 'ERR_TLS_CERT_ALTNAME_INVALID',
    })
  })

  it('reports a self-signed certificate as ssl_unknown_authority', async () => {
    const port = await serve(pki.selfSigned)
    const result = await runProbe(tls(port, { ca: pki.ca }), { timeoutMs: 2000 })
    expect(result).toMatchObject({ ok: false, failure: 'ssl_unknown_authority' })
    expect(result.details.leafSha256).toBe(pki.selfSigned.sha256)
  })

  it('times out on a server that accepts and never handshakes', async () => {
    const port = await loopback.tcp(() => {})
    const result = await runProbe(tls(port), { timeoutMs: 300 })
    expect(result).toMatchObject({ ok: false, failure: 'generic_timeout_error' })
    expect(result.details.connectMs).toBeGreaterThan(0)
    expect(result.details.handshakeMs).toBeNull()
  })

  it('reports a reset during the handshake as connection_reset', async () => {
    const port = await loopback.tcp((socket) => socket.once('data', () => socket.resetAndDestroy()))
    const result = await runProbe(tls(port), { timeoutMs: 2000 })
    expect(result).toMatchObject({ ok: false, failure: 'connection_reset' })
  })
})
