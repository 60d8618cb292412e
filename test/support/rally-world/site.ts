// One site of the rally world: an HTTP port and, when given certificates, a TLS port (HTTPS behind it),
// both on 127.0.0.1, with a behaviour that a test switches while probes run. The behaviours are what
// monitors saw in Kazakhstan in 2019 and what a loaded network looks like:
//
//   normal     answers 200 with the site's page after its usual time (1 ms of network, 100 ms of server,
//              about what a large site takes to answer a page)
//   refuse     nothing listens: connections are refused (ports kept, so the site can come back)
//   blackhole  connections are accepted and never answered: a probe times out
//   blockpage  200 OK with a Russian-language notice that access is restricted, as Kazakh ISPs served it
//   intercept  the TLS port presents a leaf minted under the state root instead of the site's own chain
//   slow       every delay ×10 (network and server): a throttled path
//   drip       status and headers at once, then the body at 128 kbit/s, longer than any probe's timeout
//   jitter     network delay drawn between 1 and 5 ms for each connection instead of a steady 1 ms
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createNetServer, type Server, type Socket } from 'node:net'
import { createSecureContext, createServer as createTlsServer, type SecureContext } from 'node:tls'

export const SITE_MODES = [
  'normal',
  'refuse',
  'blackhole',
  'blockpage',
  'intercept',
  'slow',
  'drip',
  'jitter',
] as const
export type SiteMode = (typeof SITE_MODES)[number]

/** Delays of a normal answer: loopback standing in for the network, and the server's own work. */
export const NETWORK_DELAY_MS = 1
export const SERVER_DELAY_MS = 100
/** How much slower everything is in `slow`. */
export const SLOW_FACTOR = 10
/** `jitter`: the network delay is drawn uniformly from this range, in ms. */
export const JITTER_RANGE_MS = [1, 5] as const
/** `drip`: 128 kbit/s, sent as 1,600 bytes every 100 ms, 128,000 bytes in all (8 s). */
export const DRIP_BYTES_PER_SECOND = 16_000
export const DRIP_BODY_BYTES = 128_000
const DRIP_TICK_MS = 100

/**
 * The block page's text. Its sentence is the one the shipped `access-restricted-ru` pattern of
 * config/kazakhstan.yaml recognises ("доступ к данному ресурсу ограничен"), the wording of the notices
 * Kazakh operators showed in 2019; the rest of the page is written for this test.
 */
export const BLOCK_PAGE = [
  '<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Ресурс недоступен</title></head>',
  '<body><h1>Доступ к данному ресурсу ограничен</h1>',
  '<p>Доступ к данному ресурсу ограничен в соответствии с законодательством Республики Казахстан.</p>',
  '</body></html>',
].join('')

export interface SiteCertificates {
  /** The site's own chain (leaf first) and key, in PEM. */
  own: { cert: string; key: string }
  /** What an intercepting middlebox presents instead: a minted leaf and the state root, and its key. */
  intercepted: { cert: string; key: string }
}

export interface WorldSite {
  /** `view/target`, e.g. `almaty-fixed/facebook`. */
  readonly id: string
  readonly httpPort: number
  /** The TLS port (HTTPS), when the site has certificates. */
  readonly tlsPort: number | undefined
  readonly mode: SiteMode
  /** Switches the behaviour; resolves once new connections get it (listening again after `refuse`). */
  set(mode: SiteMode): Promise<void>
  close(): Promise<void>
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Starts a site on 127.0.0.1 with `title` as its page title, in `normal` mode. */
export async function startWorldSite(
  id: string,
  title: string,
  certificates?: SiteCertificates,
): Promise<WorldSite> {
  let mode: SiteMode = 'normal'
  const sockets = new Set<Socket>()
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.once('close', () => sockets.delete(socket))
  }
  const factor = () => (mode === 'slow' ? SLOW_FACTOR : 1)
  const networkDelay = () =>
    mode === 'jitter'
      ? JITTER_RANGE_MS[0] + Math.random() * (JITTER_RANGE_MS[1] - JITTER_RANGE_MS[0])
      : NETWORK_DELAY_MS * factor()

  const page = `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1></body></html>`
  const http = createHttpServer(async (request: IncomingMessage, response: ServerResponse) => {
    request.resume()
    response.on('error', () => {})
    if (mode === 'drip') return drip(response)
    await sleep(SERVER_DELAY_MS * factor())
    if (response.destroyed) return
    const body = mode === 'blockpage' ? BLOCK_PAGE : page
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', connection: 'close' })
    response.end(body)
  })
  http.on('clientError', (_error, socket) => socket.destroy())

  let tls: ReturnType<typeof createTlsServer> | undefined
  let contexts: { own: SecureContext; intercepted: SecureContext } | undefined
  if (certificates) {
    contexts = {
      own: createSecureContext(certificates.own),
      intercepted: createSecureContext(certificates.intercepted),
    }
    const chosen = contexts
    tls = createTlsServer({
      SNICallback: (_name, callback) =>
        callback(null, mode === 'intercept' ? chosen.intercepted : chosen.own),
      ...certificates.own,
    })
    tls.on('tlsClientError', () => {})
    tls.on('secureConnection', (socket) => {
      socket.on('error', () => {})
      http.emit('connection', socket)
    })
  }

  // The front door: every accepted connection waits out the network delay, then goes to HTTP or TLS, or
  // is held unanswered in `blackhole`.
  // Connections arrive paused (nothing is read off them), so the ClientHello is still in the kernel's
  // buffer when the TLS server takes the socket over.
  const front = (handOff: (socket: Socket) => void) =>
    createNetServer({ pauseOnConnect: true }, (socket) => {
      track(socket)
      if (mode === 'blackhole') return
      setTimeout(() => {
        if (socket.destroyed || mode === 'blackhole') return
        handOff(socket)
        socket.resume()
      }, networkDelay())
    })
  const servers: Array<{ server: Server; port: number }> = []
  const listen = (server: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve((server.address() as { port: number }).port)
      })
    })
  const httpFront = front((socket) => http.emit('connection', socket))
  servers.push({ server: httpFront, port: await listen(httpFront, 0) })
  if (tls) {
    const tlsServer = tls
    const tlsFront = front((socket) => tlsServer.emit('connection', socket))
    servers.push({ server: tlsFront, port: await listen(tlsFront, 0) })
  }
  let listening = true
  const stopListening = async () => {
    if (!listening) return
    listening = false
    for (const socket of sockets) socket.destroy()
    await Promise.all(
      servers.map(({ server }) => new Promise<void>((resolve) => server.close(() => resolve()))),
    )
  }
  const startListening = async () => {
    if (listening) return
    for (const entry of servers) await listen(entry.server, entry.port)
    listening = true
  }

  function drip(response: ServerResponse): void {
    response.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': String(DRIP_BODY_BYTES),
      connection: 'close',
    })
    response.flushHeaders()
    const chunk = Buffer.alloc((DRIP_BYTES_PER_SECOND * DRIP_TICK_MS) / 1000, 'a')
    let sent = 0
    const timer = setInterval(() => {
      if (response.destroyed || sent >= DRIP_BODY_BYTES) {
        clearInterval(timer)
        if (!response.destroyed) response.end()
        return
      }
      response.write(chunk)
      sent += chunk.length
    }, DRIP_TICK_MS)
    response.on('close', () => clearInterval(timer))
  }

  return {
    id,
    httpPort: servers[0]!.port,
    tlsPort: servers[1]?.port,
    get mode() {
      return mode
    },
    async set(next) {
      if (next === 'intercept' && !certificates) throw new Error(`${id} has no TLS port to intercept`)
      const previous = mode
      mode = next
      if (next === 'refuse') await stopListening()
      else await startListening()
      // Connections held or slowed under the previous behaviour end with it.
      if (previous !== next && (previous === 'blackhole' || previous === 'drip' || previous === 'slow'))
        for (const socket of sockets) socket.destroy()
    },
    async close() {
      await stopListening()
      http.close()
      tls?.close()
    },
  }
}
