// Verdicts, evidence, findings and the report on captured facts without a network: the decisions
// certwatch makes each round, checked case by case.

import { isVigilError } from '@vigil/errors'
import {
  type CertificateFacts,
  classifyTlsChain,
  describeCertificate,
  earliestExpiry,
  groupFindings,
  loadKnownInterceptionList,
  socketFailure,
  type TlsObservation,
  toReport,
  verificationFailure,
} from '@vigil/interception'
import { describe, expect, it } from 'vitest'
import { QAZNET_NAME, QAZNET_SHA256, shippedRoot } from './support/fixtures.js'
import { DAY, ecKey, HOUR, type Issued, issueCertificate } from './support/pki.js'

const known = loadKnownInterceptionList()
const CAPTURED_AT = Date.parse('2019-07-17T10:00:00Z')
const HOST = 'www.example.kz'

function root(cn: string, notBefore = CAPTURED_AT - 365 * DAY): Issued {
  return issueCertificate({
    subject: [['CN', cn]],
    key: ecKey(),
    notBefore: new Date(notBefore),
    notAfter: new Date(CAPTURED_AT + 365 * DAY),
    ca: true,
  })
}

function leaf(
  issuer: Issued,
  options: { notBefore?: number; names?: string[]; cn?: string; public?: boolean } = {},
) {
  return issueCertificate({
    subject: [['CN', options.cn ?? HOST]],
    key: ecKey(),
    issuer,
    notBefore: new Date(options.notBefore ?? CAPTURED_AT - 30 * DAY),
    notAfter: new Date(CAPTURED_AT + 60 * DAY),
    subjectAltNames: options.names ?? [`DNS:${HOST}`],
    aia: options.public ?? true,
    sct: options.public ?? true,
  })
}

function observe(chain: Issued[], overrides: Partial<TlsObservation> = {}): TlsObservation {
  const verified = overrides.verified ?? true
  return {
    host: HOST,
    port: 443,
    servername: HOST,
    capturedAt: new Date(CAPTURED_AT).toISOString(),
    durationMs: 40,
    protocol: 'TLSv1.3',
    cipher: 'TLS_AES_128_GCM_SHA256',
    chain: chain.map((cert): CertificateFacts => describeCertificate(cert.der)),
    verified,
    failure: verified ? null : 'ssl_unknown_authority',
    errorCode: verified ? null : 'SELF_SIGNED_CERT_IN_CHAIN',
    trustStore: 'mozilla',
    vantage: 'kz-almaty-1',
    round: 'r1',
    ...overrides,
  }
}

const publicRoot = root('Public Root')
const realLeaf = leaf(publicRoot)
const control = observe([realLeaf, publicRoot], { vantage: 'control-de-1' })
const kinds = (evidence: { kind: string }[]) => evidence.map((e) => e.kind)

describe('classifyTlsChain', () => {
  it('says handshake_failed with the failure when no chain was seen', () => {
    const verdict = classifyTlsChain(observe([], { verified: false, failure: 'connection_reset' }), {
      known,
      control,
    })
    expect(verdict).toMatchObject({
      verdict: 'handshake_failed',
      failure: 'connection_reset',
      evidence: [],
      interceptorSpki: null,
    })
  })

  it('says ok when the chain verifies and agrees with the control', () => {
    const verdict = classifyTlsChain(observe([realLeaf, publicRoot]), { known, control })
    expect(verdict.verdict).toBe('ok')
    expect(kinds(verdict.evidence)).toEqual(['matches_control'])
  })

  it('keeps ok for a verified chain that differs from the control, noting the difference', () => {
    // CDNs serve different, equally valid certificates from different places.
    const otherEdge = leaf(publicRoot)
    const verdict = classifyTlsChain(observe([otherEdge, publicRoot]), { known, control })
    expect(verdict.verdict).toBe('ok')
    expect(kinds(verdict.evidence)).toEqual(['leaf_differs_from_control'])
  })

  it('says known_interception for a listed root whatever else holds, even a verifying chain', () => {
    const qaznet = describeCertificate(shippedRoot(QAZNET_SHA256).der)
    const observation = observe([realLeaf])
    observation.chain.push(qaznet)
    const verdict = classifyTlsChain(observation, { known, control })
    expect(verdict.verdict).toBe('known_interception')
    expect(verdict.knownMatches.map((m) => m.entry)).toEqual([QAZNET_NAME])
    expect(verdict.interceptorSpki).toBe(qaznet.spkiSha256)
  })

  it('matches a config entry that gives only an SPKI hash', () => {
    const stateRoot = root('State Root')
    const intercepted = leaf(stateRoot, { public: false })
    const spki = describeCertificate(stateRoot.der).spkiSha256
    const list = loadKnownInterceptionList([{ name: 'State Root 2024', spkiSha256: spki.toUpperCase() }])
    const verdict = classifyTlsChain(observe([intercepted, stateRoot], { verified: false }), { known: list })
    expect(verdict.verdict).toBe('known_interception')
    expect(verdict.knownMatches).toEqual([
      {
        entry: 'State Root 2024',
        kind: 'spki',
        chainIndex: 1,
        certSha256: describeCertificate(stateRoot.der).sha256,
      },
    ])
    expect(kinds(verdict.evidence)).toContain('known_interception_spki')
  })

  it('says control_mismatch only when the differing chain also fails to verify', () => {
    const mitmRoot = root('Middlebox Root')
    const copied = leaf(mitmRoot, { public: false })
    const verdict = classifyTlsChain(observe([copied, mitmRoot], { verified: false }), { known, control })
    expect(verdict.verdict).toBe('control_mismatch')
    expect(kinds(verdict.evidence)).toEqual([
      'chain_not_verified',
      'leaf_differs_from_control',
      'issuer_differs_from_control',
      'missing_aia',
      'missing_sct',
      'copied_subject',
    ])
    expect(verdict.interceptorSubject).toBe('CN=Middlebox Root')
  })

  it('finds a copied subject through the names when the subject itself was changed', () => {
    const mitmRoot = root('Middlebox Root')
    const renamed = leaf(mitmRoot, { cn: 'intercepted', public: false })
    const verdict = classifyTlsChain(observe([renamed, mitmRoot], { verified: false }), { known, control })
    expect(verdict.evidence.find((e) => e.kind === 'copied_subject')?.detail).toContain('names')
  })

  it('uses pinned SPKI hashes when there is no control', () => {
    const mitmRoot = root('Middlebox Root')
    const observation = observe([leaf(mitmRoot), mitmRoot], { verified: false })
    const pinnedElsewhere = classifyTlsChain(observation, {
      known,
      pinnedSpki: [describeCertificate(publicRoot.der).spkiSha256],
    })
    expect(pinnedElsewhere.verdict).toBe('control_mismatch')
    expect(kinds(pinnedElsewhere.evidence)).toContain('spki_not_pinned')

    const pinnedHere = classifyTlsChain(observation, {
      known,
      pinnedSpki: [describeCertificate(mitmRoot.der).spkiSha256],
    })
    expect(pinnedHere.verdict).toBe('untrusted_root')
  })

  it('says untrusted_root without a control, and notes a control that saw nothing', () => {
    const self = observe([leaf(root('Lonely'))], { verified: false })
    expect(classifyTlsChain(self, { known }).verdict).toBe('untrusted_root')
    const failedControl = observe([], { verified: false, failure: 'generic_timeout_error' })
    const verdict = classifyTlsChain(self, { known, control: failedControl })
    expect(verdict.verdict).toBe('untrusted_root')
    expect(kinds(verdict.evidence)).toContain('control_unavailable')
  })

  it('refuses a control taken for another SNI', () => {
    let caught: unknown
    try {
      classifyTlsChain(observe([realLeaf, publicRoot]), {
        known,
        control: { ...control, servername: 'other.kz' },
      })
    } catch (error) {
      caught = error
    }
    expect(isVigilError(caught, 'interception.control_target_mismatch')).toBe(true)
  })
})

describe('leaf traits', () => {
  const traitsFor = (notBefore: number, issuer = publicRoot, backdating = {}) =>
    kinds(classifyTlsChain(observe([leaf(issuer, { notBefore }), issuer]), { known, backdating }).evidence)

  it('calls validity backdated when it starts between 1 and 48 hours before the capture', () => {
    expect(traitsFor(CAPTURED_AT - 5 * HOUR)).toContain('backdated_validity')
    expect(traitsFor(CAPTURED_AT - 47 * HOUR)).toContain('backdated_validity')
    expect(traitsFor(CAPTURED_AT - 30 * 60_000)).not.toContain('backdated_validity')
    expect(traitsFor(CAPTURED_AT - 3 * DAY)).not.toContain('backdated_validity')
    expect(traitsFor(CAPTURED_AT - 3 * DAY, publicRoot, { maxHoursBeforeCapture: 96 })).toContain(
      'backdated_validity',
    )
  })

  it('notes validity starting before the issuer existed', () => {
    const youngRoot = root('Young Root', CAPTURED_AT - HOUR)
    expect(traitsFor(CAPTURED_AT - 5 * HOUR, youngRoot)).toContain('validity_before_issuer')
    expect(traitsFor(CAPTURED_AT - 30 * 60_000, youngRoot)).not.toContain('validity_before_issuer')
  })

  it('reports traits on an ok verdict too', () => {
    const verdict = classifyTlsChain(observe([leaf(publicRoot, { public: false }), publicRoot]), { known })
    expect(verdict.verdict).toBe('ok')
    expect(kinds(verdict.evidence)).toEqual(['missing_aia', 'missing_sct'])
  })
})

describe('groupFindings', () => {
  const mitmRoot = root('Middlebox Root')
  const intercepted = (host: string, vantage: string, round: string) => {
    const names = [`DNS:${host}`]
    const theirs = observe([leaf(publicRoot, { cn: host, names }), publicRoot], { host, servername: host })
    const ours = observe([leaf(mitmRoot, { cn: host, names, public: false }), mitmRoot], {
      host,
      servername: host,
      verified: false,
      vantage,
      round,
    })
    return classifyTlsChain(ours, { known, control: theirs })
  }

  it('folds one interceptor on many hosts from one vantage in one round into one finding', () => {
    const verdicts = ['twitter.com', 'facebook.com', 'mail.ru'].map((host) => intercepted(host, 'kz-1', 'r1'))
    const findings = groupFindings([...verdicts, classifyTlsChain(control, { known, control })])
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({
      vantage: 'kz-1',
      round: 'r1',
      verdict: 'control_mismatch',
      hosts: ['facebook.com', 'mail.ru', 'twitter.com'],
      interceptorSubject: 'CN=Middlebox Root',
    })
    expect(findings[0]!.evidenceKinds).toContain('copied_subject')
  })

  it('keeps vantages and rounds apart, and ignores ok and failed handshakes', () => {
    const findings = groupFindings([
      intercepted('twitter.com', 'kz-1', 'r1'),
      intercepted('twitter.com', 'kz-2', 'r1'),
      intercepted('twitter.com', 'kz-1', 'r2'),
      classifyTlsChain(observe([realLeaf, publicRoot]), { known }),
      classifyTlsChain(observe([], { verified: false, failure: 'eof_error' }), { known }),
    ])
    expect(findings.map((f) => `${f.vantage}/${f.round}`)).toEqual(['kz-1/r1', 'kz-2/r1', 'kz-1/r2'])
  })

  it('counts untrusted_root only when asked', () => {
    const lonely = classifyTlsChain(observe([leaf(mitmRoot)], { verified: false }), { known })
    expect(groupFindings([lonely])).toEqual([])
    expect(groupFindings([lonely], { verdicts: ['untrusted_root'] })).toHaveLength(1)
  })
})

describe('toReport and earliestExpiry', () => {
  it('gives the JSON of `vigil tls-check --json`', () => {
    const qaznet = describeCertificate(shippedRoot(QAZNET_SHA256).der)
    const observation = observe([leaf(root('Security Certificate'), { public: false })], { verified: false })
    observation.chain.push(qaznet)
    const report = toReport(observation, classifyTlsChain(observation, { known }))
    const json = JSON.parse(JSON.stringify(report))
    expect(json).toMatchObject({
      verdict: 'known_interception',
      failure: 'ssl_unknown_authority',
      host: HOST,
    })
    expect(json.chain).toHaveLength(2)
    expect(Object.keys(json.chain[0])).toEqual(
      expect.arrayContaining(['sha256', 'spkiSha256', 'subject', 'issuer', 'knownInterception']),
    )
    expect(json.chain.map((c: { knownInterception: string | null }) => c.knownInterception)).toEqual([
      null,
      QAZNET_NAME,
    ])
  })

  it('reports a failed handshake with an empty chain', () => {
    const observation = observe([], { verified: false, failure: 'generic_timeout_error' })
    const report = toReport(observation, classifyTlsChain(observation, { known }))
    expect(report).toMatchObject({ verdict: 'handshake_failed', failure: 'generic_timeout_error', chain: [] })
    expect(earliestExpiry(observation)).toEqual({ leaf: null, chain: null })
  })

  it('gives the leaf and earliest chain expiry in Unix seconds', () => {
    const observation = observe([realLeaf, publicRoot])
    expect(earliestExpiry(observation)).toEqual({
      leaf: Date.parse(observation.chain[0]!.notAfter) / 1000,
      chain: Math.min(...observation.chain.map((c) => Date.parse(c.notAfter) / 1000)),
    })
  })
})

describe('failure strings', () => {
  it('orders validity, hostname and authority as OONI does', () => {
    expect(verificationFailure('CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', false).failure).toBe(
      'ssl_invalid_certificate',
    )
    expect(
      verificationFailure('SELF_SIGNED_CERT_IN_CHAIN', 'ERR_TLS_CERT_ALTNAME_INVALID', false).failure,
    ).toBe('ssl_invalid_hostname')
    expect(verificationFailure('CERT_SIGNATURE_FAILURE', null, false).failure).toBe('ssl_unknown_authority')
    expect(verificationFailure('CERT_SIGNATURE_FAILURE', null, true).failure).toBe('ssl_invalid_certificate')
    expect(verificationFailure(null, null, true)).toEqual({ failure: null, errorCode: null })
  })

  it('maps socket errors by code', () => {
    const error = (code: string, extra: object = {}) => Object.assign(new Error('x'), { code }, extra)
    expect(socketFailure(error('ECONNREFUSED', { syscall: 'connect' }))).toBe('connection_refused')
    expect(socketFailure(error('ECONNRESET', { syscall: 'read' }))).toBe('connection_reset')
    expect(socketFailure(error('ECONNRESET'))).toBe('eof_error')
    expect(socketFailure(error('ENOTFOUND', { syscall: 'getaddrinfo' }))).toBe('dns_nxdomain_error')
    expect(socketFailure(error('ERR_SSL_WRONG_VERSION_NUMBER'))).toBe('ssl_failed_handshake')
    expect(socketFailure(error('EWHATEVER'))).toBe('unknown_failure')
  })
})
