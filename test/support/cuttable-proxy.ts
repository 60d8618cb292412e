// A loopback TCP relay that can be cut (connections refused, open ones torn down) and restored on the
// same port: an agent's path to the api going away during a blackout and coming back.
import { connect, createServer, type Server, type Socket } from 'node:net'

export interface CuttableProxy {
  port: number
  cut(): Promise<void>
  restore(): Promise<void>
  close(): Promise<void>
}

export async function cuttableProxy(targetPort: number): Promise<CuttableProxy> {
  let server: Server | undefined
  const sockets = new Set<Socket>()
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  }
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(targetPort, '127.0.0.1')
        track(client)
        track(upstream)
        client.pipe(upstream)
        upstream.pipe(client)
        client.on('error', () => upstream.destroy())
        upstream.on('error', () => client.destroy())
      })
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => resolve((server!.address() as { port: number }).port))
    })
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server) return resolve()
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
      server = undefined
    })
  const port = await listen(0)
  return {
    port,
    cut: stop,
    restore: async () => {
      if (!server) await listen(port)
    },
    close: stop,
  }
}
