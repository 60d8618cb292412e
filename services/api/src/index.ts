// The api service: HTTP access to what Vigil stores, health and metrics.
export { type ApiDeps, buildApp } from './app.js'
export {
  CLOCK_SKEW_TOLERANCE_MS,
  type HeartbeatBody,
  type IngestBatch,
  type IngestMeasurement,
  type IngestResponse,
  type IngestTlsObservation,
} from './routes/ingest.js'
