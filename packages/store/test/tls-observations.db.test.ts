// The tls_observations table: batches written once whatever the retries, queries by host, vantage and
// time, and the control lookup that only a control-role vantage's recent chain answers.
import {
  insertTlsObservations,
  latestControlObservation,
  type NewTlsObservation,
  queryTlsObservations,
  upsertVantage,
} from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let store: TestStore
const base = Date.parse('2019-07-17T10:00:00Z')
const at = (minutes: number) => new Date(base + minutes * 60_000)

function observation(vantageId: string, minutes: number, extra: Partial<NewTlsObservation> = {}) {
  return {
    measuredAt: at(minutes),
    vantageId,
    targetId: 'twitter',
    host: 'twitter.com',
    port: 443,
    sni: 'twitter.com',
    verdict: 'ok',
    failure: null,
    verified: true,
    chain: [{ sha256: `${vantageId}-${minutes}`, subject: 'CN=twitter.com', der: 'AAEC' }],
    protocol: 'TLSv1.3',
    cipher: 'TLS_AES_128_GCM_SHA256',
    evidence: [{ kind: 'matches_control', detail: 'same' }],
    knownMatch: null,
    idempotencyKey: `${vantageId}:${minutes}:${extra.sni ?? 'twitter.com'}`,
    ...extra,
  } satisfies NewTlsObservation
}

beforeAll(async () => {
  store = await openTestStore()
  const vantage = { country: 'KZ', region: null, asn: null, network: null }
  await upsertVantage(store.sql, { ...vantage, id: 'kz-almaty-1', role: 'in_country' })
  await upsertVantage(store.sql, { ...vantage, id: 'control-de-1', country: 'DE', role: 'control' })
  await upsertVantage(store.sql, { ...vantage, id: 'outside-nl-1', country: 'NL', role: 'outside' })
})

afterAll(async () => {
  await store.close()
})

describe('tls observations', () => {
  it('stores chain and evidence as JSON and skips a repeated idempotency key', async () => {
    const rows = [
      observation('kz-almaty-1', 0, {
        verdict: 'known_interception',
        failure: 'ssl_unknown_authority',
        verified: false,
        knownMatch: 'Qaznet Trust Network (00309c73)',
      }),
      observation('kz-almaty-1', 1, { sni: 'mobile.twitter.com' }),
    ]
    expect(await insertTlsObservations(store.sql, rows)).toBe(2)
    expect(await insertTlsObservations(store.sql, rows)).toBe(0)

    const stored = await queryTlsObservations(store.sql, { vantage: 'kz-almaty-1', limit: 10 })
    expect(stored.map((row) => row.sni)).toEqual(['mobile.twitter.com', 'twitter.com'])
    expect(stored[1]).toMatchObject({
      verdict: 'known_interception',
      failure: 'ssl_unknown_authority',
      verified: false,
      knownMatch: 'Qaznet Trust Network (00309c73)',
      chain: [{ sha256: 'kz-almaty-1-0', subject: 'CN=twitter.com', der: 'AAEC' }],
      evidence: [{ kind: 'matches_control', detail: 'same' }],
      measuredAt: at(0),
    })
    expect(stored[1]!.receivedAt).toBeInstanceOf(Date)

    const window = await queryTlsObservations(store.sql, {
      host: 'twitter.com',
      sni: 'twitter.com',
      from: at(0),
      to: at(1),
      limit: 10,
    })
    expect(window.map((row) => row.measuredAt)).toEqual([at(0)])
    expect(await queryTlsObservations(store.sql, { verdict: 'untrusted_root', limit: 10 })).toEqual([])
  })

  it('rejects a verdict outside the vocabulary', async () => {
    await expect(
      insertTlsObservations(store.sql, [observation('kz-almaty-1', 5, { verdict: 'suspicious' })]),
    ).rejects.toMatchObject({ code: '23514' })
  })

  it('answers the control lookup with the latest control chain within the age, preferring one with a chain', async () => {
    await insertTlsObservations(store.sql, [
      observation('control-de-1', 10),
      observation('control-de-1', 20),
      // Later, but the control lost the handshake: nothing to compare with.
      observation('control-de-1', 25, {
        verdict: 'handshake_failed',
        failure: 'generic_timeout_error',
        chain: [],
      }),
      // Later still, but not a control vantage.
      observation('outside-nl-1', 28),
      observation('control-de-1', 29, { sni: 'mobile.twitter.com' }),
    ])
    const lookup = { host: 'twitter.com', sni: 'twitter.com' }
    const latest = await latestControlObservation(store.sql, { ...lookup, since: at(0) })
    expect(latest).toMatchObject({ vantageId: 'control-de-1', measuredAt: at(20) })
    expect(await latestControlObservation(store.sql, { ...lookup, since: at(21) })).toMatchObject({
      measuredAt: at(25),
      chain: [],
    })
    expect(await latestControlObservation(store.sql, { ...lookup, since: at(30) })).toBeUndefined()
    expect(
      await latestControlObservation(store.sql, { ...lookup, since: at(0), excludeVantage: 'control-de-1' }),
    ).toBeUndefined()
  })
})
