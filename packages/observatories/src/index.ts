// @vigil/observatories: OONI and IODA data read from their documented JSON formats, mapped into Vigil's
// measurements and observatory tables, imported idempotently from files or polled live.
export {
  type ImportFaults,
  type ImportFile,
  type ImportOptions,
  type IodaImportResult,
  importIodaFiles,
  importOoniFiles,
  type OoniImportResult,
  writeIoda,
  writeOoni,
} from './import.js'
export { ObservatoryImportError, parseJsonOrLines, type RejectedRecord } from './import-error.js'
export { type IodaFile, parseIodaFile } from './ioda.js'
export { type OoniFile, type OoniMeasurement, parseOoniFile, parseOoniTime } from './ooni.js'
export {
  createOoniPoller,
  type OoniPoller,
  type OoniPollerDeps,
  type OoniPollerSettings,
  type OoniPollResult,
  ooniListUrl,
} from './ooni-poller.js'
export {
  OONI_VERDICT_READERS,
  type OoniVerdict,
  type OoniVerdictContext,
  type OoniVerdictStatus,
  ooniListVerdict,
  ooniVerdict,
} from './ooni-verdicts.js'
