// The email a person acts on: a subject that says what, where and since when in local time, and a text and
// an HTML part with the evidence, the times in UTC and the local zone, and links. Every piece of untrusted
// text (summaries, headlines, evidence sentences, names) is escaped in the HTML part, and every rendered
// part loses its bidirectional controls. A group of more than MAX_LISTED_INCIDENTS incidents lists the
// first ones and gives the count of the rest and a link to all of them.
import { createHash } from 'node:crypto'
import type { VigilConfig } from '@vigil/config'
import { displayText } from '@vigil/outside-text'
import type { Incident, IncidentLevel } from '@vigil/store'
import {
  dashboardLink,
  describeEvidence,
  detentionDetails,
  type EvidenceLine,
  groupLink,
  incidentLink,
  KIND_TITLES,
  placeOf,
  type SourceLink,
  zoneOf,
} from './describe.js'
import { describeTime, localTime } from './time.js'
import type { NotificationBundle } from './types.js'

export interface RenderedEmail {
  subject: string
  text: string
  html: string
}

const LEVEL_ORDER: Record<IncidentLevel, number> = { info: 0, warning: 1, critical: 2 }

export function highestLevel(incidents: readonly Incident[]): IncidentLevel {
  return incidents.reduce<IncidentLevel>(
    (top, incident) => (LEVEL_ORDER[incident.level] > LEVEL_ORDER[top] ? incident.level : top),
    'info',
  )
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** A Message-ID that is the same for every attempt at the same message, so receivers can drop repeats. */
export function messageIdFor(idempotencyKey: string, from: string): string {
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'vigil.invalid'
  return `<${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 40)}@${domain}>`
}

/**
 * Incidents described one by one in a message. A flood (hundreds of detention reports in one group wait)
 * is summarised past this: the count of the others and a link to the api's list of them, as
 * Alertmanager's webhook does with `max_alerts` and `truncatedAlerts`.
 */
export const MAX_LISTED_INCIDENTS = 25

/** How a message for people outside the operators differs (the status page's subscribers). */
export interface EmailOptions {
  /**
   * A public reader's message: no links into the api or the dashboard (they need an operator's key or
   * network); `all` is where the whole list is instead (the status page).
   */
  publicLinks?: { all: string }
  /** Replaces the closing line (`Sent by Vigil (...) to RECEIVER.`); the HTML is used as it is. */
  footer?: { text: string; html: string }
}

export function renderEmail(
  bundle: NotificationBundle,
  config: VigilConfig,
  options: EmailOptions = {},
): RenderedEmail {
  const incidents = bundle.items.map((item) => item.incident)
  const subject = renderSubject(bundle, config)
  const listed = incidents.slice(0, MAX_LISTED_INCIDENTS)
  const unlisted = incidents.length - listed.length
  const isPublic = options.publicLinks !== undefined
  const sections = listed.map((incident) => {
    const section = incidentSection(incident, bundle, config)
    return isPublic ? { ...section, link: undefined } : section
  })
  const dashboard = isPublic ? undefined : dashboardLink(config, incidents)
  const intro = introduction(bundle)
  const allLink =
    unlisted === 0 ? undefined : isPublic ? options.publicLinks?.all : groupLink(config, incidents)
  const more =
    unlisted > 0
      ? `…and ${unlisted} more (${incidents.length} in all, the first ${listed.length} above)${allLink ? `: ${allLink}` : '; see /v1/incidents in the Vigil api'}`
      : undefined
  const footer = options.footer ?? {
    text: `Sent by Vigil (${config.name}) to ${bundle.receiver}.`,
    html: `<p style="color:#666">Sent by Vigil (${escapeHtml(config.name)}) to ${escapeHtml(bundle.receiver)}.</p>`,
  }

  const text = [
    subject,
    '',
    intro,
    '',
    ...sections.flatMap((section) => [
      section.heading,
      ...section.lines.map((line) => `  ${line.label}: ${line.value}`),
      ...(section.sources.length > 0
        ? [
            '  Sources:',
            ...section.sources.map(
              (s) =>
                `    - ${s.url === null ? s.title : s.title === s.url ? s.url : `${s.title} <${s.url}>`}`,
            ),
          ]
        : []),
      ...(section.link ? [`  Details: ${section.link}`] : []),
      '',
    ]),
    ...(more ? [more, ''] : []),
    ...(dashboard ? [`Dashboard: ${dashboard}`, ''] : []),
    footer.text,
  ].join('\n')

  const html = [
    '<!doctype html><html><head><meta charset="utf-8"></head><body style="font-family:sans-serif">',
    `<h2>${escapeHtml(subject)}</h2>`,
    `<p>${escapeHtml(intro)}</p>`,
    ...sections.map((section) =>
      [
        `<h3>${escapeHtml(section.heading)}</h3>`,
        '<table cellpadding="4">',
        ...section.lines.map(
          (line) =>
            `<tr><th align="left" valign="top">${escapeHtml(line.label)}</th><td>${escapeHtml(line.value)}</td></tr>`,
        ),
        '</table>',
        ...(section.sources.length > 0
          ? [
              '<p>Sources:</p><ul>',
              ...section.sources.map(
                (s) => `<li>${s.url === null ? escapeHtml(s.title) : anchor(s.url, s.title)}</li>`,
              ),
              '</ul>',
            ]
          : []),
        ...(section.link ? [`<p>${anchor(section.link, 'Details in the Vigil api')}</p>`] : []),
      ].join('\n'),
    ),
    ...(unlisted > 0
      ? [
          `<p>${escapeHtml(`…and ${unlisted} more (${incidents.length} in all, the first ${listed.length} above).`)} ${
            allLink
              ? anchor(allLink, isPublic ? 'All of them on the status page' : 'All of them in the Vigil api')
              : ''
          }</p>`,
        ]
      : []),
    ...(dashboard ? [`<p>${anchor(dashboard, 'Open the dashboard')}</p>`] : []),
    footer.html,
    '</body></html>',
  ].join('\n')

  // Feed titles and summaries may carry U+202E and its kin: none reaches a reader.
  return { subject: displayText(subject), text: displayText(text), html: displayText(html) }
}

export function renderSubject(bundle: NotificationBundle, config: VigilConfig): string {
  const incidents = bundle.items.map((item) => item.incident)
  const first = incidents[0]!
  const zone = zoneOf(config, first)
  const tag = bundle.event === 'resolved' ? '[RESOLVED]' : `[${highestLevel(incidents).toUpperCase()}]`
  const prefix = bundle.event === 'update' ? 'Update: ' : bundle.event === 'reminder' ? 'Still ongoing: ' : ''

  if (bundle.kind === 'detention_report') {
    const what =
      incidents.length === 1 ? detentionHeadline(first) : `${incidents.length} reports, ${places(incidents)}`
    const title = prefix ? `${prefix}detentions reported` : 'Detentions reported'
    return `${tag} ${title}: ${what}`
  }

  const start = localTime(first.firingAt ?? first.startedAt, zone)
  let when = `since ${start.time} ${start.offset}`
  if (bundle.event === 'resolved') {
    const ends = incidents.map((i) => i.resolvedAt?.getTime() ?? 0)
    const end = localTime(new Date(Math.max(...ends)), zone)
    when = `${start.time}–${end.time} ${end.offset}`
  }
  return `${tag} ${prefix}${KIND_TITLES[bundle.kind]}: ${places(incidents)} — ${when}`
}

/** One incident's part of a message, in plain text: every channel renders it in its own markup. */
export interface Section {
  heading: string
  lines: EvidenceLine[]
  sources: SourceLink[]
  link: string | undefined
}

/** The heading, figures (`describeEvidence`), sources and link of one incident, as the email shows them. */
export function incidentSection(
  incident: Incident,
  bundle: NotificationBundle,
  config: VigilConfig,
): Section {
  const zone = zoneOf(config, incident)
  const lines: EvidenceLine[] = [
    { label: 'Level', value: incident.level },
    { label: 'Summary', value: incident.summary },
    { label: 'Started', value: describeTime(incident.startedAt, zone) },
  ]
  if (incident.firingAt && incident.firingAt.getTime() !== incident.startedAt.getTime()) {
    lines.push({ label: 'Confirmed', value: describeTime(incident.firingAt, zone) })
  }
  if (incident.resolvedAt) lines.push({ label: 'Resolved', value: describeTime(incident.resolvedAt, zone) })
  lines.push(...describeEvidence(incident))
  let heading = `${KIND_TITLES[incident.kind]}: ${placeOf(incident)}`
  let sources: Section['sources'] = []
  if (incident.kind === 'detention_report') {
    const report = detentionDetails(incident)
    const isUpdate = bundle.event === 'update'
    heading = `${isUpdate ? 'Updated report' : 'New report'}: ${detentionHeadline(incident)}`
    lines.unshift({
      label: 'Status',
      value: isUpdate ? `update (version ${report.version} of this report)` : 'new report',
    })
    sources = report.sources
  }
  return { heading, lines, sources, link: incidentLink(config, incident) }
}

/** The sentence under the subject: what happened, to how many incidents. */
export function introduction(bundle: NotificationBundle): string {
  const n = bundle.items.length
  const title = KIND_TITLES[bundle.kind].toLowerCase()
  const which = n === 1 ? 'an incident' : `${n} incidents that started together`
  switch (bundle.event) {
    case 'firing':
      return bundle.kind === 'detention_report'
        ? `A new report of detentions was published (${n === 1 ? 'one report' : `${n} reports`}).`
        : `Vigil detected ${which}: ${title}.`
    case 'update':
      return bundle.kind === 'detention_report'
        ? 'A report of detentions sent earlier was updated: the count changed.'
        : `The level of ${which} changed: ${title}.`
    case 'reminder':
      return `Still ongoing: ${title} (${which}).`
    case 'resolved':
      return `Resolved: ${title} (${which}) is over.`
  }
}

// `about 700 in Almaty on 2019-07-06`
function detentionHeadline(incident: Incident): string {
  const report = detentionDetails(incident)
  const parts = [report.count ?? 'detentions']
  if (report.cities.length > 0) parts.push(`in ${report.cities.join(', ')}`)
  if (report.day) parts.push(`on ${report.day}`)
  return parts.join(' ')
}

function places(incidents: readonly Incident[]): string {
  const names = [...new Set(incidents.map(placeOf))]
  return names.length <= 5 ? names.join(', ') : `${names.slice(0, 5).join(', ')} and ${names.length - 5} more`
}

// Only http(s) links become anchors: a source could carry a javascript: URL.
function anchor(url: string, label: string): string {
  if (!/^https?:\/\//i.test(url)) return escapeHtml(label === url ? url : `${label} (${url})`)
  return `<a href="${escapeHtml(url)}">${escapeHtml(label)}</a>`
}
