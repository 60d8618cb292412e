// A minimal X.509 builder for tests: roots, intermediates and leaves signed with node:crypto, with the
// knobs interceptors turn (copied names, RSA exponent 3, backdated validity, missing extensions).

import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { isIP } from 'node:net'

const NAME_OIDS: Record<string, string> = {
  C: '2.5.4.6',
  ST: '2.5.4.8',
  L: '2.5.4.7',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  CN: '2.5.4.3',
}

function lengthBytes(length: number): number[] {
  if (length < 0x80) return [length]
  const bytes: number[] = []
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256)
  return [0x80 | bytes.length, ...bytes]
}

function tlv(tag: number, ...content: Uint8Array[]): Buffer {
  const body = Buffer.concat(content)
  return Buffer.concat([Buffer.from([tag, ...lengthBytes(body.length)]), body])
}

const sequence = (...parts: Uint8Array[]) => tlv(0x30, ...parts)
const set = (...parts: Uint8Array[]) => tlv(0x31, ...parts)
const octets = (content: Uint8Array) => tlv(0x04, content)
const bitString = (content: Uint8Array, unusedBits = 0) => tlv(0x03, Buffer.from([unusedBits]), content)
const explicit = (n: number, content: Uint8Array) => tlv(0xa0 + n, content)
const TRUE = Buffer.from([0x01, 0x01, 0xff])

function integer(value: Uint8Array): Buffer {
  let bytes = Buffer.from(value)
  while (bytes.length > 1 && bytes[0] === 0 && bytes[1]! < 0x80) bytes = bytes.subarray(1)
  if (bytes[0]! >= 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes])
  return tlv(0x02, bytes)
}

function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number)
  const bytes: number[] = [first! * 40 + second!]
  for (const arc of rest) {
    const chunk: number[] = [arc & 0x7f]
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128))
      chunk.unshift((value & 0x7f) | 0x80)
    bytes.push(...chunk)
  }
  return tlv(0x06, Buffer.from(bytes))
}

function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14)
  // RFC 5280: UTCTime through 2049, GeneralizedTime after.
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`, 'latin1'))
    : tlv(0x18, Buffer.from(`${iso}Z`, 'latin1'))
}

/** `[['C', 'KZ'], ['CN', 'Security Certificate']]`, or the DER of a Name to copy it byte for byte. */
export type NameSpec = Array<[keyof typeof NAME_OIDS | string, string]> | Buffer

function encodeName(name: NameSpec): Buffer {
  if (Buffer.isBuffer(name)) return name
  return sequence(
    ...name.map(([type, value]) =>
      set(
        sequence(oid(NAME_OIDS[type] ?? type), tlv(type === 'C' ? 0x13 : 0x0c, Buffer.from(value, 'utf8'))),
      ),
    ),
  )
}

function generalNames(names: readonly string[]): Buffer {
  return sequence(
    ...names.map((name) => {
      const [kind, value] = [name.slice(0, name.indexOf(':')), name.slice(name.indexOf(':') + 1)]
      if (kind === 'IP' && isIP(value) === 4) return tlv(0x87, Buffer.from(value.split('.').map(Number)))
      if (kind === 'DNS') return tlv(0x82, Buffer.from(value, 'latin1'))
      throw new Error(`test PKI: unsupported name ${name}`)
    }),
  )
}

function extension(id: string, value: Buffer, critical = false): Buffer {
  return critical ? sequence(oid(id), TRUE, octets(value)) : sequence(oid(id), octets(value))
}

export interface KeyPair {
  privateKey: KeyObject
  publicKey: KeyObject
}

export function ecKey(): KeyPair {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
}

export function rsaKey(publicExponent = 65537, modulusLength = 2048): KeyPair {
  return generateKeyPairSync('rsa', { modulusLength, publicExponent })
}

export interface Issued {
  der: Buffer
  pem: string
  key: KeyPair
  subjectDer: Buffer
  subjectKeyId: Buffer
}

export interface CertificateSpec {
  subject: NameSpec
  key: KeyPair
  /** The issuing certificate, or its name and key when they are not a certificate of ours. Self-signed when absent. */
  issuer?: Issued | { name: NameSpec; key: KeyPair; subjectKeyId: Buffer | null }
  notBefore: Date
  notAfter: Date
  ca?: boolean
  subjectAltNames?: string[]
  /** Authority Information Access (caIssuers), as public CAs put in every leaf. */
  aia?: boolean
  /** An embedded SCT list extension; the content is opaque to everything here. */
  sct?: boolean
  /** Leave out the authority key identifier, so that issuer lookup goes by name alone. */
  omitAuthorityKeyId?: boolean
  serial?: number
}

let nextSerial = 0x1000

export function issueCertificate(spec: CertificateSpec): Issued {
  const spki = spec.key.publicKey.export({ type: 'spki', format: 'der' })
  const subjectKeyId = createHash('sha1').update(spki).digest()
  const subjectDer = encodeName(spec.subject)
  const issuer = spec.issuer ?? { name: subjectDer, key: spec.key, subjectKeyId }
  const issuerName = 'der' in issuer ? issuer.subjectDer : encodeName(issuer.name)
  const signingKey = issuer.key.privateKey
  const signatureAlgorithm =
    signingKey.asymmetricKeyType === 'rsa'
      ? sequence(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]))
      : sequence(oid('1.2.840.10045.4.3.2'))

  const extensions: Buffer[] = [extension('2.5.29.14', octets(subjectKeyId))]
  if (issuer.subjectKeyId && !spec.omitAuthorityKeyId) {
    extensions.push(extension('2.5.29.35', sequence(tlv(0x80, issuer.subjectKeyId))))
  }
  if (spec.ca) {
    extensions.push(extension('2.5.29.19', sequence(TRUE), true))
    extensions.push(extension('2.5.29.15', bitString(Buffer.from([0x06]), 1), true))
  } else {
    extensions.push(extension('2.5.29.15', bitString(Buffer.from([0xa0]), 5), true))
  }
  if (spec.subjectAltNames) extensions.push(extension('2.5.29.17', generalNames(spec.subjectAltNames)))
  if (spec.aia) {
    const caIssuers = sequence(
      oid('1.3.6.1.5.5.7.48.2'),
      tlv(0x86, Buffer.from('http://ca.invalid/issuer.crt')),
    )
    extensions.push(extension('1.3.6.1.5.5.7.1.1', sequence(caIssuers)))
  }
  if (spec.sct) extensions.push(extension('1.3.6.1.4.1.11129.2.4.2', octets(Buffer.from([0x00, 0x00]))))

  const serial = Buffer.alloc(4)
  serial.writeUInt32BE(spec.serial ?? nextSerial++)
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    signatureAlgorithm,
    issuerName,
    sequence(time(spec.notBefore), time(spec.notAfter)),
    subjectDer,
    spki,
    explicit(3, sequence(...extensions)),
  )
  const signature = sign('sha256', tbs, signingKey)
  const der = sequence(tbs, signatureAlgorithm, bitString(signature))
  return { der, pem: toPem(der), key: spec.key, subjectDer, subjectKeyId }
}

export function toPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? []
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`
}

export function keyPem(key: KeyPair): string {
  return key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
}

export const HOUR = 3_600_000
export const DAY = 24 * HOUR

export function hoursFromNow(hours: number): Date {
  return new Date(Date.now() + hours * HOUR)
}
