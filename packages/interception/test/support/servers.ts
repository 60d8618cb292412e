// Loopback servers for the capture tests. Each one tracks its sockets so close() ends them all and
// the test leaves nothing open behind it.

import net from 'node:net'
import tls from 'node:tls'

export interface RunningServer {
  port: number
  close(): Promise<void>
}

export async function listen(server: net.Server): Promise<RunningServer> {
  const sockets = new Set<net.Socket>()
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('test server has no TCP address')
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets) socket.destroy()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}

/** A TLS server presenting `chain` (leaf first) that answers every line with `echo:` and the line. */
export function serveTls(chainPem: string[], keyPem: string): Promise<RunningServer> {
  const server = tls.createServer({ cert: chainPem.join(''), key: keyPem }, (socket) => {
    socket.on('error', () => {})
    socket.on('data', (data) => socket.write(`echo:${data.toString()}`))
  })
  // Clients that hang up mid-handshake (the capture does, by design) are not server failures.
  server.on('tlsClientError', () => {})
  return listen(server)
}

/** A TCP server that does something other than TLS with each connection. */
export function serveTcp(onConnection: (socket: net.Socket) => void): Promise<RunningServer> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {})
    onConnection(socket)
  })
  return listen(server)
}

/** A loopback port with nothing listening on it. */
export async function closedPort(): Promise<number> {
  const running = await listen(net.createServer())
  await running.close()
  return running.port
}

/** Fails when a TCP socket or server is still open: every test closes what it opened. */
export async function expectNoOpenSockets(): Promise<void> {
  const open = () =>
    process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap')
  // Destroyed sockets release their handles on a later turn of the event loop.
  for (let attempt = 0; attempt < 20 && open().length > 0; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  if (open().length > 0) throw new Error(`left open: ${open().join(', ')}`)
}
