import { isVigilError } from '@vigil/errors'
import {
  insertMeasurements,
  listMigrations,
  migrate,
  type NewMeasurement,
  openStore,
  queryMeasurements,
  sqlState,
  upsertTargets,
  upsertVantage,
} from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let store: TestStore

beforeAll(async () => {
  store = await openTestStore()
  await upsertVantage(store.sql, {
    id: 'kz-almaty-1',
    country: 'KZ',
    region: 'Almaty',
    asn: 9198,
    network: 'Kazakhtelecom',
    role: 'in_country',
  })
  await upsertVantage(store.sql, {
    id: 'de-control',
    country: 'DE',
    region: null,
    asn: null,
    network: null,
    role: 'control',
  })
})

afterAll(async () => {
  await store.close()
})

function measurement(overrides: Partial<NewMeasurement>): NewMeasurement {
  return {
    measuredAt: new Date('2019-07-06T04:00:00Z'),
    vantageId: 'kz-almaty-1',
    targetId: 'social/facebook',
    kind: 'https',
    region: 'Almaty',
    asn: 9198,
    ok: true,
    failure: null,
    durationMs: 120,
    details: { statusCode: 200 },
    ...overrides,
  }
}

describe('migrations', () => {
  it('are numbered from 1 and running them again changes nothing', async () => {
    const migrations = listMigrations()
    expect(migrations[0]?.id).toBe(1)
    const again = await migrate(store.sql)
    expect(again.applied).toEqual([])
    expect(again.version).toBe(migrations.length)
    const [row] = await store.sql<{ count: number }[]>`select count(*)::int as count from vigil_migrations`
    expect(row?.count).toBe(migrations.length)
  })

  it('refuse a database newer than the code', async () => {
    await store.sql.begin(async (tx) => {
      await tx`insert into vigil_migrations (id, name) values (999, 'from_the_future')`
    })
    try {
      await expect(migrate(store.sql)).rejects.toSatisfy((error) =>
        isVigilError(error, 'DATABASE_NEWER_THAN_CODE'),
      )
    } finally {
      await store.sql`delete from vigil_migrations where id = 999`
    }
  })

  it('roll back a migration that fails, leaving the database as it was', async () => {
    const broken = [
      ...listMigrations(),
      { id: listMigrations().length + 1, name: 'broken', sql: 'create table x (' },
    ]
    await expect(migrate(store.sql, broken)).rejects.toSatisfy((error) =>
      isVigilError(error, 'MIGRATION_FAILED'),
    )
    const [row] = await store.sql<{ count: number }[]>`select count(*)::int as count from vigil_migrations`
    expect(row?.count).toBe(listMigrations().length)
  })

  it('run from two clients at once apply each migration once', async () => {
    const fresh = await openTestStore({ migrated: false })
    // On a server, a second client is a second connection; the embedded store serves one process only.
    const other =
      fresh.kind === 'server' ? await openStore({ databaseUrl: fresh.connection.databaseUrl }) : undefined
    try {
      const [a, b] = await Promise.all([migrate(fresh.sql), migrate((other ?? fresh).sql)])
      expect(a.applied.length + b.applied.length).toBe(listMigrations().length)
      const rows = await fresh.sql<{ id: number }[]>`select id from vigil_migrations order by id`
      expect(rows.map((row) => row.id)).toEqual(listMigrations().map((migration) => migration.id))
    } finally {
      await other?.close()
      await fresh.close()
    }
  })
})

describe('measurements', () => {
  it('are inserted in batches and queried by scope and time, newest first', async () => {
    const rows: NewMeasurement[] = []
    for (let minute = 0; minute < 3_000; minute++) {
      rows.push(
        measurement({
          measuredAt: new Date(Date.UTC(2019, 6, 6, 0, minute)),
          targetId: minute % 2 === 0 ? 'social/facebook' : 'control/wikipedia',
          ok: minute < 2_000,
          failure: minute < 2_000 ? null : 'generic_timeout_error',
        }),
      )
    }
    expect(await insertMeasurements(store.sql, rows)).toBe(3_000)

    const window = await queryMeasurements(store.sql, {
      target: 'social/facebook',
      region: 'Almaty',
      from: new Date('2019-07-07T10:00:00Z'),
      to: new Date('2019-07-07T11:00:00Z'),
      limit: 1_000,
    })
    expect(window).toHaveLength(30)
    expect(window[0]!.measuredAt.toISOString()).toBe('2019-07-07T10:58:00.000Z')
    expect(window.every((row) => row.targetId === 'social/facebook' && !row.ok)).toBe(true)
    expect(window[0]!.failure).toBe('generic_timeout_error')
    expect(window[0]!.details).toEqual({ statusCode: 200 })
    expect(window[0]!.receivedAt).toBeInstanceOf(Date)

    const limited = await queryMeasurements(store.sql, { vantage: 'kz-almaty-1', limit: 5 })
    expect(limited).toHaveLength(5)
    const next = await queryMeasurements(store.sql, { vantage: 'kz-almaty-1', limit: 5, after: limited[4]! })
    expect(next[0]!.measuredAt.getTime()).toBeLessThanOrEqual(limited[4]!.measuredAt.getTime())
    const both = await queryMeasurements(store.sql, { vantage: 'kz-almaty-1', limit: 10 })
    expect([...limited, ...next].map((row) => row.id)).toEqual(both.map((row) => row.id))
  })

  it('with an idempotency key already stored are not stored twice', async () => {
    const row = measurement({ idempotencyKey: 'agent-1:42', measuredAt: new Date('2019-06-09T05:00:00Z') })
    expect(await insertMeasurements(store.sql, [row])).toBe(1)
    expect(await insertMeasurements(store.sql, [row, { ...row, idempotencyKey: 'agent-1:43' }])).toBe(1)
    const stored = await store.sql`select 1 from measurements where idempotency_key like 'agent-1:%'`
    expect(stored.length).toBe(2)
  })

  it('that contradict themselves are refused whole, by SQLSTATE', async () => {
    const before = await store.sql<{ count: number }[]>`select count(*)::int as count from measurements`
    const bad = [measurement({}), measurement({ ok: true, failure: 'connection_refused' })]
    const error = await store.sql
      .begin((tx) => insertMeasurements(tx, bad))
      .catch((caught: unknown) => caught)
    expect(sqlState(error)).toBe('23514')
    const after = await store.sql<{ count: number }[]>`select count(*)::int as count from measurements`
    expect(after[0]!.count).toBe(before[0]!.count)
  })

  it('must name a known vantage', async () => {
    const error = await insertMeasurements(store.sql, [measurement({ vantageId: 'nobody' })]).catch(
      (caught) => caught,
    )
    expect(sqlState(error)).toBe('23503')
  })
})

describe('targets', () => {
  it('are upserted from the config', async () => {
    const target = {
      id: 'facebook',
      groupName: 'social',
      purpose: 'service' as const,
      host: 'www.facebook.com',
      port: 443,
      url: 'https://www.facebook.com/',
      probes: ['dns', 'https'],
      region: null,
      asn: null,
    }
    await upsertTargets(store.sql, [target])
    await upsertTargets(store.sql, [{ ...target, url: 'https://facebook.com/', probes: ['tls'] }])
    const rows = await store.sql<
      { url: string; probes: string[] }[]
    >`select url, probes from targets where id = 'facebook'`
    expect(rows).toEqual([{ url: 'https://facebook.com/', probes: ['tls'] }])
  })
})
