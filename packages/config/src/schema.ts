// The shape of the config file, key by key, with its defaults. Unknown keys are errors everywhere.
// Checks that need more than one value (references between sections, orderings) live in resolve.ts.
import { z } from 'zod'
import {
  GROUP_PURPOSES,
  INCIDENT_KINDS,
  INCIDENT_LEVELS,
  NETWORK_TYPES,
  NEWS_SOURCE_TYPES,
  PROBE_KINDS,
  VANTAGE_ROLES,
} from './types.js'
import {
  asn,
  bitRate,
  byteSize,
  countryCode,
  duration,
  emailAddress,
  fraction,
  host,
  identifier,
  instant,
  ipAddress,
  ipAddressOrBlock,
  localDateTime,
  mailbox,
  nonEmptyText,
  pattern,
  port,
  positiveInt,
  resolverAddress,
  sha256,
  textEncoding,
  timeZone,
  url,
  visibleText,
} from './values.js'

const SECOND = 1_000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

const languageCode = () =>
  z.string().regex(/^[a-z]{2,3}$/, { error: 'expected a language code such as "ru", "kk" or "en"' })

const vantageSchema = z.strictObject({
  id: identifier(),
  role: z.enum(VANTAGE_ROLES),
  country: countryCode(),
  region: visibleText().optional(),
  network: z.strictObject({
    asn: asn(),
    name: visibleText().optional(),
    type: z.enum(NETWORK_TYPES).default('unknown'),
  }),
})

const regionSchema = z.strictObject({
  name: visibleText(),
  country: countryCode().optional(),
  timeZone: timeZone(),
  aliases: z.array(visibleText()).default([]),
})

const dnsSchema = z.strictObject({
  resolver: resolverAddress({ allowSystem: true }).optional(),
  controlResolver: resolverAddress({ allowSystem: false }).optional(),
  recordTypes: z
    .array(z.enum(['A', 'AAAA']))
    .min(1)
    .optional(),
  blockPageAddresses: z.array(ipAddress()).optional(),
})

const httpSchema = z.strictObject({
  userAgent: nonEmptyText().optional(),
  maxRedirects: z.number().int().min(0).max(50).optional(),
  maxBodyBytes: byteSize().optional(),
})

const blockPageSchema = z.strictObject({
  name: nonEmptyText(),
  status: z.array(z.number().int().min(100).max(599)).min(1).optional(),
  body: pattern().optional(),
  header: z.strictObject({ name: nonEmptyText(), pattern: pattern() }).optional(),
  hop: z.enum(['any', 'first', 'final']).default('any'),
})

const targetSchema = z.strictObject({
  name: identifier().optional(),
  url: url(['http', 'https']).optional(),
  host: host().optional(),
  port: port().optional(),
  sni: host().optional(),
  probes: z.array(z.enum(PROBE_KINDS)).min(1).optional(),
  region: nonEmptyText().optional(),
  asn: asn().optional(),
  // The kind of network the endpoint is reached through (an endpoint inside a mobile access network, or a
  // server on fixed lines), for outside-in targets.
  network: z.enum(NETWORK_TYPES).optional(),
})

const targetGroupSchema = z.strictObject({
  name: identifier(),
  description: nonEmptyText().optional(),
  purpose: z.enum(GROUP_PURPOSES).default('service'),
  controlGroup: identifier().optional(),
  vantageRoles: z.array(z.enum(VANTAGE_ROLES)).min(1).optional(),
  probes: z.array(z.enum(PROBE_KINDS)).min(1).optional(),
  interval: duration({ min: SECOND }).optional(),
  rallyInterval: duration({ min: SECOND }).optional(),
  timeout: duration({ min: 100 }).optional(),
  dns: dnsSchema.optional(),
  http: httpSchema.optional(),
  blockPages: z.array(blockPageSchema).default([]),
  targets: z.array(targetSchema).min(1),
})

const probingSchema = z.strictObject({
  concurrency: positiveInt().max(10_000).default(64),
  jitter: fraction().default(0.1),
  probes: z.array(z.enum(PROBE_KINDS)).min(1).default(['dns', 'tcp', 'tls', 'https']),
  interval: duration({ min: SECOND }).default(5 * MINUTE),
  rallyInterval: duration({ min: SECOND }).default(30 * SECOND),
  timeout: duration({ min: 100 }).default(10 * SECOND),
  dns: dnsSchema.prefault({}),
  http: httpSchema.prefault({}),
  // A list of patterns, or patterns plus fingerprint files in OONI's format (see fingerprints.ts).
  blockPages: z
    .union([
      z.array(blockPageSchema),
      z.strictObject({
        patterns: z.array(blockPageSchema).default([]),
        files: z.array(nonEmptyText()).default([]),
        countries: z.array(countryCode()).optional(),
      }),
    ])
    .default([]),
})

const trustSchema = z.strictObject({
  bundledRoots: z.boolean().default(true),
  caFiles: z.array(nonEmptyText()).default([]),
})

const rallySchema = z.strictObject({
  name: nonEmptyText(),
  city: z.union([nonEmptyText(), z.array(nonEmptyText()).min(1)], {
    error: 'expected a city, "all", or a list of cities',
  }),
  start: localDateTime(),
  end: localDateTime(),
  leadHours: z.number().min(0).max(168).default(2),
  tailHours: z.number().min(0).max(168).default(4),
  note: nonEmptyText().optional(),
})

const htmlSelectorsSchema = z.strictObject({
  item: nonEmptyText(),
  title: nonEmptyText(),
  link: nonEmptyText(),
  linkAttribute: nonEmptyText().default('href'),
  date: nonEmptyText().optional(),
  dateAttribute: nonEmptyText().optional(),
  summary: nonEmptyText().optional(),
})

const newsSourceSchema = z.strictObject({
  name: identifier(),
  type: z.enum(NEWS_SOURCE_TYPES),
  url: url(['http', 'https']),
  language: languageCode().optional(),
  region: nonEmptyText().optional(),
  encoding: textEncoding().optional(),
  interval: duration({ min: SECOND }).optional(),
  rallyInterval: duration({ min: SECOND }).optional(),
  timeout: duration({ min: 100 }).optional(),
  maxBytes: byteSize().optional(),
  html: htmlSelectorsSchema.optional(),
  enabled: z.boolean().default(true),
})

const vocabularySchema = z.strictObject({
  detention: z.array(pattern()).default([]),
  context: z.array(pattern()).default([]),
  exclude: z.array(pattern()).default([]),
})

const newsSchema = z.strictObject({
  interval: duration({ min: SECOND }).default(10 * MINUTE),
  rallyInterval: duration({ min: SECOND }).default(2 * MINUTE),
  timeout: duration({ min: 100 }).default(20 * SECOND),
  maxBytes: byteSize().default(5_000_000),
  sources: z.array(newsSourceSchema).default([]),
  vocabulary: z.record(languageCode(), vocabularySchema).default({}),
})

const interceptionSchema = z.strictObject({
  interval: duration({ min: SECOND }).default(15 * MINUTE),
  rallyInterval: duration({ min: SECOND }).default(MINUTE),
  knownRoots: z
    .array(
      z.strictObject({
        name: nonEmptyText(),
        sha256: sha256().optional(),
        spkiSha256: sha256().optional(),
        note: nonEmptyText().optional(),
      }),
    )
    .default([]),
  pins: z.array(z.strictObject({ host: host(), spkiSha256: z.array(sha256()).min(1) })).default([]),
})

const thresholdsSchema = z.strictObject({
  baselineDays: z.number().int().min(1).max(90).default(7),
  blackout: z
    .strictObject({
      warning: fraction().default(0.8),
      critical: fraction().default(0.5),
      resolveAbove: fraction().default(0.9),
      window: duration({ min: MINUTE }).default(10 * MINUTE),
      minTargets: positiveInt().default(2),
      minVantages: positiveInt().default(1),
      minSamples: positiveInt().default(6),
      requireControlFailure: z.boolean().default(true),
      // A country-wide blackout needs several regions (or networks) to agree, never one region's series.
      country: z
        .strictObject({
          minRegions: z.number().int().min(2).default(2),
          minRegionShare: fraction().optional(),
          minNetworks: z.number().int().min(2).default(2),
        })
        .prefault({}),
    })
    .prefault({}),
  blocking: z
    .strictObject({
      failureShare: fraction().default(0.8),
      controlSuccessShare: fraction().default(0.8),
      minSamples: positiveInt().default(3),
      minFailures: positiveInt().default(2),
    })
    .prefault({}),
  throttling: z
    .strictObject({
      factor: z.number().min(1).default(3),
      minExtra: duration().default(200),
      minSamples: positiveInt().default(5),
      slowBodyBelow: bitRate().default(1_000_000),
    })
    .prefault({}),
  silenceAfter: duration({ min: SECOND }).default(5 * MINUTE),
  monitorOffline: z
    .strictObject({
      group: identifier().optional(),
      failureShare: fraction().default(0.75),
    })
    .prefault({}),
  incident: z
    .strictObject({
      // One more round at the rally cadence: rally-day alerts within about a minute.
      for: duration().default(30 * SECOND),
      resolveAfter: duration().default(10 * MINUTE),
      flapWindow: duration({ min: MINUTE }).default(HOUR),
      flapLimit: positiveInt().default(4),
    })
    .prefault({}),
})

// A Telegram chat: a numeric id (groups and channels are negative) or a public channel's @username.
const telegramChatId = () =>
  z
    .union([z.string().trim(), z.number().int()])
    .transform((value) => String(value))
    .pipe(
      z.string().regex(/^(-?[1-9][0-9]{0,19}|@[A-Za-z][A-Za-z0-9_]{3,31})$/, {
        error: 'expected a numeric chat id such as -1001234567890 or a channel username such as "@vigil_kz"',
      }),
    )

const receiverSchema = z.strictObject({
  name: identifier(),
  email: z.array(emailAddress()).default([]),
  webhook: z
    .strictObject({
      url: url(['http', 'https']),
      bearerToken: z.string().optional(),
    })
    .optional(),
  // Bot API sendMessage (https://core.telegram.org/bots/api#sendmessage).
  telegram: z
    .strictObject({
      chatId: telegramChatId(),
      botToken: z.string().optional(),
      apiUrl: url(['http', 'https']).default('https://api.telegram.org'),
    })
    .optional(),
  // Client-server API: m.room.message events sent to one room (spec.matrix.org, client-server API).
  matrix: z
    .strictObject({
      homeserver: url(['http', 'https']),
      roomId: z
        .string()
        .regex(/^![^:\s]+:[^\s]+$/, { error: 'expected a room id such as "!abc123:example.org"' }),
      accessToken: z.string().optional(),
    })
    .optional(),
  // A signal-cli-rest-api daemon run by the user (POST /v2/send).
  signal: z
    .strictObject({
      url: url(['http', 'https']),
      number: z
        .string()
        .regex(/^\+[1-9][0-9]{6,14}$/, { error: 'expected a phone number such as "+77011234567"' }),
      recipients: z
        .array(
          z.string().regex(/^(\+[1-9][0-9]{6,14}|group\.[A-Za-z0-9+/=_-]+|[0-9a-f-]{36})$/, {
            error: 'expected a phone number ("+7701..."), a group id ("group.…") or an account UUID',
          }),
        )
        .min(1),
    })
    .optional(),
  // An ntfy server's publish endpoint (https://docs.ntfy.sh/publish/).
  ntfy: z
    .strictObject({
      url: url(['http', 'https']).default('https://ntfy.sh'),
      topic: z
        .string()
        .regex(/^[-_A-Za-z0-9]{1,64}$/, { error: 'expected a topic of letters, digits, - and _' }),
      token: z.string().optional(),
    })
    .optional(),
})

const routeSchema = z.strictObject({
  receiver: identifier(),
  kinds: z.array(z.enum(INCIDENT_KINDS)).min(1).optional(),
  levels: z.array(z.enum(INCIDENT_LEVELS)).min(1).optional(),
  regions: z.array(nonEmptyText()).min(1).optional(),
  groupWait: duration().default(30 * SECOND),
  rallyGroupWait: duration().default(0),
  groupInterval: duration().default(5 * MINUTE),
  repeatInterval: duration({ min: MINUTE }).default(4 * HOUR),
  sendResolved: z.boolean().default(true),
  continue: z.boolean().default(false),
})

const silenceSchema = z.strictObject({
  comment: nonEmptyText(),
  start: instant(),
  end: instant(),
  kinds: z.array(z.enum(INCIDENT_KINDS)).min(1).optional(),
  regions: z.array(nonEmptyText()).min(1).optional(),
  vantages: z.array(identifier()).min(1).optional(),
})

const alertsSchema = z.strictObject({
  links: z
    .strictObject({
      api: url(['http', 'https']).optional(),
      dashboard: url(['http', 'https']).optional(),
    })
    .prefault({}),
  receivers: z.array(receiverSchema).default([]),
  routes: z.array(routeSchema).default([]),
  defaultReceiver: identifier().optional(),
  silences: z.array(silenceSchema).default([]),
})

const smtpSchema = z.strictObject({
  host: host().default('localhost'),
  port: port().default(587),
  secure: z.boolean().optional(),
  requireTls: z.boolean().default(false),
  user: z.string().optional(),
  password: z.string().optional(),
  from: mailbox().default('Vigil <vigil@localhost>'),
  timeout: duration({ min: SECOND }).default(30 * SECOND),
})

const apiSchema = z.strictObject({
  host: host().default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(8080),
  publicUrl: url(['http', 'https']).optional(),
  maxIngestBytes: byteSize().default(16 * 1_048_576),
  ingestRateLimit: positiveInt().default(120),
  // Failed authentications per client address and minute before the api answers 429.
  authFailuresPerMinute: positiveInt().max(10_000).default(10),
  // Reverse proxies whose X-Forwarded-For is believed (addresses or CIDR blocks); none by default.
  trustProxy: z.array(ipAddressOrBlock()).max(100).default([]),
  // A second address serving only GET /metrics without a key, for a scraper on a private network.
  metricsListen: z.strictObject({ host: host(), port: z.number().int().min(0).max(65_535) }).optional(),
  // How long a browser session of the board lasts after logging in with an API key.
  sessionLifetime: duration({ min: MINUTE }).default(12 * HOUR),
})

const statusSchema = z.strictObject({
  // The public status page at /status, its feeds and subscriptions; off unless asked for.
  enabled: z.boolean().default(false),
  title: nonEmptyText().optional(),
  // Email subscriptions on the status page (double opt-in); they need api.publicUrl for their links.
  subscriptions: z.boolean().default(true),
  // Subscription requests per client address and hour.
  subscribeRatePerHour: positiveInt().max(10_000).default(10),
  // How far back the page and its feeds list incidents and detention reports.
  historyDays: positiveInt().max(3_650).default(30),
})

const storeSchema = z.strictObject({
  dataDir: nonEmptyText().default('./data'),
  retention: z
    .strictObject({
      measurements: duration({ min: DAY }).default(180 * DAY),
      tlsObservations: duration({ min: DAY }).default(365 * DAY),
      newsItems: duration({ min: DAY }).default(730 * DAY),
      incidents: duration({ min: DAY }).default(730 * DAY),
      notifications: duration({ min: DAY }).default(90 * DAY),
    })
    .prefault({}),
})

const agentSchema = z.strictObject({
  apiUrl: url(['http', 'https']).optional(),
  token: z.string().optional(),
  spoolDir: nonEmptyText().default('./data/spool'),
  spoolMaxBytes: byteSize().default(512 * 1_048_576),
  spoolFullPolicy: z.enum(['drop_oldest', 'stop']).default('drop_oldest'),
  // The api takes at most 10,000 records a batch (MAX_INGEST_RECORDS in @vigil/model).
  batchSize: positiveInt().max(10_000).default(1_000),
  uploadInterval: duration({ min: SECOND }).default(30 * SECOND),
  heartbeatInterval: duration({ min: SECOND }).default(MINUTE),
  maxBackoff: duration({ min: SECOND }).default(5 * MINUTE),
})

const observatoriesSchema = z.strictObject({
  ooni: z
    .strictObject({
      enabled: z.boolean().default(false),
      // http for a local mirror or a test server; OONI's own API is https.
      apiUrl: url(['http', 'https']).default('https://api.ooni.io/'),
      countries: z.array(countryCode()).min(1).optional(),
      interval: duration({ min: MINUTE }).default(HOUR),
      maxBackoff: duration({ min: MINUTE }).default(HOUR),
      lookBack: duration({ min: MINUTE }).default(DAY),
    })
    .prefault({}),
  ioda: z
    .strictObject({
      enabled: z.boolean().default(false),
      apiUrl: url(['http', 'https']).default('https://api.ioda.inetintel.cc.gatech.edu/v2/'),
      countries: z.array(countryCode()).min(1).optional(),
      // IODA's region codes (numbers as text, e.g. "1473"), from its /entities/query?entityType=region.
      regions: z
        .array(z.string().regex(/^[0-9]{1,10}$/, { error: 'expected an IODA region code such as "1473"' }))
        .default([]),
      asns: z.array(asn()).default([]),
      interval: duration({ min: MINUTE }).default(10 * MINUTE),
      maxBackoff: duration({ min: MINUTE }).default(HOUR),
      lookBack: duration({ min: MINUTE }).default(DAY),
    })
    .prefault({}),
})

export const configFileSchema = z.strictObject({
  version: z.literal(1).default(1),
  name: nonEmptyText().optional(),
  country: countryCode(),
  vantage: vantageSchema,
  regions: z.array(regionSchema).min(1),
  probing: probingSchema.prefault({}),
  targetGroups: z.array(targetGroupSchema).min(1),
  rallies: z.array(rallySchema).default([]),
  news: newsSchema.prefault({}),
  interception: interceptionSchema.prefault({}),
  trust: trustSchema.prefault({}),
  thresholds: thresholdsSchema.prefault({}),
  alerts: alertsSchema.prefault({}),
  smtp: smtpSchema.prefault({}),
  api: apiSchema.prefault({}),
  store: storeSchema.prefault({}),
  agent: agentSchema.prefault({}),
  observatories: observatoriesSchema.prefault({}),
  status: statusSchema.prefault({}),
})

export type ConfigFile = z.output<typeof configFileSchema>
