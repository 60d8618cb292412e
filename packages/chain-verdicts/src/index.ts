// Judging captured TLS chains where they are stored, whoever captured them (this process' certwatch or an
// agent's upload): verdicts against the control vantage's chain, the pins and the known interception
// roots, and the https_interception incidents the findings raise and resolve.
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
  type InterceptionClearance,
  type InterceptionVantage,
  interceptionClearances,
  interceptionIdentity,
  interceptionSignal,
  interceptionSummary,
  legacyInterceptionIdentity,
  vantagesOf,
} from './incidents.js'
