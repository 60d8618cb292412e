// Storage for every Vigil service: one postgres.js client over an embedded or a real PostgreSQL.

export { BufferedWriter, type BufferedWriterOptions } from './buffered-writer.js'
export { type OpenStoreOptions, openStore, type Sql, type Store, type TransactionSql } from './connect.js'
export { isTransient, SqlState, sqlState } from './errors.js'
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
export {
  insertMeasurements,
  type Measurement,
  type MeasurementFilter,
  type NewMeasurement,
  queryMeasurements,
} from './measurements.js'
export { listMigrations, type MigrateResult, type Migration, migrate } from './migrate.js'
export { type TargetRecord, upsertTargets, upsertVantage, type VantageRecord } from './vantages.js'
export { createWriteMetrics } from './write-metrics.js'
