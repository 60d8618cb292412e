// The http and https probes against real misbehaving servers on loopback: each failure a censor or a broken
// network produces maps to its OONI failure string, and a successful probe reports its phases.
import { createServer as createHttpServer, type RequestListener } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { type HttpTarget, runProbe } from '@vigil/probes'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createTestPki, type TestPki } from './fixtures/certs.js'
import { Loopback } from './fixtures/loopback.js'

const loopback = new Loopback()
let pki: TestPki

beforeAll(() => {
  pki = createTestPki()
})
beforeEach(() => loopback.markBaseline())
afterEach(() => loopback.closeAll())
afterAll(() => loopback.closeAll())

const TIMEOUT_MS = 400

function http(url: string, extra: Partial<HttpTarget> = {}): HttpTarget {
  return { kind: 'http', name: 'target', url, ...extra }
}

function serve(handler: RequestListener): Promise<number> {
  return loopback.listen(createHttpServer(handler))
}

describe('http probe', () => {
  it('reports status, title, bytes and phase timings of a page', async () => {
    const page = '<html><head><title>Vlast.kz</title></head><body>news</body></html>'
    const port = await serve((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(page))
    const result = await runProbe(http(`http://127.0.0.1:${port}/`), { timeoutMs: 2000 })
    expect(result).toMatchObject({ target: 'target', kind: 'http', ok: true, failure: null })
    expect(result.startedAt).toBeInstanceOf(Date)
    expect(result.details).toMatchObject({
      statusCode: 200,
      title: 'Vlast.kz',
      bytesRead: Buffer.byteLength(page),
      truncated: false,
      redirects: 0,
      address: '127.0.0.1',
    })
    const { timings } = result.details
    expect(timings.connect).toBeGreaterThan(0)
    expect(timings.firstByte).toBeGreaterThan(0)
    expect(timings.tls).toBe(0)
    expect(result.durationMs).toBeGreaterThanOrEqual(timings.connect + timings.firstByte)
  })

  it('times the name lookup when the URL has a name', async () => {
    const port = await serve((_req, res) => res.end('ok'))
    const result = await runProbe(http(`http://localhost:${port}/`), { timeoutMs: 2000 })
    // localhost may resolve to ::1 first, where nothing listens: either way the lookup was timed.
    expect(result.details.timings.dns).toBeGreaterThan(0)
  })

  it('reports a refused port as connection_refused', async () => {
    const port = await loopback.refusedPort()
    const result = await runProbe(http(`http://127.0.0.1:${port}/`), { timeoutMs: 2000 })
    expect(result).toMatchObject({ ok: false, failure: 'connection_refused' })
  })

  it('times out on a port that accepts and never answers', async () => {
    const port = await loopback.tcp(() => {})
    const result = await runProbe(http(`http://127.0.0.1:${port}/`), { timeoutMs: TIMEOUT_MS })
    expect(result).toMatchObject({ ok: false, failure: 'generic_timeout_error' })
    expect(result.details.timings.connect).toBeGreaterThan(0)
    expect(result.durationMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 5)
    expect(result.durationMs).toBeLessThan(TIMEOUT_MS + 200)
  })

  it('reports a reset after the request as connection_reset', async () => {
    const port = await loopback.tcp((socket) => socket.once('data', () => socket.resetAndDestroy()))
    const result = await runProbe(http(`http://127.0.0.1:${port}/`), { timeoutMs: 2000 })
    expect(result).toMatchObject({ ok: false, failure: 'connection_reset' })
  })

  it('reports a connection closed in the middle of the response as eof_error', async () => {
    const port = await loopback.tcp((socket) =>
      socket.once('data', () => {
        socket.end(
          'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: text/html\r\n\r\n<html><title>cut',
        )
      }),
    )
    const result = await runProbe(http(`http://127.0.0.1:${port}/`), { timeoutMs: 2000 })
    expect(result).toMatchObject({ ok: false, failure: 'eof_error' })
    expect(result.details.statusCode).toBe(200)
  })

  it('reports a connection closed before any response as eof_error', async () => {
    const port = await loopback.tcp((socket) => socket.once('data', () => socket.end()))
    const result = await runProbe(http(`http://127.0.0.1:${port}/`), { timeoutMs: 2000 })
    expect(result).toMatchObject({ ok: false, failure: 'eof_error' })
  })

  it('fails a 200 OK block page with http_blockpage', async () => {
    const notice =
      '<html><head><title>Доступ ограничен</title></head><body>Доступ к ресурсу ограничен по решению суда</body></html>'
    const port = await serve((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(notice))
    const target = http(`http://127.0.0.1:${port}/`, {
      blockPages: [{ name: 'kz-court-order', status: 200, body: /доступ к ресурсу ограничен/i }],
    })
    const result = await runProbe(target, { timeoutMs: 2000 })
    expect(result).toMatchObject({ ok: false, failure: 'http_blockpage' })
    expect(result.details).toMatchObject({
      statusCode: 200,
      blockPage: 'kz-court-order',
      title: 'Доступ ограничен',
    })
  })

  it('matches block pages on a response header', async () => {
    const port = await serve((_req, res) =>
      res.writeHead(403, { 'x-squid-error': 'ERR_ACCESS_DENIED 0' }).end(),
    )
    const target = http(`http://127.0.0.1:${port}/`, {
      blockPages: [{ name: 'squid-deny', header: { name: 'X-Squid-Error', pattern: 'err_access_denied' } }],
    })
    const result = await runProbe(target, { timeoutMs: 2000 })
    expect(result).toMatchObject({ ok: false, failure: 'http_blockpage' })
  })

  it('passes a normal page that no block-page pattern matches', async () => {
    const port = await serve((_req, res) => res.end('<title>Tengrinews</title>'))
    const target = http(`http://127.0.0.1:${port}/`, { blockPages: [{ name: 'kz', body: 'ограничен' }] })
    const result = await runProbe(target, { timeoutMs: 2000 })
    expect(result).toMatchObject({ ok: true, failure: null })
    expect(result.details.blockPage).toBeNull()
  })

  it('times out on a body that drips slower than the timeout', async () => {
    let drip: NodeJS.Timeout | undefined
    const port = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      drip = setInterval(() => res.write('.'), 50)
      res.on('close', () => clearInterval(drip))
    })
    const result = await runProbe(http(`http://127.0.0.1:${port}/`), { timeoutMs: TIMEOUT_MS })
    clearInterval(drip)
    expect(result).toMatchObject({ ok: false, failure: 'generic_timeout_error' })
    expect(result.details.statusCode).toBe(200)
    expect(result.details.bytesRead).toBeGreaterThan(0)
    expect(result.details.timings.transfer).toBeGreaterThan(TIMEOUT_MS / 2)
    expect(result.durationMs).toBeLessThan(TIMEOUT_MS + 200)
    // The status came and the body was flowing: a slow transfer, not a site that never answered.
    expect(result.details.timeoutPhase).toBe('body')
    expect(result.details.firstByteMs).toBeGreaterThan(0)
    expect(result.details.bytesReceived).toBe(result.details.bytesRead)
    expect(result.details.transferBytesPerSecond).toBeGreaterThan(0)
  })

  it('tells a timeout before any answer from one during the body', async () => {
    const port = await loopback.tcp(() => {})
    const result = await runProbe(http(`http://127.0.0.1:${port}/`), { timeoutMs: TIMEOUT_MS })
    expect(result).toMatchObject({ ok: false, failure: 'generic_timeout_error' })
    expect(result.details).toMatchObject({
      timeoutPhase: 'headers',
      firstByteMs: null,
      bytesReceived: 0,
      transferBytesPerSecond: null,
      statusCode: null,
    })
  })

  it('reports the rate of a throttled transfer that completes', async () => {
    // 16 KiB in 8 chunks 40 ms apart: about 50 KB/s, far below what loopback carries.
    const port = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(16 * 1024) })
      let sent = 0
      const timer = setInterval(() => {
        res.write(Buffer.alloc(2048, 'x'))
        sent += 1
        if (sent === 8) {
          clearInterval(timer)
          res.end()
        }
      }, 40)
      res.on('close', () => clearInterval(timer))
    })
    const result = await runProbe(http(`http://127.0.0.1:${port}/`), { timeoutMs: 10_000 })
    expect(result).toMatchObject({ ok: true, failure: null })
    expect(result.details).toMatchObject({
      bytesRead: 16 * 1024,
      bytesReceived: 16 * 1024,
      timeoutPhase: null,
    })
    expect(result.details.timings.transfer).toBeGreaterThan(200)
    // Bounded above by the pacing, whatever the load on the machine.
    expect(result.details.transferBytesPerSecond).toBeLessThan((16 * 1024) / 0.2)
    expect(result.details.transferBytesPerSecond).toBeGreaterThan(0)
  })

  it('stops reading at the byte cap and marks the result truncated, not failed', async () => {
    const body = Buffer.alloc(256 * 1024, 'a')
    const port = await serve((_req, res) => res.end(body))
    const result = await runProbe(http(`http://127.0.0.1:${port}/`, { maxBodyBytes: 10_000 }), {
      timeoutMs: 2000,
    })
    expect(result).toMatchObject({ ok: true, failure: null })
    expect(result.details).toMatchObject({ bytesRead: 10_000, truncated: true })
  })

  it('is not truncated when the body is exactly the cap', async () => {
    const port = await serve((_req, res) => res.end(Buffer.alloc(1000, 'b')))
    const result = await runProbe(http(`http://127.0.0.1:${port}/`, { maxBodyBytes: 1000 }), {
      timeoutMs: 2000,
    })
    expect(result.details).toMatchObject({ bytesRead: 1000, truncated: false })
  })

  it('follows redirects and reports the chain', async () => {
    const port = await serve((req, res) => {
      if (req.url === '/old') res.writeHead(301, { location: '/new?x=1' }).end()
      else res.end(`<title>${req.url}</title>`)
    })
    const result = await runProbe(http(`http://127.0.0.1:${port}/old`), { timeoutMs: 2000 })
    expect(result).toMatchObject({ ok: true })
    expect(result.details).toMatchObject({
      statusCode: 200,
      redirects: 1,
      finalUrl: `http://127.0.0.1:${port}/new?x=1`,
      title: '/new?x=1',
    })
    expect(result.details.chain).toHaveLength(2)
  })

  it('fails a redirect loop as unknown_failure: redirect_loop', async () => {
    const port = await serve((req, res) =>
      res.writeHead(302, { location: req.url === '/a' ? '/b' : '/a' }).end(),
    )
    const result = await runProbe(http(`http://127.0.0.1:${port}/a`), { timeoutMs: 2000 })
    expect(result).toMatchObject({ ok: false, failure: 'unknown_failure: redirect_loop' })
    expect(result.details.redirects).toBe(2)
  })

  it('fails an endless redirect chain at the limit', async () => {
    const port = await serve((req, res) => {
      const step = Number(req.url?.slice(1))
      res.writeHead(307, { location: `/${step + 1}` }).end()
    })
    const result = await runProbe(http(`http://127.0.0.1:${port}/0`, { maxRedirects: 3 }), {
      timeoutMs: 2000,
    })
    expect(result).toMatchObject({ ok: false, failure: 'unknown_failure: too_many_redirects' })
    expect(result.details.chain).toHaveLength(4)
  })
})

describe('https probe', () => {
  async function serveTls(leaf: { key: string; cert: string }): Promise<number> {
    return loopback.listen(
      createHttpsServer({ key: leaf.key, cert: leaf.cert }, (_req, res) => res.end('<title>ok</title>')),
    )
  }

  function https(url: string): HttpTarget {
    return { kind: 'https', name: 'secure', url }
  }

  it('verifies against the given root and reports the TLS phase and leaf', async () => {
    const port = await serveTls(pki.localhost)
    const result = await runProbe(https(`https://127.0.0.1:${port}/`), { timeoutMs: 2000, ca: pki.ca })
    expect(result).toMatchObject({ ok: true, kind: 'https' })
    expect(result.details.timings.tls).toBeGreaterThan(0)
    expect(result.details.tls).toMatchObject({
      protocol: 'TLSv1.3',
      leafSha256: pki.localhost.sha256,
      verifyError: null,
    })
    expect(result.details.tls?.earliestCertExpiry).toMatch(/^\d{4}-\d\d-\d\dT/)
  })

  it('takes the roots from the target when the context has none', async () => {
    const port = await serveTls(pki.localhost)
    const target = { ...https(`https://127.0.0.1:${port}/`), ca: pki.ca }
    const result = await runProbe(target, { timeoutMs: 2000 })
    expect(result).toMatchObject({ ok: true, failure: null })
  })

  it('reports a certificate for another name as ssl_invalid_hostname, keeping the leaf', async () => {
    const port = await serveTls(pki.wrongHost)
    const result = await runProbe(https(`https://127.0.0.1:${port}/`), { timeoutMs: 2000, ca: pki.ca })
    expect(result).toMatchObject({ ok: false, failure: 'ssl_invalid_hostname' })
    expect(result.details.tls?.leafSha256).toBe(pki.wrongHost.sha256)
    expect(result.details.statusCode).toBeNull()
  })

  it('reports a self-signed certificate as ssl_unknown_authority', async () => {
    const port = await serveTls(pki.selfSigned)
    const result = await runProbe(https(`https://127.0.0.1:${port}/`), { timeoutMs: 2000, ca: pki.ca })
    expect(result).toMatchObject({ ok: false, failure: 'ssl_unknown_authority' })
    expect(result.details.tls?.verifyError).toBe('DEPTH_ZERO_SELF_SIGNED_CERT')
  })

  it('reports a chain to a root it does not trust as ssl_unknown_authority (the default roots)', async () => {
    const port = await serveTls(pki.localhost)
    const result = await runProbe(https(`https://127.0.0.1:${port}/`), { timeoutMs: 2000 })
    expect(result).toMatchObject({ ok: false, failure: 'ssl_unknown_authority' })
  })

  it('reports a server that does not speak TLS as ssl_failed_handshake', async () => {
    const port = await serve((_req, res) => res.end('plain'))
    const result = await runProbe(https(`https://127.0.0.1:${port}/`), { timeoutMs: 2000, ca: pki.ca })
    expect(result).toMatchObject({ ok: false, failure: 'ssl_failed_handshake' })
  })
})
