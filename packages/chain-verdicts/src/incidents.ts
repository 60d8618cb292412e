// What certwatch and the api's ingest tell the incidents table about interception: one incident per
// interceptor key in a country, whichever vantages see it, with each vantage's sightings in the evidence;
// and when a vantage's later chains show the interception is over for it. Pure.
import type { EvidenceKind, InterceptionFinding, TlsVerdict } from '@vigil/interception'
import {
  type InterceptionEvidence,
  type InterceptionVantageEntry,
  interceptionEvidenceSchema,
} from '@vigil/model'
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

/**
 * `https_interception|country|<ISO 3166-1 alpha-2>|<interceptor SPKI SHA-256>`: the interceptor's key is what
 * identifies the event, so every vantage in the country that is shown it updates the one incident.
 */
export function interceptionIdentity(country: string, interceptorSpki: string): string {
  return `https_interception|country|${country.toUpperCase()}|${interceptorSpki}`
}

/** The identity incidents had while there was one per vantage; such incidents may still be open. */
export function legacyInterceptionIdentity(vantageId: string, interceptorSpki: string): string {
  return `https_interception|vantage|${vantageId}|${interceptorSpki}`
}

/** The vantage whose chains were judged: certwatch's own, or the agent's whose chains the api classified. */
export interface InterceptionVantage {
  id: string
  region: string | null
  /** ISO 3166-1 alpha-2 of the vantage (the config's or the registry's). */
  country: string
}

/**
 * The vantages an open interception incident lists. Evidence written before incidents covered several
 * vantages has none: its one vantage is the incident's own (`vantageId`, `region`), seen on the evidence's
 * hosts from `startedAt` to `lastSeenAt`. Evidence that does not read as interception evidence gives [].
 */
export function vantagesOf(incident: Incident): InterceptionVantageEntry[] {
  const parsed = interceptionEvidenceSchema.safeParse(incident.evidence)
  if (!parsed.success) return []
  if (parsed.data.vantages) return parsed.data.vantages
  if (incident.vantageId === null) return []
  return [
    {
      id: incident.vantageId,
      region: incident.region,
      firstSeen: incident.startedAt.toISOString(),
      lastSeen: incident.lastSeenAt.toISOString(),
      hosts: parsed.data.hosts,
      clearedAt: null,
    },
  ]
}

function union<T>(a: readonly T[], b: readonly T[]): T[] {
  return [...new Set([...a, ...b])]
}

/** The one region every vantage is in, or null when they are in several (or none is placed). */
function commonRegion(vantages: readonly InterceptionVantageEntry[]): string | null {
  const regions = new Set(vantages.map((vantage) => vantage.region))
  return regions.size === 1 ? ([...regions][0] ?? null) : null
}

/**
 * The incident's one-line summary from its evidence: the interceptor, the vantages still seeing it (and how
 * many stopped) and the hosts.
 */
export function interceptionSummary(evidence: InterceptionEvidence): string {
  const vantages = evidence.vantages ?? []
  const seeing = vantages.filter((vantage) => !vantage.clearedAt)
  const cleared = vantages.length - seeing.length
  const who = evidence.knownInterception ?? evidence.interceptorSubject ?? evidence.interceptorSpki ?? '?'
  const from = `seen from ${seeing.length} vantage(s) (${seeing.map((v) => v.id).join(', ')})${cleared > 0 ? `, over for ${cleared} more` : ''}`
  const hosts = `${evidence.hosts.length} host(s): ${evidence.hosts.join(', ')}`
  return evidence.verdict === 'known_interception'
    ? `HTTPS interception with the known interception root ${who} ${from} on ${hosts}`
    : `HTTPS interception ${from}: chains under "${who}" differ from the control's and do not verify on ${hosts}`
}

/**
 * The signal for one round's finding from one vantage, merged into the interceptor's open incident when
 * there is one (`open`): this vantage is added to its `vantages` or its entry updated (first seen kept, last
 * seen moved to this round, hosts added, no longer cleared); hosts, targets, leaves and evidence kinds are
 * the union over the vantages, and a known root seen by any vantage makes the verdict `known_interception`.
 * The incident's region is the vantages' common region, or null (country-wide) once they are in several.
 */
export function interceptionSignal(
  vantage: InterceptionVantage,
  finding: InterceptionFinding,
  checks: readonly TlsCheck[],
  at: Date,
  open?: Incident,
): IncidentSignal {
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
      vantage: vantage.id,
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
  const parsed = open ? interceptionEvidenceSchema.safeParse(open.evidence) : undefined
  const before = parsed?.success ? parsed.data : undefined
  const round = at.toISOString()
  const previous = open ? vantagesOf(open) : []
  const own = previous.find((entry) => entry.id === vantage.id)
  const entry: InterceptionVantageEntry = {
    id: vantage.id,
    region: vantage.region,
    firstSeen: own && own.firstSeen < round ? own.firstSeen : round,
    lastSeen: own && own.lastSeen > round ? own.lastSeen : round,
    hosts: union(own?.hosts ?? [], finding.hosts).sort(),
    clearedAt: null,
  }
  const vantages = own
    ? previous.map((item) => (item.id === vantage.id ? entry : item))
    : [...previous, entry]
  const sameTarget = (a: { host: string; port: number; servername: string }) => (b: typeof a) =>
    a.host === b.host && a.port === b.port && a.servername === b.servername
  const targets = [...(before?.targets ?? [])]
  for (const target of finding.targets) if (!targets.some(sameTarget(target))) targets.push(target)
  const otherLeaves = (before?.leaves ?? []).filter(
    // Legacy leaves carry no vantage: they are the incident's own vantage's.
    (leaf) => (leaf.vantage ?? open?.vantageId) !== vantage.id,
  )
  const known = before?.knownInterception ?? finding.knownInterception
  const evidence: InterceptionEvidence = {
    verdict: known || before?.verdict === 'known_interception' ? 'known_interception' : finding.verdict,
    round: finding.round,
    hosts: union(before?.hosts ?? [], finding.hosts).sort(),
    targets,
    interceptorSpki: finding.interceptorSpki,
    interceptorSubject: before?.interceptorSubject ?? finding.interceptorSubject,
    interceptorIssuer: before?.interceptorIssuer ?? interceptorCert?.issuer ?? null,
    knownInterception: known,
    leafTraits: union(
      before?.leafTraits ?? [],
      finding.evidenceKinds.filter((kind) => LEAF_TRAITS.has(kind)),
    ).sort(),
    evidenceKinds: union(before?.evidenceKinds ?? [], finding.evidenceKinds).sort(),
    leaves: [...otherLeaves, ...leaves],
    vantages,
  }
  return {
    identity: open?.identity ?? interceptionIdentity(vantage.country, finding.interceptorSpki),
    kind: 'https_interception',
    scopeType: 'country',
    scope: vantage.country.toUpperCase(),
    region: commonRegion(vantages),
    updateRegion: true,
    // The vantage that first saw it; every vantage is in the evidence.
    vantageId: vantages[0]!.id,
    level: 'critical',
    state: 'firing',
    summary: interceptionSummary(evidence),
    evidence,
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

/** What a vantage's round does to one open interception incident it is listed in. */
export interface InterceptionClearance {
  incident: Incident
  /** The evidence with this vantage's entry marked cleared at the round. */
  evidence: InterceptionEvidence
  summary: string
  /** Every vantage of the incident is now cleared: the incident resolves. */
  resolve: boolean
}

/**
 * Open interception incidents this vantage's round shows over for this vantage: every host the vantage saw
 * intercepted that was checked in the round agrees with the control, and at least one was checked. A host
 * whose handshake failed says nothing about interception, so it keeps the vantage listed as seeing it.
 * The incident resolves when every vantage it lists is cleared. Incidents raised this round stay.
 */
export function interceptionClearances(
  open: readonly Incident[],
  checks: readonly TlsCheck[],
  vantageId: string,
  at: Date,
  raisedThisRound: ReadonlySet<string>,
): InterceptionClearance[] {
  const clearances: InterceptionClearance[] = []
  for (const incident of open) {
    if (incident.kind !== 'https_interception' || raisedThisRound.has(incident.identity)) continue
    const parsed = interceptionEvidenceSchema.safeParse(incident.evidence)
    // Evidence that does not read is left alone (fail closed: it is not declared over).
    if (!parsed.success) continue
    const vantages = vantagesOf(incident)
    const own = vantages.find((entry) => entry.id === vantageId)
    if (!own || own.clearedAt) continue
    const checked = checks.filter((check) => own.hosts.includes(check.observation.servername))
    if (checked.length === 0 || !checked.every((check) => agreesWithControl(check.verdict))) continue
    const updated = vantages.map((entry) =>
      entry.id === vantageId ? { ...entry, clearedAt: at.toISOString() } : entry,
    )
    const evidence: InterceptionEvidence = { ...parsed.data, vantages: updated }
    clearances.push({
      incident,
      evidence,
      summary: interceptionSummary(evidence),
      resolve: updated.every((entry) => entry.clearedAt),
    })
  }
  return clearances
}
