// The rally report as Markdown, JSON and CSV.
import { displayText } from '@vigil/outside-text'
import { seriesName } from './chart.js'
import { bothTimes, formatMinutes, localTime, utcTime } from './time.js'
import type { RallyReport } from './types.js'

export function renderJson(report: RallyReport): string {
  return `${JSON.stringify(report, null, 2)}\n`
}

function percent(value: number | null): string {
  return value === null ? '–' : `${Math.round(value * 100)}%`
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ')
}

export function renderMarkdown(report: RallyReport): string {
  const lines: string[] = [
    `# Rally report ${report.country} ${report.date}`,
    '',
    `Generated ${report.generatedAt.toISOString()}; availability at ${report.resolutionMinutes}-minute resolution against the median of the same hours on the previous days (against 100% where they have none: no baseline).`,
    '',
    '## Summary',
    '',
    ...report.cities.map((city) => `- ${city.summary}`),
    '',
    `Detention reports of the day: ${report.detentions.length}, ${report.detainedTotal} detained in all.`,
    '',
  ]
  for (const city of report.cities) {
    const zone = city.timeZone
    lines.push(
      `## ${city.city}`,
      '',
      `${city.rally}; announced ${bothTimes(city.announcedStart, zone)} to ${bothTimes(city.announcedEnd, zone)}; window ${bothTimes(city.windowStart, zone)} to ${bothTimes(city.windowEnd, zone)}.`,
      '',
    )
    for (const drop of city.drops) {
      lines.push(
        `Drop: from ${bothTimes(drop.start, zone)} to ${drop.end ? bothTimes(drop.end, zone) : 'the end of the window'}, ${formatMinutes(drop.durationMinutes)}, ${drop.minutesFromAnnounced} min from the announced start, lowest ${percent(drop.lowestRatio)} ${dropReference(drop)} (${drop.level}).`,
        '',
      )
    }
    if (city.lowest) {
      lines.push(
        `Lowest availability: ${percent(city.lowest.share)} at ${bothTimes(city.lowest.start, zone)} (${city.lowest.samples} measurements)${city.baseline === 'full' ? '' : city.baseline === 'none' ? '; no baseline' : '; no baseline for part of the window'}.`,
        '',
      )
    }
    if (city.incidents.length > 0) {
      lines.push(
        '| incident | kind | level | start | end | summary |',
        '| --- | --- | --- | --- | --- | --- |',
      )
      for (const incident of city.incidents) {
        lines.push(
          `| ${incident.id} | ${incident.kind} | ${incident.level} | ${bothTimes(incident.start, zone)} | ${incident.end ? bothTimes(incident.end, zone) : 'open'} | ${cell(incident.summary)} |`,
        )
      }
      lines.push('')
    }
    if (city.interception.length > 0) {
      lines.push(
        '| host | verdict | vantage | observations | first | last |',
        '| --- | --- | --- | --- | --- | --- |',
      )
      for (const entry of city.interception) {
        lines.push(
          `| ${entry.host} | ${entry.verdict}${entry.knownMatch ? ` (${cell(entry.knownMatch)})` : ''} | ${entry.vantage} | ${entry.count} | ${bothTimes(entry.first, zone)} | ${bothTimes(entry.last, zone)} |`,
        )
      }
      lines.push('')
    }
    if (city.untrustedChains.length > 0) {
      lines.push(
        'Untrusted certificate chains (not judged interception: no known interception root, no control chain says so):',
        '',
        '| host | verdict | vantage | observations | first | last |',
        '| --- | --- | --- | --- | --- | --- |',
      )
      for (const entry of city.untrustedChains) {
        lines.push(
          `| ${entry.host} | ${entry.verdict} | ${entry.vantage} | ${entry.count} | ${bothTimes(entry.first, zone)} | ${bothTimes(entry.last, zone)} |`,
        )
      }
      lines.push('')
    }
    const measured = city.availability.filter((point) => point.share !== null)
    if (measured.length > 0) {
      lines.push(
        '| local | UTC | availability | baseline | ratio | samples |',
        '| --- | --- | --- | --- | --- | --- |',
      )
      for (const point of city.availability) {
        lines.push(
          `| ${localTime(point.start, zone)} | ${utcTime(point.start)} | ${percent(point.share)} | ${point.noBaseline ? 'none' : percent(point.baseline)} | ${percent(point.ratio)} | ${point.samples} |`,
        )
      }
      lines.push('')
    }
  }
  lines.push('## Detention reports', '')
  if (report.detentions.length === 0) lines.push('None reported.', '')
  else {
    lines.push(
      '| report | first seen (UTC) | cities | detained | sources | title |',
      '| --- | --- | --- | --- | --- | --- |',
    )
    for (const entry of report.detentions) {
      lines.push(
        `| ${entry.id} | ${entry.firstSeenAt.toISOString().slice(0, 16).replace('T', ' ')} | ${entry.cities.join(', ')} | ${entry.count ?? '–'}${entry.qualifier && entry.qualifier !== 'exact' ? ` (${entry.qualifier})` : ''} | ${entry.sources.join(', ')} | ${cell(entry.title)} |`,
      )
    }
    lines.push('')
  }
  if (report.countryIncidents.length > 0 || report.ioda.events.length > 0 || report.ioda.series.length > 0) {
    lines.push('## Country-wide and IODA', '')
    for (const incident of report.countryIncidents) {
      lines.push(
        `- incident ${incident.id} ${incident.kind} ${incident.level}: ${incident.start.toISOString()} to ${incident.end?.toISOString() ?? 'open'}: ${incident.summary}`,
      )
    }
    for (const series of report.ioda.series) {
      const values = series.points
        .map((point) => point.value)
        .filter((value): value is number => value !== null)
      lines.push(
        `- IODA ${series.entity} ${seriesName(series)}: ${series.points.length} points, min ${values.length ? Math.min(...values) : '–'}, max ${values.length ? Math.max(...values) : '–'}`,
      )
    }
    for (const event of report.ioda.events) {
      lines.push(
        `- IODA ${event.kind} ${event.entity}${event.datasource ? ` ${event.datasource}` : ''}: ${event.start.toISOString()}${event.end ? ` to ${event.end.toISOString()}` : ''}${event.level ? ` ${event.level}` : ''}${event.score !== null ? ` score ${event.score}` : ''}`,
      )
    }
    lines.push('')
  }
  if (report.ooni.tests.length > 0) {
    lines.push(`## OONI (imported measurements from probes in ${report.country})`, '')
    for (const lane of report.ooni.tests) {
      const verdicts = Object.entries(lane.verdicts)
        .map(([verdict, count]) => `${count} ${verdict}`)
        .join(', ')
      const failures = Object.entries(lane.failures)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([failure, count]) => `${failure} ×${count}`)
        .join(', ')
      lines.push(
        `- OONI ${lane.test}: ${lane.measurements} measurement${lane.measurements === 1 ? '' : 's'} (${verdicts})${lane.firstAnomaly ? `; first anomaly ${lane.firstAnomaly.toISOString()}` : ''}${failures ? `; ${failures}` : ''}`,
      )
    }
    lines.push('')
  }
  return lines.join('\n')
}

/** `of baseline`, or `of full availability (no baseline)` for a drop with buckets that had none. */
export function dropReference(drop: { noBaseline: boolean }): string {
  return drop.noBaseline ? 'of full availability (no baseline)' : 'of baseline'
}

export const CSV_COLUMNS = [
  'record',
  'city',
  'start_utc',
  'end_utc',
  'start_local',
  'end_local',
  'availability',
  'baseline',
  'ratio',
  'samples',
  'kind',
  'level',
  'minutes',
  'minutes_from_announced',
  'detained',
  'sources',
  'detail',
] as const

type CsvRow = Partial<Record<(typeof CSV_COLUMNS)[number], string | number | null>>

/**
 * One CSV of several record types (summary, drop, lowest, availability, incident, interception,
 * untrusted_chain, detention, ioda_event, ooni_test).
 */
export function renderCsv(report: RallyReport): string {
  const rows: CsvRow[] = []
  const local = (at: Date | null, zone: string) => (at ? localTime(at, zone) : null)
  for (const city of report.cities) {
    const zone = city.timeZone
    rows.push({
      record: 'summary',
      city: city.city,
      start_utc: city.windowStart.toISOString(),
      end_utc: city.windowEnd.toISOString(),
      start_local: local(city.windowStart, zone),
      end_local: local(city.windowEnd, zone),
      detained: city.detentions.detained,
      sources: city.detentions.sources.join(' '),
      detail: city.summary,
    })
    for (const drop of city.drops) {
      rows.push({
        record: 'drop',
        city: city.city,
        start_utc: drop.start.toISOString(),
        end_utc: drop.end?.toISOString() ?? null,
        start_local: local(drop.start, zone),
        end_local: local(drop.end, zone),
        availability: round(drop.lowestShare),
        ratio: round(drop.lowestRatio),
        level: drop.level,
        minutes: drop.durationMinutes,
        minutes_from_announced: drop.minutesFromAnnounced,
        detail: `lowest ${dropReference(drop)}${drop === city.drop ? '; the drop the summary names' : ''}`,
      })
    }
    if (city.lowest) {
      rows.push({
        record: 'lowest',
        city: city.city,
        start_utc: city.lowest.start.toISOString(),
        start_local: local(city.lowest.start, zone),
        availability: round(city.lowest.share),
        samples: city.lowest.samples,
        detail: `baseline: ${city.baseline}`,
      })
    }
    for (const point of city.availability) {
      rows.push({
        record: 'availability',
        city: city.city,
        start_utc: point.start.toISOString(),
        start_local: local(point.start, zone),
        availability: round(point.share),
        baseline: round(point.baseline),
        ratio: round(point.ratio),
        samples: point.samples,
        detail: point.noBaseline ? 'no baseline: ratio against 100%' : null,
      })
    }
    for (const incident of city.incidents) {
      rows.push({
        record: 'incident',
        city: city.city,
        start_utc: incident.start.toISOString(),
        end_utc: incident.end?.toISOString() ?? null,
        start_local: local(incident.start, zone),
        end_local: local(incident.end, zone),
        kind: incident.kind,
        level: incident.level,
        minutes: incident.end
          ? Math.round((incident.end.getTime() - incident.start.getTime()) / 60_000)
          : null,
        detail: incident.summary,
      })
    }
    for (const entry of city.interception) {
      rows.push({
        record: 'interception',
        city: city.city,
        start_utc: entry.first.toISOString(),
        end_utc: entry.last.toISOString(),
        kind: entry.verdict,
        samples: entry.count,
        detail: `${entry.host} from ${entry.vantage}${entry.knownMatch ? ` (${entry.knownMatch})` : ''}`,
      })
    }
    for (const entry of city.untrustedChains) {
      rows.push({
        record: 'untrusted_chain',
        city: city.city,
        start_utc: entry.first.toISOString(),
        end_utc: entry.last.toISOString(),
        kind: entry.verdict,
        samples: entry.count,
        detail: `${entry.host} from ${entry.vantage} (not judged interception)`,
      })
    }
  }
  for (const entry of report.detentions) {
    rows.push({
      record: 'detention',
      city: entry.cities.join(' '),
      start_utc: entry.firstSeenAt.toISOString(),
      detained: entry.count,
      level: entry.qualifier,
      sources: entry.sources.join(' '),
      detail: entry.title,
    })
  }
  for (const event of report.ioda.events) {
    rows.push({
      record: 'ioda_event',
      city: event.entity,
      start_utc: event.start.toISOString(),
      end_utc: event.end?.toISOString() ?? null,
      kind: `${event.kind}${event.datasource ? `:${event.datasource}` : ''}`,
      level: event.level,
      ratio: event.score,
    })
  }
  for (const lane of report.ooni.tests) {
    rows.push({
      record: 'ooni_test',
      city: 'OONI',
      start_utc: lane.points[0]?.at.toISOString() ?? null,
      end_utc: lane.points[lane.points.length - 1]?.at.toISOString() ?? null,
      kind: lane.test,
      samples: lane.measurements,
      detail: Object.entries(lane.verdicts)
        .map(([verdict, count]) => `${verdict}=${count}`)
        .join(' '),
    })
  }
  return [
    CSV_COLUMNS.join(','),
    ...rows.map((row) => CSV_COLUMNS.map((column) => csvField(row[column])).join(',')),
  ]
    .join('\n')
    .concat('\n')
}

function round(value: number | null): number | null {
  return value === null ? null : Math.round(value * 1000) / 1000
}

/** RFC 4180: quote fields holding a comma, quote or line break; double the quotes inside. */
/** One CSV field (RFC 4180 quoting); text from outside loses its bidirectional controls (U+202E and kin). */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return ''
  const text = displayText(String(value))
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}
