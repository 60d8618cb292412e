// Each OONI test's own verdict, read from the keys its specification (ooni/spec, nettests/ts-*.md) defines,
// mapped to Vigil's ok/failure. A check that says "blocked" is an anomaly; the measurement is ok only when
// every check the test defines says it worked; anything else (a test Vigil has no reader for, a key
// missing or of the wrong type, a value the spec does not list) is `unknown`, never ok.
import { isObject } from './import-error.js'
import { failureString, rawScalars } from './storable.js'

/**
 * - `ok`: every check of the test worked.
 * - `anomaly`: a check reported blocking or tampering (OONI's "anomaly").
 * - `down`: web_connectivity only: the site failed for the probe and OONI's control alike, so the failure
 *   is not attributed to blocking (ts-017: blocking false, accessible false).
 * - `unknown`: the verdict could not be read.
 */
export type OoniVerdictStatus = 'ok' | 'anomaly' | 'down' | 'unknown'

export interface OoniVerdict {
  status: OoniVerdictStatus
  /**
   * Null when ok. Otherwise OONI's own failure string (df-007-errors) where the measurement has one, else
   * the name of the key or value that reported the blocking (e.g. `telegram_tcp_blocking`), and `unknown`
   * for an unknown verdict.
   */
  failure: string | null
  /** The verdict keys as read (bounded), or the raw top-level scalars of an unreadable verdict. */
  keys: Record<string, unknown>
  /** Why the verdict is unknown. */
  reason?: string
}

/** What a reader may need besides test_keys: some specs make a verdict of some versions untrustworthy. */
export interface OoniVerdictContext {
  testVersion: string | null
  measuredAt: Date
}

type Reader = (keys: Record<string, unknown>, context: OoniVerdictContext) => OoniVerdict

const ok = (keys: Record<string, unknown>): OoniVerdict => ({ status: 'ok', failure: null, keys })
const anomaly = (failure: string, keys: Record<string, unknown>): OoniVerdict => ({
  status: 'anomaly',
  failure,
  keys,
})
const unknown = (reason: string, testKeys: Record<string, unknown>): OoniVerdict => ({
  status: 'unknown',
  failure: 'unknown',
  keys: rawScalars(testKeys),
  reason,
})

/** A boolean verdict key: true, false, or undefined when absent, null or not a boolean. */
const flag = (value: unknown): boolean | undefined => (typeof value === 'boolean' ? value : undefined)
/** A status key that the spec defines as "ok" | "blocked". */
const status = (value: unknown): 'ok' | 'blocked' | undefined =>
  value === 'ok' || value === 'blocked' ? value : undefined

/** The first failure string among `tcp_connect[].status.failure` (df-005-tcpconnect). */
function tcpConnectFailure(testKeys: Record<string, unknown>): string | null {
  if (!Array.isArray(testKeys.tcp_connect)) return null
  for (const entry of testKeys.tcp_connect) {
    if (isObject(entry) && isObject(entry.status)) {
      const failure = failureString(entry.status.failure)
      if (failure) return failure
    }
  }
  return null
}

/** The first failure string among the entries of a df-001/df-002/df-006 list (`requests`, `queries`, ...). */
function listFailure(list: unknown, ssl = false): string | null {
  if (!Array.isArray(list)) return null
  for (const entry of list) {
    if (!isObject(entry)) continue
    const failure = failureString(entry.failure)
    if (failure && (!ssl || failure.startsWith('ssl_'))) return failure
  }
  return null
}

/**
 * Several checks, each blocked, ok or not readable: an anomaly when any is blocked, ok only when all
 * are ok, unknown otherwise.
 */
function combine(
  checks: Array<{ name: string; state: 'ok' | 'blocked' | undefined; failure: () => string | null }>,
  keys: Record<string, unknown>,
  testKeys: Record<string, unknown>,
): OoniVerdict {
  const blocked = checks.filter((check) => check.state === 'blocked')
  if (blocked.length > 0) {
    // OONI's own failure string where any blocked check has one; the first blocked key's name otherwise.
    const failure = blocked.map((check) => check.failure()).find((found) => found !== null)
    return anomaly(failure ?? blocked[0]!.name, keys)
  }
  const unread = checks.filter((check) => check.state === undefined).map((check) => check.name)
  if (unread.length === 0) return ok(keys)
  return { ...unknown(`verdict keys missing or not as specified: ${unread.join(', ')}`, testKeys), keys }
}

const fromFlag = (value: unknown): 'ok' | 'blocked' | undefined => {
  const read = flag(value)
  return read === undefined ? undefined : read ? 'blocked' : 'ok'
}

// ts-017: `blocking` is false, "dns", "tcp_ip", "http-failure", "http-diff" or null; `accessible` true,
// false or null. Only blocking false with accessible true is a success.
const webConnectivity: Reader = (testKeys) => {
  const blocking = testKeys.blocking
  const accessible = testKeys.accessible
  const dnsFailure = failureString(testKeys.dns_experiment_failure)
  const httpFailure = failureString(testKeys.http_experiment_failure)
  const tlsFailure = listFailure(testKeys.tls_handshakes, true)
  const keys = {
    blocking: typeof blocking === 'string' || typeof blocking === 'boolean' ? blocking : null,
    accessible: flag(accessible) ?? null,
    dns_experiment_failure: dnsFailure,
    http_experiment_failure: httpFailure,
    control_failure: failureString(testKeys.control_failure),
    tls_failures: Array.isArray(testKeys.tls_handshakes)
      ? testKeys.tls_handshakes
          .map((handshake) => (isObject(handshake) ? failureString(handshake.failure) : null))
          .filter((failure): failure is string => failure !== null)
          .slice(0, 10)
      : [],
  }
  switch (blocking) {
    case 'dns':
      return anomaly(dnsFailure ?? 'dns', keys)
    case 'tcp_ip':
      return anomaly(tcpConnectFailure(testKeys) ?? 'tcp_ip', keys)
    case 'http-failure':
      // A certificate the probe refused says more (interception) than the HTTP failure it caused.
      return anomaly(tlsFailure ?? httpFailure ?? 'http-failure', keys)
    case 'http-diff':
      return anomaly('http-diff', keys)
    case true:
      // Very old reports wrote a bare true.
      return anomaly(dnsFailure ?? httpFailure ?? 'blocking', keys)
    case false:
      if (accessible === true) return ok(keys)
      if (accessible === false) {
        return { status: 'down', failure: httpFailure ?? dnsFailure ?? 'inaccessible', keys }
      }
      return { ...unknown('blocking is false but accessible is not a boolean', testKeys), keys }
    default:
      return {
        ...unknown(
          blocking === null || blocking === undefined
            ? `blocking is null: the test could not decide${keys.control_failure ? ` (control_failure ${keys.control_failure})` : ''}`
            : 'blocking has a value the specification does not list',
          testKeys,
        ),
        keys,
      }
  }
}

// ts-020: TCP to the access points, HTTP to them, and the web version.
const telegram: Reader = (testKeys) => {
  const keys = {
    telegram_tcp_blocking: flag(testKeys.telegram_tcp_blocking) ?? null,
    telegram_http_blocking: flag(testKeys.telegram_http_blocking) ?? null,
    telegram_web_status: status(testKeys.telegram_web_status) ?? null,
    telegram_web_failure: failureString(testKeys.telegram_web_failure),
  }
  return combine(
    [
      {
        name: 'telegram_tcp_blocking',
        state: fromFlag(testKeys.telegram_tcp_blocking),
        failure: () => tcpConnectFailure(testKeys),
      },
      {
        name: 'telegram_http_blocking',
        state: fromFlag(testKeys.telegram_http_blocking),
        failure: () => listFailure(testKeys.requests),
      },
      {
        name: 'telegram_web_status',
        state: status(testKeys.telegram_web_status),
        failure: () => keys.telegram_web_failure,
      },
    ],
    keys,
    testKeys,
  )
}

// ts-018: the app's endpoints, the registration server and WhatsApp Web.
const whatsapp: Reader = (testKeys) => {
  const blockedEndpoints = Array.isArray(testKeys.whatsapp_endpoints_blocked)
    ? testKeys.whatsapp_endpoints_blocked
        .filter((entry): entry is string => typeof entry === 'string')
        .slice(0, 20)
    : []
  const keys = {
    whatsapp_endpoints_status: status(testKeys.whatsapp_endpoints_status) ?? null,
    whatsapp_endpoints_blocked: blockedEndpoints.map((entry) => failureString(entry)),
    registration_server_status: status(testKeys.registration_server_status) ?? null,
    registration_server_failure: failureString(testKeys.registration_server_failure),
    whatsapp_web_status: status(testKeys.whatsapp_web_status) ?? null,
    whatsapp_web_failure: failureString(testKeys.whatsapp_web_failure),
  }
  return combine(
    [
      {
        name: 'whatsapp_endpoints_status',
        state: status(testKeys.whatsapp_endpoints_status),
        failure: () => tcpConnectFailure(testKeys),
      },
      {
        name: 'registration_server_status',
        state: status(testKeys.registration_server_status),
        failure: () => keys.registration_server_failure,
      },
      {
        name: 'whatsapp_web_status',
        state: status(testKeys.whatsapp_web_status),
        failure: () => keys.whatsapp_web_failure,
      },
    ],
    keys,
    testKeys,
  )
}

// ts-019: DNS consistency and TCP reachability of the Messenger endpoints; up to version 0.3.0 the keys
// used "-" where later versions use "_".
const facebookMessenger: Reader = (testKeys) => {
  const tcp = testKeys.facebook_tcp_blocking ?? testKeys['facebook-tcp-blocking']
  const dns = testKeys.facebook_dns_blocking ?? testKeys['facebook-dns-blocking']
  const keys = { facebook_tcp_blocking: flag(tcp) ?? null, facebook_dns_blocking: flag(dns) ?? null }
  return combine(
    [
      { name: 'facebook_dns_blocking', state: fromFlag(dns), failure: () => listFailure(testKeys.queries) },
      { name: 'facebook_tcp_blocking', state: fromFlag(tcp), failure: () => tcpConnectFailure(testKeys) },
    ],
    keys,
    testKeys,
  )
}

// ts-029 ("Data analysis considerations"): blocked verdicts of test_version <= 0.2.1 after 2022-10-19 and
// of test_version <= 0.2.3 after 2023-11-07 are false positives (Signal changed a root, then dropped an
// endpoint), so they are not read as blocking.
const SIGNAL_UNTRUSTED = [
  { maxVersion: [0, 2, 1], after: Date.parse('2022-10-19T00:00:00Z') },
  { maxVersion: [0, 2, 3], after: Date.parse('2023-11-07T00:00:00Z') },
]

const signal: Reader = (testKeys, context) => {
  const keys = {
    signal_backend_status: status(testKeys.signal_backend_status) ?? null,
    signal_backend_failure: failureString(testKeys.signal_backend_failure),
  }
  const verdict = combine(
    [
      {
        name: 'signal_backend_status',
        state: status(testKeys.signal_backend_status),
        failure: () => keys.signal_backend_failure,
      },
    ],
    keys,
    testKeys,
  )
  if (verdict.status === 'anomaly' && context.testVersion !== null) {
    const version = context.testVersion.split('.').map(Number)
    const untrusted = SIGNAL_UNTRUSTED.find(
      (rule) => context.measuredAt.getTime() > rule.after && compareVersions(version, rule.maxVersion) <= 0,
    )
    if (untrusted) {
      return {
        ...unknown(
          `signal test_version ${context.testVersion} reports false positives after ${new Date(untrusted.after).toISOString().slice(0, 10)} (ts-029)`,
          testKeys,
        ),
        keys,
      }
    }
  }
  return verdict
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const left = a[i] ?? 0
    const right = b[i] ?? 0
    if (Number.isNaN(left)) return 1
    if (left !== right) return left - right
  }
  return 0
}

// ts-028: a bootstrap failure, or lookups through every address of the resolver failing, is an anomaly;
// the resolver works when a lookup through at least one of its addresses worked.
const dnscheck: Reader = (testKeys) => {
  const bootstrapFailure = failureString(testKeys.bootstrap_failure)
  const lookups = isObject(testKeys.lookups) ? Object.entries(testKeys.lookups) : []
  const failed = lookups
    .filter(([, lookup]) => isObject(lookup) && failureString(lookup.failure) !== null)
    .map(([endpoint, lookup]) => [
      failureString(endpoint),
      failureString((lookup as Record<string, unknown>).failure),
    ])
  const worked = lookups.filter(([, lookup]) => isObject(lookup) && lookup.failure === null)
  const keys = {
    domain: failureString(testKeys.domain),
    bootstrap_failure: bootstrapFailure,
    lookups: lookups.length,
    failed_lookups: Object.fromEntries(failed.slice(0, 10)),
  }
  if (bootstrapFailure) return anomaly(bootstrapFailure, keys)
  if (worked.length > 0) return ok(keys)
  if (failed.length > 0 && failed.length === lookups.length) return anomaly(failed[0]![1]!, keys)
  return { ...unknown('no lookup with a readable result', testKeys), keys }
}

// ts-023: targets by protocol; a protocol none of whose targets was reachable is blocked.
const TOR_PROTOCOLS = ['dir_port', 'obfs4', 'or_port_dirauth', 'or_port'] as const

const tor: Reader = (testKeys) => {
  const targets = isObject(testKeys.targets) ? Object.values(testKeys.targets).filter(isObject) : []
  const counts: Record<string, { total: number; accessible: number; failure: string | null }> = {}
  for (const target of targets) {
    const protocol = typeof target.target_protocol === 'string' ? target.target_protocol : 'other'
    const entry = counts[protocol] ?? { total: 0, accessible: 0, failure: null }
    entry.total += 1
    const failure = failureString(target.failure)
    if (target.failure === null) entry.accessible += 1
    else entry.failure ??= failure
    counts[protocol] = entry
  }
  // Without the targets (a sanitised or older report), the counters the spec defines.
  if (targets.length === 0) {
    for (const protocol of TOR_PROTOCOLS) {
      const total = testKeys[`${protocol}_total`]
      const accessible = testKeys[`${protocol}_accessible`]
      if (typeof total === 'number' && typeof accessible === 'number' && total > 0) {
        counts[protocol] = { total, accessible, failure: null }
      }
    }
  }
  const keys = Object.fromEntries(
    Object.entries(counts)
      .slice(0, 10)
      .map(([protocol, entry]) => [failureString(protocol) ?? 'other', entry]),
  )
  const entries = Object.entries(counts)
  if (entries.length === 0) return { ...unknown('no tor target results', testKeys), keys }
  const blocked = entries.find(([, entry]) => entry.total > 0 && entry.accessible === 0)
  if (blocked) return anomaly(blocked[1].failure ?? `tor_${blocked[0]}_blocked`, keys)
  return ok(keys)
}

// ts-015: bootstrap_time > 0 and failure null is working; a failure is an anomaly; bootstrap_time 0
// without a failure "should not happen" and is not read.
const psiphon: Reader = (testKeys) => {
  const failure = failureString(testKeys.failure)
  const bootstrap = testKeys.bootstrap_time
  const keys = { failure, bootstrap_time: typeof bootstrap === 'number' ? bootstrap : null }
  if (failure) return anomaly(failure, keys)
  if (testKeys.failure === null && typeof bootstrap === 'number' && bootstrap > 0) return ok(keys)
  return { ...unknown('failure null with no positive bootstrap_time', testKeys), keys }
}

// ts-026: since ooniprobe 3.19 `api_failures` and `ca_cert_status`; before, `api_status`, `api_failure`,
// `ca_cert_status`, and `transport_status` per transport (the spec's main indicator for gateways).
const riseupvpn: Reader = (testKeys) => {
  const apiFailures = Array.isArray(testKeys.api_failures)
    ? testKeys.api_failures.map(failureString).filter((failure): failure is string => failure !== null)
    : []
  const transports = isObject(testKeys.transport_status) ? testKeys.transport_status : {}
  const keys = {
    api_failures: apiFailures.slice(0, 10),
    api_status: status(testKeys.api_status) ?? null,
    api_failure: failureString(testKeys.api_failure),
    ca_cert_status: flag(testKeys.ca_cert_status) ?? null,
    transport_status: Object.fromEntries(
      Object.entries(transports)
        .slice(0, 10)
        .map(([name, value]) => [failureString(name) ?? '', status(value) ?? null]),
    ),
  }
  if (keys.ca_cert_status === false) return anomaly(apiFailures[0] ?? keys.api_failure ?? 'invalid_ca', keys)
  if (apiFailures.length > 0) return anomaly(apiFailures[0]!, keys)
  if (keys.api_status === 'blocked') return anomaly(keys.api_failure ?? 'riseupvpn_api_blocked', keys)
  const blockedTransport = Object.entries(keys.transport_status).find(([, value]) => value === 'blocked')
  if (blockedTransport) return anomaly(`riseupvpn_${blockedTransport[0]}_blocked`, keys)
  const newFormat =
    'api_failures' in testKeys && (testKeys.api_failures === null || Array.isArray(testKeys.api_failures))
  const oldFormat = keys.api_status === 'ok'
  const transportsRead = Object.values(keys.transport_status).every((value) => value !== null)
  if (keys.ca_cert_status === true && (newFormat || oldFormat) && transportsRead) return ok(keys)
  return {
    ...unknown('api_failures/api_status or ca_cert_status missing or not as specified', testKeys),
    keys,
  }
}

/** Tests whose verdict is their top-level `failure` (df-007): null is success, a string is the failure. */
const topLevelFailure: Reader = (testKeys) => {
  const failure = failureString(testKeys.failure)
  const keys = { failure }
  if (failure) return anomaly(failure, keys)
  if (testKeys.failure === null) return ok(keys)
  return { ...unknown('failure key missing or not a string', testKeys), keys }
}

// ts-006: `tampering` holds one boolean per kind of tampering; any true is an anomaly (a failed request to
// the backend shows up as `total` and its failure string).
const HHFM_CATEGORIES = [
  'total',
  'request_line_capitalization',
  'header_name_capitalization',
  'header_field_value',
  'header_field_number',
  'header_field_name',
] as const

const headerFieldManipulation: Reader = (testKeys) => {
  if (!isObject(testKeys.tampering)) return unknown('tampering is not an object', testKeys)
  const tampering = testKeys.tampering
  const keys: Record<string, unknown> = {}
  for (const category of HHFM_CATEGORIES) keys[category] = flag(tampering[category]) ?? null
  const requestFailure = listFailure(testKeys.requests)
  const found = HHFM_CATEGORIES.find((category) => tampering[category] === true)
  if (found) return anomaly(requestFailure ?? `tampering: ${found}`, keys)
  // header_field_name is only in some versions; the others the spec defines must all be read.
  const unread = HHFM_CATEGORIES.filter(
    (category) => category !== 'header_field_name' && typeof tampering[category] !== 'boolean',
  )
  if (unread.length === 0) return ok(keys)
  return { ...unknown(`tampering keys missing: ${unread.join(', ')}`, testKeys), keys }
}

// ts-007: one boolean, `tampering`.
const invalidRequestLine: Reader = (testKeys) => {
  const keys = { tampering: flag(testKeys.tampering) ?? null }
  if (keys.tampering === true) return anomaly('tampering', keys)
  if (keys.tampering === false) return ok(keys)
  return { ...unknown('tampering is not a boolean', testKeys), keys }
}

/** The readers by OONI test_name; a test not listed here is `unknown`. */
export const OONI_VERDICT_READERS: Readonly<Record<string, Reader>> = {
  web_connectivity: webConnectivity,
  telegram,
  whatsapp,
  facebook_messenger: facebookMessenger,
  signal,
  dnscheck,
  tor,
  psiphon,
  riseupvpn,
  stunreachability: topLevelFailure,
  urlgetter: topLevelFailure,
  http_header_field_manipulation: headerFieldManipulation,
  http_invalid_request_line: invalidRequestLine,
}

/** The verdict of a raw measurement's test_keys by its test_name (see OONI_VERDICT_READERS). */
export function ooniVerdict(
  testName: string,
  testKeys: Record<string, unknown>,
  context: OoniVerdictContext,
): OoniVerdict {
  const reader = Object.hasOwn(OONI_VERDICT_READERS, testName) ? OONI_VERDICT_READERS[testName] : undefined
  if (!reader) return unknown(`no verdict reader for OONI test "${testName}"`, testKeys)
  return reader(testKeys, context)
}

/**
 * The verdict of an entry of OONI's measurement list (`/api/v1/measurements`), which has only the flags
 * of OONI's own analysis: `confirmed` (a blockpage or the like) and `anomaly` are anomalies, `failure`
 * (the measurement itself failed) is unknown, all three false is ok.
 */
export function ooniListVerdict(entry: Record<string, unknown>): OoniVerdict {
  const keys = {
    anomaly: flag(entry.anomaly) ?? null,
    confirmed: flag(entry.confirmed) ?? null,
    failure: flag(entry.failure) ?? null,
  }
  if (keys.confirmed === true) return anomaly('confirmed_blocking', keys)
  if (keys.anomaly === true) return anomaly('anomaly', keys)
  if (keys.failure === true)
    return { status: 'unknown', failure: 'unknown', keys, reason: 'OONI marks the measurement failed' }
  if (keys.anomaly === false && keys.confirmed === false && keys.failure === false) return ok(keys)
  return { status: 'unknown', failure: 'unknown', keys, reason: 'anomaly/confirmed/failure flags missing' }
}
