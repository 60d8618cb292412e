// The in-country agent's parts, for the `vigil agent` command and for tests that run an agent in-process.
export {
  type AgentOptions,
  type RunningAgent,
  type SpooledRecord,
  startAgent,
  toIngestMeasurement,
  toIngestTlsObservation,
} from './run-agent.js'
export {
  createUploader,
  nextUploadDelay,
  parseRetryAfter,
  toIngestBatch,
  type Uploader,
  type UploaderDeps,
  type UploadOutcome,
} from './uploader.js'
