// An in-country vantage behind an intercepting proxy and a direct control vantage: one round gives
// control_mismatch or known_interception, stored, exported, one incident per interceptor, resolved when it stops.
import { createCertwatch } from '@vigil/certwatch'
import type { VigilConfig } from '@vigil/config'
import { describeCertificate } from '@vigil/interception'
import { createMetricsRegistry, type Registry } from '@vigil/metrics'
import {
  BufferedWriter,
  insertTlsObservations,
  type NewTlsObservation,
  queryIncidents,
  queryTlsObservations,
} from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildPki,
  type Pki,
  QAZNET_NAME,
  QAZNET_SHA256,
  SITE,
} from '../../../packages/interception/test/support/fixtures.js'
import { keyPem } from '../../../packages/interception/test/support/pki.js'
import {
  expectNoOpenSockets,
  type RunningServer,
  serveTls,
} from '../../../packages/interception/test/support/servers.js'
import { registerConfiguredTargets } from '../../vigil/src/register.js'
import { certwatchConfig, type InterceptingProxy, startInterceptingProxy } from './support.js'

const NEWS = `news.${SITE}`
let store: TestStore
let pki: Pki
let origin: RunningServer
const proxies: InterceptingProxy[] = []

beforeAll(async () => {
  store = await openTestStore()
  pki = buildPki()
  origin = await serveTls(pki.siteChain, keyPem(pki.siteLeaf.key))
})

afterAll(async () => {
  await Promise.all(proxies.map((proxy) => proxy.close()))
  await origin?.close()
  await store?.close()
  await expectNoOpenSockets()
})

function vantages(proxyPort: number, ids: { inCountry: string; control: string }) {
  const targets = (port: number) => [
    { name: 'site', port, sni: SITE },
    { name: 'site-news', port, sni: NEWS },
  ]
  return {
    control: certwatchConfig({ id: ids.control, role: 'control', targets: targets(origin.port) }),
    inCountry: certwatchConfig({
      id: ids.inCountry,
      role: 'in_country',
      region: 'Almaty',
      targets: targets(proxyPort),
    }),
  }
}

/** One certwatch round of a vantage, its observations written before it returns. */
async function round(config: VigilConfig, registry: Registry) {
  const writer = new BufferedWriter<NewTlsObservation>({
    write: async (batch) => {
      await insertTlsObservations(store.sql, batch)
    },
  })
  const certwatch = createCertwatch({
    config,
    sql: store.sql,
    record: (observation) => writer.add(observation),
    registry,
    ca: pki.root.pem,
  })
  try {
    return await certwatch.runOnce()
  } finally {
    await certwatch.stop()
    await writer.close()
  }
}

async function metricValue(registry: Registry, name: string, labels: Record<string, string>) {
  const metric = await registry.getSingleMetric(name)?.get()
  return metric?.values.find((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value))
    ?.value
}

async function interceptionIncidents(vantageId: string) {
  const all = await queryIncidents(store.sql, { kind: 'https_interception', limit: 100 })
  return all.filter((incident) => incident.vantageId === vantageId)
}

describe('certwatch with an in-country and a control vantage', () => {
  it('sees an interceptor with its own root as control_mismatch in one round, stores, exports and resolves it', async () => {
    const proxy = await startInterceptingProxy(pki, origin.port, 'own-root')
    proxies.push(proxy)
    const ids = { inCountry: 'kz-almaty-1', control: 'control-de-1' }
    const { control, inCountry } = vantages(proxy.port, ids)
    await registerConfiguredTargets(store.sql, control)
    await registerConfiguredTargets(store.sql, inCountry)
    const registry = createMetricsRegistry({ version: 'test', defaultMetrics: false })

    const controlChecks = await round(control, registry)
    expect(controlChecks.map((c) => c.verdict.verdict)).toEqual(['ok', 'ok'])

    const checks = await round(inCountry, registry)
    expect(checks).toHaveLength(2)
    for (const check of checks) {
      expect(check.verdict.verdict).toBe('control_mismatch')
      expect(check.verdict.failure).toBe('ssl_unknown_authority')
      expect(check.verdict.evidence.map((e) => e.kind)).toEqual(
        expect.arrayContaining(['leaf_differs_from_control', 'copied_subject', 'low_rsa_exponent']),
      )
    }

    const stored = await queryTlsObservations(store.sql, { vantage: ids.inCountry, limit: 10 })
    expect(stored).toHaveLength(2)
    const site = stored.find((row) => row.sni === SITE)!
    expect(site).toMatchObject({
      targetId: 'site',
      host: '127.0.0.1',
      port: proxy.port,
      verdict: 'control_mismatch',
      failure: 'ssl_unknown_authority',
      verified: false,
      knownMatch: null,
    })
    expect(site.protocol).toBe('TLSv1.3')
    expect(site.chain.map((cert) => cert.subject)).toEqual([
      `O=Vigil Test Site, CN=${SITE}`,
      'C=ZZ, CN=Interceptor Root',
    ])
    // The DER is kept, so the verdict can be recomputed from the stored row alone.
    const leafDer = Buffer.from(site.chain[0]!.der as string, 'base64')
    expect(describeCertificate(leafDer).rsaPublicExponent).toBe(3)
    expect(site.evidence.map((e) => e.kind)).toContain('leaf_differs_from_control')

    const labels = { target: 'site', vantage: ids.inCountry }
    expect(
      await metricValue(registry, 'vigil_tls_interception', { ...labels, verdict: 'control_mismatch' }),
    ).toBe(1)
    expect(await metricValue(registry, 'vigil_tls_interception', { ...labels, verdict: 'ok' })).toBe(0)
    expect(
      await metricValue(registry, 'vigil_tls_interception', {
        target: 'site',
        vantage: ids.control,
        verdict: 'ok',
      }),
    ).toBe(1)
    expect(
      await metricValue(registry, 'probe_ssl_last_chain_info', {
        ...labels,
        fingerprint_sha256: site.chain[0]!.sha256 as string,
        issuer: 'C=ZZ, CN=Interceptor Root',
      }),
    ).toBe(1)
    const earliest = await metricValue(registry, 'probe_ssl_earliest_cert_expiry', {
      ...labels,
      kind: 'tls',
      region: 'Almaty',
    })
    expect(earliest).toBe(Math.min(...site.chain.map((c) => Date.parse(c.notAfter as string) / 1000)))

    // Two hosts behind one interceptor from one vantage: one incident naming both.
    let incidents = await interceptionIncidents(ids.inCountry)
    expect(incidents).toHaveLength(1)
    const [incident] = incidents
    expect(incident).toMatchObject({
      kind: 'https_interception',
      scopeType: 'country',
      scope: 'KZ',
      vantageId: ids.inCountry,
      region: 'Almaty',
      level: 'critical',
      state: 'firing',
    })
    expect(incident!.evidence).toMatchObject({
      verdict: 'control_mismatch',
      hosts: [NEWS, SITE],
      interceptorSubject: 'C=ZZ, CN=Interceptor Root',
      interceptorSpki: describeCertificate(pki.interceptorRoot.der).spkiSha256,
      knownInterception: null,
    })
    expect(incident!.evidence.leafTraits).toEqual(
      expect.arrayContaining(['low_rsa_exponent', 'copied_subject']),
    )
    expect(await interceptionIncidents(ids.control)).toEqual([])

    // The next round sees the same interceptor: the same incident, not another one.
    await round(inCountry, registry)
    incidents = await interceptionIncidents(ids.inCountry)
    expect(incidents.map((i) => i.id)).toEqual([incident!.id])
    expect(incidents[0]!.state).toBe('firing')

    // The interception stops: the origin's own chain passes through, verifies and matches the control.
    proxy.mode = 'relay'
    const after = await round(inCountry, registry)
    expect(after.map((c) => c.verdict.verdict)).toEqual(['ok', 'ok'])
    incidents = await interceptionIncidents(ids.inCountry)
    expect(incidents).toHaveLength(1)
    expect(incidents[0]).toMatchObject({ id: incident!.id, state: 'resolved' })
    expect(incidents[0]!.resolvedAt).toBeInstanceOf(Date)
    expect(await metricValue(registry, 'vigil_tls_interception', { ...labels, verdict: 'ok' })).toBe(1)
    expect(
      await metricValue(registry, 'vigil_tls_interception', { ...labels, verdict: 'control_mismatch' }),
    ).toBe(0)
    // The leaf changed, so the interceptor's chain info series is gone and only the real leaf's remains.
    const chainInfo = (await registry.getSingleMetric('probe_ssl_last_chain_info')!.get()).values.filter(
      (v) => v.labels.target === 'site' && v.labels.vantage === ids.inCountry,
    )
    expect(chainInfo.map((v) => v.labels.fingerprint_sha256)).toEqual([
      describeCertificate(pki.siteLeaf.der).sha256,
    ])
  })

  it('sees a chain ending in the real Qaznet root as known_interception, one incident for both hosts', async () => {
    const proxy = await startInterceptingProxy(pki, origin.port, 'qaznet')
    proxies.push(proxy)
    const ids = { inCountry: 'kz-aktau-1', control: 'control-nl-1' }
    const { control, inCountry } = vantages(proxy.port, ids)
    await registerConfiguredTargets(store.sql, control)
    await registerConfiguredTargets(store.sql, inCountry)
    const registry = createMetricsRegistry({ version: 'test', defaultMetrics: false })

    await round(control, registry)
    const checks = await round(inCountry, registry)
    expect(checks.map((c) => c.verdict.verdict)).toEqual(['known_interception', 'known_interception'])

    const stored = await queryTlsObservations(store.sql, { vantage: ids.inCountry, sni: NEWS, limit: 10 })
    expect(stored).toHaveLength(1)
    expect(stored[0]).toMatchObject({ verdict: 'known_interception', knownMatch: QAZNET_NAME })
    expect(stored[0]!.chain.map((cert) => cert.sha256)).toContain(QAZNET_SHA256)
    expect(
      await metricValue(registry, 'vigil_tls_interception', {
        target: 'site-news',
        vantage: ids.inCountry,
        verdict: 'known_interception',
      }),
    ).toBe(1)

    const incidents = await interceptionIncidents(ids.inCountry)
    expect(incidents).toHaveLength(1)
    expect(incidents[0]!.evidence).toMatchObject({
      verdict: 'known_interception',
      hosts: [NEWS, SITE],
      knownInterception: QAZNET_NAME,
      interceptorSubject: 'C=KZ, CN=Qaznet Trust Network',
    })
    expect(incidents[0]!.summary).toContain(QAZNET_NAME)
  })
})
