// The alerter service: detection over stored windows, incidents kept in the store.
export { type Alerter, type AlerterDeps, createAlerter, type EvaluationResult } from './alerter.js'
export { detectionSettings } from './settings.js'
