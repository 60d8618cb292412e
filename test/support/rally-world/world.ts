// A miniature of the deployment Vigil watches a rally day with, all on loopback, in real processes:
//
//   de-central        `vigil start`: api, detection, notifier, and a prober and certwatch of its own as the
//                     control vantage abroad (Germany, AS24940), as README's deployment runs it
//   kz-almaty-fixed   `vigil agent` in Almaty on a fixed line (AS9198, network type fixed)
//   kz-almaty-mobile  `vigil agent` in Almaty on a mobile network (AS29355, network type mobile)
//   nl-outside        `vigil agent` abroad (Netherlands, AS1136) probing in-country endpoints
//
// Each vantage has a view of the internet of its own: its config file points the same target names at
// servers only it reaches (its own copy of facebook, wikipedia, the Almaty operator's endpoint, ...), and
// at a DNS server of its own. "Almaty's fixed network is dark" is then the fixed agent's view going
// dark; "the central's uplink is cut" is the central's view going dark while the outside vantage's view
// of the same endpoints stays up. The two Almaty agents upload through relays that can be cut, so an
// agent can fall silent while it keeps measuring into its spool. A real SMTP server catches the email, and
// a real Prometheus (installed by scripts/install-system-packages.sh) evaluates config/prometheus/rules
// against the central's /metrics.
//
// Targets (names as in the store): social (service, dns+http+tls, the TLS port answering for the real
// host name): facebook instagram twitter youtube telegram whatsapp; news (service, dns+http): tengrinews
// vlast; control (control, http): wikipedia example ietf; kz-endpoints (outside_in, http, probed by
// de-central and nl-outside): almaty-akimat and almaty-kaztelecom (AS9198, fixed), almaty-kcell (AS29355,
// mobile), almaty-beeline (AS21299, mobile), shymkent-akimat and shymkent-kaztelecom (AS9198, fixed).
//
// Cadence: every probe each 3 s with a 2 s timeout (the machines running the tests are shared and
// loaded), certwatch every 3 s, alerter every 5 s (its default);
// detection window 1 minute (the shortest the config takes), incidents fire after 4 s and resolve after
// 4 s, a vantage is silent after 5 s without contact; alerts go to one receiver, grouped for 1 s.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'
import { type SmtpSink, startSmtp } from '../../../packages/notify/test/support.js'
import { startDnsServer } from '../../../packages/probes/test/fixtures/dns-server.js'
import { Loopback } from '../../../packages/probes/test/fixtures/loopback.js'
import { runVigil } from '../../../services/vigil/test/support.js'
import { type CuttableProxy, cuttableProxy } from '../cuttable-proxy.js'
import { REPO_ROOT, spawnVigil, type VigilProcess } from '../vigil-process.js'
import { freePort } from '../wait.js'
import { buildWorldPki, type WorldPki } from './pki.js'
import { type RunningPrometheus, startPrometheus } from './prometheus.js'
import { type SiteMode, startWorldSite, type WorldSite } from './site.js'

export const CENTRAL = 'de-central'
export const FIXED = 'kz-almaty-fixed'
export const MOBILE = 'kz-almaty-mobile'
export const OUTSIDE = 'nl-outside'
export const VANTAGES = [CENTRAL, FIXED, MOBILE, OUTSIDE] as const
export type VantageId = (typeof VANTAGES)[number]

/** Social networks and messengers, with the host name their TLS port answers for. */
export const SOCIAL = {
  facebook: 'facebook.com',
  instagram: 'instagram.com',
  twitter: 'twitter.com',
  youtube: 'youtube.com',
  telegram: 'web.telegram.org',
  whatsapp: 'web.whatsapp.com',
} as const
export const NEWS = ['tengrinews', 'vlast'] as const
export const CONTROLS = ['wikipedia', 'example', 'ietf'] as const
export const ENDPOINTS = [
  { name: 'almaty-akimat', region: 'Almaty', asn: 9198, network: 'fixed' },
  { name: 'almaty-kaztelecom', region: 'Almaty', asn: 9198, network: 'fixed' },
  { name: 'almaty-kcell', region: 'Almaty', asn: 29355, network: 'mobile' },
  { name: 'almaty-beeline', region: 'Almaty', asn: 21299, network: 'mobile' },
  { name: 'shymkent-akimat', region: 'Shymkent', asn: 9198, network: 'fixed' },
  { name: 'shymkent-kaztelecom', region: 'Shymkent', asn: 9198, network: 'fixed' },
] as const
/** Outside-in endpoints on Almaty's mobile operators. */
export const ALMATY_MOBILE_ENDPOINTS = ['almaty-kcell', 'almaty-beeline'] as const
export const ALMATY_ENDPOINTS = ENDPOINTS.filter((e) => e.region === 'Almaty').map((e) => e.name)

type Group = 'social' | 'news' | 'control' | 'kz-endpoints'
const GROUPS_OF: Record<VantageId, Group[]> = {
  [CENTRAL]: ['social', 'news', 'control', 'kz-endpoints'],
  [FIXED]: ['social', 'news', 'control'],
  [MOBILE]: ['social', 'news', 'control'],
  [OUTSIDE]: ['control', 'kz-endpoints'],
}

const VANTAGE_YAML: Record<VantageId, string> = {
  [CENTRAL]: '{ id: de-central, role: control, country: DE, network: { asn: 24940, type: fixed } }',
  [FIXED]:
    '{ id: kz-almaty-fixed, role: in_country, country: KZ, region: Almaty, network: { asn: 9198, type: fixed } }',
  [MOBILE]:
    '{ id: kz-almaty-mobile, role: in_country, country: KZ, region: Almaty, network: { asn: 29355, type: mobile } }',
  [OUTSIDE]: '{ id: nl-outside, role: outside, country: NL, network: { asn: 1136, type: fixed } }',
}
const TOKEN_ARGS: Record<Exclude<VantageId, typeof CENTRAL>, string[]> = {
  [FIXED]: ['--role', 'in_country', '--region', 'Almaty', '--asn', '9198', '--network-type', 'fixed'],
  [MOBILE]: ['--role', 'in_country', '--region', 'Almaty', '--asn', '29355', '--network-type', 'mobile'],
  [OUTSIDE]: ['--role', 'outside', '--country', 'NL', '--asn', '1136'],
}

/** The world's timing, in config terms. */
export const CADENCE = {
  probeIntervalMs: 3_000,
  probeTimeoutMs: 2_000,
  forMs: 4_000,
  resolveAfterMs: 4_000,
  silenceAfterMs: 5_000,
  alerterEveryMs: 5_000,
  windowMs: 60_000,
}

export interface ApiIncident {
  id: number
  kind: string
  scopeType: string
  scope: string
  region: string | null
  vantage: string | null
  level: string
  state: 'pending' | 'firing' | 'resolved'
  summary: string
  startedAt: string
  firingAt: string | null
  resolvedAt: string | null
  evidence: Record<string, unknown>
}

export interface ApiMeasurement {
  vantage: string
  target: string
  kind: string
  ok: boolean
  failure: string | null
  durationMs: number | null
  measuredAt: string
  region: string | null
  details?: Record<string, unknown>
}

/** A DNS server of one view: answers `localhost` with 127.0.0.1, or stays silent when the view is dark. */
interface ViewDns {
  address: string
  answering: boolean
}

export interface RallyWorld {
  dir: string
  connection: { databaseUrl?: string; dataDir?: string }
  central: VigilProcess
  agents: Record<Exclude<VantageId, typeof CENTRAL>, VigilProcess>
  smtp: SmtpSink
  prometheus: RunningPrometheus
  pki: WorldPki
  /** Today in Almaty (UTC+5), YYYY-MM-DD: the rally day. */
  day: string
  /** The site `target` as `view` reaches it. */
  site(view: VantageId, target: string): WorldSite
  /** Sets every site of `targets` (all when omitted) in each of `views` to `mode`. */
  set(views: readonly VantageId[], mode: SiteMode, targets?: readonly string[]): Promise<void>
  /** Everything `view` reaches stops answering: its sites refuse or hang, its DNS server falls silent. */
  darken(view: VantageId, mode?: 'refuse' | 'blackhole', targets?: readonly string[]): Promise<void>
  /** Cuts (or restores) the agent's path to the api: it keeps measuring into its spool. */
  uplink(agent: typeof FIXED | typeof MOBILE): CuttableProxy
  /** Every site normal, every DNS server answering, every uplink up. */
  restoreAll(): Promise<void>
  incidents(): Promise<ApiIncident[]>
  measurements(query: string): Promise<ApiMeasurement[]>
  vantageStatus(): Promise<Record<string, string>>
  /** `vigil_notifications_pending` summed over its labels, from the central's /metrics. */
  notificationsPending(): Promise<number>
  metrics(): Promise<string>
  close(): Promise<void>
}

/** The targets each view reaches, by group. */
function targetsOf(group: Group): string[] {
  switch (group) {
    case 'social':
      return Object.keys(SOCIAL)
    case 'news':
      return [...NEWS]
    case 'control':
      return [...CONTROLS]
    case 'kz-endpoints':
      return ENDPOINTS.map((e) => e.name)
  }
}

/** Today in Almaty's zone (UTC+5), YYYY-MM-DD. */
export function almatyToday(): string {
  return new Date(Date.now() + 5 * 3_600_000).toISOString().slice(0, 10)
}

/** The shipped block-page patterns of config/kazakhstan.yaml, as a YAML flow value. */
export function shippedBlockPages(): string {
  const shipped = parse(readFileSync(path.join(REPO_ROOT, 'config/kazakhstan.yaml'), 'utf8')) as {
    probing?: { blockPages?: unknown }
  }
  const pages = shipped.probing?.blockPages
  const patterns = Array.isArray(pages) ? pages : ((pages as { patterns?: unknown[] })?.patterns ?? [])
  if (patterns.length === 0) throw new Error('config/kazakhstan.yaml has no block-page patterns')
  return JSON.stringify(patterns)
}

export async function startRallyWorld(options: {
  dir: string
  connection: { databaseUrl?: string; dataDir?: string }
  log?: (line: string) => void
}): Promise<RallyWorld> {
  const { dir, connection } = options
  const log = options.log ?? (() => {})
  mkdirSync(dir, { recursive: true })
  const smtp = await startSmtp()
  const hosts = ['localhost', ...Object.values(SOCIAL)]
  const pki = buildWorldPki(dir, hosts)
  const loopback = new Loopback()
  const dns = {} as Record<VantageId, ViewDns>
  const sites = new Map<string, WorldSite>()
  for (const view of VANTAGES) {
    const state: ViewDns = { address: '', answering: true }
    state.address = await startDnsServer(loopback, (name, type) => {
      if (!state.answering) return null
      if (name !== 'localhost') return { rcode: 'NXDOMAIN' }
      return type === 'A' ? { rcode: 'NOERROR', a: ['127.0.0.1'] } : { rcode: 'NOERROR' }
    })
    dns[view] = state
    for (const group of GROUPS_OF[view]) {
      for (const target of targetsOf(group)) {
        const site = await startWorldSite(
          `${view}/${target}`,
          `${target} (as ${view} sees it)`,
          group === 'social' ? pki.certificates : undefined,
        )
        sites.set(`${view}/${target}`, site)
      }
    }
  }
  const site = (view: VantageId, target: string) => {
    const found = sites.get(`${view}/${target}`)
    if (!found) throw new Error(`${view} has no site ${target}`)
    return found
  }

  const day = almatyToday()
  const metricsPort = await freePort()
  const config = (view: VantageId, extra: string[] = []) => {
    const url = (target: string) => `'http://localhost:${site(view, target).httpPort}/'`
    const group = (name: Group, purpose: string, probes: string, targets: string[]) => [
      `  - name: ${name}`,
      `    purpose: ${purpose}`,
      `    probes: [${probes}]`,
      '    targets:',
      ...targets.map((target) => `      - ${target}`),
    ]
    const groups: Record<Group, () => string[]> = {
      social: () =>
        group(
          'social',
          'service',
          'dns, http, tls',
          Object.entries(SOCIAL).map(
            ([name, host]) =>
              `{ name: ${name}, url: ${url(name)}, port: ${site(view, name).tlsPort}, sni: ${host} }`,
          ),
        ),
      news: () =>
        group(
          'news',
          'service',
          'dns, http',
          NEWS.map((name) => `{ name: ${name}, url: ${url(name)} }`),
        ),
      control: () =>
        group(
          'control',
          'control',
          'http',
          CONTROLS.map((name) => `{ name: ${name}, url: ${url(name)} }`),
        ),
      'kz-endpoints': () =>
        group(
          'kz-endpoints',
          'outside_in',
          'http',
          ENDPOINTS.map(
            (e) =>
              `{ name: ${e.name}, url: ${url(e.name)}, region: ${e.region}, asn: ${e.asn}, network: ${e.network} }`,
          ),
        ),
    }
    const body = GROUPS_OF[view].flatMap((name) => groups[name]())
    return [
      'country: KZ',
      `vantage: ${VANTAGE_YAML[view]}`,
      'regions:',
      '  - { name: Almaty, timeZone: Asia/Almaty }',
      '  - { name: Shymkent, timeZone: Asia/Almaty }',
      'probing:',
      '  concurrency: 32',
      '  jitter: 0',
      `  interval: ${CADENCE.probeIntervalMs / 1000}s`,
      `  rallyInterval: ${CADENCE.probeIntervalMs / 1000}s`,
      `  timeout: ${CADENCE.probeTimeoutMs / 1000}s`,
      `  dns: { resolver: '${dns[view].address}', recordTypes: [A] }`,
      `  blockPages: ${shippedBlockPages()}`,
      'targetGroups:',
      ...body,
      'rallies:',
      `  - { name: Rally day, city: all, start: '${day}T00:00', end: '${day}T23:59', leadHours: 0, tailHours: 0 }`,
      `trust: { caFiles: [${JSON.stringify(pki.rootFile)}] }`,
      'interception:',
      `  interval: ${CADENCE.probeIntervalMs / 1000}s`,
      `  rallyInterval: ${CADENCE.probeIntervalMs / 1000}s`,
      `  knownRoots: [{ name: Rally World state root, sha256: '${pki.stateRootSha256}' }]`,
      'thresholds:',
      '  blackout: { window: 1m, minSamples: 3, minTargets: 2 }',
      `  silenceAfter: ${CADENCE.silenceAfterMs / 1000}s`,
      '  monitorOffline: { group: control }',
      `  incident: { for: ${CADENCE.forMs / 1000}s, resolveAfter: ${CADENCE.resolveAfterMs / 1000}s }`,
      'alerts:',
      '  links: { api: "http://vigil.example" }',
      '  receivers:',
      '    - { name: press, email: [press@example.org] }',
      '  routes:',
      '    - { receiver: press, groupWait: 1s, rallyGroupWait: 0s, groupInterval: 2s, repeatInterval: 4h, sendResolved: true }',
      'smtp:',
      '  host: 127.0.0.1',
      `  port: ${smtp.port}`,
      '  secure: false',
      '  from: Vigil <vigil@example.org>',
      'news: { sources: [] }',
      ...extra,
      '',
    ].join('\n')
  }
  const write = (name: string, text: string) => {
    const file = path.join(dir, name)
    writeFileSync(file, text)
    return file
  }
  const centralFile = write('de-central.yaml', config(CENTRAL))
  const agentFile = (view: Exclude<VantageId, typeof CENTRAL>) =>
    write(
      `${view}.yaml`,
      config(view, [
        'agent:',
        `  spoolDir: ${JSON.stringify(path.join(dir, `spool-${view}`))}`,
        '  batchSize: 500',
        '  uploadInterval: 1s',
        '  heartbeatInterval: 1s',
        '  maxBackoff: 1s',
      ]),
    )

  // Each agent's vantage is registered with its token before the central process holds the store.
  const tokens = {} as Record<Exclude<VantageId, typeof CENTRAL>, string>
  for (const view of [FIXED, MOBILE, OUTSIDE] as const) {
    const result = await runVigil(connection, [
      'agent-token',
      'create',
      '--config',
      centralFile,
      '--vantage',
      view,
      ...TOKEN_ARGS[view],
    ])
    if (result.code !== 0) throw new Error(`agent-token create ${view}: ${result.stderr}`)
    tokens[view] = result.stdout.trim()
  }

  const processes: VigilProcess[] = []
  const proxies: CuttableProxy[] = []
  let prometheus: RunningPrometheus | undefined
  const close = async () => {
    await prometheus?.stop()
    for (const running of processes.reverse()) await running.stop('SIGTERM')
    for (const proxy of proxies) await proxy.close()
    await Promise.all([...sites.values()].map((s) => s.close()))
    await loopback.closeAll()
    await smtp.close()
  }
  try {
    const central = await spawnVigil({
      args: ['start', '--config', centralFile, '--port', '0', '--metrics-listen', `127.0.0.1:${metricsPort}`],
      connection,
      timeoutMs: 90_000,
    })
    processes.push(central)
    log(`central api at ${central.url}`)
    const apiPort = Number(new URL(central.url).port)
    const uplinks = {} as Record<typeof FIXED | typeof MOBILE, CuttableProxy>
    for (const view of [FIXED, MOBILE] as const) {
      uplinks[view] = await cuttableProxy(apiPort)
      proxies.push(uplinks[view])
    }
    const agents = {} as RallyWorld['agents']
    for (const view of [FIXED, MOBILE, OUTSIDE] as const) {
      const port = view === OUTSIDE ? apiPort : uplinks[view].port
      agents[view] = await spawnVigil({
        args: ['agent', '--config', agentFile(view), '--api', `http://127.0.0.1:${port}`],
        connection: {},
        env: { VIGIL_AGENT_TOKEN: tokens[view] },
        timeoutMs: 90_000,
      })
      processes.push(agents[view])
    }
    if (!(await hasPrometheus()))
      throw new Error('prometheus is not installed: run scripts/install-system-packages.sh')
    prometheus = await startPrometheus(path.join(dir, 'prometheus'), `127.0.0.1:${metricsPort}`)
    log(`prometheus at ${prometheus.url}`)

    const json = async <T>(route: string): Promise<T> => {
      const response = await central.get(route)
      if (!response.ok) throw new Error(`GET ${route}: ${response.status} ${await response.text()}`)
      return (await response.json()) as T
    }
    const metrics = async () => (await central.get('/metrics')).text()
    const world: RallyWorld = {
      dir,
      connection,
      central,
      agents,
      smtp,
      prometheus,
      pki,
      day,
      site,
      async set(views, mode, targets) {
        const chosen = [...sites.values()].filter((s) => {
          const [view, target] = s.id.split('/') as [VantageId, string]
          return views.includes(view) && (!targets || targets.includes(target))
        })
        await Promise.all(chosen.map((s) => s.set(mode)))
      },
      async darken(view, mode = 'refuse', targets) {
        if (!targets) dns[view].answering = false
        await world.set([view], mode, targets)
      },
      uplink: (agent) => uplinks[agent],
      async restoreAll() {
        for (const view of VANTAGES) dns[view].answering = true
        await Promise.all([...sites.values()].map((s) => s.set('normal')))
        for (const proxy of Object.values(uplinks)) await proxy.restore()
      },
      async incidents() {
        return (await json<{ incidents: ApiIncident[] }>('/v1/incidents?limit=1000')).incidents
      },
      async measurements(query) {
        return (await json<{ measurements: ApiMeasurement[] }>(`/v1/measurements?${query}`)).measurements
      },
      async vantageStatus() {
        const { vantages } = await json<{ vantages: Array<{ id: string; status: string }> }>('/v1/vantages')
        return Object.fromEntries(vantages.map((v) => [v.id, v.status]))
      },
      async notificationsPending() {
        let total = 0
        for (const line of (await metrics()).split('\n')) {
          const match = /^vigil_notifications_pending(?:\{[^}]*\})? (\S+)$/.exec(line)
          if (match) total += Number(match[1])
        }
        return total
      },
      metrics,
      close,
    }
    return world
  } catch (error) {
    await close()
    throw error
  }
}

async function hasPrometheus(): Promise<boolean> {
  const { spawnSync } = await import('node:child_process')
  return spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0
}
