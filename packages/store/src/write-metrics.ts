// Metrics every buffered writer reports, by table: rows written, rows waiting, write errors, rows dropped,
// rows quarantined. Creating them for a table sets that table's counters to 0.
import { Counter, Gauge, type Registry, registerOnce } from '@vigil/metrics'

export function createWriteMetrics(registry: Registry, table: string) {
  const written = registerOnce(
    registry,
    'vigil_store_rows_written_total',
    () =>
      new Counter({
        name: 'vigil_store_rows_written_total',
        help: 'Rows written to the store, by table.',
        labelNames: ['table'],
        registers: [registry],
      }),
  )
  const pending = registerOnce(
    registry,
    'vigil_store_rows_pending',
    () =>
      new Gauge({
        name: 'vigil_store_rows_pending',
        help: 'Rows buffered in memory waiting to be written, by table.',
        labelNames: ['table'],
        registers: [registry],
      }),
  )
  const errors = registerOnce(
    registry,
    'vigil_store_write_errors_total',
    () =>
      new Counter({
        name: 'vigil_store_write_errors_total',
        help: 'Failed batch writes (the rows are kept and retried), by table.',
        labelNames: ['table'],
        registers: [registry],
      }),
  )
  const dropped = registerOnce(
    registry,
    'vigil_store_rows_dropped_total',
    () =>
      new Counter({
        name: 'vigil_store_rows_dropped_total',
        help: 'Rows dropped because the write buffer was full during a long outage, by table.',
        labelNames: ['table'],
        registers: [registry],
      }),
  )
  const quarantined = registerOnce(
    registry,
    'vigil_store_rows_quarantined_total',
    () =>
      new Counter({
        name: 'vigil_store_rows_quarantined_total',
        help: 'Rows the database refused for their data, kept in the quarantine table instead, by table.',
        labelNames: ['table'],
        registers: [registry],
      }),
  )
  // The table's series exist from the start at 0, so a first quarantined or dropped row is an increase
  // Prometheus can see (a series born at 1 has no increase).
  for (const counter of [written, errors, dropped, quarantined]) counter.inc({ table }, 0)
  return {
    quarantined: (n: number) => quarantined.inc({ table }, n),
    written: (n: number) => written.inc({ table }, n),
    pending: (n: number) => pending.set({ table }, n),
    error: () => errors.inc({ table }),
    dropped: (n: number) => dropped.inc({ table }, n),
  }
}
