// The interception verdict for one captured chain: pure, so certwatch, the CLI and the tests give the
// same answer for the same facts, and stored observations can be re-classified when the list grows.

import { VigilError } from '@vigil/errors'
import { normalizeFingerprint } from './certificate.js'
import { matchKnownInterception } from './known-list.js'
import type {
  CertificateFacts,
  Evidence,
  KnownInterceptionEntry,
  KnownInterceptionMatch,
  TlsObservation,
  TlsVerdict,
  TlsVerdictKind,
} from './types.js'

const HOUR_MS = 3_600_000

/**
 * When a leaf's validity start counts as backdated. Interceptors mint a leaf the first time they see a
 * host and date it a few hours back so that clients with slow clocks accept it (Qaznet did, 2019).
 */
export interface BackdatingThresholds {
  /** Validity must start at least this long before the capture... */
  minHoursBeforeCapture: number
  /** ...and at most this long: older leaves are ordinary certificates, not freshly minted ones. */
  maxHoursBeforeCapture: number
}

export const DEFAULT_BACKDATING: BackdatingThresholds = {
  minHoursBeforeCapture: 1,
  maxHoursBeforeCapture: 48,
}

export interface ClassifyContext {
  known: readonly KnownInterceptionEntry[]
  /** The control vantage's capture for the same SNI. */
  control?: TlsObservation | null
  /** SPKI SHA-256 pins for this host: a chain that holds none of them differs from what is expected. */
  pinnedSpki?: readonly string[] | null
  backdating?: Partial<BackdatingThresholds>
}

/**
 * One verdict per observation:
 * - `handshake_failed`: no chain was seen;
 * - `known_interception`: a presented certificate is on the list by certificate or SPKI hash, or the
 *   chain was issued by a listed root (issuer name and authority key identifier);
 * - `control_mismatch`: the chain does not verify and its leaf or issuer differs from the control's, or
 *   it holds none of the pinned keys;
 * - `untrusted_root`: the chain does not verify and nothing contradicts the server sending it (no
 *   control, or the control sees the same chain, which is the server's own misconfiguration);
 * - `ok`: the chain verifies (evidence still notes any difference from the control).
 */
export function classifyTlsChain(observation: TlsObservation, context: ClassifyContext): TlsVerdict {
  const base = {
    target: { host: observation.host, port: observation.port, servername: observation.servername },
    vantage: observation.vantage ?? null,
    round: observation.round ?? null,
  }
  const { chain } = observation
  const leaf = chain[0]
  if (!leaf) {
    return {
      ...base,
      verdict: 'handshake_failed',
      failure: observation.failure ?? 'unknown_failure',
      knownMatches: [],
      evidence: [],
      interceptorSpki: null,
      interceptorSubject: null,
    }
  }

  const control = context.control ?? null
  if (control && control.servername !== observation.servername) {
    throw new VigilError(
      'interception.control_target_mismatch',
      `The control capture is for SNI ${control.servername}, the observation for ${observation.servername}`,
      { hint: 'Pair each in-country observation with the control capture of the same SNI.' },
    )
  }

  const evidence: Evidence[] = []
  const knownMatches = matchKnownInterception(chain, context.known)
  for (const match of knownMatches) evidence.push(knownMatchEvidence(match, chain))
  if (!observation.verified) {
    evidence.push({
      kind: 'chain_not_verified',
      detail: `The chain does not verify against the ${observation.trustStore === 'mozilla' ? 'Mozilla' : 'configured'} roots (${observation.failure ?? 'unknown_failure'})`,
    })
  }

  const differs = compareWithExpected(observation, leaf, control, context.pinnedSpki ?? null, evidence)
  evidence.push(...leafTraits(observation, control, context.backdating))

  let verdict: TlsVerdictKind
  if (knownMatches.length > 0) verdict = 'known_interception'
  else if (!observation.verified && differs) verdict = 'control_mismatch'
  else if (!observation.verified) verdict = 'untrusted_root'
  else verdict = 'ok'

  return {
    ...base,
    verdict,
    failure: observation.failure,
    knownMatches,
    evidence,
    ...interceptor(chain, knownMatches, context.known),
  }
}

/** Records how the chain compares with the control and the pins; true when it differs from either. */
function compareWithExpected(
  observation: TlsObservation,
  leaf: CertificateFacts,
  control: TlsObservation | null,
  pinnedSpki: readonly string[] | null,
  evidence: Evidence[],
): boolean {
  let differs = false
  const controlLeaf = control?.chain[0]
  if (control && !controlLeaf) {
    evidence.push({
      kind: 'control_unavailable',
      detail: `The control saw no chain (${control.failure ?? 'unknown_failure'}); nothing to compare with`,
    })
  }
  if (controlLeaf) {
    const leafDiffers = leaf.sha256 !== controlLeaf.sha256
    const issuerDiffers =
      leaf.issuer !== controlLeaf.issuer ||
      (leaf.authorityKeyId !== null &&
        controlLeaf.authorityKeyId !== null &&
        leaf.authorityKeyId !== controlLeaf.authorityKeyId)
    if (leafDiffers) {
      evidence.push({
        kind: 'leaf_differs_from_control',
        detail: `Leaf ${leaf.sha256} differs from the control's ${controlLeaf.sha256}`,
      })
    }
    if (issuerDiffers) {
      evidence.push({
        kind: 'issuer_differs_from_control',
        detail: `Leaf issued by "${leaf.issuer}", the control's by "${controlLeaf.issuer}"`,
      })
    }
    if (!leafDiffers && !issuerDiffers) {
      evidence.push({
        kind: 'matches_control',
        detail: 'The control sees the same leaf from the same issuer',
      })
    }
    differs = leafDiffers || issuerDiffers
  }
  if (pinnedSpki && pinnedSpki.length > 0) {
    const pins = new Set(pinnedSpki.map(normalizeFingerprint))
    if (!observation.chain.some((cert) => pins.has(cert.spkiSha256))) {
      evidence.push({
        kind: 'spki_not_pinned',
        detail: `No presented key is among the ${pins.size} pinned SPKI hashes for ${observation.servername}`,
      })
      differs = true
    }
  }
  return differs
}

/**
 * Traits of the leaf that interceptors leave behind, reported whatever the verdict:
 * - `low_rsa_exponent`: RSA public exponent below 65537 (Qaznet leaves used 3);
 * - `backdated_validity`: validity starts between `minHoursBeforeCapture` and `maxHoursBeforeCapture`
 *   before the capture, i.e. the leaf was minted in the last two days yet dated hours back;
 * - `validity_before_issuer`: validity starts before the presented issuer's own, when no CA could have
 *   signed it;
 * - `missing_aia` / `missing_sct`: no Authority Information Access, no embedded SCT list (publicly
 *   trusted leaves carry both; SCTs sent in the handshake or OCSP are not seen here);
 * - `self_signed_leaf`: the leaf names itself as issuer;
 * - `copied_subject`: the chain does not verify, its leaf differs from the control's yet carries the
 *   same subject or the same names, from another issuer.
 */
export function leafTraits(
  observation: TlsObservation,
  control: TlsObservation | null = null,
  backdating: Partial<BackdatingThresholds> = {},
): Evidence[] {
  const leaf = observation.chain[0]
  if (!leaf) return []
  const thresholds = { ...DEFAULT_BACKDATING, ...backdating }
  const traits: Evidence[] = []

  if (leaf.rsaPublicExponent !== null && leaf.rsaPublicExponent < 65537) {
    traits.push({ kind: 'low_rsa_exponent', detail: `Leaf RSA public exponent is ${leaf.rsaPublicExponent}` })
  }
  const notBefore = Date.parse(leaf.notBefore)
  const hoursBefore = (Date.parse(observation.capturedAt) - notBefore) / HOUR_MS
  if (hoursBefore >= thresholds.minHoursBeforeCapture && hoursBefore <= thresholds.maxHoursBeforeCapture) {
    traits.push({
      kind: 'backdated_validity',
      detail: `Leaf validity starts ${hoursBefore.toFixed(1)} h before the capture (${leaf.notBefore}): minted recently, dated back`,
    })
  }
  const issuer = observation.chain[1]
  if (issuer && notBefore < Date.parse(issuer.notBefore)) {
    const hours = (Date.parse(issuer.notBefore) - notBefore) / HOUR_MS
    traits.push({
      kind: 'validity_before_issuer',
      detail: `Leaf validity starts ${hours.toFixed(1)} h before its issuer's (${issuer.notBefore})`,
    })
  }
  if (!leaf.hasAuthorityInfoAccess) {
    traits.push({ kind: 'missing_aia', detail: 'Leaf has no Authority Information Access extension' })
  }
  if (!leaf.hasSctList) {
    traits.push({ kind: 'missing_sct', detail: 'Leaf has no embedded Certificate Transparency SCT list' })
  }
  if (leaf.selfIssued) {
    traits.push({ kind: 'self_signed_leaf', detail: `Leaf is self-issued ("${leaf.subject}")` })
  }
  const controlLeaf = control?.chain[0]
  if (
    controlLeaf &&
    !observation.verified &&
    leaf.sha256 !== controlLeaf.sha256 &&
    leaf.issuer !== controlLeaf.issuer
  ) {
    const sameSubject = leaf.subject === controlLeaf.subject
    const sameNames =
      leaf.subjectAltNames.length > 0 && sameSet(leaf.subjectAltNames, controlLeaf.subjectAltNames)
    if (sameSubject || sameNames) {
      traits.push({
        kind: 'copied_subject',
        detail: `The control's leaf ${sameSubject ? 'subject' : 'names'} reappear under the untrusted issuer "${leaf.issuer}"`,
      })
    }
  }
  return traits
}

function knownMatchEvidence(match: KnownInterceptionMatch, chain: readonly CertificateFacts[]): Evidence {
  const cert = chain[match.chainIndex]!
  switch (match.kind) {
    case 'certificate':
      return {
        kind: 'known_interception_certificate',
        detail: `Chain position ${match.chainIndex} is ${match.entry} (certificate ${cert.sha256})`,
      }
    case 'spki':
      return {
        kind: 'known_interception_spki',
        detail: `Chain position ${match.chainIndex} carries the key of ${match.entry} (SPKI ${cert.spkiSha256})`,
      }
    case 'issuer_key_id':
      return {
        kind: 'issued_by_known_interception',
        detail: `Chain position ${match.chainIndex} ("${cert.subject}") was issued by ${match.entry}`,
      }
  }
}

// An interceptor reuses its CA key for every host, so that key identifies it across a round.
function interceptor(
  chain: readonly CertificateFacts[],
  matches: readonly KnownInterceptionMatch[],
  known: readonly KnownInterceptionEntry[],
): Pick<TlsVerdict, 'interceptorSpki' | 'interceptorSubject'> {
  const first = matches[0]
  if (first) {
    const cert = chain[first.chainIndex]!
    if (first.kind !== 'issuer_key_id')
      return { interceptorSpki: cert.spkiSha256, interceptorSubject: cert.subject }
    const entry = known.find((e) => e.name === first.entry)
    return {
      interceptorSpki: entry?.spkiSha256 ?? cert.spkiSha256,
      interceptorSubject: entry?.subject ?? cert.issuer,
    }
  }
  const top = chain[chain.length - 1]!
  return { interceptorSpki: top.spkiSha256, interceptorSubject: top.subject }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a.map((name) => name.toLowerCase()))
  const right = new Set(b.map((name) => name.toLowerCase()))
  return left.size === right.size && [...left].every((name) => right.has(name))
}
