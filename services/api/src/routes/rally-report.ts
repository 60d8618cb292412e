// GET /v1/reports/rally: the rally report of one day (every city with a rally window, or one), as JSON,
// Markdown, CSV or HTML with the timeline chart.
import type { VigilConfig } from '@vigil/config'
import { dayString } from '@vigil/model'
import {
  buildRallyReport,
  loadRallyReportData,
  RallyReportRequestError,
  REPORT_CONTENT_TYPES,
  REPORT_FORMATS,
  renderRallyReport,
} from '@vigil/reports'
import type { Store } from '@vigil/store'
import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { scopeName, zodRoutes } from '../zod.js'

const rallyQuery = z.strictObject({
  date: dayString().describe('the local day, YYYY-MM-DD'),
  city: scopeName().optional().describe('one city, by any of its names'),
  format: z.enum(REPORT_FORMATS).default('json'),
  resolution: z.coerce
    .number({ error: 'expected 1 or 5' })
    .pipe(z.union([z.literal(1), z.literal(5)], { error: 'expected 1 or 5' }))
    .default(5)
    .describe('minutes per availability point'),
})

export const rallyReportRoutes: FastifyPluginAsync<{ store: Store; config: VigilConfig }> = async (
  fastify,
  { store, config },
) => {
  const app = zodRoutes(fastify)
  app.get(
    '/v1/reports/rally',
    {
      schema: {
        summary: 'Rally report of one day: outages per city against baseline, next to detention reports',
        querystring: rallyQuery,
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
