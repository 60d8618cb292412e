// The control socket: the api served on a Unix socket in a directory only the data directory's owner may
// enter. Whoever connects is that owner (or root), who can read and write the database files anyway, so
// the connection itself is the credential: it acts with admin scope. `vigil` commands use it to work on a
// running Vigil's embedded database, which only one process may open.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { localControlSockets } from './access.js'

export interface LocalControl {
  /** The socket's path, for the lock file. */
  path: string
  close(): Promise<void>
}

/**
 * Serves `app` on a new Unix socket in a fresh directory of mode 0700 under the system's temporary
 * directory (socket paths are limited to about 100 bytes, data directories may be longer). The caller
 * announces the path where commands look for it (the data directory's lock file).
 */
export async function serveLocalControl(app: FastifyInstance): Promise<LocalControl> {
  await app.ready()
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-control-'))
  chmodSync(dir, 0o700)
  const socketPath = path.join(dir, 'api.sock')
  const server: Server = createServer((request, response) => app.routing(request, response))
  server.on('connection', (socket) => localControlSockets.add(socket))
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(socketPath, () => {
        server.off('error', reject)
        resolve()
      })
    })
    chmodSync(socketPath, 0o600)
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  return {
    path: socketPath,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
