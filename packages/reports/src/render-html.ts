// The rally report as one self-contained HTML page: summary, the timeline chart inline, and the tables.
import { escapeXml, renderTimelineSvg } from './chart.js'
import { dropReference } from './render-text.js'
import { bothTimes, formatMinutes } from './time.js'
import type { InterceptionEntry, RallyReport } from './types.js'

export function renderHtml(report: RallyReport): string {
  const e = escapeXml
  const sections: string[] = []
  for (const city of report.cities) {
    const zone = city.timeZone
    const rows = city.incidents
      .map(
        (incident) =>
          `<tr><td>${incident.id}</td><td>${e(incident.kind)}</td><td>${e(incident.level)}</td><td>${e(bothTimes(incident.start, zone))}</td><td>${incident.end ? e(bothTimes(incident.end, zone)) : 'open'}</td><td>${e(incident.summary)}</td></tr>`,
      )
      .join('')
    const chainRows = (entries: InterceptionEntry[]) =>
      entries
        .map(
          (entry) =>
            `<tr><td>${e(entry.host)}</td><td>${e(entry.verdict)}${entry.knownMatch ? ` (${e(entry.knownMatch)})` : ''}</td><td>${e(entry.vantage)}</td><td>${entry.count}</td><td>${e(bothTimes(entry.first, zone))}</td><td>${e(bothTimes(entry.last, zone))}</td></tr>`,
        )
        .join('')
    const chainHead =
      '<tr><th>host</th><th>verdict</th><th>vantage</th><th>seen</th><th>first</th><th>last</th></tr>'
    const interception = chainRows(city.interception)
    const untrusted = chainRows(city.untrustedChains)
    const drops = city.drops
      .map(
        (drop) =>
          `<p class="drop">Drop from ${e(bothTimes(drop.start, zone))} to ${drop.end ? e(bothTimes(drop.end, zone)) : 'the end of the window'}, ${e(formatMinutes(drop.durationMinutes))}, ${drop.minutesFromAnnounced} min from the announced start, lowest ${Math.round(drop.lowestRatio * 100)}% ${e(dropReference(drop))} (${e(drop.level)}).</p>`,
      )
      .join('')
    const lowest = city.lowest
      ? `<p class="lowest">Lowest availability: ${Math.round(city.lowest.share * 100)}% at ${e(bothTimes(city.lowest.start, zone))} (${city.lowest.samples} measurements)${city.baseline === 'full' ? '' : city.baseline === 'none' ? '; no baseline' : '; no baseline for part of the window'}.</p>`
      : '<p class="lowest">No measurements in the window.</p>'
    sections.push(
      `<section class="city" data-city="${e(city.city)}"><h2>${e(city.city)}</h2>` +
        `<p>${e(city.rally)}: announced ${e(bothTimes(city.announcedStart, zone))}; window ${e(bothTimes(city.windowStart, zone))} – ${e(bothTimes(city.windowEnd, zone))}.</p>` +
        drops +
        lowest +
        (rows
          ? `<table><tr><th>incident</th><th>kind</th><th>level</th><th>start</th><th>end</th><th>summary</th></tr>${rows}</table>`
          : '') +
        (interception ? `<h3>HTTPS interception</h3><table>${chainHead}${interception}</table>` : '') +
        (untrusted
          ? `<h3>Untrusted certificate chains (not judged interception)</h3><table>${chainHead}${untrusted}</table>`
          : '') +
        '</section>',
    )
  }
  const detentions = report.detentions
    .map(
      (entry) =>
        `<tr><td>${entry.id}</td><td>${e(entry.firstSeenAt.toISOString().slice(0, 16).replace('T', ' '))} UTC</td><td>${e(entry.cities.join(', '))}</td><td>${entry.count ?? '–'}</td><td>${e(entry.sources.join(', '))}</td><td>${e(entry.title)}</td></tr>`,
    )
    .join('')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Rally report ${e(report.country)} ${e(report.date)}</title>
<style>body{font:14px/1.45 sans-serif;margin:24px;color:#222;max-width:1060px}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}th{background:#f3f3f3}h2{margin-top:28px}.summary li{margin:4px 0}</style>
</head><body>
<h1>Rally report ${e(report.country)} ${e(report.date)}</h1>
<p>Generated ${e(report.generatedAt.toISOString())}. Availability at ${report.resolutionMinutes}-minute resolution against the median of the same hours on the previous days (against 100% where they have none: no baseline); times in UTC and each city's local time.</p>
<h2>Summary</h2>
<ul class="summary">${report.cities.map((city) => `<li>${e(city.summary)}</li>`).join('')}</ul>
<p>Detention reports of the day: ${report.detentions.length}, ${report.detainedTotal} detained in all.</p>
<figure>${renderTimelineSvg(report)}</figure>
${sections.join('\n')}
<h2>Detention reports</h2>
${detentions ? `<table><tr><th>report</th><th>first seen</th><th>cities</th><th>detained</th><th>sources</th><th>title</th></tr>${detentions}</table>` : '<p>None reported.</p>'}
</body></html>
`
}
