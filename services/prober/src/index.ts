// The prober service: scheduled connectivity probes from this vantage, stored as measurements.
export { createProberMetrics } from './metrics.js'
export { type PlannedGroup, type PlannedProbe, planProbes } from './plan.js'
export { createProber, type ProbeObservation, type Prober, type ProberDeps } from './prober.js'
export { currentInterval, roundJitter } from './schedule.js'
