// Storage for every Vigil service: one postgres.js client over an embedded or a real PostgreSQL.

export {
  ACK_COMMENT_MAX,
  type Acknowledgement,
  type AcknowledgeResult,
  acknowledgeIncident,
  acknowledgementsOf,
  unacknowledgeIncident,
} from './acknowledgements.js'
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
export {
  API_KEY_PREFIX,
  API_KEY_SCOPES,
  type ApiKeyRecord,
  type ApiKeyScope,
  authenticateApiKey,
  type CreatedApiKey,
  createApiKey,
  generateApiKey,
  hashApiKey,
  isApiKeyScope,
  listApiKeys,
  revokeApiKey,
  scopeIncludes,
} from './api-keys.js'
export {
  authenticateOperatorSession,
  createOperatorSession,
  deleteOperatorSession,
} from './board-sessions.js'
export { BufferedWriter, type BufferedWriterOptions } from './buffered-writer.js'
export {
  EMBEDDED_MEMORY_SETTINGS,
  type OpenStoreOptions,
  openStore,
  type Sql,
  type Store,
  type TransactionSql,
} from './connect.js'
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
  lockOpenIncident,
  openIncidents,
  queryIncidents,
  type RaiseResult,
  raiseIncident,
  resolveIncident,
} from './incidents.js'
export { announceInDataDirLock, type DataDirHolder, dataDirHolder } from './lock.js'
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
  type CityCount,
  type CountQualifier,
  createReport,
  type DedupDecision,
  getReport,
  getSource,
  type InsertedNewsItems,
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
  type SourceDegradation,
  type SourceFetchRecord,
  type SourceHealthState,
  type SourceRecord,
  type StoredSource,
  storedNewsItemKeys,
  storedNewsItemMatch,
  storeNewsItems,
  updateReport,
  upsertSources,
} from './news.js'
export {
  markReceiverFailing,
  markReceiverWorking,
  type ReceiverStatus,
  receiverStatuses,
  releaseNotification,
  type ThreadRoot,
  threadRootOf,
} from './notification-threads.js'
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
  type OoniLaneRow,
  queryObservatoryEvents,
  queryObservatorySignals,
  queryOoniMeasurements,
} from './observatories.js'
export {
  getPoller,
  listPollers,
  type PollerHealthState,
  type PollerRecord,
  type PollOutcome,
  recordPoll,
} from './observatory-pollers.js'
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
  deleteExpired,
  RETENTION_TABLES,
  type RetentionOptions,
  type RetentionPolicy,
  type RetentionResult,
  type RetentionTable,
} from './retention.js'
export {
  bucketMiddleMs,
  DURATION_BUCKETS_PER_DOUBLING,
  DURATION_PERCENTILE_RELATIVE_ERROR,
  durationBucket,
  histogramPercentile,
  type RollUpOptions,
  type RollUpResult,
  rollUpDirtyHours,
} from './rollups.js'
export {
  activeSilences,
  createSilence,
  deleteSilence,
  listSilences,
  type NewSilence,
  type StoredSilence,
} from './silences.js'
export {
  confirmedSubscribers,
  confirmSubscription,
  getSubscriber,
  requestSubscription,
  type StatusSubscriber,
  type SubscriberScopeType,
  type SubscriberState,
  type SubscriptionRequest,
  unsubscribe,
} from './status-subscribers.js'
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
