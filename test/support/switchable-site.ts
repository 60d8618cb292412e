// A loopback HTTP site that can go dark (stop accepting: connections are refused) and come back on the
// same port, the way an endpoint behind a shutdown behaves.
import { createServer, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface SwitchableSite {
  port: number
  dark(): Promise<void>
  light(): Promise<void>
  close(): Promise<void>
}

export async function switchableSite(title: string): Promise<SwitchableSite> {
  let server: Server | undefined
  const sockets = new Set<Socket>()
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server = createServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        response.end(`<title>${title}</title>`)
      })
      server.on('connection', (socket) => {
        sockets.add(socket)
        socket.on('close', () => sockets.delete(socket))
      })
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => resolve((server!.address() as AddressInfo).port))
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
    dark: stop,
    light: async () => {
      if (!server) await listen(port)
    },
    close: stop,
  }
}
