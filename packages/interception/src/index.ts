// Public names of @vigil/interception: TLS chain capture, the known-interception list, verdicts,
// grouping into findings and the report shape. certwatch and `vigil tls-check` build on these.

export { type CaptureOptions, captureChain, socketFailure, verificationFailure } from './capture.js'
export {
  certificatesFromPem,
  describeCertificate,
  EXTENSION_OID,
  normalizeFingerprint,
  sha256Hex,
} from './certificate.js'
export {
  type BackdatingThresholds,
  type ClassifyContext,
  classifyTlsChain,
  DEFAULT_BACKDATING,
  leafTraits,
} from './classify.js'
export { type DerExtension, type ParsedCertificateDer, parseCertificateDer } from './der.js'
export { type GroupOptions, groupFindings } from './group.js'
export {
  type KnownInterceptionInput,
  loadKnownInterceptionList,
  matchKnownInterception,
} from './known-list.js'
export { earliestExpiry, toReport } from './report.js'
export type * from './types.js'
