// Turns the checked file into the VigilConfig services use: fills group and source settings from their
// section defaults, makes region names canonical, and checks what spans several keys (references
// between sections, orderings, uniqueness). Every problem is reported at the key it is about.
import { readFileSync, statSync } from 'node:fs'
import { isIP } from 'node:net'
import path from 'node:path'
import type { PathIssue } from './expand.js'
import { type FingerprintFile, parseOoniFingerprints } from './fingerprints.js'
import { buildRegionIndex, normalizeRegionName } from './regions.js'
import type { ConfigFile } from './schema.js'
import type { KeyPath } from './source.js'
import { formatPath } from './source.js'
import {
  type BlockPagePattern,
  type DnsSettings,
  type GroupPurpose,
  type HttpSettings,
  INCIDENT_KINDS,
  INCIDENT_LEVELS,
  type NewsSource,
  type ProbeKind,
  type Rally,
  type Region,
  type Target,
  type TargetGroup,
  type VantageRole,
  type VigilConfig,
} from './types.js'
import { formatDuration } from './units.js'

const DEFAULT_USER_AGENT = 'Mozilla/5.0 (compatible; Vigil/0.1; network measurement)'

const DEFAULT_VANTAGE_ROLES: Record<GroupPurpose, VantageRole[]> = {
  // Blocked services are measured where they are blocked, and from the control for comparison.
  service: ['in_country', 'control'],
  // Every vantage needs the neutral set to tell "this service is blocked" from "my link is down".
  control: ['in_country', 'outside', 'control'],
  // In-country endpoints seen from abroad show a full blackout while in-country agents cannot report.
  outside_in: ['outside', 'control'],
}

export function resolveConfig(
  file: string,
  raw: ConfigFile,
  written: (path: KeyPath) => boolean = () => true,
): { config: VigilConfig; issues: PathIssue[] } {
  const issues: PathIssue[] = []
  const report = (path: KeyPath, message: string) => issues.push({ path, message })

  const regions = resolveRegions(raw, report)
  const regionIndex = buildRegionIndex(regions)
  const canonicalRegion = (name: string, path: KeyPath): string => {
    const region = regionIndex.get(normalizeRegionName(name))
    if (region) return region.name
    report(path, `unknown region "${name}": declare it under regions (or add it as an alias)`)
    return name
  }

  const inMonitoredCountry = (name: string) =>
    regionIndex.get(normalizeRegionName(name))?.country === raw.country
  const vantage = resolveVantage(raw, canonicalRegion, inMonitoredCountry, report)
  const fingerprints = loadFingerprintFiles(file, raw, report)
  const targetGroups = resolveTargetGroups(raw, canonicalRegion, report, fingerprints, written)
  const rallies = raw.rallies.map((rally, index) =>
    resolveRally(rally, index, regions, canonicalRegion, report),
  )
  const sources = resolveNewsSources(raw, report, written, canonicalRegion, regions)

  raw.interception.knownRoots.forEach((root, index) => {
    if (root.sha256 === undefined && root.spkiSha256 === undefined) {
      report(
        ['interception', 'knownRoots', index],
        'give sha256 (of the certificate) or spkiSha256 (of its key)',
      )
    }
  })

  // Confirmation and unsubscribe links in subscription emails must point somewhere people can reach.
  if (raw.status.enabled && raw.status.subscriptions && raw.api.publicUrl === undefined) {
    report(['status', 'subscriptions'], 'email subscriptions need api.publicUrl for the links they mail')
  }

  const thresholds = raw.thresholds
  const blackout = thresholds.blackout
  if (!(blackout.critical < blackout.warning)) {
    report(['thresholds', 'blackout', 'critical'], `must be below warning (${blackout.warning})`)
  }
  if (!(blackout.warning < blackout.resolveAbove)) {
    report(['thresholds', 'blackout', 'resolveAbove'], `must be above warning (${blackout.warning})`)
  }
  const controlGroups = targetGroups.filter((group) => group.purpose === 'control')
  let monitorGroup = thresholds.monitorOffline.group
  if (monitorGroup !== undefined) {
    const group = targetGroups.find((candidate) => candidate.name === monitorGroup)
    if (!group)
      report(['thresholds', 'monitorOffline', 'group'], `no target group is named "${monitorGroup}"`)
    else if (group.purpose !== 'control') {
      report(
        ['thresholds', 'monitorOffline', 'group'],
        `"${monitorGroup}" is not a group with purpose: control`,
      )
    }
  } else {
    monitorGroup = controlGroups[0]?.name
  }

  const alerts = resolveAlerts(raw, canonicalRegion, report)

  const smtp = raw.smtp
  if ((smtp.user === undefined) !== (smtp.password === undefined)) {
    report(['smtp', smtp.user === undefined ? 'user' : 'password'], 'smtp.user and smtp.password go together')
  }

  const config: VigilConfig = {
    file,
    version: raw.version,
    name: raw.name ?? `Vigil ${raw.country}`,
    country: raw.country,
    vantage,
    regions,
    probing: {
      concurrency: raw.probing.concurrency,
      jitter: raw.probing.jitter,
      fingerprintFiles: fingerprints.map((loaded) => ({
        file: loaded.file,
        blockPages: loaded.blockPages.length,
        dnsAddresses: loaded.dnsAddresses.length,
        skipped: loaded.skipped.length,
      })),
    },
    // Filled in by parseConfig, which has the environment (NODE_EXTRA_CA_CERTS).
    trust: {
      roots: [],
      counts: { bundled: 0, environment: 0, files: 0 },
      environmentFile: undefined,
      files: [],
    },
    targetGroups,
    rallies,
    news: { sources, vocabulary: raw.news.vocabulary },
    interception: resolveInterception(raw),
    thresholds: {
      ...thresholds,
      monitorOffline: { group: monitorGroup, failureShare: thresholds.monitorOffline.failureShare },
    },
    alerts,
    smtp: {
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure ?? smtp.port === 465,
      requireTls: smtp.requireTls,
      user: smtp.user,
      password: smtp.password,
      from: smtp.from,
      timeout: smtp.timeout,
    },
    api: { ...raw.api, publicUrl: raw.api.publicUrl, metricsListen: raw.api.metricsListen },
    store: raw.store,
    agent: { ...raw.agent, apiUrl: raw.agent.apiUrl, token: raw.agent.token },
    observatories: {
      ooni: { ...raw.observatories.ooni, countries: raw.observatories.ooni.countries ?? [raw.country] },
      ioda: { ...raw.observatories.ioda, countries: raw.observatories.ioda.countries ?? [raw.country] },
    },
    status: { ...raw.status, title: raw.status.title },
  }
  return { config, issues }
}

type Report = (path: KeyPath, message: string) => void
type CanonicalRegion = (name: string, path: KeyPath) => string

function resolveRegions(raw: ConfigFile, report: Report): Region[] {
  // Which region (by position) each normalised name belongs to.
  const owners = new Map<string, number>()
  return raw.regions.map((region, index) => {
    const names: Array<[string, KeyPath]> = [
      [region.name, ['regions', index, 'name']],
      ...region.aliases.map((alias, aliasIndex): [string, KeyPath] => [
        alias,
        ['regions', index, 'aliases', aliasIndex],
      ]),
    ]
    for (const [name, path] of names) {
      const key = normalizeRegionName(name)
      const owner = owners.get(key)
      if (owner === undefined) owners.set(key, index)
      else if (owner === index) report(path, `"${name}" is already a name of this region`)
      else report(path, `"${name}" already names the region "${raw.regions[owner]?.name}"`)
    }
    return {
      name: region.name,
      country: region.country ?? raw.country,
      timeZone: region.timeZone,
      aliases: region.aliases,
    }
  })
}

function resolveVantage(
  raw: ConfigFile,
  canonicalRegion: CanonicalRegion,
  inMonitoredCountry: (region: string) => boolean,
  report: Report,
) {
  const vantage = raw.vantage
  let region = vantage.region
  if (vantage.role === 'in_country') {
    if (vantage.country !== raw.country) {
      report(
        ['vantage', 'country'],
        `an in_country vantage must be in the monitored country (${raw.country})`,
      )
    }
    if (region === undefined) report(['vantage', 'region'], 'an in_country vantage needs its region')
    else region = canonicalRegion(region, ['vantage', 'region'])
  } else if (region !== undefined && vantage.country === raw.country) {
    region = canonicalRegion(region, ['vantage', 'region'])
  } else if (region !== undefined && inMonitoredCountry(region)) {
    // A vantage abroad speaks for no city of the monitored country: one file serves every vantage, and its
    // region default (an in-country city) must not make a server abroad count as that city.
    region = undefined
  }
  return {
    id: vantage.id,
    role: vantage.role,
    country: vantage.country,
    region,
    network: { asn: vantage.network.asn, name: vantage.network.name, type: vantage.network.type },
  }
}

/** One cadence value and where it comes from: a key in the file, or a default that key would override. */
interface CadenceSetting {
  value: number
  path: KeyPath
  written: boolean
}

type Cadence = Record<'interval' | 'rallyInterval' | 'timeout', CadenceSetting>

/** The cadence of a section (`probing`, `news`): each key as written, or its default. */
function sectionCadence(
  path: KeyPath,
  values: { interval: number; rallyInterval: number; timeout: number },
  written: (path: KeyPath) => boolean,
): Cadence {
  const setting = (key: keyof Cadence): CadenceSetting => ({
    value: values[key],
    path: [...path, key],
    written: written([...path, key]),
  })
  return {
    interval: setting('interval'),
    rallyInterval: setting('rallyInterval'),
    timeout: setting('timeout'),
  }
}

/** An item's cadence: its own keys where it sets them, else the section's. */
function itemCadence(
  path: KeyPath,
  own: { interval?: number | undefined; rallyInterval?: number | undefined; timeout?: number | undefined },
  section: Cadence,
): Cadence {
  const setting = (key: keyof Cadence): CadenceSetting => {
    const value = own[key]
    return value === undefined ? section[key] : { value, path: [...path, key], written: true }
  }
  return {
    interval: setting('interval'),
    rallyInterval: setting('rallyInterval'),
    timeout: setting('timeout'),
  }
}

/**
 * Checks that a fast interval is not slower than the normal one and that a probe ends before the next.
 * The issue is reported on a key the file has: when the offending value is a default, the key that was
 * written is named, with what the default is and which key to set.
 */
function checkCadence(cadence: Cadence, report: Report): void {
  const notLonger = (shorter: CadenceSetting, longer: CadenceSetting) => {
    if (shorter.value <= longer.value) return
    const shorterName = String(shorter.path.at(-1))
    const longerName = String(longer.path.at(-1))
    if (shorter.written || !longer.written) {
      report(
        shorter.path,
        `must not be longer than ${longerName} (${formatDuration(longer.value)}${longer.written ? '' : ', its default'})`,
      )
    } else {
      report(
        longer.path,
        `${formatDuration(longer.value)} is shorter than ${shorterName}, which is not set and defaults to ` +
          `${formatDuration(shorter.value)}; set ${formatPath(shorter.path)} to ${formatDuration(longer.value)} or less`,
      )
    }
  }
  notLonger(cadence.rallyInterval, cadence.interval)
  notLonger(cadence.timeout, cadence.rallyInterval)
}

/** Whether an item sets any cadence key of its own, so that its cadence is checked apart from the section's. */
function setsCadence(own: { interval?: unknown; rallyInterval?: unknown; timeout?: unknown }): boolean {
  return own.interval !== undefined || own.rallyInterval !== undefined || own.timeout !== undefined
}

function resolveTargetGroups(
  raw: ConfigFile,
  canonicalRegion: CanonicalRegion,
  report: Report,
  fingerprints: readonly FingerprintFile[],
  written: (path: KeyPath) => boolean,
): TargetGroup[] {
  const probing = raw.probing
  const probingCadence = sectionCadence(['probing'], probing, written)
  checkCadence(probingCadence, report)
  const sharedDns: DnsSettings = {
    resolver: probing.dns.resolver ?? 'system',
    controlResolver: probing.dns.controlResolver,
    recordTypes: probing.dns.recordTypes ?? ['A', 'AAAA'],
    blockPageAddresses: probing.dns.blockPageAddresses ?? [],
  }
  const sharedHttp: HttpSettings = {
    userAgent: probing.http.userAgent ?? DEFAULT_USER_AGENT,
    maxRedirects: probing.http.maxRedirects ?? 10,
    maxBodyBytes: probing.http.maxBodyBytes ?? 1_048_576,
  }
  const section = probing.blockPages
  const sharedBlockPages = Array.isArray(section)
    ? section.map((page, index) => resolveBlockPage(page, ['probing', 'blockPages', index], report))
    : section.patterns.map((page, index) =>
        resolveBlockPage(page, ['probing', 'blockPages', 'patterns', index], report),
      )
  const fingerprintAddresses: string[] = []
  for (const loaded of fingerprints) {
    sharedBlockPages.push(...loaded.blockPages)
    fingerprintAddresses.push(...loaded.dnsAddresses)
  }

  const groupNames = new Set<string>()
  const targetNames = new Map<string, string>()
  const groups = raw.targetGroups.map((group, groupIndex): TargetGroup => {
    const path: KeyPath = ['targetGroups', groupIndex]
    if (groupNames.has(group.name))
      report([...path, 'name'], `another target group is already named "${group.name}"`)
    groupNames.add(group.name)
    const cadence = {
      interval: group.interval ?? probing.interval,
      rallyInterval: group.rallyInterval ?? probing.rallyInterval,
      timeout: group.timeout ?? probing.timeout,
    }
    if (setsCadence(group)) checkCadence(itemCadence(path, group, probingCadence), report)
    const probes = group.probes ?? probing.probes
    const targets = group.targets.map((target, targetIndex) => {
      const resolved = resolveTarget(
        target,
        group.name,
        probes,
        [...path, 'targets', targetIndex],
        canonicalRegion,
        report,
      )
      const owner = targetNames.get(resolved.name)
      if (owner !== undefined) {
        report(
          [...path, 'targets', targetIndex, target.name === undefined ? 'host' : 'name'],
          `another target is already named "${resolved.name}" (in group "${owner}"); give this one a distinct name`,
        )
      }
      targetNames.set(resolved.name, group.name)
      return resolved
    })
    return {
      name: group.name,
      description: group.description,
      purpose: group.purpose,
      controlGroup: group.controlGroup,
      vantageRoles: group.vantageRoles ?? DEFAULT_VANTAGE_ROLES[group.purpose],
      probes,
      ...cadence,
      dns: {
        resolver: group.dns?.resolver ?? sharedDns.resolver,
        controlResolver: group.dns?.controlResolver ?? sharedDns.controlResolver,
        recordTypes: group.dns?.recordTypes ?? sharedDns.recordTypes,
        blockPageAddresses: [
          ...new Set([
            ...(group.dns?.blockPageAddresses ?? sharedDns.blockPageAddresses),
            ...fingerprintAddresses,
          ]),
        ],
      },
      http: {
        userAgent: group.http?.userAgent ?? sharedHttp.userAgent,
        maxRedirects: group.http?.maxRedirects ?? sharedHttp.maxRedirects,
        maxBodyBytes: group.http?.maxBodyBytes ?? sharedHttp.maxBodyBytes,
      },
      blockPages: [
        ...sharedBlockPages,
        ...group.blockPages.map((page, index) =>
          resolveBlockPage(page, [...path, 'blockPages', index], report),
        ),
      ],
      targets,
    }
  })

  // Control groups are resolved once every group is known, so a group may name one declared after it.
  const firstControl = groups.find((group) => group.purpose === 'control')
  groups.forEach((group, index) => {
    if (group.controlGroup === undefined) {
      if (group.purpose !== 'control') group.controlGroup = firstControl?.name
      return
    }
    const control = groups.find((candidate) => candidate.name === group.controlGroup)
    const path: KeyPath = ['targetGroups', index, 'controlGroup']
    if (!control) report(path, `no target group is named "${group.controlGroup}"`)
    else if (control.purpose !== 'control')
      report(path, `"${control.name}" is not a group with purpose: control`)
    else if (group.purpose === 'control')
      report(path, 'a control group is not compared with another control group')
  })
  return groups
}

/** Reads `probing.blockPages.files`, relative to the config file; a problem is reported at the file's key. */
function loadFingerprintFiles(configFile: string, raw: ConfigFile, report: Report): FingerprintFile[] {
  const section = raw.probing.blockPages
  if (Array.isArray(section)) return []
  const base = path.dirname(path.resolve(configFile))
  return section.files.flatMap((name, index) => {
    const where: KeyPath = ['probing', 'blockPages', 'files', index]
    const file = path.resolve(base, name)
    let text: string
    try {
      const size = statSync(file).size
      if (size > MAX_FINGERPRINT_FILE_BYTES) {
        report(where, `${file} is ${size} bytes, more than ${MAX_FINGERPRINT_FILE_BYTES}`)
        return []
      }
      text = readFileSync(file, 'utf8')
    } catch (error) {
      report(
        where,
        `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      )
      return []
    }
    try {
      return [parseOoniFingerprints(text, file, { countries: section.countries ?? [] })]
    } catch (error) {
      report(where, (error as Error).message)
      return []
    }
  })
}

// OONI's two files are a few hundred kilobytes together.
const MAX_FINGERPRINT_FILE_BYTES = 16 * 1024 * 1024

function resolveBlockPage(
  page: ConfigFile['targetGroups'][number]['blockPages'][number],
  path: KeyPath,
  report: Report,
): BlockPagePattern {
  if (page.status === undefined && page.body === undefined && page.header === undefined) {
    report(path, 'a block page needs at least one of status, body or header')
  }
  return {
    name: page.name,
    statusCodes: page.status,
    bodyPattern: page.body,
    header: page.header,
    hop: page.hop,
  }
}

function resolveTarget(
  target: ConfigFile['targetGroups'][number]['targets'][number],
  group: string,
  groupProbes: ProbeKind[],
  path: KeyPath,
  canonicalRegion: CanonicalRegion,
  report: Report,
): Target {
  const probes = target.probes ?? groupProbes
  const parsed = target.url === undefined ? undefined : new URL(target.url)
  if (parsed && target.host !== undefined) {
    report([...path, 'host'], 'give either url or host, not both (the host is taken from the url)')
  }
  if (!parsed && target.host === undefined) report(path, 'a target needs a url or a host')
  const host = parsed ? parsed.hostname.replace(/^\[|\]$/g, '') : (target.host ?? '')

  const urls: Target['urls'] = {}
  for (const kind of ['http', 'https'] as const) {
    if (!probes.includes(kind)) continue
    if (!parsed) {
      if (target.host !== undefined) report([...path, 'url'], `probe kind "${kind}" needs a url`)
      continue
    }
    // The same address over the other scheme: is plain HTTP blocked or answered with a block page?
    const swapped = new URL(parsed.href)
    if (swapped.protocol !== `${kind}:`) {
      swapped.protocol = `${kind}:`
      swapped.port = ''
    }
    urls[kind] = swapped.href
  }
  if (probes.includes('dns') && host !== '' && isIP(host) !== 0) {
    report(
      [...path, target.url === undefined ? 'host' : 'url'],
      'probe kind "dns" needs a host name, not an IP address',
    )
  }
  const defaultPort = parsed ? Number(parsed.port || (parsed.protocol === 'http:' ? 80 : 443)) : 443
  return {
    name: target.name ?? host,
    group,
    host,
    port: target.port ?? defaultPort,
    sni: target.sni ?? host,
    url: target.url,
    urls,
    probes,
    region: target.region === undefined ? undefined : canonicalRegion(target.region, [...path, 'region']),
    asn: target.asn,
    networkType: target.network ?? 'unknown',
  }
}

function resolveRally(
  rally: ConfigFile['rallies'][number],
  index: number,
  regions: Region[],
  canonicalRegion: CanonicalRegion,
  report: Report,
): Rally {
  const path: KeyPath = ['rallies', index]
  const written = typeof rally.city === 'string' ? [rally.city] : rally.city
  const allCities = written.some((city) => city.toLowerCase() === 'all')
  if (allCities && written.length > 1) report([...path, 'city'], '"all" already includes every city')
  const cities = allCities
    ? regions.map((region) => region.name)
    : written.map((city, cityIndex) =>
        canonicalRegion(
          city,
          typeof rally.city === 'string' ? [...path, 'city'] : [...path, 'city', cityIndex],
        ),
      )
  if (new Set(cities).size !== cities.length) report([...path, 'city'], 'a city is listed twice')
  // Both are local times in the same city, so comparing the normalised text compares the instants.
  if (!(rally.start < rally.end)) report([...path, 'end'], `must be after start (${rally.start})`)
  return {
    name: rally.name,
    cities,
    allCities,
    start: rally.start,
    end: rally.end,
    leadHours: rally.leadHours,
    tailHours: rally.tailHours,
    note: rally.note,
  }
}

function resolveNewsSources(
  raw: ConfigFile,
  report: Report,
  written: (path: KeyPath) => boolean,
  canonicalRegion: CanonicalRegion,
  regions: readonly { name: string; timeZone: string }[],
): NewsSource[] {
  const names = new Set<string>()
  const newsCadence = sectionCadence(['news'], raw.news, written)
  checkCadence(newsCadence, report)
  return raw.news.sources.map((source, index) => {
    const path: KeyPath = ['news', 'sources', index]
    if (names.has(source.name))
      report([...path, 'name'], `another news source is already named "${source.name}"`)
    names.add(source.name)
    if (source.type === 'html' && source.html === undefined) {
      report(path, 'an html source needs html selectors (item, title, link)')
    }
    if (source.type !== 'html' && source.html !== undefined) {
      report([...path, 'html'], `selectors apply only to type: html, not ${source.type}`)
    }
    const cadence = {
      interval: source.interval ?? raw.news.interval,
      rallyInterval: source.rallyInterval ?? raw.news.rallyInterval,
      timeout: source.timeout ?? raw.news.timeout,
    }
    if (setsCadence(source)) checkCadence(itemCadence(path, source, newsCadence), report)
    const region =
      source.region === undefined ? undefined : canonicalRegion(source.region, [...path, 'region'])
    // Dates without an offset are the outlet's local time: its region's zone, else the monitored country's
    // first region's (the config's regions are the country's), never the monitor's own.
    const timeZone =
      regions.find((candidate) => candidate.name === region)?.timeZone ?? regions[0]?.timeZone ?? 'UTC'
    return {
      name: source.name,
      type: source.type,
      url: source.url,
      language: source.language,
      region,
      timeZone,
      encoding: source.encoding,
      ...cadence,
      maxBytes: source.maxBytes ?? raw.news.maxBytes,
      html: source.html && {
        item: source.html.item,
        title: source.html.title,
        link: source.html.link,
        linkAttribute: source.html.linkAttribute,
        date: source.html.date,
        dateAttribute: source.html.dateAttribute,
        summary: source.html.summary,
      },
      enabled: source.enabled,
    }
  })
}

function resolveInterception(raw: ConfigFile): VigilConfig['interception'] {
  const section = raw.interception
  return {
    interval: section.interval,
    rallyInterval: section.rallyInterval,
    knownRoots: section.knownRoots.map((root) => ({
      name: root.name,
      sha256: root.sha256,
      spkiSha256: root.spkiSha256,
      note: root.note,
    })),
    pins: section.pins,
  }
}

function resolveAlerts(
  raw: ConfigFile,
  canonicalRegion: CanonicalRegion,
  report: Report,
): VigilConfig['alerts'] {
  const section = raw.alerts
  const receiverNames = new Set<string>()
  section.receivers.forEach((receiver, index) => {
    const path: KeyPath = ['alerts', 'receivers', index]
    if (receiverNames.has(receiver.name))
      report([...path, 'name'], `another receiver is already named "${receiver.name}"`)
    receiverNames.add(receiver.name)
    const { telegram, matrix, signal, ntfy } = receiver
    if (
      receiver.email.length === 0 &&
      receiver.webhook === undefined &&
      [telegram, matrix, signal, ntfy].every((channel) => channel === undefined)
    ) {
      report(
        path,
        'a receiver needs at least one email address, a webhook, or a telegram, matrix, signal or ntfy channel',
      )
    }
    if (telegram && !telegram.botToken) {
      report(
        [...path, 'telegram', 'botToken'],
        `a Telegram receiver needs the bot token, from the environment: \${VIGIL_TELEGRAM_BOT_TOKEN}`,
      )
    }
    if (matrix && !matrix.accessToken) {
      report(
        [...path, 'matrix', 'accessToken'],
        `a Matrix receiver needs an access token, from the environment: \${VIGIL_MATRIX_ACCESS_TOKEN}`,
      )
    }
  })
  const checkReceiver = (name: string, path: KeyPath) => {
    if (!receiverNames.has(name)) report(path, `no receiver is named "${name}"`)
  }
  if (section.defaultReceiver !== undefined)
    checkReceiver(section.defaultReceiver, ['alerts', 'defaultReceiver'])

  const routes = section.routes.map((route, index) => {
    const path: KeyPath = ['alerts', 'routes', index]
    checkReceiver(route.receiver, [...path, 'receiver'])
    return {
      receiver: route.receiver,
      kinds: route.kinds ?? [...INCIDENT_KINDS],
      levels: route.levels ?? [...INCIDENT_LEVELS],
      regions: route.regions?.map((region, regionIndex) =>
        canonicalRegion(region, [...path, 'regions', regionIndex]),
      ),
      groupWait: route.groupWait,
      rallyGroupWait: route.rallyGroupWait,
      groupInterval: route.groupInterval,
      repeatInterval: route.repeatInterval,
      sendResolved: route.sendResolved,
      continue: route.continue,
    }
  })

  const silences = section.silences.map((silence, index) => {
    const path: KeyPath = ['alerts', 'silences', index]
    if (!(silence.start.getTime() < silence.end.getTime())) report([...path, 'end'], 'must be after start')
    return {
      comment: silence.comment,
      start: silence.start,
      end: silence.end,
      kinds: silence.kinds,
      regions: silence.regions?.map((region, regionIndex) =>
        canonicalRegion(region, [...path, 'regions', regionIndex]),
      ),
      vantages: silence.vantages,
    }
  })

  return {
    // Links in emails point at the api's public address unless told otherwise.
    links: { api: section.links.api ?? raw.api.publicUrl, dashboard: section.links.dashboard },
    receivers: section.receivers.map((receiver) => ({
      name: receiver.name,
      email: receiver.email,
      webhook: receiver.webhook && { url: receiver.webhook.url, bearerToken: receiver.webhook.bearerToken },
      telegram: receiver.telegram && {
        chatId: receiver.telegram.chatId,
        botToken: receiver.telegram.botToken ?? '',
        apiUrl: receiver.telegram.apiUrl,
      },
      matrix: receiver.matrix && {
        homeserver: receiver.matrix.homeserver,
        roomId: receiver.matrix.roomId,
        accessToken: receiver.matrix.accessToken ?? '',
      },
      signal: receiver.signal && {
        url: receiver.signal.url,
        number: receiver.signal.number,
        recipients: receiver.signal.recipients,
      },
      ntfy: receiver.ntfy && {
        url: receiver.ntfy.url,
        topic: receiver.ntfy.topic,
        token: receiver.ntfy.token,
      },
    })),
    routes,
    defaultReceiver: section.defaultReceiver,
    silences,
  }
}
