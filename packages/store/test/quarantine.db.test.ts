// The store's own defence when text was not made storable upstream: a batch refused for a NUL or a lone
// surrogate is split, the good rows stored, the bad ones quarantined with their error and their exact text.
import {
  BufferedWriter,
  ensureVantage,
  insertMeasurements,
  isDataError,
  type NewMeasurement,
  quarantineRows,
  queryQuarantine,
  writeIsolatingBadRows,
} from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let store: TestStore

beforeAll(async () => {
  store = await openTestStore()
  await ensureVantage(store.sql, {
    id: 'kz-test',
    country: 'KZ',
    region: 'Almaty',
    asn: 9198,
    network: null,
    role: 'in_country',
  })
})
afterAll(async () => {
  await store.close()
})

function row(n: number, details: Record<string, unknown> = { title: `page ${n}` }): NewMeasurement {
  return {
    measuredAt: new Date(Date.UTC(2019, 6, 6, 4, 0, n)),
    vantageId: 'kz-test',
    targetId: `target-${n}`,
    kind: 'http',
    ok: true,
    failure: null,
    details,
    idempotencyKey: `kz-test:${n}`,
  }
}

const storedTargets = async () =>
  (await store.sql<{ target_id: string }[]>`select target_id from measurements order by measured_at`).map(
    (r) => r.target_id,
  )

describe('a batch refused for its data', () => {
  it('is split: the good rows are written, the NUL and lone-surrogate rows quarantined, none retried', async () => {
    await store.sql`delete from measurements`
    await store.sql`delete from quarantine`
    const errors: unknown[] = []
    const writer = new BufferedWriter<NewMeasurement>({
      write: async (batch) => {
        await insertMeasurements(store.sql, batch)
      },
      batchSize: 10,
      flushIntervalMs: 60_000,
      isDataError,
      quarantine: (bad, error) =>
        quarantineRows(store.sql, [{ table: 'measurements', source: 'test', error, row: bad }]),
      onError: (error) => errors.push(error),
    })
    const rows = Array.from({ length: 10 }, (_, n) => row(n))
    rows[3] = row(3, { title: 'Azat\u0000tyq' })
    rows[7] = row(7, { 't\uD800': 'key with a lone surrogate' })
    writer.add(rows)
    writer.add([row(10), row(11)])
    await writer.close()
    expect(writer.pending).toBe(0)
    expect(errors).toEqual([])
    expect(await storedTargets()).toEqual([0, 1, 2, 4, 5, 6, 8, 9, 10, 11].map((n) => `target-${n}`))
    const kept = await queryQuarantine(store.sql, { limit: 10 })
    expect(kept.map((entry) => (JSON.parse(entry.payload) as NewMeasurement).targetId)).toEqual([
      'target-7',
      'target-3',
    ])
    // The refused text is kept exactly, as JSON escapes.
    expect(kept[1]!.payload).toContain('Azat\\u0000tyq')
    expect(kept[0]!.payload).toContain('t\\ud800')
    for (const entry of kept) {
      expect(entry.table).toBe('measurements')
      expect(entry.errorCode).toMatch(/^22/)
      expect(entry.errorMessage.length).toBeGreaterThan(0)
    }
  })

  it('keeps the rows and retries when the failure is not in the data', async () => {
    await store.sql`delete from measurements`
    let calls = 0
    const outage = Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' })
    const quarantined: unknown[] = []
    const result = writeIsolatingBadRows(
      [row(1), row(2)],
      async (batch) => {
        calls++
        if (calls === 1) throw outage
        return insertMeasurements(store.sql, batch)
      },
      async (bad) => {
        quarantined.push(bad)
      },
    )
    await expect(result).rejects.toBe(outage)
    expect(quarantined).toEqual([])
    expect(isDataError(outage)).toBe(false)
    // A repeated upload of the same rows after the outage stores each once.
    expect(
      await writeIsolatingBadRows(
        [row(1), row(2)],
        (batch) => insertMeasurements(store.sql, batch),
        async () => {},
      ),
    ).toEqual({ written: 2, refused: 0 })
  })

  it('isolates every bad row of a batch where most rows are bad', async () => {
    await store.sql`delete from measurements`
    const rows = Array.from({ length: 64 }, (_, n) => (n % 9 === 0 ? row(n) : row(n, { t: `\u0000${n}` })))
    const refused: number[] = []
    const result = await writeIsolatingBadRows(
      rows,
      (batch) => insertMeasurements(store.sql, batch),
      async (bad) => {
        refused.push(Number(bad.targetId.slice(7)))
      },
    )
    const good = rows.filter((_, n) => n % 9 === 0).length
    expect(result).toEqual({ written: good, refused: 64 - good })
    expect(refused).toEqual(rows.map((_, n) => n).filter((n) => n % 9 !== 0))
  })
})
