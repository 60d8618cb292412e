// certwatch's Prometheus metrics: blackbox_exporter's chain info and expiry under its names and labels,
// and Vigil's interception verdict as one 0/1 series per verdict, so an alert rule is `== 1`.

import { earliestExpiry, type TlsObservation, type TlsVerdictKind } from '@vigil/interception'
import { Counter, Gauge, type Registry, registerOnce } from '@vigil/metrics'

const VERDICTS: readonly TlsVerdictKind[] = [
  'known_interception',
  'control_mismatch',
  'untrusted_root',
  'ok',
  'handshake_failed',
]
const CHAIN_INFO_LABELS = ['target', 'vantage', 'fingerprint_sha256', 'subject', 'issuer'] as const

function gauge(registry: Registry, name: string, help: string, labelNames: readonly string[]) {
  return registerOnce(registry, name, () => new Gauge({ name, help, labelNames, registers: [registry] }))
}

function counter(registry: Registry, name: string, help: string, labelNames: readonly string[]) {
  return registerOnce(registry, name, () => new Counter({ name, help, labelNames, registers: [registry] }))
}

type ChainInfoLabels = Record<(typeof CHAIN_INFO_LABELS)[number], string>

// The chain info series last set per target and vantage, so a new leaf replaces it instead of adding one.
// Kept with the gauge, not the certwatch, so a certwatch created again on the same registry still finds it.
const chainInfoSeries = new WeakMap<object, Map<string, ChainInfoLabels>>()

export function createCertwatchMetrics(registry: Registry) {
  const chainInfo = gauge(
    registry,
    'probe_ssl_last_chain_info',
    'Always 1; the labels name the leaf certificate last presented for the target.',
    CHAIN_INFO_LABELS,
  )
  // The prober registers the same name; the label names must be the same for both to share it.
  const chainExpiry = gauge(
    registry,
    'probe_ssl_earliest_cert_expiry',
    'Earliest expiry among the certificates the server sent, in Unix seconds.',
    ['target', 'kind', 'vantage', 'region'],
  )
  const lastChainExpiry = gauge(
    registry,
    'probe_ssl_last_chain_expiry_timestamp_seconds',
    'Earliest expiry on the certificate path that verified, in Unix seconds.',
    ['target', 'kind', 'vantage', 'region'],
  )
  const leafExpiry = gauge(
    registry,
    'vigil_tls_leaf_expiry_timestamp_seconds',
    'Expiry of the presented leaf certificate, in Unix seconds.',
    ['target', 'vantage'],
  )
  const interception = gauge(
    registry,
    'vigil_tls_interception',
    'The interception verdict of the last check: 1 for the current verdict, 0 for the others.',
    ['target', 'vantage', 'verdict'],
  )
  const rounds = counter(registry, 'vigil_certwatch_rounds_total', 'certwatch rounds completed.', [])
  const roundDuration = gauge(
    registry,
    'vigil_certwatch_round_duration_seconds',
    'Duration of the last certwatch round.',
    [],
  )
  const interval = gauge(
    registry,
    'vigil_certwatch_interval_seconds',
    'Current certwatch interval (shorter inside rally windows).',
    [],
  )
  let lastChainInfo = chainInfoSeries.get(chainInfo)
  if (!lastChainInfo) {
    lastChainInfo = new Map()
    chainInfoSeries.set(chainInfo, lastChainInfo)
  }

  return {
    observe(
      target: string,
      vantage: string,
      region: string | null,
      observation: TlsObservation,
      verdict: TlsVerdictKind,
    ): void {
      for (const kind of VERDICTS)
        interception.set({ target, vantage, verdict: kind }, kind === verdict ? 1 : 0)
      const leaf = observation.chain[0]
      if (!leaf) return
      const key = `${target}\u0000${vantage}`
      const labels = {
        target,
        vantage,
        fingerprint_sha256: leaf.sha256,
        subject: leaf.subject,
        issuer: leaf.issuer,
      }
      const previous = lastChainInfo.get(key)
      if (previous && previous.fingerprint_sha256 !== labels.fingerprint_sha256) chainInfo.remove(previous)
      chainInfo.set(labels, 1)
      lastChainInfo.set(key, labels)
      const expiry = earliestExpiry(observation)
      if (expiry.chain !== null) {
        chainExpiry.set({ target, kind: 'tls', vantage, region: region ?? '' }, expiry.chain)
      }
      if (expiry.leaf !== null) leafExpiry.set({ target, vantage }, expiry.leaf)
      const path = observation.verifiedChain ?? []
      if (path.length > 0) {
        const earliest = Math.min(...path.map((cert) => Date.parse(cert.notAfter) / 1000))
        if (Number.isFinite(earliest))
          lastChainExpiry.set({ target, kind: 'tls', vantage, region: region ?? '' }, earliest)
      }
    },
    roundDone(durationMs: number): void {
      rounds.inc()
      roundDuration.set(durationMs / 1000)
    },
    interval(intervalMs: number): void {
      interval.set(intervalMs / 1000)
    },
  }
}

export type CertwatchMetrics = ReturnType<typeof createCertwatchMetrics>
