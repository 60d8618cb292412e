// GET /v1/reports/rally: the rally report of one day (every city with a rally window, or one), as JSON,
// Markdown, CSV or HTML with the timeline chart.
import type { VigilConfig } from '@vigil/config'
import {
  buildRallyReport,
  loadRallyReportData,
  RallyReportRequestError,
  REPORT_CONTENT_TYPES,
  REPORT_FORMATS,
  type ReportFormat,
  renderRallyReport,
} from '@vigil/reports'
import type { Store } from '@vigil/store'
import type { FastifyPluginAsync } from 'fastify'

interface Query {
  date: string
  city?: string
  format: ReportFormat
  resolution: 1 | 5
}

export const rallyReportRoutes: FastifyPluginAsync<{ store: Store; config: VigilConfig }> = async (
  app,
  { store, config },
) => {
  app.get<{ Querystring: Query }>(
    '/v1/reports/rally',
    {
      schema: {
        summary: 'Rally report of one day: outages per city against baseline, next to detention reports',
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['date'],
          properties: {
            date: { type: 'string', format: 'date', description: 'the local day, YYYY-MM-DD' },
            city: {
              type: 'string',
              minLength: 1,
              maxLength: 200,
              description: 'one city, by any of its names',
            },
            format: { type: 'string', enum: [...REPORT_FORMATS], default: 'json' },
            resolution: {
              type: 'integer',
              enum: [1, 5],
              default: 5,
              description: 'minutes per availability point',
            },
          },
        },
      },
    },
    async (request, reply) => {
      const { query } = request
      try {
        const data = await loadRallyReportData(store.sql, config, {
          date: query.date,
          city: query.city,
          resolutionMinutes: query.resolution,
        })
        reply.type(REPORT_CONTENT_TYPES[query.format])
        return renderRallyReport(buildRallyReport(data), query.format)
      } catch (error) {
        if (error instanceof RallyReportRequestError) {
          return reply.code(400).send({ error: 'bad_request', message: error.message })
        }
        throw error
      }
    },
  )
}
