// @vigil/reports: the rally report, built from what the store holds about one day and rendered as
// Markdown, JSON, CSV or HTML with an inline SVG timeline.
import { displayText } from '@vigil/outside-text'
import { renderHtml } from './render-html.js'
import { renderCsv, renderJson, renderMarkdown } from './render-text.js'
import type { RallyReport } from './types.js'

export {
  availabilitySeries,
  buildRallyReport,
  findDrop,
  findDrops,
  INTERCEPTION_VERDICTS,
  summarizeCity,
  UNTRUSTED_VERDICTS,
} from './build.js'
export { escapeXml, renderTimelineSvg } from './chart.js'
export {
  INCIDENT_CSV_HEADER,
  incidentCsvRow,
  MEASUREMENT_CSV_HEADER,
  measurementCsvRow,
} from './export-csv.js'
export {
  loadRallyReportData,
  type RallyReportRequest,
  RallyReportRequestError,
  windowsOfDay,
} from './gather.js'
export { renderHtml } from './render-html.js'
export { CSV_COLUMNS, csvField, renderCsv, renderJson, renderMarkdown } from './render-text.js'
export { bothTimes, formatMinutes, localTime, relativeToAnnounced, utcTime, wallClock } from './time.js'
export * from './types.js'

export type ReportFormat = 'md' | 'json' | 'csv' | 'html'
export const REPORT_FORMATS: readonly ReportFormat[] = ['md', 'json', 'csv', 'html']
export const REPORT_CONTENT_TYPES: Record<ReportFormat, string> = {
  md: 'text/markdown; charset=utf-8',
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  html: 'text/html; charset=utf-8',
}

/** The report in `format`; headlines from outside lose their bidirectional controls (U+202E and kin). */
export function renderRallyReport(report: RallyReport, format: ReportFormat): string {
  switch (format) {
    case 'md':
      return displayText(renderMarkdown(report))
    case 'json':
      return displayText(renderJson(report))
    case 'csv':
      return renderCsv(report)
    case 'html':
      return displayText(renderHtml(report))
  }
}
