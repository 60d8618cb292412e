import type { TrustSettings } from './trust.js'

// The validated configuration as every service sees it: defaults filled in, region names made
// canonical, durations in milliseconds and sizes in bytes. Produced only by parseConfig/loadConfig.

// The shared word lists are declared once, in the contracts package.
export {
  GROUP_PURPOSES,
  type GroupPurpose,
  INCIDENT_KINDS,
  INCIDENT_LEVELS,
  type IncidentKind,
  type IncidentLevel,
  NETWORK_TYPES,
  type NetworkType,
  PROBE_KINDS,
  type ProbeKind,
  VANTAGE_ROLES,
  type VantageRole,
} from '@vigil/model'

import type {
  GroupPurpose,
  IncidentKind,
  IncidentLevel,
  NetworkType,
  ProbeKind,
  VantageRole,
} from '@vigil/model'

export const NEWS_SOURCE_TYPES = ['rss', 'atom', 'html'] as const
export type NewsSourceType = (typeof NEWS_SOURCE_TYPES)[number]

export interface Network {
  /** Autonomous system number, e.g. 9198 for Kazakhtelecom. */
  asn: number
  name: string | undefined
  /** Mobile or fixed access; `unknown` when the config does not say. */
  type: NetworkType
}

/** The vantage point this process measures from. */
export interface Vantage {
  id: string
  role: VantageRole
  /** ISO 3166-1 alpha-2 code of the country the vantage sits in. */
  country: string
  /** Canonical region name; always a declared region for an in-country vantage. */
  region: string | undefined
  network: Network
}

export interface Region {
  /** Canonical English name, used in metric labels, emails and reports. */
  name: string
  country: string
  /** IANA time zone, e.g. `Asia/Almaty`. */
  timeZone: string
  /** Other spellings in any language (Russian, Kazakh, former names); matched case-insensitively. */
  aliases: string[]
}

export interface DnsSettings {
  /** `system` or an address `ip` / `ip:port` of the resolver probes go through. */
  resolver: string
  /** Resolver outside the censored network whose answers are the expected ones. */
  controlResolver: string | undefined
  recordTypes: Array<'A' | 'AAAA'>
  /** Addresses known to serve block pages; an answer pointing there is tampering. */
  blockPageAddresses: string[]
}

export interface HttpSettings {
  userAgent: string
  maxRedirects: number
  /** Hard cap on bytes read from a body. */
  maxBodyBytes: number
}

/**
 * Recognises a block page served with any status. Every condition given must hold. Patterns are
 * regular expression sources, compiled with the `iu` flags.
 */
export interface BlockPagePattern {
  name: string
  statusCodes: number[] | undefined
  bodyPattern: string | undefined
  header: { name: string; pattern: string } | undefined
  /** The hops of a redirect chain it is matched on: every response, the first, or the final one. */
  hop: 'any' | 'first' | 'final'
}

export interface Target {
  /** Unique across the whole configuration; the `target` metric label. */
  name: string
  group: string
  host: string
  /** Port for tcp and tls probes. */
  port: number
  /** Server name sent in the TLS handshake. */
  sni: string
  /** The URL as written, if any. */
  url: string | undefined
  /** The URL fetched by the http and https probe kinds (the written URL with its scheme swapped). */
  urls: { http?: string; https?: string }
  probes: ProbeKind[]
  /** Where the endpoint is, for outside-in targets inside the country. */
  region: string | undefined
  asn: number | undefined
  /** The kind of network the endpoint is reached through (`network:` in the file); `unknown` when unsaid. */
  networkType: NetworkType
}

export interface TargetGroup {
  name: string
  description: string | undefined
  purpose: GroupPurpose
  /** The control group this group is compared with to tell blocking from a dead connection. */
  controlGroup: string | undefined
  /** Vantages with one of these roles probe this group. */
  vantageRoles: VantageRole[]
  probes: ProbeKind[]
  interval: number
  /** Interval used inside every rally window. */
  rallyInterval: number
  timeout: number
  dns: DnsSettings
  http: HttpSettings
  /** The shared patterns from `probing.blockPages` followed by the group's own. */
  blockPages: BlockPagePattern[]
  targets: Target[]
}

/** What one fingerprint file under `probing.blockPages.files` gave. */
export interface FingerprintFileSummary {
  file: string
  blockPages: number
  dnsAddresses: number
  skipped: number
}

export interface ProbingSettings {
  /** Fingerprint files read, with how many of their rows are in use. */
  fingerprintFiles: FingerprintFileSummary[]
  /** Probes in flight at once from this process. */
  concurrency: number
  /** Random spread of each round's start, as a fraction of the interval. */
  jitter: number
}

export interface Rally {
  name: string
  /** Canonical region names; every declared region when `allCities`. */
  cities: string[]
  allCities: boolean
  /** Local wall-clock time in each city, `YYYY-MM-DDTHH:MM:SS`. */
  start: string
  end: string
  leadHours: number
  tailHours: number
  note: string | undefined
}

/** A rally as it applies to one city, in absolute time, widened by the lead and tail hours. */
export interface RallyWindow {
  rally: Rally
  region: Region
  start: Date
  end: Date
}

export interface HtmlSelectors {
  /** Selects one element per news item on the listing page. */
  item: string
  /** The rest are relative to the item element. */
  title: string
  link: string
  linkAttribute: string
  date: string | undefined
  /** Read the date from this attribute (e.g. `datetime`) instead of the text. */
  dateAttribute: string | undefined
  summary: string | undefined
}

export interface NewsSource {
  name: string
  type: NewsSourceType
  url: string
  /** Expected language of the items; detection still checks each item. */
  language: string | undefined
  /** The region the outlet is in (a configured region's name), if it is local to one. */
  region: string | undefined
  /** IANA zone for publication times without an offset: the region's, else the country's first region's. */
  timeZone: string
  /** Charset to use when the source declares none or declares it wrongly. */
  encoding: string | undefined
  interval: number
  rallyInterval: number
  timeout: number
  maxBytes: number
  html: HtmlSelectors | undefined
  enabled: boolean
}

/** Extra detention vocabulary for one language, as regular expression sources (`iu` flags). */
export interface DetentionVocabulary {
  /** Words that report a detention (inflected forms welcome). */
  detention: string[]
  /** Words that put it in a protest, press or political context. */
  context: string[]
  /** Words that mark ordinary crime news, which is not a detention report. */
  exclude: string[]
}

export interface NewsSettings {
  sources: NewsSource[]
  /** Keyed by language code (`ru`, `kk`, `en`, ...). Extends the built-in vocabulary. */
  vocabulary: Record<string, DetentionVocabulary>
}

export interface InterceptionRoot {
  name: string
  /** SHA-256 of the DER certificate, lowercase hex. */
  sha256: string | undefined
  /** SHA-256 of the DER SubjectPublicKeyInfo, lowercase hex. */
  spkiSha256: string | undefined
  note: string | undefined
}

export interface SpkiPin {
  host: string
  /** Accepted SPKI SHA-256 hashes (any certificate of the chain), lowercase hex. */
  spkiSha256: string[]
}

export interface InterceptionSettings {
  /** Added to the shipped list of known interception roots. */
  knownRoots: InterceptionRoot[]
  pins: SpkiPin[]
  interval: number
  rallyInterval: number
}

export interface Thresholds {
  /** Days of history the baseline (median of the same scope) is computed over. */
  baselineDays: number
  blackout: {
    /** Fractions of the baseline success share. */
    warning: number
    critical: number
    /** The signal must be back above this fraction of baseline to resolve (hysteresis). */
    resolveAbove: number
    window: number
    minTargets: number
    minVantages: number
    minSamples: number
    requireControlFailure: boolean
    /**
     * When a blackout is country-wide, never from one region alone: at least `minRegions` (>= 2) regions
     * with a confirmed blackout; or, with `minRegionShare`, two or more that are that share of the regions
     * with data; or `minNetworks` (>= 2) in-country networks dark across two or more regions.
     */
    country: { minRegions: number; minRegionShare?: number; minNetworks: number }
  }
  blocking: {
    /**
     * Share of a group's targets blocked from a vantage (a transport layer failing or a block page; DNS
     * is its own signal) for one incident naming the whole group instead of one per service.
     */
    failureShare: number
    /** Share of the vantage's control targets that must answer for failures to be blocking. */
    controlSuccessShare: number
    /** Targets of a group judged from a vantage before the group can be called blocked as a whole. */
    minSamples: number
    /** Failed probes of a series in the detection window before a connection failure counts; a block page counts at once. */
    minFailures: number
  }
  throttling: {
    /** Latency or transfer time at least this many times the baseline... */
    factor: number
    /** ...and at least this many milliseconds slower than it, so jitter on a tiny time is not throttling. */
    minExtra: number
    /** Successful probes needed in the window and in the baseline before a series is compared. */
    minSamples: number
    /** A body still arriving below this rate (bits per second) when the probe timed out is throttling, not blocking. */
    slowBodyBelow: number
  }
  /** A vantage with no heartbeat or measurement for this long is silent. */
  silenceAfter: number
  monitorOffline: {
    /** The control group whose failure means the vantage's own connection is down. */
    group: string | undefined
    failureShare: number
  }
  incident: {
    /** How long a signal must hold before pending turns firing. */
    for: number
    /** How long a signal must stay recovered before firing turns resolved. */
    resolveAfter: number
    /** More state changes than `flapLimit` within `flapWindow` keep the incident firing. */
    flapWindow: number
    flapLimit: number
  }
}

export interface Receiver {
  name: string
  email: string[]
  webhook: { url: string; bearerToken: string | undefined } | undefined
  /** Telegram Bot API: the chat or channel to post in, with the bot's token (from the environment). */
  telegram: { chatId: string; botToken: string; apiUrl: string } | undefined
  /** Matrix client-server API: the room to post in, as the user the access token (environment) belongs to. */
  matrix: { homeserver: string; roomId: string; accessToken: string } | undefined
  /** A signal-cli REST daemon: the registered sender number and the recipients (numbers or `group.` ids). */
  signal: { url: string; number: string; recipients: string[] } | undefined
  /** An ntfy server and topic, with an access token (environment) when the topic is protected. */
  ntfy: { url: string; topic: string; token: string | undefined } | undefined
}

export interface Route {
  receiver: string
  kinds: IncidentKind[]
  levels: IncidentLevel[]
  /** Canonical region names; undefined matches every scope, including country-wide ones. */
  regions: string[] | undefined
  groupWait: number
  /** Group wait inside a rally window, where speed matters more than fewer emails. */
  rallyGroupWait: number
  groupInterval: number
  repeatInterval: number
  sendResolved: boolean
  /** Keep matching later routes after this one matched. */
  continue: boolean
}

export interface Silence {
  comment: string
  start: Date
  end: Date
  kinds: IncidentKind[] | undefined
  regions: string[] | undefined
  vantages: string[] | undefined
}

export interface AlertSettings {
  links: { api: string | undefined; dashboard: string | undefined }
  receivers: Receiver[]
  /** Checked in order; the first match wins unless it says `continue`. */
  routes: Route[]
  /** Receives what no route matched; undefined drops it. */
  defaultReceiver: string | undefined
  silences: Silence[]
}

export interface SmtpSettings {
  host: string
  port: number
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure: boolean
  /** Refuse to send unless STARTTLS succeeded. */
  requireTls: boolean
  user: string | undefined
  password: string | undefined
  from: string
  timeout: number
}

export interface ApiSettings {
  host: string
  port: number
  /** The address people use to reach the api, for links in emails. */
  publicUrl: string | undefined
  maxIngestBytes: number
  /** Ingest requests per minute per agent token. */
  ingestRateLimit: number
  /** Failed authentications a client address may make per minute before it gets 429. */
  authFailuresPerMinute: number
  /**
   * Addresses or CIDR blocks of the reverse proxies in front of the api. A request whose connection comes
   * from one of them is taken to be from the client X-Forwarded-For names (for the failed-authentication
   * limit and the logs); empty: the connection's own address, always.
   */
  trustProxy: string[]
  /** Where GET /metrics is served without a key (and nothing else); absent: no such listener. */
  metricsListen: { host: string; port: number } | undefined
  /** Milliseconds a board session lasts after logging in with an API key. */
  sessionLifetime: number
}

/** The public status page (`/status`), its feeds and email subscriptions. */
export interface StatusSettings {
  enabled: boolean
  title: string | undefined
  subscriptions: boolean
  /** Subscription requests per client address and hour. */
  subscribeRatePerHour: number
  /** Days of history on the page and in the feeds. */
  historyDays: number
}

export interface StoreSettings {
  /** Where the embedded database lives; relative paths are relative to the working directory. */
  dataDir: string
  retention: {
    measurements: number
    tlsObservations: number
    newsItems: number
    incidents: number
    notifications: number
  }
}

export interface AgentSettings {
  apiUrl: string | undefined
  /** Bearer token for the api; only ever from the environment. */
  token: string | undefined
  spoolDir: string
  spoolMaxBytes: number
  /** What to do when the spool is full: drop the oldest records or stop measuring. */
  spoolFullPolicy: 'drop_oldest' | 'stop'
  batchSize: number
  uploadInterval: number
  heartbeatInterval: number
  maxBackoff: number
}

/** Other observatories whose data is imported beside Vigil's own. */
export interface ObservatorySettings {
  ooni: {
    /** Poll OONI's measurement API (files can always be imported by hand). */
    enabled: boolean
    apiUrl: string
    /** Probe countries to fetch; the monitored country unless given. */
    countries: string[]
    /** Milliseconds between polls of a country. */
    interval: number
    /** Longest back-off after failed polls, in milliseconds. */
    maxBackoff: number
    /** How far back the first poll reaches, in milliseconds. */
    lookBack: number
  }
  ioda: {
    /** Poll IODA's API for signals, outage events and alerts (files can always be imported by hand). */
    enabled: boolean
    apiUrl: string
    /** Countries polled; the monitored country unless given. */
    countries: string[]
    /** IODA region codes polled (e.g. "1473"). */
    regions: string[]
    /** Networks polled, by AS number. */
    asns: number[]
    /** Milliseconds between polls of an entity. */
    interval: number
    /** Longest back-off after failed polls, in milliseconds. */
    maxBackoff: number
    /** How far back the first poll of an entity reaches, in milliseconds. */
    lookBack: number
  }
}

export interface VigilConfig {
  /** The file it was read from, as given. */
  file: string
  version: 1
  name: string
  /** ISO 3166-1 alpha-2 code of the monitored country. */
  country: string
  vantage: Vantage
  regions: Region[]
  probing: ProbingSettings
  targetGroups: TargetGroup[]
  rallies: Rally[]
  news: NewsSettings
  interception: InterceptionSettings
  /** The roots every TLS check trusts: bundled, NODE_EXTRA_CA_CERTS and `trust.caFiles`. */
  trust: TrustSettings
  thresholds: Thresholds
  alerts: AlertSettings
  smtp: SmtpSettings
  api: ApiSettings
  store: StoreSettings
  agent: AgentSettings
  observatories: ObservatorySettings
  status: StatusSettings
}

export interface ConfigIssue {
  file: string
  /** Key path such as `targetGroups[2].targets[0].url`; empty for the file as a whole. */
  path: string
  /** 1-based line, when the problem can be placed. */
  line: number | undefined
  message: string
}
