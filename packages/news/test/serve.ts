// Loopback HTTP servers for the fetch tests; every server started here is closed by `closeAll`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Handler = (req: IncomingMessage, res: ServerResponse) => void

const open = new Set<Server>()

export async function serve(handler: Handler): Promise<{ url: string; server: Server }> {
  const server = createServer(handler)
  open.add(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, server }
}

export async function closeAll(): Promise<void> {
  const servers = [...open]
  open.clear()
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve, reject) => {
          if (!server.listening) return resolve()
          // Keep-alive sockets from the client pool would hold close() open until they idle out.
          server.closeAllConnections()
          server.close((error) => (error ? reject(error) : resolve()))
        }),
    ),
  )
}
