// The certificates the tests serve: a site with a normal chain under a test root, an interceptor that
// mints look-alike leaves the way Qaznet did, chains that lead to the real Kazakh roots, and broken leaves.

import { readFileSync } from 'node:fs'
import { certificatesFromPem, parseCertificateDer } from '@vigil/interception'
import { DAY, ecKey, HOUR, type Issued, issueCertificate, type KeyPair, rsaKey, toPem } from './pki.js'

export const SITE = 'vigil.test'
export const SITE_NAMES = ['DNS:vigil.test', 'DNS:news.vigil.test']
export const QAZNET_SHA256 = '00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2'
export const QAZNET_NAME = 'Qaznet Trust Network (00309c73)'

export function shippedRoot(sha256: string): { der: Buffer; pem: string } {
  const url = new URL(`../../data/known-interception-roots/${sha256}.pem`, import.meta.url)
  const der = certificatesFromPem(readFileSync(url, 'utf8'))[0]!
  return { der, pem: toPem(der) }
}

export interface Pki {
  root: Issued
  intermediate: Issued
  /** The real site's leaf: names for SITE and news.SITE, AIA and SCTs, issued a month ago. */
  siteLeaf: Issued
  siteChain: string[]
  interceptorRoot: Issued
  /** Mints what an interceptor serves for a site: copied subject and names, exponent 3, five hours back. */
  mintInterceptLeaf(subjectDer: Buffer, subjectAltNames: string[]): Issued
  selfSigned: Issued
  wrongHost: Issued
}

export function buildPki(): Pki {
  const now = Date.now()
  const root = issueCertificate({
    subject: [
      ['O', 'Vigil Test'],
      ['CN', 'Vigil Test Root'],
    ],
    key: ecKey(),
    notBefore: new Date(now - 400 * DAY),
    notAfter: new Date(now + 400 * DAY),
    ca: true,
  })
  const intermediate = issueCertificate({
    subject: [
      ['O', 'Vigil Test'],
      ['CN', 'Vigil Test Issuing CA'],
    ],
    key: ecKey(),
    issuer: root,
    notBefore: new Date(now - 200 * DAY),
    notAfter: new Date(now + 200 * DAY),
    ca: true,
    aia: true,
  })
  const siteLeaf = issueCertificate({
    subject: [
      ['O', 'Vigil Test Site'],
      ['CN', SITE],
    ],
    key: ecKey(),
    issuer: intermediate,
    notBefore: new Date(now - 30 * DAY),
    notAfter: new Date(now + 60 * DAY),
    subjectAltNames: SITE_NAMES,
    aia: true,
    sct: true,
  })
  // Created an hour ago, like a box set up just before the rally: its leaves predate it.
  const interceptorRoot = issueCertificate({
    subject: [
      ['C', 'ZZ'],
      ['CN', 'Interceptor Root'],
    ],
    key: ecKey(),
    notBefore: new Date(now - HOUR),
    notAfter: new Date(now + 365 * DAY),
    ca: true,
  })
  const exponent3: KeyPair = rsaKey(3)
  const mintInterceptLeaf = (subjectDer: Buffer, subjectAltNames: string[]) =>
    issueCertificate({
      subject: subjectDer,
      key: exponent3,
      issuer: interceptorRoot,
      notBefore: new Date(Date.now() - 5 * HOUR),
      notAfter: new Date(Date.now() + 30 * DAY),
      subjectAltNames,
    })
  const selfSigned = issueCertificate({
    subject: [['CN', SITE]],
    key: ecKey(),
    notBefore: new Date(now - 10 * DAY),
    notAfter: new Date(now + 10 * DAY),
    subjectAltNames: [`DNS:${SITE}`],
  })
  const wrongHost = issueCertificate({
    subject: [['CN', 'other.test']],
    key: ecKey(),
    issuer: intermediate,
    notBefore: new Date(now - 10 * DAY),
    notAfter: new Date(now + 10 * DAY),
    subjectAltNames: ['DNS:other.test'],
    aia: true,
    sct: true,
  })
  return {
    root,
    intermediate,
    siteLeaf,
    siteChain: [siteLeaf.pem, intermediate.pem],
    interceptorRoot,
    mintInterceptLeaf,
    selfSigned,
    wrongHost,
  }
}

/**
 * The 2019 shape: leaf <- "C=KZ, CN=Security Certificate" <- Qaznet Trust Network. We cannot sign with
 * Qaznet's key, so the intermediate is signed by a key of ours under Qaznet's exact name; node links the
 * chain by name (and key identifier when `withKeyId`), which is all a presented chain shows anyway.
 */
export function qaznetChain(
  withKeyId: boolean,
  leafSubjectDer: Buffer,
  names: string[],
): { chain: Issued[]; root: Buffer } {
  const qaznet = shippedRoot(QAZNET_SHA256)
  const qaznetFacts = parseCertificateDer(qaznet.der)
  const skiExtension = qaznetFacts.extensions.find((e) => e.oid === '2.5.29.14')!
  const qaznetKeyId = skiExtension.value.subarray(2) // OCTET STRING header of a 20-byte key id
  const now = Date.now()
  const intermediate = issueCertificate({
    subject: [
      ['C', 'KZ'],
      ['CN', 'Security Certificate'],
    ],
    key: rsaKey(),
    issuer: { name: qaznetFacts.subjectDer, key: rsaKey(), subjectKeyId: withKeyId ? qaznetKeyId : null },
    notBefore: new Date(now - 300 * DAY),
    notAfter: new Date(now + 300 * DAY),
    ca: true,
  })
  const leaf = issueCertificate({
    subject: leafSubjectDer,
    key: rsaKey(3),
    issuer: intermediate,
    notBefore: new Date(now - 6 * HOUR),
    notAfter: new Date(now + 30 * DAY),
    subjectAltNames: names,
  })
  return { chain: [leaf, intermediate], root: qaznet.der }
}
