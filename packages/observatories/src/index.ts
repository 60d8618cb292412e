// @vigil/observatories: OONI and IODA data read from their documented JSON formats, mapped into Vigil's
// measurements and observatory tables, and imported idempotently.
export {
  type ImportFile,
  type ImportOptions,
  type IodaImportResult,
  importIodaFiles,
  importOoniFiles,
  type OoniImportResult,
} from './import.js'
export { ObservatoryImportError, parseJsonOrLines } from './import-error.js'
export { type IodaFile, parseIodaFile } from './ioda.js'
export { type OoniMeasurement, parseOoniFile, parseOoniTime } from './ooni.js'
export {
  createOoniPoller,
  type OoniPoller,
  type OoniPollerDeps,
  type OoniPollerSettings,
  type OoniPollResult,
  ooniListUrl,
} from './ooni-poller.js'
