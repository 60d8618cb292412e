// One TLS check as certwatch and `vigil tls-check` run it: capture the chain, classify it against the
// known list, the control's chain and the pins; plus the conversions to and from a stored observation.

import type { VigilConfig } from '@vigil/config'
import {
  type CaptureOptions,
  type CertificateFacts,
  captureChain,
  classifyTlsChain,
  type KnownInterceptionEntry,
  loadKnownInterceptionList,
  normalizeFingerprint,
  type TlsFailure,
  type TlsObservation,
  type TlsVerdict,
} from '@vigil/interception'
import { storableJson } from '@vigil/outside-text'
import type { JsonObject, NewTlsObservation } from '@vigil/store'

/** The shipped Kazakh roots followed by the config's `interception.knownRoots`. */
export function knownListFromConfig(config: VigilConfig | undefined): KnownInterceptionEntry[] {
  return loadKnownInterceptionList(
    (config?.interception.knownRoots ?? []).map((root) => ({
      name: root.name,
      ...(root.sha256 === undefined ? {} : { certSha256: root.sha256 }),
      ...(root.spkiSha256 === undefined ? {} : { spkiSha256: root.spkiSha256 }),
      source: root.note ?? 'config',
    })),
  )
}

/** The pinned SPKI hashes for a server name (or, failing that, the host), or null when none are pinned. */
export function pinsFor(config: VigilConfig | undefined, servername: string, host: string): string[] | null {
  const pins = config?.interception.pins ?? []
  const match =
    pins.find((pin) => pin.host.toLowerCase() === servername.toLowerCase()) ??
    pins.find((pin) => pin.host.toLowerCase() === host.toLowerCase())
  return match ? match.spkiSha256.map(normalizeFingerprint) : null
}

export interface CheckTlsOptions {
  host: string
  port: number
  servername: string
  timeoutMs: number
  known: readonly KnownInterceptionEntry[]
  control?: TlsObservation | null
  pinnedSpki?: readonly string[] | null
  ca?: CaptureOptions['ca']
  signal?: AbortSignal
  vantage?: string | null
  round?: string | null
}

export interface TlsCheck {
  observation: TlsObservation
  verdict: TlsVerdict
}

export async function checkTls(options: CheckTlsOptions): Promise<TlsCheck> {
  const capture = await captureChain({
    host: options.host,
    port: options.port,
    servername: options.servername,
    timeoutMs: options.timeoutMs,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  })
  const observation: TlsObservation = {
    ...capture,
    vantage: options.vantage ?? null,
    round: options.round ?? null,
  }
  const verdict = classifyTlsChain(observation, {
    known: options.known,
    control: options.control ?? null,
    pinnedSpki: options.pinnedSpki ?? null,
  })
  return { observation, verdict }
}

/** The row certwatch stores for one check. */
export function toStoredObservation(
  check: TlsCheck,
  targetId: string,
  vantageId: string,
  idempotencyKey: string,
): NewTlsObservation {
  const { observation, verdict } = check
  return {
    measuredAt: new Date(observation.capturedAt),
    vantageId,
    targetId,
    host: observation.host,
    port: observation.port,
    sni: observation.servername,
    verdict: verdict.verdict,
    failure: verdict.failure,
    verified: observation.verified,
    // Certificate names and extensions are whatever the server sent: made storable where they enter.
    chain: storableJson(observation.chain) as unknown as JsonObject[],
    protocol: observation.protocol,
    cipher: observation.cipher,
    evidence: storableJson(verdict.evidence) as unknown as JsonObject[],
    knownMatch: verdict.knownMatches[0]?.entry ?? null,
    idempotencyKey,
  }
}

/** A stored (or uploaded) observation in the shape classifyTlsChain takes, placed in its round when known. */
export function fromStoredObservation(
  record: NewTlsObservation,
  round: string | null = null,
): TlsObservation {
  return {
    host: record.host,
    port: record.port,
    servername: record.sni,
    capturedAt: record.measuredAt.toISOString(),
    durationMs: 0,
    protocol: record.protocol,
    cipher: record.cipher,
    // Written by toStoredObservation from CertificateFacts; the chain column holds nothing else.
    chain: record.chain as unknown as CertificateFacts[],
    verified: record.verified,
    failure: record.failure as TlsFailure | null,
    errorCode: null,
    // Not stored; only an observation's own evidence mentions it, never the control's.
    trustStore: 'mozilla',
    vantage: record.vantageId,
    round,
  }
}
