// The in-country agent's parts, for the `vigil agent` command and for tests that run an agent in-process.
export { type AgentOptions, type RunningAgent, startAgent, toIngestMeasurement } from './run-agent.js'
export {
  createUploader,
  nextUploadDelay,
  parseRetryAfter,
  type Uploader,
  type UploaderDeps,
  type UploadOutcome,
} from './uploader.js'
