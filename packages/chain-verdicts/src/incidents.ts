// What certwatch tells the incidents table, decided from one round's checks: one incident per vantage and
// interceptor key, and when a later round's chains show the interception has stopped. Pure.
import type { EvidenceKind, InterceptionFinding, TlsVerdict } from '@vigil/interception'
import type { InterceptionEvidence } from '@vigil/model'
import type { Incident, IncidentSignal } from '@vigil/store'
import type { TlsCheck } from './check.js'

/** Findings with these verdicts open an incident; an untrusted root alone may be the server's own doing. */
export const INCIDENT_VERDICTS = ['known_interception', 'control_mismatch'] as const

// Evidence kinds that describe the leaf itself rather than its comparison with the list or the control.
const LEAF_TRAITS: ReadonlySet<EvidenceKind> = new Set<EvidenceKind>([
  'low_rsa_exponent',
  'backdated_validity',
  'validity_before_issuer',
  'missing_aia',
  'missing_sct',
  'copied_subject',
  'self_signed_leaf',
])

/** Stable per vantage and interceptor key, so every round that sees the same interceptor updates one incident. */
export function interceptionIdentity(vantageId: string, interceptorSpki: string): string {
  return `https_interception|vantage|${vantageId}|${interceptorSpki}`
}

/** The vantage an incident is raised for: certwatch's own, or the agent's whose chains the api classified. */
export interface InterceptionVantage {
  id: string
  region: string | null
}

export function interceptionSignal(
  vantage: InterceptionVantage,
  finding: InterceptionFinding,
  checks: readonly TlsCheck[],
  at: Date,
): IncidentSignal {
  const vantageId = vantage.id
  const mine = checks.filter(
    (check) =>
      check.verdict.interceptorSpki === finding.interceptorSpki &&
      finding.hosts.includes(check.observation.servername) &&
      (INCIDENT_VERDICTS as readonly string[]).includes(check.verdict.verdict),
  )
  const interceptorCert = mine
    .flatMap((check) => check.observation.chain)
    .find((cert) => cert.spkiSha256 === finding.interceptorSpki)
  const leaves = mine.map((check) => {
    const leaf = check.observation.chain[0]!
    return {
      host: check.observation.host,
      port: check.observation.port,
      servername: check.observation.servername,
      verdict: check.verdict.verdict,
      failure: check.verdict.failure,
      sha256: leaf.sha256,
      subject: leaf.subject,
      issuer: leaf.issuer,
      rsaPublicExponent: leaf.rsaPublicExponent,
      notBefore: leaf.notBefore,
      traits: check.verdict.evidence.filter((e) => LEAF_TRAITS.has(e.kind)).map((e) => e.kind),
    }
  })
  const leafTraits = finding.evidenceKinds.filter((kind) => LEAF_TRAITS.has(kind))
  const hostList = finding.hosts.join(', ')
  const who = finding.knownInterception ?? finding.interceptorSubject ?? finding.interceptorSpki
  const summary =
    finding.verdict === 'known_interception'
      ? `HTTPS interception from ${vantageId} with the known interception root ${who} on ${finding.hosts.length} host(s): ${hostList}`
      : `HTTPS interception from ${vantageId}: ${finding.hosts.length} host(s) present chains under "${who}" that differ from the control's and do not verify: ${hostList}`
  return {
    identity: interceptionIdentity(vantageId, finding.interceptorSpki),
    kind: 'https_interception',
    scopeType: 'vantage',
    scope: vantageId,
    region: vantage.region,
    vantageId,
    level: 'critical',
    state: 'firing',
    summary,
    evidence: {
      verdict: finding.verdict,
      round: finding.round,
      hosts: finding.hosts,
      targets: finding.targets,
      interceptorSpki: finding.interceptorSpki,
      interceptorSubject: finding.interceptorSubject,
      interceptorIssuer: interceptorCert?.issuer ?? null,
      knownInterception: finding.knownInterception,
      leafTraits,
      evidenceKinds: finding.evidenceKinds,
      leaves,
    } satisfies InterceptionEvidence,
    at,
  }
}

/**
 * The chain agrees with what is expected: it verifies, comes from the control's issuer and holds a
 * pinned key. A leaf that differs from the control's alone does not count against it: servers rotate
 * leaves and load balancers serve several, all from the same issuer.
 */
export function agreesWithControl(verdict: TlsVerdict): boolean {
  return (
    verdict.verdict === 'ok' &&
    !verdict.evidence.some((e) => e.kind === 'issuer_differs_from_control' || e.kind === 'spki_not_pinned')
  )
}

/**
 * Open interception incidents of this vantage that this round shows over: every host of the incident
 * checked in the round agrees with the control, and at least one was checked. A host whose handshake
 * failed says nothing about interception, so it keeps the incident open. Incidents raised this round stay.
 */
export function incidentsToResolve(
  open: readonly Incident[],
  checks: readonly TlsCheck[],
  vantageId: string,
  raisedThisRound: ReadonlySet<string>,
): Incident[] {
  return open.filter((incident) => {
    if (incident.kind !== 'https_interception' || incident.vantageId !== vantageId) return false
    if (raisedThisRound.has(incident.identity)) return false
    const hosts = Array.isArray(incident.evidence.hosts) ? (incident.evidence.hosts as unknown[]) : []
    const checked = checks.filter((check) => hosts.includes(check.observation.servername))
    return checked.length > 0 && checked.every((check) => agreesWithControl(check.verdict))
  })
}
