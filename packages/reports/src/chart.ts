// The rally timeline as SVG: one lane per city on a shared UTC axis, with availability against baseline as
// a line, drops and outage incidents as shaded spans, detention reports as markers, the announced start
// as a dashed line; IODA's signals and OONI's measurements (a row per test) in lanes of their own when
// imported, labelled as those observatories' data.
import { utcTime, wallClock } from './time.js'
import type { IodaSeries, RallyReport } from './types.js'

/** `ping-slash24-loss loss_pct`, `gtr WEB_SEARCH`, `bgp`. */
export function seriesName(series: Pick<IodaSeries, 'datasource' | 'subtype' | 'metric'>): string {
  return [series.datasource, series.subtype, series.metric].filter((part) => part !== '').join(' ')
}

const WIDTH = 1000
const LABEL = 150
const LANE = 70
const TOP = 30
const HOUR = 3_600_000

export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
}

export function renderTimelineSvg(report: RallyReport): string {
  if (!report.span) {
    return `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="${WIDTH}" height="40" role="img"><text x="10" y="25">No rally window on ${escapeXml(report.date)}</text></svg>`
  }
  const start = report.span.start.getTime()
  const end = report.span.end.getTime()
  const plot = WIDTH - LABEL - 20
  const x = (at: Date | number) => LABEL + ((Number(at) - start) / (end - start)) * plot
  const clampX = (at: Date | number) => Math.min(Math.max(x(at), LABEL), LABEL + plot)
  const hasIoda = report.ioda.series.length > 0 || report.ioda.events.length > 0
  const ooniTests = report.ooni.tests
  const hasOoni = ooniTests.length > 0
  // One row of dots per OONI test, at least a lane's height.
  const OONI_ROW = 14
  const ooniHeight = hasOoni ? Math.max(LANE, 20 + ooniTests.length * OONI_ROW) : 0
  const lanes = report.cities.length + (hasIoda ? 1 : 0) + ooniHeight / LANE
  const height = TOP + lanes * LANE + 30
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="Rally timeline ${escapeXml(report.date)}">`,
    '<style>.lane-label{font:600 13px sans-serif}.axis{font:11px sans-serif;fill:#555}.small{font:10px sans-serif;fill:#444}</style>',
  ]
  // Hourly grid and UTC labels on top.
  for (let t = Math.ceil(start / HOUR) * HOUR; t <= end; t += HOUR) {
    const px = x(t).toFixed(1)
    parts.push(`<line x1="${px}" x2="${px}" y1="${TOP - 5}" y2="${TOP + lanes * LANE}" stroke="#e4e4e4"/>`)
    if (((t - start) / HOUR) % 2 === 0 || end - start <= 10 * HOUR) {
      parts.push(
        `<text class="axis" x="${px}" y="${TOP - 10}" text-anchor="middle">${utcTime(new Date(t)).slice(0, 5)}</text>`,
      )
    }
  }
  parts.push(`<text class="axis" x="8" y="${TOP - 10}">time in UTC</text>`)

  report.cities.forEach((city, index) => {
    const top = TOP + index * LANE
    const bottom = top + LANE - 12
    const y = (ratio: number) => bottom - Math.min(ratio, 1.2) * ((LANE - 20) / 1.2)
    const zone = wallClock(city.announcedStart, city.timeZone)
    parts.push(`<g class="lane" data-city="${escapeXml(city.city)}">`)
    parts.push(
      `<rect x="${LABEL}" y="${top}" width="${plot}" height="${LANE - 12}" fill="#fafafa" stroke="#ddd"/>`,
    )
    parts.push(`<text class="lane-label" x="8" y="${top + 20}">${escapeXml(city.city)}</text>`)
    parts.push(`<text class="small" x="8" y="${top + 36}">announced ${zone.time} ${zone.offset}</text>`)
    for (const incident of city.incidents) {
      if (
        incident.kind !== 'blackout' &&
        incident.kind !== 'throttling' &&
        incident.kind !== 'service_blocking'
      )
        continue
      const x1 = clampX(incident.start)
      const x2 = clampX(incident.end ?? city.windowEnd)
      const fill =
        incident.kind === 'throttling' ? '#f5b041' : incident.level === 'critical' ? '#e74c3c' : '#f1948a'
      parts.push(
        `<rect class="outage ${incident.kind}" x="${x1.toFixed(1)}" y="${top}" width="${Math.max(x2 - x1, 1).toFixed(1)}" height="${LANE - 12}" fill="${fill}" fill-opacity="0.35"><title>${escapeXml(`${incident.kind} ${incident.level}: ${incident.summary}`)}</title></rect>`,
      )
    }
    for (const drop of city.drops) {
      const x1 = clampX(drop.start)
      const x2 = clampX(drop.end ?? city.windowEnd)
      parts.push(
        `<rect class="drop" x="${x1.toFixed(1)}" y="${bottom - 4}" width="${Math.max(x2 - x1, 2).toFixed(1)}" height="4" fill="#c0392b"><title>${escapeXml(`drop to ${Math.round(drop.lowestShare * 100)}% for ${drop.durationMinutes} min`)}</title></rect>`,
      )
    }
    // Baseline at 100% and the availability ratio as a line broken where there is no data.
    parts.push(
      `<line x1="${LABEL}" x2="${LABEL + plot}" y1="${y(1).toFixed(1)}" y2="${y(1).toFixed(1)}" stroke="#999" stroke-dasharray="2 3"/>`,
    )
    // A step per bucket, across the bucket's width: a single bucket down (a five-minute outage) shows as a notch.
    const segments: string[][] = [[]]
    for (const point of city.availability) {
      if (point.ratio === null) {
        if (segments[segments.length - 1]!.length > 0) segments.push([])
        continue
      }
      const from = clampX(point.start)
      const to = clampX(point.start.getTime() + report.resolutionMinutes * 60_000)
      const py = y(point.ratio).toFixed(1)
      segments[segments.length - 1]!.push(`${from.toFixed(1)},${py}`, `${to.toFixed(1)},${py}`)
    }
    if (!city.availability.some((point) => point.share !== null)) {
      parts.push(`<text class="small" x="${LABEL + 8}" y="${top + 40}">no measurements in this window</text>`)
    } else if (city.baseline !== 'full') {
      parts.push(
        `<text class="small no-baseline" x="${LABEL + 8}" y="${top + 12}">${city.baseline === 'none' ? 'no baseline' : 'no baseline in part'}: availability against 100%</text>`,
      )
    }
    for (const segment of segments.filter((s) => s.length > 0)) {
      parts.push(
        `<polyline class="availability" points="${segment.join(' ')}" fill="none" stroke="#1f618d" stroke-width="1.5"/>`,
      )
    }
    const announcedX = x(city.announcedStart).toFixed(1)
    parts.push(
      `<line class="announced" x1="${announcedX}" x2="${announcedX}" y1="${top}" y2="${bottom}" stroke="#111" stroke-dasharray="4 3"/>`,
    )
    for (const entry of report.detentions.filter((d) => d.cities.includes(city.city))) {
      const mx = clampX(entry.firstSeenAt)
      parts.push(
        `<g class="detention"><path d="M${mx.toFixed(1)},${top + 2} l-6,10 h12 z" fill="#6c3483"/><text class="small" x="${(mx + 8).toFixed(1)}" y="${top + 11}">${entry.count ?? '?'}</text><title>${escapeXml(`${entry.title} (${entry.sources.join(', ')})`)}</title></g>`,
      )
    }
    parts.push('</g>')
  })

  if (hasIoda) {
    const top = TOP + report.cities.length * LANE
    const bottom = top + LANE - 12
    parts.push(`<g class="lane ioda" data-city="IODA">`)
    parts.push(
      `<rect x="${LABEL}" y="${top}" width="${plot}" height="${LANE - 12}" fill="#f7fbff" stroke="#ddd"/>`,
    )
    parts.push(`<text class="lane-label" x="8" y="${top + 20}">IODA ${escapeXml(report.country)}</text>`)
    const colors = ['#117a65', '#884ea0', '#2e86c1', '#a04000']
    report.ioda.series.forEach((series, index) => {
      const values = series.points.map((p) => p.value).filter((v): v is number => v !== null)
      const max = Math.max(...values, 1)
      const points = series.points
        .filter((p) => p.value !== null && p.at.getTime() >= start && p.at.getTime() <= end)
        .map((p) => `${x(p.at).toFixed(1)},${(bottom - (p.value! / max) * (LANE - 20)).toFixed(1)}`)
      if (points.length > 0) {
        parts.push(
          `<polyline class="ioda-signal" points="${points.join(' ')}" fill="none" stroke="${colors[index % colors.length]}" stroke-width="1.2"><title>${escapeXml(`${series.entity} ${seriesName(series)}`)}</title></polyline>`,
        )
      }
      parts.push(
        `<text class="small" x="8" y="${top + 34 + index * 11}" fill="${colors[index % colors.length]}">${escapeXml(seriesName(series))}</text>`,
      )
    })
    for (const event of report.ioda.events) {
      const x1 = clampX(event.start)
      const x2 = clampX(event.end ?? new Date(event.start.getTime() + 5 * 60_000))
      parts.push(
        `<rect class="ioda-event" x="${x1.toFixed(1)}" y="${top}" width="${Math.max(x2 - x1, 2).toFixed(1)}" height="${LANE - 12}" fill="#e74c3c" fill-opacity="0.2"><title>${escapeXml(`IODA ${event.kind} ${event.datasource} ${event.level ?? ''}`)}</title></rect>`,
      )
    }
    parts.push('</g>')
  }
  if (hasOoni) {
    const top = TOP + (report.cities.length + (hasIoda ? 1 : 0)) * LANE
    parts.push(`<g class="lane ooni" data-city="OONI">`)
    parts.push(
      `<rect x="${LABEL}" y="${top}" width="${plot}" height="${ooniHeight - 12}" fill="#fbfbf7" stroke="#ddd"/>`,
    )
    parts.push(`<text class="lane-label" x="8" y="${top + 14}">OONI ${escapeXml(report.country)}</text>`)
    const colors: Record<string, string> = {
      ok: '#27ae60',
      anomaly: '#c0392b',
      down: '#7f8c8d',
      unknown: '#b7950b',
    }
    ooniTests.forEach((lane, index) => {
      const y = top + 24 + index * OONI_ROW
      parts.push(`<text class="small" x="8" y="${y + 3}">${escapeXml(lane.test)}</text>`)
      for (const point of lane.points) {
        if (point.at.getTime() < start || point.at.getTime() > end) continue
        parts.push(
          `<circle class="ooni-${escapeXml(point.verdict)}" cx="${x(point.at).toFixed(1)}" cy="${y}" r="3" fill="${colors[point.verdict] ?? colors.unknown}"><title>${escapeXml(`OONI ${lane.test} ${point.target} AS${point.asn ?? '?'}: ${point.verdict}${point.failure && point.verdict !== 'ok' ? ` (${point.failure})` : ''}`)}</title></circle>`,
        )
      }
    })
    parts.push('</g>')
  }
  const legendY = height - 10
  parts.push(
    `<g class="legend small"><line x1="${LABEL}" x2="${LABEL + 20}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="#1f618d" stroke-width="1.5"/><text class="small" x="${LABEL + 24}" y="${legendY}">availability / baseline</text>` +
      `<rect x="${LABEL + 160}" y="${legendY - 9}" width="14" height="9" fill="#e74c3c" fill-opacity="0.35"/><text class="small" x="${LABEL + 178}" y="${legendY}">blackout</text>` +
      `<rect x="${LABEL + 240}" y="${legendY - 9}" width="14" height="9" fill="#f5b041" fill-opacity="0.35"/><text class="small" x="${LABEL + 258}" y="${legendY}">throttling</text>` +
      `<path d="M${LABEL + 330},${legendY - 9} l-6,10 h12 z" fill="#6c3483"/><text class="small" x="${LABEL + 340}" y="${legendY}">detention report (count)</text>` +
      `<line x1="${LABEL + 480}" x2="${LABEL + 480}" y1="${legendY - 10}" y2="${legendY}" stroke="#111" stroke-dasharray="4 3"/><text class="small" x="${LABEL + 486}" y="${legendY}">announced start</text></g>`,
  )
  parts.push('</svg>')
  return parts.join('\n')
}
