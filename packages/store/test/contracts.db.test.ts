// What the store reads back is what the contracts (packages/model) say a stored record is: a measurement
// (with and without the optional columns), a TLS observation, and a detention report with its items, each
// written by the store's own writers and parsed with the contract's schema.
import {
  storedDetentionReportWithItemsSchema,
  storedMeasurementSchema,
  storedTlsObservationSchema,
} from '@vigil/model'
import {
  createReport,
  getReport,
  insertMeasurements,
  insertNewsItems,
  insertTlsObservations,
  queryMeasurements,
  queryTlsObservations,
  upsertSources,
  upsertVantage,
} from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let store: TestStore
const at = new Date('2019-06-09T10:00:00Z')

beforeAll(async () => {
  store = await openTestStore()
  await upsertVantage(store.sql, {
    id: 'kz-almaty-1',
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

describe('stored records are the contracts', () => {
  it('holds for measurements, full and with only the required columns', async () => {
    await insertMeasurements(store.sql, [
      {
        measuredAt: at,
        vantageId: 'kz-almaty-1',
        targetId: 'social/facebook',
        kind: 'https',
        region: 'Almaty',
        asn: 4_294_967_295,
        ok: false,
        failure: 'connection_reset',
        durationMs: 120.5,
        details: { attempts: [{ address: '157.240.0.35', failure: 'connection_reset' }] },
        source: 'agent',
        idempotencyKey: 'kz-almaty-1:1',
      },
      {
        measuredAt: at,
        vantageId: 'kz-almaty-1',
        targetId: 'control/wikipedia',
        kind: 'tcp',
        ok: true,
        failure: null,
      },
    ])
    const rows = await queryMeasurements(store.sql, { vantage: 'kz-almaty-1', limit: 10 })
    expect(rows).toHaveLength(2)
    for (const row of rows) expect(storedMeasurementSchema.parse(row)).toEqual(row)
  })

  it('holds for TLS observations', async () => {
    await insertTlsObservations(store.sql, [
      {
        measuredAt: at,
        vantageId: 'kz-almaty-1',
        targetId: 'twitter',
        host: 'twitter.com',
        port: 443,
        sni: 'twitter.com',
        verdict: 'known_interception',
        failure: 'ssl_unknown_authority',
        verified: false,
        chain: [{ sha256: 'ab'.repeat(32), subject: 'CN=twitter.com', der: 'MII=' }],
        protocol: 'TLSv1.3',
        cipher: null,
        evidence: [{ kind: 'known_root', name: 'Qaznet Trust Network' }],
        knownMatch: 'Qaznet Trust Network',
      },
    ])
    const [row] = await queryTlsObservations(store.sql, { vantage: 'kz-almaty-1', limit: 10 })
    expect(storedTlsObservationSchema.parse(row)).toEqual(row)
  })

  it('holds for a detention report with its items', async () => {
    await upsertSources(store.sql, [{ name: 'rferl-kk', url: 'https://www.azattyq.org/rss', type: 'rss' }])
    const [item] = await insertNewsItems(store.sql, [
      {
        source: 'rferl-kk',
        guid: 'a-1',
        canonicalUrl: 'https://www.azattyq.org/a/1.html',
        title: 'Almaty: 40 detained',
        link: 'https://www.azattyq.org/a/1.html',
        publishedAt: at,
        language: 'en',
        detention: true,
        score: 0.9,
        counts: [{ value: 40, qualifier: 'at_least' }],
        cityCounts: [{ city: 'Almaty', value: 40, qualifier: 'at_least' }],
        cities: ['Almaty'],
        dates: ['2019-06-09'],
        people: [],
        evidence: 'At least 40 people were detained in Almaty.',
        fetchedAt: at,
      },
    ])
    const report = await createReport(
      store.sql,
      {
        day: '2019-06-09',
        cities: ['Almaty'],
        counts: [{ value: 40, qualifier: 'at_least' }],
        language: 'en',
        title: 'Almaty: 40 detained',
        evidence: 'At least 40 people were detained in Almaty.',
        people: [],
        at,
      },
      item!.id,
    )
    const stored = await getReport(store.sql, report.id)
    const parsed = storedDetentionReportWithItemsSchema.parse(stored)
    expect(parsed.items.map((joined) => joined.link)).toEqual(['https://www.azattyq.org/a/1.html'])
    expect(parsed.maxCount).toEqual({ value: 40, qualifier: 'at_least' })
  })
})
