// The api service: HTTP access to what Vigil stores, health and metrics.
export {
  type Access,
  bearer,
  bearerCredential,
  type Principal,
  ROUTE_ACCESS,
  routeAccess,
} from './access.js'
export { type ApiDeps, buildApp } from './app.js'
export { type LocalControl, serveLocalControl } from './local-control.js'
export { type MetricsListener, startMetricsListener } from './metrics-listener.js'
export { MAX_IMPORT_BYTES, registerTokenVantage, type TokenVantageResult } from './routes/admin.js'
export {
  CLOCK_SKEW_TOLERANCE_MS,
  type HeartbeatBody,
  type IngestBatch,
  type IngestMeasurement,
  type IngestResponse,
  type IngestTlsObservation,
} from './routes/ingest.js'
