// GET /v1/reports: detention reports by event day and city, each with every source that reported it;
// GET /v1/sources: the health of every news source, and of every live poller of another observatory
// (OONI per probe country, IODA per entity), one line each.

import { apiErrorSchema, dayString } from '@vigil/model'
import { listPollers, listSources, queryReports, type Store } from '@vigil/store'
import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { pageLimit, scopeName, zodRoutes } from '../zod.js'

const reportQuery = (maxPageSize: number) =>
  z.strictObject({
    from: dayString().optional().describe('first event day, inclusive (YYYY-MM-DD)'),
    to: dayString().optional().describe('last event day, inclusive (YYYY-MM-DD)'),
    city: scopeName().optional().describe('canonical region name'),
    limit: pageLimit(maxPageSize),
  })

const objects = z.array(z.record(z.string(), z.unknown()))

export const newsRoutes: FastifyPluginAsync<{ store: Store; maxPageSize: number }> = async (
  fastify,
  { store, maxPageSize },
) => {
  const app = zodRoutes(fastify)
  app.get(
    '/v1/reports',
    {
      schema: {
        summary: 'Detention reports, most recent event day first',
        querystring: reportQuery(maxPageSize),
        response: { 200: z.object({ reports: objects }), 400: apiErrorSchema },
      },
    },
    async (request, reply) => {
      const { from, to, city, limit } = request.query
      if (from !== undefined && to !== undefined && from > to) {
        return reply
          .code(400)
          .send({ error: 'bad_request', message: 'querystring/from must not be after querystring/to' })
      }
      const reports = await queryReports(store.sql, { from, to, city, limit })
      return {
        reports: reports.map((report) => ({
          id: report.id,
          day: report.day,
          cities: report.cities,
          count: report.maxCount,
          counts: report.counts,
          people: report.people,
          language: report.language,
          title: report.title,
          evidence: report.evidence,
          version: report.version,
          firstSeenAt: report.firstSeenAt.toISOString(),
          updatedAt: report.updatedAt.toISOString(),
          sources: report.items.map((item) => ({
            source: item.source,
            title: item.title,
            link: item.link,
            published: item.publishedAt?.toISOString() ?? null,
            language: item.language,
            counts: item.counts,
            evidence: item.evidence,
          })),
        })),
      }
    },
  )

  app.get(
    '/v1/sources',
    {
      schema: {
        summary: 'News sources and observatory pollers, with their fetch health',
        response: { 200: z.object({ sources: objects }) },
      },
    },
    async () => {
      const sources = await listSources(store.sql)
      const pollers = await listPollers(store.sql)
      return {
        sources: [
          ...sources.map((source) => ({
            name: source.name,
            url: source.url,
            type: source.type,
            state: source.state,
            lastFetchAt: source.lastFetchAt?.toISOString() ?? null,
            lastSuccessAt: source.lastSuccessAt?.toISOString() ?? null,
            lastErrorAt: source.lastErrorAt?.toISOString() ?? null,
            lastError: source.lastErrorCode
              ? { code: source.lastErrorCode, message: source.lastError }
              : null,
            consecutiveFailures: source.consecutiveFailures,
            itemsSeen: source.itemsSeen,
            // The last body was malformed and read in part: the first error, its line, the items recovered.
            degraded: source.degraded,
            charset: source.charset ? { name: source.charset, reason: source.charsetReason } : null,
            // The source reused a GUID for different articles: identities it gives cannot be trusted alone.
            guidCollisions: source.guidCollisions,
            guidsCollide: source.guidCollisions > 0,
          })),
          // Imported observatories are sources of their own: `type` says which.
          ...pollers.map((poller) => ({
            name: poller.name,
            url: poller.url,
            type: `${poller.kind}-poller`,
            state: poller.state,
            lastFetchAt: poller.lastPollAt?.toISOString() ?? null,
            lastSuccessAt: poller.lastSuccessAt?.toISOString() ?? null,
            lastErrorAt: poller.lastErrorAt?.toISOString() ?? null,
            lastError: poller.lastError ? { code: 'POLL_FAILED', message: poller.lastError } : null,
            consecutiveFailures: poller.consecutiveFailures,
            itemsSeen: poller.recordsSeen,
            nextPollAt: poller.nextPollAt?.toISOString() ?? null,
          })),
        ],
      }
    },
  )
}
