// The shipped known-interception list and entries added from config: fingerprints computed from the
// PEMs, matching by certificate, by key and by issuing key, and clear errors for bad entries.

import { readFileSync } from 'node:fs'
import { isVigilError } from '@vigil/errors'
import { describeCertificate, loadKnownInterceptionList, matchKnownInterception } from '@vigil/interception'
import { describe, expect, it } from 'vitest'
import { QAZNET_NAME, QAZNET_SHA256, shippedRoot } from './support/fixtures.js'
import { DAY, ecKey, issueCertificate } from './support/pki.js'

const SPKI_NAMED = '3472e4f16c570e0dd388aaaa4a64a34a4b939f1ca770996b5be0037c1aded9c1'

describe('loadKnownInterceptionList', () => {
  it('ships the ten Kazakh roots with both hashes, named by subject and hash prefix', () => {
    const list = loadKnownInterceptionList()
    expect(list).toHaveLength(10)
    expect(new Set(list.map((e) => e.name)).size).toBe(10)
    for (const entry of list) {
      expect(entry.certSha256).toMatch(/^[0-9a-f]{64}$/)
      expect(entry.spkiSha256).toMatch(/^[0-9a-f]{64}$/)
      expect(entry.source).toContain('Chromium')
    }
    expect(list.find((e) => e.certSha256 === QAZNET_SHA256)?.name).toBe(QAZNET_NAME)
    expect(list.filter((e) => e.subject?.includes('ISCA'))).toHaveLength(9)
    // The file Chromium names by its SPKI hash is still found by its certificate hash.
    expect(list.find((e) => e.spkiSha256 === SPKI_NAMED)).toMatchObject({
      certSha256: '235150de7df7db2e538d461bc4d210c4e0819be2c4c76969476e3cbe67b723dd',
      name: 'ISCA Information Security Certification Authority (235150de)',
    })
  })

  it('is described entry by entry in the README next to the PEMs', () => {
    const readme = readFileSync(
      new URL('../data/known-interception-roots/README.md', import.meta.url),
      'utf8',
    )
    const cells = new Set(readme.split(/[|\n]/).map((cell) => cell.trim()))
    for (const entry of loadKnownInterceptionList()) expect(cells).toContain(entry.name)
  })

  it('adds config entries by fingerprint (any case, colons allowed) or by PEM', () => {
    const extraRoot = issueCertificate({
      subject: [['CN', 'Another National Root']],
      key: ecKey(),
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + DAY),
      ca: true,
    })
    const list = loadKnownInterceptionList([
      { name: 'by spki', spkiSha256: 'AB:'.repeat(31) + 'AB', source: 'test' },
      { name: 'by pem', pem: extraRoot.pem },
    ])
    expect(list).toHaveLength(12)
    expect(list[10]).toEqual({ name: 'by spki', spkiSha256: 'ab'.repeat(32), source: 'test' })
    expect(list[11]).toMatchObject({
      name: 'by pem',
      certSha256: describeCertificate(extraRoot.der).sha256,
      subject: 'CN=Another National Root',
      source: 'config',
    })
  })

  it('rejects entries without a usable fingerprint', () => {
    const attempts = [
      [{ name: 'empty' }],
      [{ name: 'short', certSha256: 'abcd' }],
      [{ name: 'no cert', pem: 'nothing here' }],
    ]
    for (const extra of attempts) {
      let caught: unknown
      try {
        loadKnownInterceptionList(extra)
      } catch (error) {
        caught = error
      }
      expect(isVigilError(caught, 'interception.invalid_known_entry')).toBe(true)
      expect((caught as Error).message).toContain(extra[0]!.name)
    }
  })
})

describe('matchKnownInterception', () => {
  const list = loadKnownInterceptionList()

  it('matches a listed root by certificate hash', () => {
    const root = describeCertificate(shippedRoot(SPKI_NAMED).der)
    expect(matchKnownInterception([root], list)).toEqual([
      {
        entry: 'ISCA Information Security Certification Authority (235150de)',
        kind: 'certificate',
        chainIndex: 0,
        certSha256: root.sha256,
      },
    ])
  })

  it('matches a re-issued certificate by its key alone', () => {
    const root = describeCertificate(shippedRoot(SPKI_NAMED).der)
    const reissued = { ...root, sha256: 'f'.repeat(64) }
    expect(matchKnownInterception([reissued], list)).toEqual([
      {
        entry: 'ISCA Information Security Certification Authority (235150de)',
        kind: 'spki',
        chainIndex: 0,
        certSha256: reissued.sha256,
      },
    ])
  })

  it('never matches by name alone', () => {
    const lookalike = issueCertificate({
      subject: [
        ['CN', 'Information Security Certification Authority'],
        ['O', 'ISCA'],
        ['C', 'KZ'],
      ],
      key: ecKey(),
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + DAY),
      ca: true,
    })
    const child = issueCertificate({
      subject: [['CN', 'www.example.kz']],
      key: ecKey(),
      issuer: lookalike,
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + DAY),
    })
    const chain = [describeCertificate(child.der), describeCertificate(lookalike.der)]
    expect(chain[0]!.issuer).toBe('CN=Information Security Certification Authority, O=ISCA, C=KZ')
    expect(matchKnownInterception(chain, list)).toEqual([])
  })
})
