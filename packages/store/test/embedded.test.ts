// The embedded store: a new data directory is created (initdb in a child process) and reopened with the
// small memory settings, keeping what was written; a data directory that cannot hold a database is an
// error naming it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { EMBEDDED_MEMORY_SETTINGS, openStore } from '@vigil/store'
import { afterEach, expect, it } from 'vitest'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-embedded-'))
  dirs.push(dir)
  return dir
}

async function settings(sql: import('@vigil/store').Sql): Promise<Record<string, string>> {
  const rows = await sql<{ name: string; setting: string }[]>`
    select name, current_setting(name) as setting from unnest(${Object.keys(EMBEDDED_MEMORY_SETTINGS)}::text[]) as name`
  return Object.fromEntries(rows.map((row) => [row.name, row.setting]))
}

it('creates a new database, runs it with the small memory settings and keeps its rows across restarts', async () => {
  const dataDir = path.join(tempDir(), 'data')
  const first = await openStore({ dataDir })
  try {
    expect(await settings(first.sql)).toEqual(EMBEDDED_MEMORY_SETTINGS)
    await first.sql`create table kept (value text)`
    await first.sql`insert into kept values ('before the restart')`
  } finally {
    await first.close()
  }
  const second = await openStore({ dataDir })
  try {
    expect(await settings(second.sql)).toEqual(EMBEDDED_MEMORY_SETTINGS)
    expect(await second.sql`select value from kept`).toEqual([{ value: 'before the restart' }])
  } finally {
    await second.close()
  }
})

it('names the directory when a new database cannot be created in it', async () => {
  const dataDir = path.join(tempDir(), 'data')
  mkdirSync(dataDir)
  // Where the database's directory should be, a file.
  writeFileSync(path.join(dataDir, 'pg'), 'not a database')
  const error = await openStore({ dataDir }).catch((caught: unknown) => caught)
  expect(error).toMatchObject({ code: 'STORE_UNREACHABLE' })
  expect(String((error as Error).message)).toContain(path.join(dataDir, 'pg'))
  // The lock is released: a second attempt fails the same way, not as locked.
  const again = await openStore({ dataDir }).catch((caught: unknown) => caught)
  expect(again).toMatchObject({ code: 'STORE_UNREACHABLE' })
})
