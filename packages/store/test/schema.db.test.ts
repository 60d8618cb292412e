// The migrations leave the same schema on a PostgreSQL server as on the embedded database.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { migrate, openStore, type Sql } from '@vigil/store'
import { openTestStore } from '@vigil/store/testing'
import { expect, it } from 'vitest'

async function describeSchema(sql: Sql) {
  const columns = await sql`
    select table_name, column_name, data_type, udt_name, is_nullable, column_default, is_identity
    from information_schema.columns
    where table_schema = 'public'
    order by table_name, ordinal_position`
  const indexes = await sql`
    select tablename, indexname, replace(indexdef, 'public.', '') as indexdef
    from pg_indexes where schemaname = 'public'
    order by tablename, indexname`
  // Not-null constraints are left out: PostgreSQL 18 lists them in pg_constraint, 15 does not.
  const constraints = await sql`
    select conrelid::regclass::text as table_name, contype, pg_get_constraintdef(oid) as definition
    from pg_constraint
    where connamespace = 'public'::regnamespace and contype in ('p', 'f', 'u', 'c')
    order by 1, 2, 3`
  return { columns: [...columns], indexes: [...indexes], constraints: [...constraints] }
}

it('is the same on the store under test as on a fresh embedded database', async () => {
  const underTest = await openTestStore()
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-schema-'))
  const embedded = await openStore({ dataDir })
  try {
    await migrate(embedded.sql)
    const expected = await describeSchema(embedded.sql)
    expect(expected.columns.length).toBeGreaterThan(20)
    expect(await describeSchema(underTest.sql)).toEqual(expected)
  } finally {
    await embedded.close()
    await underTest.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
})
