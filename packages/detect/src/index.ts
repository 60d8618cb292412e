// Detection: pure decisions over windows of stored measurements. The alerter reads, calls these, writes.
export {
  type BlackoutInput,
  type BlackoutResult,
  baselineOf,
  DEFAULT_COUNTRY_RULE,
  detectBlackouts,
  MIN_BASELINE_BUCKETS,
} from './blackout.js'
export {
  type DecisionRow,
  decideRegion,
  type InsideView,
  type OthersView,
  type OutsideInView,
  REGION_DECISION_TABLE,
  type RegionOutcome,
} from './blackout-table.js'
export {
  decideIncident,
  type IncidentDecision,
  type IncidentTiming,
  type OpenIncidentView,
} from './incident-state.js'
export { detectDnsTampering, detectServiceBlocking, detectThrottling } from './services.js'
export { median } from './stats.js'
export * from './types.js'
