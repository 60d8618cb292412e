// Storage for every Vigil service: one postgres.js client over an embedded or a real PostgreSQL.

export {
  type AgentTokenRecord,
  authenticateAgentToken,
  type CreatedAgentToken,
  createAgentToken,
  ensureVantage,
  generateAgentToken,
  type Heartbeat,
  hashAgentToken,
  listAgentTokens,
  listVantageHealth,
  recordHeartbeat,
  revokeAgentToken,
  type VantageHealth,
  type VantageStatus,
  vantageStatus,
} from './agents.js'
export { BufferedWriter, type BufferedWriterOptions } from './buffered-writer.js'
export { type OpenStoreOptions, openStore, type Sql, type Store, type TransactionSql } from './connect.js'
export {
  type DurationRow,
  durationMedians,
  hourlyScopeShares,
  type LatestSeriesRow,
  type LivenessRow,
  latestSeries,
  type ScopeShareRow,
  vantageLiveness,
} from './detection-reads.js'
export { isTransient, SqlState, sqlState } from './errors.js'
export { type ExportOptions, measurementPageEnd, streamIncidents, streamMeasurements } from './exports.js'
export {
  type Incident,
  type IncidentFilter,
  type IncidentKind,
  type IncidentLevel,
  type IncidentScopeType,
  type IncidentSignal,
  type IncidentState,
  openIncidents,
  queryIncidents,
  type RaiseResult,
  raiseIncident,
  resolveIncident,
} from './incidents.js'
export { insertMeasurementBatch } from './measurement-batches.js'
export {
  insertMeasurements,
  type Measurement,
  type MeasurementFilter,
  type NewMeasurement,
  queryMeasurements,
} from './measurements.js'
export { listMigrations, type MigrateResult, type Migration, migrate } from './migrate.js'
export {
  type CountQualifier,
  createReport,
  getReport,
  getSource,
  insertNewsItems,
  listSources,
  type NewNewsItem,
  type NewReport,
  type NewsItemRecord,
  type NewsSourceType,
  queryReports,
  type Report,
  type ReportChange,
  type ReportCount,
  type ReportFilter,
  type ReportWithItems,
  recordSourceFetch,
  reportsOnDay,
  type SourceFetchRecord,
  type SourceHealthState,
  type SourceRecord,
  type StoredSource,
  storedNewsItemKeys,
  updateReport,
  upsertSources,
} from './news.js'
export {
  countUndeliveredNotifications,
  type DeliveryFailure,
  insertNotifications,
  type LeaseOptions,
  leaseNotifications,
  markNotificationFailed,
  markNotificationSent,
  type NewNotification,
  type Notification,
  type NotificationChannel,
  type NotificationEvent,
  type NotificationFilter,
  type NotificationState,
  type NotifiedItem,
  notifiedItems,
  queryNotifications,
} from './notifications.js'
export {
  insertObservatoryEvents,
  insertObservatorySignals,
  latestOoniMeasurementAt,
  type ObservatoryEvent,
  type ObservatoryRange,
  type ObservatorySignalPoint,
  queryObservatoryEvents,
  queryObservatorySignals,
} from './observatories.js'
export {
  isDataError,
  type QuarantinedRow,
  type QuarantineRecord,
  quarantineRows,
  queryQuarantine,
  writeIsolatingBadRows,
} from './quarantine.js'
export {
  type RegionBucketRow,
  type RegionTlsVerdictRow,
  regionAvailabilityBuckets,
  regionTlsVerdicts,
} from './report-reads.js'
export {
  activeSilences,
  createSilence,
  deleteSilence,
  listSilences,
  type NewSilence,
  type StoredSilence,
} from './silences.js'
export {
  type ControlLookup,
  insertTlsObservations,
  type JsonObject,
  latestControlObservation,
  type NewTlsObservation,
  queryTlsObservations,
  type TlsObservationFilter,
  type TlsObservationRecord,
} from './tls-observations.js'
export {
  getVantage,
  type TargetRecord,
  upsertTargets,
  upsertVantage,
  type VantageRecord,
} from './vantages.js'
export { createWriteMetrics } from './write-metrics.js'
