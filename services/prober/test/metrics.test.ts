// The prober's blackbox metrics against a real server sending a cross-signed chain whose old root has
// expired: probe_ssl_earliest_cert_expiry covers what the server sent (no false expiry alarm for the retired
// root in the local store), probe_ssl_last_chain_expiry_timestamp_seconds the path that verified.
import { createHash } from 'node:crypto'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { parseConfig } from '@vigil/config'
import { createMetricsRegistry, type Registry } from '@vigil/metrics'
import { createProber } from '@vigil/prober'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DAY,
  ecKey,
  hoursFromNow,
  type Issued,
  issueCertificate,
  keyPem,
} from '../../../packages/interception/test/support/pki.js'

let server: ReturnType<typeof createServer>
let port: number
let oldRoot: Issued
let newRoot: Issued
let leaf: Issued

beforeAll(async () => {
  const now = Date.now()
  const newKey = ecKey()
  oldRoot = issueCertificate({
    subject: [['CN', 'Old Root X3']],
    key: ecKey(),
    notBefore: new Date(now - 3000 * DAY),
    notAfter: new Date(now - 30 * DAY),
    ca: true,
  })
  newRoot = issueCertificate({
    subject: [['CN', 'New Root X1']],
    key: newKey,
    notBefore: new Date(now - 1000 * DAY),
    notAfter: new Date(now + 3000 * DAY),
    ca: true,
  })
  const cross = issueCertificate({
    subject: [['CN', 'New Root X1']],
    key: newKey,
    issuer: oldRoot,
    notBefore: new Date(now - 500 * DAY),
    notAfter: new Date(now + 200 * DAY),
    ca: true,
  })
  const intermediate = issueCertificate({
    subject: [['CN', 'Issuing CA R3']],
    key: ecKey(),
    issuer: newRoot,
    notBefore: new Date(now - 100 * DAY),
    notAfter: new Date(now + 400 * DAY),
    ca: true,
  })
  leaf = issueCertificate({
    subject: [['CN', 'localhost']],
    key: ecKey(),
    issuer: intermediate,
    notBefore: hoursFromNow(-1),
    notAfter: new Date(now + 60 * DAY),
    subjectAltNames: ['DNS:localhost', 'IP:127.0.0.1'],
  })
  server = createServer(
    { key: keyPem(leaf.key), cert: [leaf, intermediate, cross].map((c) => c.pem).join('') },
    (_req, res) => res.end('<title>ok</title>'),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

async function gauge(registry: Registry, name: string, kind: string): Promise<number | undefined> {
  const metric = await registry.getSingleMetric(name)?.get()
  return metric?.values.find((value) => value.labels.kind === kind)?.value
}

describe('prober TLS metrics', () => {
  it('reports expiry of the certificates sent and of the verified path, not of the retired root', async () => {
    const config = parseConfig(
      [
        'country: KZ',
        'vantage: { id: test-almaty, role: in_country, country: KZ, region: Almaty, network: { asn: 9198 } }',
        'regions: [{ name: Almaty, timeZone: Asia/Almaty }]',
        'probing: { jitter: 0 }',
        'targetGroups:',
        '  - name: news',
        '    probes: [tls, https]',
        '    timeout: 5s',
        `    targets: [{ name: cross, url: 'https://localhost:${port}/' }]`,
      ].join('\n'),
      'test.yaml',
      {},
    )
    const registry = createMetricsRegistry({ version: 'test', defaultMetrics: false })
    // A store that still carries the expired old root next to the new one.
    const prober = createProber({ config, record: () => {}, registry, ca: [oldRoot.pem, newRoot.pem] })
    const observations = await prober.runOnce()
    await prober.stop()
    expect(observations.map((o) => [o.result.kind, o.result.ok])).toEqual(
      expect.arrayContaining([
        ['tls', true],
        ['https', true],
      ]),
    )
    const tls = observations.find((o) => o.result.kind === 'tls')!.result
    if (tls.kind !== 'tls') throw new Error('expected a tls result')
    const leafExpiry = Date.parse(tls.details.sentChain[0]!.notAfter!) / 1000
    for (const kind of ['tls', 'https']) {
      expect(await gauge(registry, 'probe_ssl_earliest_cert_expiry', kind)).toBe(leafExpiry)
      expect(await gauge(registry, 'probe_ssl_last_chain_expiry_timestamp_seconds', kind)).toBe(leafExpiry)
    }
    const sha = (cert: Issued) => createHash('sha256').update(cert.der).digest('hex')
    expect(tls.details.verifiedChain?.at(-1)?.sha256).toBe(sha(newRoot))
  })
})
