// From classified TLS checks to incidents, for certwatch's own rounds and for the rounds agents upload: the
// chains are classified against the control and the pins, grouped per interceptor, raised and resolved.
import type { VigilConfig } from '@vigil/config'
import { classifyTlsChain, groupFindings, type KnownInterceptionEntry } from '@vigil/interception'
import {
  getVantage,
  type Incident,
  latestControlObservation,
  lockOpenIncident,
  type NewTlsObservation,
  openIncidents,
  raiseIncident,
  resolveIncident,
  type Sql,
} from '@vigil/store'
import type { Logger } from 'pino'
import { fromStoredObservation, knownListFromConfig, pinsFor, type TlsCheck } from './check.js'
import {
  INCIDENT_VERDICTS,
  type InterceptionVantage,
  interceptionClearances,
  interceptionIdentity,
  interceptionSignal,
} from './incidents.js'

/** One round of checks from one vantage, every check already classified. */
export interface InterceptionRound {
  vantage: InterceptionVantage
  checks: readonly TlsCheck[]
  /** When the round started; incidents raised from it start here. */
  at: Date
}

export interface AppliedFindings {
  /** Incidents raised or updated by this round, by identity. */
  raised: Incident[]
  resolved: Incident[]
}

/**
 * Raises (or updates) the one incident of each interceptor seen in the round, adding this vantage to the
 * vantages it lists, and marks this vantage cleared on the open incidents the round shows over for it; an
 * incident every vantage of which is cleared resolves. Each incident is read, merged and written under its
 * identity's lock, so two vantages reporting at once both end up in it. Safe to apply twice: a raised
 * incident is updated, not doubled.
 */
export async function applyInterceptionFindings(
  sql: Sql,
  round: InterceptionRound,
  logger?: Pick<Logger, 'info' | 'warn'>,
): Promise<AppliedFindings> {
  const { vantage, checks, at } = round
  const findings = groupFindings(
    checks.map((check) => check.verdict),
    { verdicts: INCIDENT_VERDICTS },
  )
  const raised: Incident[] = []
  for (const finding of findings) {
    const identity = interceptionIdentity(vantage.country, finding.interceptorSpki)
    const result = await sql.begin(async (tx) => {
      const open = await lockOpenIncident(tx, identity)
      return raiseIncident(tx, interceptionSignal(vantage, finding, checks, at, open))
    })
    raised.push(result.incident)
    if (result.opened)
      logger?.warn({ incident: result.incident.id, hosts: finding.hosts }, result.incident.summary)
    else logger?.info({ incident: result.incident.id, vantage: vantage.id }, 'HTTPS interception seen again')
  }
  const identities = new Set(raised.map((incident) => incident.identity))
  const resolved: Incident[] = []
  const candidates = interceptionClearances(
    await openIncidents(sql, 'https_interception'),
    checks,
    vantage.id,
    at,
    identities,
  )
  for (const candidate of candidates) {
    const done = await sql.begin(async (tx) => {
      // Read again under the lock: another vantage may have seen it again meanwhile.
      const current = await lockOpenIncident(tx, candidate.incident.identity)
      if (!current) return undefined
      const [clearance] = interceptionClearances([current], checks, vantage.id, at, identities)
      if (!clearance) return undefined
      if (clearance.resolve) {
        return resolveIncident(tx, current.identity, at, {
          ...clearance.evidence,
          resolution: {
            round: checks[0]?.verdict.round ?? null,
            reason: 'chains verify and agree with the control from every vantage that saw the interception',
          },
        })
      }
      // Still seen from another vantage: the evidence says this one is over; last seen stays.
      await raiseIncident(tx, {
        identity: current.identity,
        kind: current.kind,
        scopeType: current.scopeType,
        scope: current.scope,
        region: current.region,
        vantageId: current.vantageId,
        level: current.level,
        state: 'firing',
        summary: clearance.summary,
        evidence: clearance.evidence,
        at: current.lastSeenAt,
      })
      return undefined
    })
    if (done) {
      resolved.push(done)
      logger?.info({ incident: done.id }, 'HTTPS interception no longer seen; incident resolved')
    } else {
      logger?.info(
        { incident: candidate.incident.id, vantage: vantage.id },
        'HTTPS interception over for this vantage',
      )
    }
  }
  return { raised, resolved }
}

/** A TLS observation an agent uploaded, with the certwatch round it was taken in. */
export interface UploadedTlsObservation {
  observation: NewTlsObservation
  round: string
}

export interface ClassifiedUpload {
  /** The observations with the central verdict, evidence and known match in place of the agent's. */
  observations: NewTlsObservation[]
  /** The uploaded rounds, oldest first, ready for applyInterceptionFindings. */
  rounds: InterceptionRound[]
}

export interface ClassifyUploadOptions {
  /** The api's config: its pins and known roots; without it, the shipped known roots alone. */
  config?: VigilConfig | undefined
  vantageId: string
  observations: readonly UploadedTlsObservation[]
  /** How old a control observation may be, before the uploaded one, and still be compared with. */
  controlMaxAgeMs?: number
  /** The known list, when the caller keeps one rather than building it per upload. */
  known?: readonly KnownInterceptionEntry[]
}

/**
 * Classifies uploaded chains as certwatch would have with a database: against the latest control chain for
 * the same host and SNI at the time each was taken, the pins and the known roots. Reads only.
 */
export async function classifyUploadedObservations(
  sql: Sql,
  options: ClassifyUploadOptions,
): Promise<ClassifiedUpload> {
  const { config, vantageId } = options
  const known = options.known ?? knownListFromConfig(config)
  const controlMaxAgeMs = options.controlMaxAgeMs ?? 2 * (config?.interception.interval ?? 15 * 60_000)
  const declared = await getVantage(sql, vantageId)
  const vantage: InterceptionVantage = {
    id: vantageId,
    region: declared?.region ?? null,
    country: declared?.country ?? config?.country ?? 'unknown',
  }
  const byRound = new Map<string, TlsCheck[]>()
  const observations: NewTlsObservation[] = []
  for (const { observation, round } of options.observations) {
    // A control vantage is the reference itself, as in certwatch.
    const control =
      declared?.role === 'control'
        ? undefined
        : await latestControlObservation(sql, {
            host: observation.host,
            sni: observation.sni,
            since: new Date(observation.measuredAt.getTime() - controlMaxAgeMs),
            excludeVantage: vantageId,
          })
    const captured = fromStoredObservation(observation, round)
    const verdict = classifyTlsChain(captured, {
      known,
      control: control ? fromStoredObservation(control) : null,
      pinnedSpki: pinsFor(config, observation.sni, observation.host),
    })
    observations.push({
      ...observation,
      verdict: verdict.verdict,
      failure: verdict.failure,
      evidence: verdict.evidence as unknown as NewTlsObservation['evidence'],
      knownMatch: verdict.knownMatches[0]?.entry ?? null,
    })
    const checks = byRound.get(round) ?? []
    checks.push({ observation: captured, verdict })
    byRound.set(round, checks)
  }
  const rounds = [...byRound.entries()]
    .sort(([a], [b]) => Date.parse(a) - Date.parse(b))
    .map(([round, checks]) => ({ vantage, checks, at: new Date(round) }))
  return { observations, rounds }
}
