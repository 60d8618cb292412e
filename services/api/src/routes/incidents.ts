// GET /v1/incidents: incidents overlapping a time window, by kind, region and state, newest first; as
// JSON, or as CSV streamed from a database cursor (format=csv or Accept: text/csv).
import { Readable } from 'node:stream'
import { INCIDENT_KINDS, INCIDENT_STATES } from '@vigil/model'
import { INCIDENT_CSV_HEADER, incidentCsvRow } from '@vigil/reports'
import { queryIncidents, type Store, streamIncidents } from '@vigil/store'
import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { instantParam, listFormat, pageLimit, scopeName, zodRoutes } from '../zod.js'
import { wantsCsv } from './measurements.js'

const incidentQuery = z.strictObject({
  from: instantParam('inclusive, RFC 3339').optional(),
  to: instantParam('exclusive, RFC 3339').optional(),
  kind: z.enum(INCIDENT_KINDS).optional(),
  region: scopeName().optional(),
  state: z.enum(INCIDENT_STATES).optional(),
  limit: pageLimit(10_000),
  format: listFormat.optional(),
})

export const incidentRoutes: FastifyPluginAsync<{ store: Store }> = async (fastify, { store }) => {
  const app = zodRoutes(fastify)
  app.get(
    '/v1/incidents',
    { schema: { summary: 'Incidents overlapping a time window, newest first', querystring: incidentQuery } },
    async (request, reply) => {
      const { query } = request
      const from = query.from === undefined ? undefined : new Date(query.from)
      const to = query.to === undefined ? undefined : new Date(query.to)
      if (from && to && from >= to) {
        return reply
          .code(400)
          .send({ error: 'bad_request', message: 'querystring/from must be before querystring/to' })
      }
      if (wantsCsv(query.format, request.headers.accept)) {
        const filter = {
          from,
          to,
          kind: query.kind,
          region: query.region,
          state: query.state,
          limit: query.limit,
        }
        reply.type('text/csv; charset=utf-8')
        return reply.send(
          Readable.from(
            (async function* () {
              yield INCIDENT_CSV_HEADER
              for await (const batch of streamIncidents(store.sql, filter))
                yield batch.map(incidentCsvRow).join('')
            })(),
          ),
        )
      }
      const incidents = await queryIncidents(store.sql, {
        from,
        to,
        kind: query.kind,
        region: query.region,
        state: query.state,
        limit: query.limit,
      })
      return {
        incidents: incidents.map((incident) => ({
          id: incident.id,
          kind: incident.kind,
          scopeType: incident.scopeType,
          scope: incident.scope,
          region: incident.region,
          vantage: incident.vantageId,
          level: incident.level,
          state: incident.state,
          summary: incident.summary,
          startedAt: incident.startedAt.toISOString(),
          firingAt: incident.firingAt?.toISOString() ?? null,
          resolvedAt: incident.resolvedAt?.toISOString() ?? null,
          lastSeenAt: incident.lastSeenAt.toISOString(),
          evidence: incident.evidence,
        })),
      }
    },
  )
}
