// The certwatch service: TLS chain checks from this vantage, interception verdicts against the known list
// and the control vantage, stored observations, metrics and incidents; and the one-off check behind
// `vigil tls-check`.
export type { TlsReport, TlsVerdictKind } from '@vigil/interception'
export { toReport } from '@vigil/interception'
export { type Certwatch, type CertwatchCheck, type CertwatchDeps, createCertwatch } from './certwatch.js'
export {
  type CheckTlsOptions,
  checkTls,
  fromStoredObservation,
  knownListFromConfig,
  pinsFor,
  type TlsCheck,
  toStoredObservation,
} from './check.js'
export {
  type AppliedFindings,
  applyInterceptionFindings,
  type ClassifiedUpload,
  type ClassifyUploadOptions,
  classifyUploadedObservations,
  type InterceptionRound,
  type UploadedTlsObservation,
} from './findings.js'
export {
  agreesWithControl,
  INCIDENT_VERDICTS,
  type InterceptionVantage,
  incidentsToResolve,
  interceptionIdentity,
  interceptionSignal,
} from './incidents.js'
export { type CertwatchMetrics, createCertwatchMetrics } from './metrics.js'
export { type CertTarget, certwatchInterval, planCertTargets } from './plan.js'
