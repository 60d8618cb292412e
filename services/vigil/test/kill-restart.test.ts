// `vigil start` on the embedded store killed with SIGKILL leaves its lock and its socket directories
// behind; the next start takes the lock over and removes them, and a clean stop leaves nothing behind.
import { existsSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { createTestDatabase, testStoreKind } from '@vigil/store/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { spawnVigil } from '../../../test/support/vigil-process.js'

let database: Awaited<ReturnType<typeof createTestDatabase>>

beforeAll(async () => {
  database = await createTestDatabase({ migrated: true })
})
afterAll(async () => {
  await database.drop()
})

/** The directories the lock file names: the control socket's and the embedded server's. */
function namedDirectories(dataDir: string): string[] {
  const lock = readFileSync(path.join(dataDir, 'vigil.pid'), 'utf8')
  const control = /^control (.+)$/m.exec(lock)?.[1]
  const pgsocket = /^pgsocket (.+)$/m.exec(lock)?.[1]
  expect(control).toBeDefined()
  expect(pgsocket).toBeDefined()
  return [path.dirname(control!), pgsocket!]
}

it.runIf(testStoreKind() === 'embedded')(
  'starts after kill -9, removing what the killed process left, and leaves nothing after a clean stop',
  { timeout: 120_000 },
  async () => {
    const dataDir = database.connection.dataDir!
    const start = () =>
      spawnVigil({ args: ['start', '--port', '0', '--only', 'api'], connection: database.connection })
    const killed = await start()
    const left = namedDirectories(dataDir)
    expect(await killed.stop('SIGKILL')).toBe('SIGKILL')
    for (const dir of left) expect(existsSync(dir)).toBe(true)

    const second = await start()
    try {
      expect((await fetch(`${second.url}/healthz`)).status).toBe(200)
      for (const dir of left) expect(existsSync(dir)).toBe(false)
      const current = namedDirectories(dataDir)
      expect(await second.stop('SIGTERM')).toBe(0)
      expect(existsSync(path.join(dataDir, 'vigil.pid'))).toBe(false)
      for (const dir of current) expect(existsSync(dir)).toBe(false)
    } finally {
      if (second.child.exitCode === null) second.child.kill('SIGKILL')
      for (const dir of left) rmSync(dir, { recursive: true, force: true })
    }
  },
)
