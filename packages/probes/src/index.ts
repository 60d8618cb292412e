// Public names of @vigil/probes: the probe kinds, the runner, the failure vocabulary and the pure decisions
// (error classification, DNS tampering, block pages, titles) the probes are built from.
export { assessDnsAnswers, type DnsAssessment, isBogon } from './bogons.js'
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
export { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_REDIRECTS, probeHttp } from './http.js'
export { extractTitle, matchBlockPage, type PageFacts } from './page.js'
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
