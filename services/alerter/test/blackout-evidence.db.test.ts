// Blackout or monitor offline through the real alerter over a real store, with in-country vantages in two
// regions and an outside vantage: one region dark (its sending agent failing everything, a second one
// silent) with outside-in confirmation is that region's blackout,
// no country-wide incident and no monitor offline; a vantage dark while its region answers from abroad is
// that monitor offline; a fresh install opens nothing without baseline-free evidence, and what it opens
// says "no baseline yet" in the words the notifier sends.
import { createAlerter } from '@vigil/alerter'
import { parseConfig } from '@vigil/config'
import { describeEvidence } from '@vigil/notify'
import { insertMeasurements, type NewMeasurement, openIncidents, upsertVantage } from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { registerConfiguredTargets } from '../../vigil/src/register.js'

const REGIONS = { almaty: 'Almaty', astana: 'Nur-Sultan' } as const
type City = keyof typeof REGIONS

const endpoints = (city: City) =>
  ['gov', 'news', 'isp'].map(
    (name, i) =>
      `      - { name: ${city}-${name}, url: 'http://127.0.0.1:${city === 'almaty' ? 10 + i : 20 + i}/', region: ${REGIONS[city]} }`,
  )
const yaml = [
  'country: KZ',
  'vantage: { id: de-central, role: control, country: DE, network: { asn: 24940 } }',
  'regions:',
  '  - { name: Almaty, timeZone: Asia/Almaty }',
  '  - { name: Nur-Sultan, timeZone: Asia/Almaty }',
  'targetGroups:',
  '  - name: social',
  '    purpose: service',
  '    probes: [http]',
  '    targets:',
  "      - { name: facebook, url: 'http://127.0.0.1:1/' }",
  "      - { name: telegram, url: 'http://127.0.0.1:2/' }",
  '  - name: control',
  '    purpose: control',
  '    probes: [http]',
  '    targets:',
  "      - { name: wikipedia, url: 'http://127.0.0.1:3/' }",
  "      - { name: example, url: 'http://127.0.0.1:4/' }",
  '  - name: kz-endpoints',
  '    purpose: outside_in',
  '    probes: [http]',
  '    targets:',
  ...endpoints('almaty'),
  ...endpoints('astana'),
  'thresholds:',
  '  blackout: { window: 1m, minSamples: 3, minTargets: 2 }',
  '  silenceAfter: 10m',
  '  monitorOffline: { group: control }',
  '  incident: { for: 1m, resolveAfter: 3m }',
  '',
].join('\n')
const config = parseConfig(yaml, 'blackout-evidence.yaml', {})

let store: TestStore
beforeEach(async () => {
  store = await openTestStore()
  await registerConfiguredTargets(store.sql, config)
  for (const [city, region] of Object.entries(REGIONS))
    await upsertVantage(store.sql, {
      id: `kz-${city}-1`,
      country: 'KZ',
      region,
      asn: 9198,
      network: null,
      role: 'in_country',
      networkType: 'fixed',
    })
  await upsertVantage(store.sql, {
    id: 'nl-outside-1',
    country: 'NL',
    region: null,
    asn: 1136,
    network: null,
    role: 'outside',
  })
})
afterEach(async () => {
  await store.close()
})

interface Round {
  /** In-country vantages failing everything, controls included. */
  darkVantages?: City[]
  /** Cities whose endpoints fail from abroad. */
  darkEndpoints?: City[]
  /** Single targets failing (blocked services, one endpoint down). */
  down?: string[]
}

/** One round at `at` from every vantage: each city's agent and the outside vantage. */
async function round(at: Date, r: Round = {}): Promise<void> {
  const rows: NewMeasurement[] = []
  const row = (vantageId: string, targetId: string, region: string | null, ok: boolean): NewMeasurement => ({
    measuredAt: at,
    receivedAt: at,
    vantageId,
    targetId,
    kind: 'http',
    region,
    ok,
    failure: ok ? null : 'generic_timeout_error',
    durationMs: ok ? 50 : null,
  })
  for (const [city, region] of Object.entries(REGIONS) as Array<[City, string]>) {
    const dark = r.darkVantages?.includes(city) ?? false
    for (const target of ['facebook', 'telegram', 'wikipedia', 'example'])
      rows.push(row(`kz-${city}-1`, target, region, !dark && !r.down?.includes(target)))
    for (const name of ['gov', 'news', 'isp']) {
      const target = `${city}-${name}`
      const ok = !(r.darkEndpoints?.includes(city) ?? false) && !r.down?.includes(target)
      rows.push(row('nl-outside-1', target, region, ok))
    }
  }
  for (const target of ['wikipedia', 'example']) rows.push(row('nl-outside-1', target, null, true))
  await insertMeasurements(store.sql, rows)
}

const start = Date.parse('2019-06-09T03:00:00Z')
const minutes = (n: number) => new Date(start + n * 60_000)
const identities = async () => (await openIncidents(store.sql)).map((i) => `${i.identity} ${i.state}`).sort()

describe('blackout or monitor offline, through the alerter', () => {
  it('one region dark, confirmed from abroad: its blackout, no country-wide incident, no monitor offline', async () => {
    for (let m = -360; m < 0; m += 10) await round(minutes(m))
    // A second Almaty agent, heard from until half an hour ago: silent now (silenceAfter 10m).
    await upsertVantage(store.sql, {
      id: 'kz-almaty-2',
      country: 'KZ',
      region: 'Almaty',
      asn: 9198,
      network: null,
      role: 'in_country',
      networkType: 'fixed',
    })
    for (let m = -120; m <= -30; m += 10)
      await insertMeasurements(
        store.sql,
        ['facebook', 'wikipedia'].map((targetId) => ({
          measuredAt: minutes(m),
          receivedAt: minutes(m),
          vantageId: 'kz-almaty-2',
          targetId,
          kind: 'http',
          region: 'Almaty',
          ok: true,
          failure: null,
          durationMs: 50,
        })),
      )
    let clock = minutes(0)
    const alerter = createAlerter({ config, sql: store.sql, now: () => clock })
    const dark: Round = { darkVantages: ['almaty'], darkEndpoints: ['almaty'] }
    await round(minutes(0), dark)
    const first = await alerter.runOnce()
    expect(first.changes.map((c) => `${c.action} ${c.identity}`)).toEqual(['opened blackout|region|Almaty'])
    clock = minutes(1)
    await round(minutes(1), dark)
    await alerter.runOnce()
    expect(await identities()).toEqual(['blackout|region|Almaty firing'])
    const [almaty] = await openIncidents(store.sql)
    expect(almaty).toMatchObject({ level: 'critical', scopeType: 'region', region: 'Almaty' })
    expect(almaty!.evidence).toMatchObject({
      verdict: 'R2',
      evidenceKinds: ['in_country_dark', 'outside_in_failing', 'others_silent'],
      silentVantages: ['kz-almaty-2'],
      baseline: 1,
      baselineHours: 6,
      failingVantages: ['kz-almaty-1', 'nl-outside-1'],
    })
    const lines = describeEvidence(almaty!).map((l) => `${l.label}: ${l.value}`)
    expect(lines).toContain(
      'Successful probes: 0% of probes succeed against 100% normally (0.00 of baseline)',
    )
  })

  it("Almaty's mobile networks dark while its fixed network and endpoints answer: a mobile-only blackout, nothing else", async () => {
    for (const [id, asn] of [
      ['kz-almaty-kcell', 29355],
      ['kz-almaty-beeline', 21299],
    ] as const)
      await upsertVantage(store.sql, {
        id,
        country: 'KZ',
        region: 'Almaty',
        asn,
        network: null,
        role: 'in_country',
        networkType: 'mobile',
      })
    const mobileRound = async (at: Date, ok: boolean) => {
      await round(at)
      await insertMeasurements(
        store.sql,
        ['kz-almaty-kcell', 'kz-almaty-beeline'].flatMap((vantageId) =>
          ['facebook', 'telegram', 'wikipedia', 'example'].map((targetId) => ({
            measuredAt: at,
            receivedAt: at,
            vantageId,
            targetId,
            kind: 'http',
            region: 'Almaty',
            ok,
            failure: ok ? null : 'generic_timeout_error',
            durationMs: ok ? 50 : null,
          })),
        ),
      )
    }
    for (let m = -120; m < 0; m += 10) await mobileRound(minutes(m), true)
    let clock = minutes(0)
    const alerter = createAlerter({ config, sql: store.sql, now: () => clock })
    for (let m = 0; m < 2; m++) {
      clock = minutes(m)
      await mobileRound(minutes(m), false)
      await alerter.runOnce()
    }
    expect(await identities()).toEqual(['blackout|region|Almaty|mobile firing'])
    const [mobile] = await openIncidents(store.sql)
    expect(mobile).toMatchObject({
      level: 'critical',
      summary: 'Mobile internet blackout: Almaty',
      scopeType: 'region',
      region: 'Almaty',
    })
    expect(mobile!.evidence).toMatchObject({
      mobileOnly: true,
      darkNetworks: ['AS21299 mobile', 'AS29355 mobile'],
      upNetworks: ['AS9198 fixed'],
    })
  })

  it('a vantage dark while its region answers from abroad is that monitor offline, and no blackout', async () => {
    for (let m = -120; m < 0; m += 10) await round(minutes(m))
    let clock = minutes(0)
    const alerter = createAlerter({ config, sql: store.sql, now: () => clock })
    for (let m = 0; m < 2; m++) {
      clock = minutes(m)
      await round(minutes(m), { darkVantages: ['almaty'] })
      await alerter.runOnce()
    }
    expect(await identities()).toEqual(['monitor_offline|vantage|kz-almaty-1 firing'])
    const [offline] = await openIncidents(store.sql)
    expect(offline!.evidence).toMatchObject({ verdict: 'R5', blackoutRuledOut: true, region: 'Almaty' })
    expect(describeEvidence(offline!).map((l) => l.label)).toContain('Not a blackout')
  })

  it('a fresh install opens nothing on its first rounds without baseline-free evidence, and says "no baseline yet" when it opens', async () => {
    let clock = minutes(0)
    const alerter = createAlerter({ config, sql: store.sql, now: () => clock })
    // Two of Almaty's three endpoints down from abroad (Nur-Sultan one): well below an assumed 100%, with
    // several targets failing, yet no baseline-free evidence. (Services failing while the controls answer
    // would be service blocking, which needs no baseline; that is not what this test is about.)
    const partial: Round = { down: ['almaty-gov', 'almaty-news', 'astana-news'] }
    for (let m = 0; m < 3; m++) {
      clock = minutes(m)
      await round(minutes(m), partial)
      const { changes } = await alerter.runOnce()
      expect(changes).toEqual([])
    }
    expect(await openIncidents(store.sql)).toEqual([])

    clock = minutes(3)
    await round(minutes(3), { darkVantages: ['almaty'], darkEndpoints: ['almaty'] })
    await alerter.runOnce()
    expect(await identities()).toEqual(['blackout|region|Almaty pending'])
    const [almaty] = await openIncidents(store.sql)
    // The first rounds are one hour of history: not yet a baseline.
    expect(almaty!.evidence).toMatchObject({ baseline: null, ratio: null, baselineHours: 1 })
    const text = describeEvidence(almaty!)
      .map((l) => `${l.label}: ${l.value}`)
      .join('\n')
    expect(text).toContain('Successful probes: 0% of probes succeed; no baseline yet (1 hour of history)')
    expect(text).not.toContain('normally')
  })
})
