// Interception incidents opened while there was one per vantage: the migration gives the first of each
// interceptor the per-interceptor identity, so the next round of any vantage updates it (no second
// incident, no second announcement), and its evidence reads with the vantage it was opened for. And
// vantages reporting a new interceptor at the same moment all end up in its one incident.
import { applyInterceptionFindings, interceptionIdentity, type TlsCheck } from '@vigil/certwatch'
import type { TlsVerdict } from '@vigil/interception'
import { readEvidence } from '@vigil/model'
import { describeEvidence } from '@vigil/notify'
import {
  listMigrations,
  migrate,
  openIncidents,
  queryIncidents,
  raiseIncident,
  upsertVantage,
} from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const SPKI = 'ab'.repeat(32)
const OPENED = new Date('2019-06-09T04:00:00Z')
const ROUND = new Date('2019-06-09T04:15:00Z')

let store: TestStore

beforeAll(async () => {
  store = await openTestStore({ migrated: false })
  const all = listMigrations()
  const upTo = all.findIndex((migration) => migration.name === 'interception_per_interceptor')
  expect(upTo).toBeGreaterThan(0)
  await migrate(store.sql, all.slice(0, upTo))
  for (const [id, region] of [
    ['kz-almaty-1', 'Almaty'],
    ['kz-aktau-1', 'Aktau'],
  ] as const) {
    await upsertVantage(store.sql, {
      id,
      country: 'KZ',
      region,
      asn: 9198,
      network: null,
      role: 'in_country',
    })
  }
  // As the per-vantage code raised them: Almaty first, Aktau a minute later, the same interceptor.
  for (const [vantage, region, at] of [
    ['kz-almaty-1', 'Almaty', OPENED],
    ['kz-aktau-1', 'Aktau', new Date(OPENED.getTime() + 60_000)],
  ] as const) {
    await raiseIncident(store.sql, {
      identity: `https_interception|vantage|${vantage}|${SPKI}`,
      kind: 'https_interception',
      scopeType: 'vantage',
      scope: vantage,
      region,
      vantageId: vantage,
      level: 'critical',
      state: 'firing',
      summary: `HTTPS interception from ${vantage}`,
      evidence: {
        verdict: 'known_interception',
        round: at.toISOString(),
        hosts: ['www.facebook.com'],
        targets: [{ host: 'www.facebook.com', port: 443, servername: 'www.facebook.com' }],
        interceptorSpki: SPKI,
        interceptorSubject: 'CN=Qaznet Trust Network',
        knownInterception: 'Qaznet Trust Network',
      },
      at,
    })
  }
  await migrate(store.sql)
})

afterAll(async () => {
  await store?.close()
})

function check(vantage: string, servername: string): TlsCheck {
  const verdict: TlsVerdict = {
    target: { host: servername, port: 443, servername },
    vantage,
    round: ROUND.toISOString(),
    verdict: 'known_interception',
    failure: 'ssl_unknown_authority',
    knownMatches: [{ entry: 'Qaznet Trust Network' } as TlsVerdict['knownMatches'][number]],
    evidence: [],
    interceptorSpki: SPKI,
    interceptorSubject: 'CN=Qaznet Trust Network',
  }
  const leaf = {
    sha256: `leaf-${servername}`,
    spkiSha256: 'cd'.repeat(32),
    subject: `CN=${servername}`,
    issuer: 'CN=Qaznet Trust Network',
    rsaPublicExponent: 65537,
    notBefore: OPENED.toISOString(),
  }
  const root = { ...leaf, sha256: 'root', spkiSha256: SPKI, subject: 'CN=Qaznet Trust Network' }
  return {
    observation: {
      host: servername,
      port: 443,
      servername,
      capturedAt: ROUND.toISOString(),
      durationMs: 1,
      protocol: 'TLSv1.3',
      cipher: null,
      chain: [leaf, root] as never,
      verified: false,
      failure: 'ssl_unknown_authority',
      errorCode: null,
      trustStore: 'mozilla',
      vantage,
      round: ROUND.toISOString(),
    },
    verdict,
  }
}

describe('interception incidents opened one per vantage', () => {
  it('gives the first of each interceptor the per-interceptor identity and leaves the other as it was', async () => {
    const open = await openIncidents(store.sql, 'https_interception')
    expect(open.map((i) => [i.vantageId, i.identity, i.scopeType, i.scope])).toEqual([
      ['kz-almaty-1', interceptionIdentity('KZ', SPKI), 'country', 'KZ'],
      ['kz-aktau-1', `https_interception|vantage|kz-aktau-1|${SPKI}`, 'vantage', 'kz-aktau-1'],
    ])
    // Its evidence, without a vantage list, reads with the vantage it was opened for.
    const lines = describeEvidence(open[0]!)
    expect(lines.find((line) => line.label === 'Seen from (1 vantage)')?.value).toBe(
      'kz-almaty-1 (Almaty) 2019-06-09 04:00 to 2019-06-09 04:00 UTC on www.facebook.com',
    )
  })

  it('is updated by the next round of another vantage, not doubled', async () => {
    const [almaty] = await openIncidents(store.sql, 'https_interception')
    const result = await applyInterceptionFindings(store.sql, {
      vantage: { id: 'kz-aktau-1', region: 'Aktau', country: 'KZ' },
      checks: [check('kz-aktau-1', 'www.facebook.com'), check('kz-aktau-1', 'vk.com')],
      at: ROUND,
    })
    expect(result.raised.map((incident) => incident.id)).toEqual([almaty!.id])
    const all = await queryIncidents(store.sql, { kind: 'https_interception', limit: 10 })
    expect(all).toHaveLength(2)
    const updated = all.find((incident) => incident.id === almaty!.id)!
    // Two regions now: country-wide.
    expect(updated).toMatchObject({ state: 'firing', region: null, vantageId: 'kz-almaty-1' })
    expect(updated.firingAt).toEqual(OPENED)
    const read = readEvidence('https_interception', updated.evidence)
    if (read.kind !== 'https_interception' || read.evidence === null) throw new Error('unreadable evidence')
    expect(read.evidence.hosts).toEqual(['vk.com', 'www.facebook.com'])
    expect(read.evidence.vantages?.map((v) => [v.id, v.region, v.firstSeen, v.lastSeen, v.hosts])).toEqual([
      ['kz-almaty-1', 'Almaty', OPENED.toISOString(), OPENED.toISOString(), ['www.facebook.com']],
      ['kz-aktau-1', 'Aktau', ROUND.toISOString(), ROUND.toISOString(), ['vk.com', 'www.facebook.com']],
    ])
    expect(updated.summary).toBe(
      'HTTPS interception with the known interception root Qaznet Trust Network seen from 2 vantage(s) (kz-almaty-1, kz-aktau-1) on 2 host(s): vk.com, www.facebook.com',
    )
  })
})

describe('vantages that report a new interceptor at the same moment', () => {
  it('open one incident that lists every one of them', async () => {
    const other = 'ef'.repeat(32)
    const ids = ['kz-a-1', 'kz-b-1', 'kz-c-1', 'kz-d-1', 'kz-e-1']
    const results = await Promise.all(
      ids.map((id) => {
        const checks = [check(id, 'www.facebook.com')]
        for (const c of checks) {
          c.verdict.interceptorSpki = other
          ;(c.observation.chain as Array<{ spkiSha256: string }>)[1]!.spkiSha256 = other
        }
        return applyInterceptionFindings(store.sql, {
          vantage: { id, region: 'Almaty', country: 'KZ' },
          checks,
          at: ROUND,
        })
      }),
    )
    expect(new Set(results.flatMap((r) => r.raised.map((i) => i.id))).size).toBe(1)
    const open = (await openIncidents(store.sql, 'https_interception')).filter(
      (incident) => incident.identity === interceptionIdentity('KZ', other),
    )
    expect(open).toHaveLength(1)
    const listed = (open[0]!.evidence.vantages as Array<{ id: string }>).map((v) => v.id)
    expect(listed.sort()).toEqual(ids)
    expect(open[0]!.region).toBe('Almaty')
  })
})
