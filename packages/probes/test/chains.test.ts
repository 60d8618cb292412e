// What the server sent versus the path that verified: a cross-signed chain whose old root has expired (as
// Let's Encrypt's was, cross-signed by DST Root CA X3) must not raise an expiry alarm for a root the server
// never sent, and the verdict says which path verified.
import { createHash } from 'node:crypto'
import { createServer as createHttpsServer } from 'node:https'
import { runProbe } from '@vigil/probes'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  DAY,
  ecKey,
  hoursFromNow,
  type Issued,
  issueCertificate,
  keyPem,
} from '../../interception/test/support/pki.js'
import { Loopback } from './fixtures/loopback.js'

const loopback = new Loopback()
beforeEach(() => loopback.markBaseline())
afterEach(() => loopback.closeAll())
afterAll(() => loopback.closeAll())

interface CrossSigned {
  oldRoot: Issued
  newRoot: Issued
  crossSigned: Issued
  intermediate: Issued
  leaf: Issued
}

let pki: CrossSigned

beforeAll(() => {
  const now = Date.now()
  const oldRootKey = ecKey()
  const newRootKey = ecKey()
  const oldRoot = issueCertificate({
    subject: [['CN', 'Old Root X3']],
    key: oldRootKey,
    notBefore: new Date(now - 3000 * DAY),
    notAfter: new Date(now - 30 * DAY),
    ca: true,
  })
  const newRoot = issueCertificate({
    subject: [['CN', 'New Root X1']],
    key: newRootKey,
    notBefore: new Date(now - 1000 * DAY),
    notAfter: new Date(now + 3000 * DAY),
    ca: true,
  })
  // The new root's name and key, vouched for by the old root: old clients still reach a root they know.
  const crossSigned = issueCertificate({
    subject: [['CN', 'New Root X1']],
    key: newRootKey,
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
  const leaf = issueCertificate({
    subject: [['CN', 'localhost']],
    key: ecKey(),
    issuer: intermediate,
    notBefore: hoursFromNow(-1),
    notAfter: new Date(now + 60 * DAY),
    subjectAltNames: ['DNS:localhost', 'IP:127.0.0.1'],
  })
  pki = { oldRoot, newRoot, crossSigned, intermediate, leaf }
})

function serveChain(chain: Issued[]): Promise<number> {
  return loopback.listen(
    createHttpsServer(
      { key: keyPem(pki.leaf.key), cert: chain.map((cert) => cert.pem).join('') },
      (_req, res) => res.end('<title>ok</title>'),
    ),
  )
}

const sha = (cert: Issued) => createHash('sha256').update(cert.der).digest('hex')

describe('sent chain and verified path', () => {
  it('tls: expiry covers what the server sent, not the expired root the trust store holds', async () => {
    const port = await serveChain([pki.leaf, pki.intermediate, pki.crossSigned])
    const result = await runProbe(
      { kind: 'tls', name: 'cross', host: '127.0.0.1', port, servername: 'localhost' },
      // Both roots trusted, the old one expired: a store that still carries a retired root.
      { timeoutMs: 5000, ca: [pki.oldRoot.pem, pki.newRoot.pem] },
    )
    expect(result).toMatchObject({ ok: true, failure: null })
    const { details } = result
    expect(details.sentChain.map((cert) => cert.subject)).toEqual([
      'CN=localhost',
      'CN=Issuing CA R3',
      'CN=New Root X1',
    ])
    expect(details.sentChain[2]?.issuer).toBe('CN=Old Root X3')
    // The earliest expiry is the leaf's (60 days), not the old root's (expired 30 days ago).
    expect(details.earliestCertExpiry).toBe(details.sentChain[0]?.notAfter)
    expect(Date.parse(details.earliestCertExpiry!)).toBeGreaterThan(Date.now())
    expect(details.sentChain.map((cert) => cert.sha256)).not.toContain(sha(pki.oldRoot))
    // The path that verified ends in the new, self-signed root from the store.
    expect(details.verifiedChain?.map((cert) => cert.sha256)).toEqual([
      sha(pki.leaf),
      sha(pki.intermediate),
      sha(pki.newRoot),
    ])
    expect(Date.parse(details.lastChainExpiry!)).toBeGreaterThan(Date.now())
  })

  it('tls: keeps the sent order, extra certificates included, and has no verified path on failure', async () => {
    const port = await serveChain([pki.leaf, pki.crossSigned, pki.intermediate])
    const result = await runProbe(
      { kind: 'tls', name: 'cross', host: '127.0.0.1', port, servername: 'localhost' },
      { timeoutMs: 5000, ca: pki.oldRoot.pem },
    )
    // Only the expired old root is trusted: the path through it fails on its validity.
    expect(result.ok).toBe(false)
    expect(result.details.sentChain.map((cert) => cert.subject)).toEqual([
      'CN=localhost',
      'CN=New Root X1',
      'CN=Issuing CA R3',
    ])
    expect(result.details.verifiedChain).toBeNull()
    expect(result.details.lastChainExpiry).toBeNull()
    expect(result.details.leafSha256).toBe(sha(pki.leaf))
  })

  it('https: the same split in the HTTP probe', async () => {
    const port = await serveChain([pki.leaf, pki.intermediate, pki.crossSigned])
    const result = await runProbe(
      { kind: 'https', name: 'cross', url: `https://localhost:${port}/` },
      { timeoutMs: 5000, ca: [pki.oldRoot.pem, pki.newRoot.pem] },
    )
    expect(result).toMatchObject({ ok: true })
    expect(result.details.tls?.sentChain).toHaveLength(3)
    expect(Date.parse(result.details.tls!.earliestCertExpiry!)).toBeGreaterThan(Date.now())
    expect(result.details.tls?.verifiedChain?.at(-1)?.sha256).toBe(sha(pki.newRoot))
  })
})
