// The closed word lists every stage shares: vantage roles and network types, target purposes, incident
// kinds, levels, states and scope types, and where a measurement came from. Declared once, here.

/** Where a vantage measures from (DESIGN: inside-out, outside-in, control). */
export const VANTAGE_ROLES = ['in_country', 'outside', 'control'] as const
export type VantageRole = (typeof VANTAGE_ROLES)[number]

/**
 * The access network a vantage sits on. Cuts in 2019 took mobile networks down while fixed lines stayed
 * up, so a scope can be one network type of a region; `unknown` when nobody said.
 */
export const NETWORK_TYPES = ['mobile', 'fixed', 'unknown'] as const
export type NetworkType = (typeof NETWORK_TYPES)[number]

export const PROBE_KINDS = ['dns', 'tcp', 'tls', 'http', 'https'] as const
export type ProbeKind = (typeof PROBE_KINDS)[number]

/** What a target group is for, which decides who probes it and how detection reads it. */
export const GROUP_PURPOSES = ['service', 'control', 'outside_in'] as const
export type GroupPurpose = (typeof GROUP_PURPOSES)[number]

export const INCIDENT_KINDS = [
  'blackout',
  'service_blocking',
  'throttling',
  'dns_tampering',
  'https_interception',
  'detention_report',
  'monitor_offline',
] as const
export type IncidentKind = (typeof INCIDENT_KINDS)[number]

export const INCIDENT_LEVELS = ['info', 'warning', 'critical'] as const
export type IncidentLevel = (typeof INCIDENT_LEVELS)[number]

export const INCIDENT_STATES = ['pending', 'firing', 'resolved'] as const
export type IncidentState = (typeof INCIDENT_STATES)[number]

export const INCIDENT_SCOPE_TYPES = ['country', 'region', 'network', 'vantage', 'target', 'report'] as const
export type IncidentScopeType = (typeof INCIDENT_SCOPE_TYPES)[number]

/**
 * Where a stored measurement came from: `vigil` is a local prober writing straight to the store, `agent`
 * an agent's upload, `ooni` an import of OONI's data. The first two are Vigil's own vantages and feed
 * detection, baselines and reports; imported data is a separate, labelled source.
 */
export const MEASUREMENT_SOURCES = ['vigil', 'agent', 'ooni'] as const
export type MeasurementSource = (typeof MEASUREMENT_SOURCES)[number]
export const OWN_MEASUREMENT_SOURCES = ['vigil', 'agent'] as const satisfies readonly MeasurementSource[]
export const IMPORTED_MEASUREMENT_SOURCES = ['ooni'] as const satisfies readonly MeasurementSource[]
