// The certwatch service: TLS chain checks from this vantage, interception verdicts against the known list
// and the control vantage, stored observations, metrics and incidents; and the one-off check behind
// `vigil tls-check`.

// Verdicts and interception incidents live in @vigil/chain-verdicts; re-exported for this service's users.
export {
  type AppliedFindings,
  agreesWithControl,
  applyInterceptionFindings,
  type CheckTlsOptions,
  type ClassifiedUpload,
  type ClassifyUploadOptions,
  checkTls,
  classifyUploadedObservations,
  fromStoredObservation,
  INCIDENT_VERDICTS,
  type InterceptionClearance,
  type InterceptionRound,
  type InterceptionVantage,
  interceptionClearances,
  interceptionIdentity,
  interceptionSignal,
  interceptionSummary,
  knownListFromConfig,
  pinsFor,
  type TlsCheck,
  toStoredObservation,
  type UploadedTlsObservation,
} from '@vigil/chain-verdicts'
export type { TlsReport, TlsVerdictKind } from '@vigil/interception'
export { toReport } from '@vigil/interception'
export { type Certwatch, type CertwatchCheck, type CertwatchDeps, createCertwatch } from './certwatch.js'
export { type CertwatchMetrics, createCertwatchMetrics } from './metrics.js'
export { type CertTarget, certwatchInterval, planCertTargets } from './plan.js'
