// Certificate facts from DER: the real Kazakh roots and built certificates, checked against node's own
// X509Certificate where it reports the same thing, and the DER walk's refusal of broken input.

import { X509Certificate } from 'node:crypto'
import { isVigilError } from '@vigil/errors'
import { describeCertificate, EXTENSION_OID, parseCertificateDer } from '@vigil/interception'
import { describe, expect, it } from 'vitest'
import { QAZNET_SHA256, shippedRoot } from './support/fixtures.js'
import { DAY, ecKey, issueCertificate, rsaKey } from './support/pki.js'

describe('describeCertificate', () => {
  it('reads the Qaznet Trust Network root', () => {
    const { der } = shippedRoot(QAZNET_SHA256)
    const facts = describeCertificate(der)
    const x509 = new X509Certificate(der)

    expect(facts).toMatchObject({
      sha256: QAZNET_SHA256,
      spkiSha256: 'b5ba8dd7f89564c2889d3d6453c84998c77824919b64ea0835aa62986591be50',
      subject: 'C=KZ, CN=Qaznet Trust Network',
      issuer: 'C=KZ, CN=Qaznet Trust Network',
      selfIssued: true,
      isCa: true,
      keyType: 'rsa',
      rsaPublicExponent: 65537,
      hasSctList: false,
      subjectKeyId: 'f494bfde50b6db6b243d9ef7be3aae36d7fb0e05',
    })
    expect(facts.keySize).toBe(x509.publicKey.asymmetricKeyDetails?.modulusLength)
    expect(facts.serialNumber).toBe(x509.serialNumber.toLowerCase().replace(/^(00)+/, ''))
    expect(Date.parse(facts.notBefore)).toBe(Date.parse(x509.validFrom))
    expect(Date.parse(facts.notAfter)).toBe(Date.parse(x509.validTo))
    expect(facts.extensions).toContain(EXTENSION_OID.basicConstraints)
  })

  it('hashes the SPKI as encoded, matching the name Chromium gives the SPKI-named ISCA root', () => {
    const { der } = shippedRoot('3472e4f16c570e0dd388aaaa4a64a34a4b939f1ca770996b5be0037c1aded9c1')
    const facts = describeCertificate(der)
    expect(facts.spkiSha256).toBe('3472e4f16c570e0dd388aaaa4a64a34a4b939f1ca770996b5be0037c1aded9c1')
    expect(facts.sha256).toBe('235150de7df7db2e538d461bc4d210c4e0819be2c4c76969476e3cbe67b723dd')
    // Same bytes node produces when it re-exports the key, for an ordinary RSA key.
    const exported = new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' })
    expect(parseCertificateDer(der).spkiDer.equals(exported)).toBe(true)
  })

  it('reads names, key details, extensions and GeneralizedTime from a built leaf', () => {
    const issuerKey = ecKey()
    const issuer = issueCertificate({
      subject: [['CN', 'Issuer']],
      key: issuerKey,
      notBefore: new Date(Date.UTC(2020, 0, 1)),
      notAfter: new Date(Date.UTC(2060, 0, 1)),
      ca: true,
    })
    const leaf = issueCertificate({
      subject: [
        ['C', 'KZ'],
        ['CN', 'www.example.kz'],
      ],
      key: rsaKey(3, 1024),
      issuer,
      notBefore: new Date(Date.UTC(2019, 6, 17, 4, 0, 0)),
      notAfter: new Date(Date.UTC(2051, 6, 17, 4, 0, 0)),
      subjectAltNames: ['DNS:www.example.kz', 'DNS:example.kz', 'IP:192.0.2.7'],
      aia: true,
    })
    const facts = describeCertificate(leaf.der)
    expect(facts).toMatchObject({
      subject: 'C=KZ, CN=www.example.kz',
      issuer: 'CN=Issuer',
      subjectAltNames: ['DNS:www.example.kz', 'DNS:example.kz', 'IP:192.0.2.7'],
      notBefore: '2019-07-17T04:00:00.000Z',
      notAfter: '2051-07-17T04:00:00.000Z',
      keyType: 'rsa',
      keySize: 1024,
      rsaPublicExponent: 3,
      selfIssued: false,
      isCa: null,
      hasBasicConstraints: false,
      hasAuthorityInfoAccess: true,
      hasSctList: false,
      authorityKeyId: issuer.subjectKeyId.toString('hex'),
      subjectKeyId: leaf.subjectKeyId.toString('hex'),
    })
    expect(facts.extensions).toEqual([
      EXTENSION_OID.subjectKeyIdentifier,
      EXTENSION_OID.authorityKeyIdentifier,
      '2.5.29.15',
      EXTENSION_OID.subjectAltName,
      EXTENSION_OID.authorityInfoAccess,
    ])
    const critical = parseCertificateDer(leaf.der).extensions.filter((e) => e.critical)
    expect(critical.map((e) => e.oid)).toEqual(['2.5.29.15'])
    expect(Buffer.from(facts.der, 'base64').equals(leaf.der)).toBe(true)
  })

  it('refuses truncated or non-certificate input with a coded error', () => {
    const { der } = shippedRoot(QAZNET_SHA256)
    for (const broken of [der.subarray(0, 100), Buffer.from('not a certificate'), Buffer.alloc(0)]) {
      let caught: unknown
      try {
        describeCertificate(broken)
      } catch (error) {
        caught = error
      }
      expect(isVigilError(caught, 'interception.malformed_der')).toBe(true)
    }
  })

  it('reads a leaf issued yesterday with a one-year validity', () => {
    const now = Date.now()
    const leaf = issueCertificate({
      subject: [['CN', 'fresh.test']],
      key: ecKey(),
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 365 * DAY),
    })
    const facts = describeCertificate(leaf.der)
    expect(Math.abs(Date.parse(facts.notBefore) - (now - DAY))).toBeLessThan(1000)
    expect(facts.selfIssued).toBe(true)
  })
})
