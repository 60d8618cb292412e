// A process killed with SIGKILL loses nothing it had committed, and the next one opens the same
// database without manual repair.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { openStore } from '@vigil/store'
import { createTestDatabase } from '@vigil/store/testing'
import { describe, expect, it } from 'vitest'

const writer = fileURLToPath(new URL('./fixtures/writer.ts', import.meta.url))

describe('after SIGKILL', () => {
  it('every committed row is still there and the database opens again', async () => {
    const database = await createTestDatabase()
    const { databaseUrl, dataDir } = database.connection
    try {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', writer, databaseUrl ? 'server' : 'embedded', (databaseUrl ?? dataDir)!],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      )
      let lastCommitted = 0
      let buffered = ''
      await new Promise<void>((resolve, reject) => {
        child.on('error', reject)
        child.on('exit', (code) => reject(new Error(`writer exited early with ${code}`)))
        child.stdout.on('data', (chunk: Buffer) => {
          buffered += chunk.toString()
          const lines = buffered.split('\n')
          buffered = lines.pop() ?? ''
          for (const line of lines) lastCommitted = Number(line)
          if (lastCommitted >= 200) resolve()
        })
      })
      child.removeAllListeners('exit')
      const exited = new Promise((resolve) => child.on('exit', resolve))
      child.kill('SIGKILL')
      await exited

      const store = await openStore(databaseUrl ? { databaseUrl } : { dataDir })
      try {
        const rows = await store.sql<{ key: string }[]>`
          select idempotency_key as key from measurements where vantage_id = 'writer'`
        const stored = new Set(rows.map((row) => row.key))
        for (let n = 1; n <= lastCommitted; n++) expect(stored.has(`writer:${n}`), `row ${n}`).toBe(true)
        // The database still takes writes.
        await store.sql`insert into vantages (id, country) values ('after-crash', 'KZ')`
      } finally {
        await store.close()
      }
    } finally {
      await database.drop()
    }
  })
})
