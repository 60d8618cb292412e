// Applies the numbered plain-SQL migrations in ../migrations. Safe to run twice and from two processes at
// once (a transaction-scoped advisory lock serialises them), and refuses a database newer than the code.
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { VigilError } from '@vigil/errors'
import type { Sql } from './connect.js'
import { sqlState } from './errors.js'

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url))
// Any fixed 64-bit number works; this one is "vigil" in ASCII.
const MIGRATION_LOCK = 0x76696769_6cn

export interface Migration {
  id: number
  name: string
  sql: string
}

export function listMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => {
      const match = /^(\d+)_([\w-]+)\.sql$/.exec(file)
      if (!match) {
        throw new VigilError('MIGRATION_INVALID', `migration file ${file} is not named like 0001_name.sql`)
      }
      return { id: Number(match[1]), name: match[2]!, sql: readFileSync(`${dir}/${file}`, 'utf8') }
    })
  migrations.forEach((migration, index) => {
    if (migration.id !== index + 1) {
      throw new VigilError(
        'MIGRATION_INVALID',
        `migrations must be numbered 1, 2, 3...: found ${migration.id}`,
      )
    }
  })
  return migrations
}

export interface MigrateResult {
  applied: Migration[]
  version: number
}

export async function migrate(sql: Sql, migrations: Migration[] = listMigrations()): Promise<MigrateResult> {
  const latest = migrations.length
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK.toString()}::bigint)`
    await tx`
      create table if not exists vigil_migrations (
        id integer primary key,
        name text not null,
        applied_at timestamptz not null default now()
      )`
    const rows = await tx<{ id: number }[]>`select id from vigil_migrations order by id`
    const current = rows.length === 0 ? 0 : rows[rows.length - 1]!.id
    if (current > latest) {
      throw new VigilError(
        'DATABASE_NEWER_THAN_CODE',
        `the database is at migration ${current} but this version of Vigil knows only ${latest}`,
        { hint: 'run a newer Vigil against this database, or restore a backup taken before the upgrade' },
      )
    }
    const pending = migrations.filter((migration) => migration.id > current)
    for (const migration of pending) {
      try {
        await tx.unsafe(migration.sql)
      } catch (cause) {
        throw new VigilError(
          'MIGRATION_FAILED',
          `migration ${migration.id} (${migration.name}) failed${sqlState(cause) ? ` with SQLSTATE ${sqlState(cause)}` : ''}: ${(cause as Error).message}`,
          { cause },
        )
      }
      await tx`insert into vigil_migrations (id, name) values (${migration.id}, ${migration.name})`
    }
    return { applied: pending, version: latest }
  })
}
