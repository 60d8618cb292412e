// The certificates of the rally world: a root that stands for the public web PKI (trusted by every
// vantage through `trust.caFiles`), one leaf naming every site, and a "state" root that no vantage trusts,
// under which an intercepting middlebox mints a look-alike leaf, as the Qaznet root was used in 2019.
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { DAY, ecKey, HOUR, issueCertificate } from '../../../packages/interception/test/support/pki.js'
import type { SiteCertificates } from './site.js'

export interface WorldPki {
  /** The web root's PEM file, for `trust.caFiles`. */
  rootFile: string
  /** SHA-256 of the state root's DER, for `interception.knownRoots`. */
  stateRootSha256: string
  stateRootSubject: string
  certificates: SiteCertificates
}

/** Issues the world's certificates for `hosts` and writes the web root to `dir`. */
export function buildWorldPki(dir: string, hosts: readonly string[]): WorldPki {
  const now = Date.now()
  const names = hosts.map((host) => `DNS:${host}`)
  const root = issueCertificate({
    subject: [
      ['O', 'Rally World Web PKI'],
      ['CN', 'Rally World Root'],
    ],
    key: ecKey(),
    notBefore: new Date(now - 400 * DAY),
    notAfter: new Date(now + 400 * DAY),
    ca: true,
  })
  const leaf = issueCertificate({
    subject: [
      ['O', 'Rally World Sites'],
      ['CN', hosts[0] ?? 'localhost'],
    ],
    key: ecKey(),
    issuer: root,
    notBefore: new Date(now - 30 * DAY),
    notAfter: new Date(now + 60 * DAY),
    subjectAltNames: names,
  })
  const stateRoot = issueCertificate({
    subject: [
      ['C', 'KZ'],
      ['O', 'Rally World State'],
      ['CN', 'Rally World National Security Certificate'],
    ],
    key: ecKey(),
    notBefore: new Date(now - HOUR),
    notAfter: new Date(now + 365 * DAY),
    ca: true,
  })
  const minted = issueCertificate({
    subject: [
      ['O', 'Rally World Sites'],
      ['CN', hosts[0] ?? 'localhost'],
    ],
    key: ecKey(),
    issuer: stateRoot,
    notBefore: new Date(now - 5 * HOUR),
    notAfter: new Date(now + 30 * DAY),
    subjectAltNames: names,
  })
  const rootFile = path.join(dir, 'web-root.pem')
  writeFileSync(rootFile, root.pem)
  const keyPem = (issued: typeof leaf) =>
    issued.key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  return {
    rootFile,
    stateRootSha256: createHash('sha256').update(stateRoot.der).digest('hex'),
    stateRootSubject: 'C=KZ, O=Rally World State, CN=Rally World National Security Certificate',
    certificates: {
      own: { cert: leaf.pem + root.pem, key: keyPem(leaf) },
      intercepted: { cert: minted.pem + stateRoot.pem, key: keyPem(minted) },
    },
  }
}
