// The board's HTML, from a snapshot: the server renders it into the page as served, and the page's script
// renders each update from the same function, so both always show the same thing. Pure string building;
// every value from the store is escaped.
import { REGION_STATE_TITLES, type RegionStateName } from './region-state.js'
import type { BoardIncident, BoardRegion, BoardSnapshot, ChartPoint } from './snapshot.js'

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
}

const h = escapeHtml

/** `2019-06-09 10:02 UTC`. */
export function utcTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`
}

/** `2019-06-09 16:02` on the wall clock of `timeZone`. */
export function zoneTime(iso: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(iso))
  const get = (type: string) => parts.find((part) => part.type === type)?.value ?? ''
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`
}

function time(iso: string): string {
  return `<time datetime="${h(iso)}">${h(utcTime(iso))}</time>`
}

function percent(share: number | null): string {
  return share === null ? 'no data' : `${Math.round(share * 1000) / 10}%`
}

/** An inline SVG of hourly success shares (bars) against the baseline (a dashed line). */
export function renderChart(chart: readonly ChartPoint[], baseline: number | null, label: string): string {
  const width = 240
  const height = 48
  const step = chart.length > 0 ? width / chart.length : width
  const bars = chart
    .map((point, index) => {
      if (point.share === null) return ''
      const barHeight = Math.max(1, point.share * height)
      return `<rect x="${(index * step).toFixed(1)}" y="${(height - barHeight).toFixed(1)}" width="${Math.max(1, step - 1).toFixed(1)}" height="${barHeight.toFixed(1)}"/>`
    })
    .join('')
  const line =
    baseline === null
      ? ''
      : `<line class="baseline" x1="0" x2="${width}" y1="${(height - baseline * height).toFixed(1)}" y2="${(height - baseline * height).toFixed(1)}"/>`
  const latest = [...chart].reverse().find((point) => point.share !== null)
  const description = `${label}: success share over the last 24 hours, latest ${percent(latest?.share ?? null)}, ${baseline === null ? 'no baseline yet' : `baseline ${percent(baseline)}`}`
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" preserveAspectRatio="none" role="img" aria-label="${h(description)}"><title>${h(description)}</title>${bars}${line}</svg>`
}

function stateBadge(state: RegionStateName): string {
  return `<span class="state state-${state}">${h(REGION_STATE_TITLES[state])}</span>`
}

function renderRegion(region: BoardRegion): string {
  const latest = [...region.chart].reverse().find((point) => point.share !== null)
  return `<li class="tile tile-${region.state}" data-region="${h(region.name)}">
<h3>${h(region.name)}</h3>
<p>${stateBadge(region.state)}${region.since ? ` <span class="since">since ${time(region.since)}</span>` : ''}</p>
${renderChart(region.chart, region.baseline, region.name)}
<p class="figures">Now ${h(percent(latest?.share ?? null))} · ${region.baseline === null ? 'no baseline yet' : `baseline ${h(percent(region.baseline))}`}</p>
</li>`
}

/** What the person looking at the board may do. */
export interface BoardViewer {
  /** The session's API key has scope operate or higher: the acknowledge buttons are shown. */
  canOperate: boolean
}

// The acknowledgement badge (who, when, what they said) and, for an operator, the button that
// acknowledges or withdraws. The buttons post plain forms; the server answers with the board again.
function renderAcknowledgement(incident: BoardIncident, viewer: BoardViewer): string {
  const ack = incident.acknowledgement
  const badge = ack
    ? `<p class="ack"><span class="badge-ack">Acknowledged</span> by ${h(ack.by)} at ${time(ack.at)}${ack.comment ? ` · ${h(ack.comment)}` : ''}</p>`
    : ''
  if (!viewer.canOperate) return badge
  const action = ack ? 'unack' : 'ack'
  const label = ack ? 'Withdraw acknowledgement' : 'Acknowledge'
  return `${badge}<form class="ack-form" method="post" action="/board/incidents/${incident.id}/${action}"><button type="submit">${label}</button></form>`
}

/** The sections of the board (everything inside `<main>`); buttons only for a viewer who may use them. */
export function renderBoardMain(
  snapshot: BoardSnapshot,
  viewer: BoardViewer = { canOperate: false },
): string {
  const regions = `<section aria-labelledby="h-regions"><h2 id="h-regions">Regions</h2>
<ul class="tiles">${snapshot.regions.map(renderRegion).join('')}</ul></section>`

  const incidents = `<section aria-labelledby="h-incidents"><h2 id="h-incidents">Active incidents (${snapshot.incidents.length})</h2>
${
  snapshot.incidents.length === 0
    ? '<p>No open incidents.</p>'
    : `<ul class="cards">${snapshot.incidents
        .map(
          (
            incident,
          ) => `<li class="card level-${h(incident.level)}${incident.acknowledgement ? ' acknowledged' : ''}" id="incident-${incident.id}" data-incident="${incident.id}">
<h3>${h(incident.title)} · ${h(incident.place)}</h3>
<p><span class="level">${h(incident.level)}</span> · ${h(incident.state)} · since ${time(incident.firingAt ?? incident.startedAt)}</p>
<p>${h(incident.summary)}</p>
${renderAcknowledgement(incident, viewer)}
${
  incident.evidence.length > 0
    ? `<dl>${incident.evidence.map((line) => `<dt>${h(line.label)}</dt><dd>${h(line.value)}</dd>`).join('')}</dl>`
    : ''
}
${
  incident.sources.length > 0
    ? `<ul class="links">${incident.sources.map((source) => `<li><a href="${h(source.url)}" rel="noopener noreferrer">${h(source.title)}</a></li>`).join('')}</ul>`
    : ''
}
</li>`,
        )
        .join('')}</ul>`
}</section>`

  const reports = `<section aria-labelledby="h-reports"><h2 id="h-reports">Detention reports</h2>
${
  snapshot.reports.length === 0
    ? '<p>No detention reports in the last 7 days.</p>'
    : `<ul class="cards">${snapshot.reports
        .map(
          (report) => `<li class="card">
<h3>${h(report.cities.join(', ') || 'City unknown')}: ${h(report.count ?? 'count unknown')}</h3>
<p>${h(report.title)}${report.day ? ` · ${h(report.day)}` : ''} · version ${report.version}, updated ${time(report.updatedAt)}</p>
<ol class="history">${report.history
            .map(
              (entry) =>
                `<li>${time(entry.at)} · ${entry.url ? `<a href="${h(entry.url)}" rel="noopener noreferrer">${h(entry.source)}</a>` : h(entry.source)}${entry.count ? ` · ${h(entry.count)}` : ''}</li>`,
            )
            .join('')}</ol>
</li>`,
        )
        .join('')}</ul>`
}</section>`

  const vantages = `<section aria-labelledby="h-vantages"><h2 id="h-vantages">Vantages</h2>
${
  snapshot.vantages.length === 0
    ? '<p>No vantages registered.</p>'
    : `<div class="scroll" tabindex="0" role="region" aria-label="Vantages table"><table><thead><tr><th scope="col">Vantage</th><th scope="col">Region</th><th scope="col">Status</th><th scope="col">Last heard</th><th scope="col">Spool backlog</th><th scope="col">Clock skew</th></tr></thead><tbody>${snapshot.vantages
        .map(
          (vantage) =>
            `<tr><td>${h(vantage.id)}</td><td>${h(vantage.region ?? '-')}</td><td class="status-${h(vantage.status)}">${h(vantage.status)}</td><td>${vantage.lastSeenAt ? time(vantage.lastSeenAt) : 'never'}</td><td>${vantage.spoolBacklog ?? '-'}</td><td>${vantage.clockSkewMs === null ? '-' : `${(vantage.clockSkewMs / 1000).toFixed(1)} s`}</td></tr>`,
        )
        .join('')}</tbody></table></div>`
}</section>`

  const rallies = `<section aria-labelledby="h-rallies"><h2 id="h-rallies">Rally calendar</h2>
${
  snapshot.rallies.length === 0
    ? '<p>No rallies in the calendar.</p>'
    : `<ul class="rallies">${snapshot.rallies
        .map(
          (rally) =>
            `<li class="rally rally-${rally.phase}">${rally.phase === 'current' ? '<strong>Now:</strong> ' : rally.phase === 'next' ? '<strong>Next:</strong> ' : ''}${h(rally.name)} · ${h(rally.city)}: ${h(utcTime(rally.start))} to ${h(utcTime(rally.end))} (local ${h(zoneTime(rally.start, rally.timeZone))} to ${h(zoneTime(rally.end, rally.timeZone))}, ${h(rally.timeZone)})</li>`,
        )
        .join('')}</ul>`
}</section>`

  const sources = `<section aria-labelledby="h-sources"><h2 id="h-sources">News sources</h2>
${
  snapshot.sources.length === 0
    ? '<p>No news sources configured.</p>'
    : `<ul class="sources">${snapshot.sources
        .map(
          (source) =>
            `<li>${source.url ? `<a href="${h(source.url)}" rel="noopener noreferrer">${h(source.name)}</a>` : h(source.name)} · <span class="status-${h(source.state)}">${h(source.state)}</span>${source.lastSuccessAt ? ` · last fetched ${time(source.lastSuccessAt)}` : ''}</li>`,
        )
        .join('')}</ul>`
}</section>`

  return `${regions}${incidents}${reports}${rallies}${vantages}${sources}
<p class="generated">Data as of ${time(snapshot.generatedAt)}</p>`
}
