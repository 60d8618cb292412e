// Public names of @vigil/probes: the probe kinds, the runner, the failure vocabulary and the pure decisions
// (error classification, DNS tampering, block pages, titles) the probes are built from.
export { assessDnsAnswers, type DnsAssessment, isBogon } from './bogons.js'
export { buildVerifiedPath, type TrustAnchors, trustAnchors } from './chain.js'
export {
  AllAttemptsFailedError,
  CONNECTION_ATTEMPT_DELAY_MS,
  type Connected,
  connectHappyEyeballs,
  earliestExpiry,
  interleaveFamilies,
  MAX_CHAIN_CERTIFICATES,
  type Resolved,
  type ResolvedAddress,
  resolveHost,
  secureContextFor,
  sentX509,
} from './dial.js'
export { probeDns, rcodeOfError } from './dns.js'
export {
  classifyError,
  FAILURE_STRINGS,
  type FailureString,
  failureFromError,
  failureReason,
  type KnownFailure,
  ProbeFailure,
  ProbeTimeoutError,
} from './failures.js'
export {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_REDIRECTS,
  MAX_REDIRECT_BODY_BYTES,
  probeHttp,
  withoutPartialUtf8Tail,
} from './http.js'
export { extractTitle, type HopPosition, matchBlockPage, type PageFacts } from './page.js'
export {
  DEFAULT_USER_AGENT,
  probes,
  type RoundOptions,
  type RoundSummary,
  type RunOptions,
  runProbe,
  runRound,
} from './runner.js'
export { probeTcp } from './tcp.js'
export { probeTls } from './tls.js'
export * from './types.js'
