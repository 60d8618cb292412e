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
export {
  controlViews,
  DEFAULT_MIN_FAILURES,
  DEFAULT_SLOW_BODY_BITS_PER_SECOND,
  isSlowBody,
  type JudgeRules,
  judgeTarget,
  judgeTargets,
  type TargetState,
  type TargetVerdict,
} from './service-verdicts.js'
export {
  DEFAULT_MIN_EXTRA_MS,
  detectDnsTampering,
  detectServiceBlocking,
  detectThrottling,
} from './services.js'
export { median } from './stats.js'
export * from './types.js'
