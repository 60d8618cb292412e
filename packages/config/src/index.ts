// @vigil/config: reads and validates the one YAML file that configures Vigil, and answers the questions
// every service asks of it (which region is this name, is a rally window open now).

export {
  type FingerprintFile,
  type FingerprintOptions,
  MAX_FINGERPRINT_ROWS,
  parseOoniFingerprints,
  type SkippedFingerprint,
} from './fingerprints.js'
export { ConfigError, defaultConfigFile, formatConfigIssues, loadConfig, parseConfig } from './load.js'
export { activeRallyWindows, isInRallyWindow, localTimeToInstant, rallyWindows } from './rally.js'
export { normalizeRegionName, resolveRegion } from './regions.js'
export { groupsForVantage } from './targets.js'
export { loadTrust, type TrustSection, type TrustSettings, trustFromEnvironment } from './trust.js'
export * from './types.js'
export { formatBitRate, formatDuration, parseBitRate, parseByteSize, parseDuration } from './units.js'
export {
  configuredVantage,
  registeredVantage,
  type VantageRegistration,
  VantageRegistrationError,
} from './vantage-registry.js'
export { type WallClock, wallClock, zoneOffset } from './wall-clock.js'
