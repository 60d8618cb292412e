// @vigil/observatories: OONI and IODA data read from their documented JSON formats, mapped into Vigil's
// measurements and observatory tables, imported idempotently from files or polled live.

export { type FetchedPage, getJson, PollHttpError, retryAfterMs, type Validators } from './http.js'
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
export {
  createIodaPoller,
  type IodaEntity,
  type IodaPoller,
  type IodaPollerDeps,
  type IodaPollerSettings,
  type IodaPollReport,
  type IodaPollResult,
  iodaUrls,
} from './ioda-poller.js'
export { type OoniFile, type OoniMeasurement, parseOoniFile, parseOoniTime } from './ooni.js'
export {
  createOoniPoller,
  type OoniPoller,
  type OoniPollerDeps,
  type OoniPollerSettings,
  type OoniPollReport,
  type OoniPollResult,
  ooniListUrl,
  ooniRawUrl,
} from './ooni-poller.js'
export {
  OONI_VERDICT_READERS,
  type OoniVerdict,
  type OoniVerdictContext,
  type OoniVerdictStatus,
  ooniListVerdict,
  ooniVerdict,
} from './ooni-verdicts.js'
export { backoffMs, createPollLoop, type PollLoop, type PollReport, type PollTarget } from './poll-loop.js'
