// GET /v1/incidents: incidents overlapping a time window, by kind, region and state, newest first; as
// JSON, or as CSV streamed from a database cursor (format=csv or Accept: text/csv).
import { Readable } from 'node:stream'
import { INCIDENT_KINDS, INCIDENT_STATES, type IncidentState } from '@vigil/model'
import { INCIDENT_CSV_HEADER, incidentCsvRow } from '@vigil/reports'
import { queryIncidents, type Store, streamIncidents } from '@vigil/store'
import type { FastifyPluginAsync } from 'fastify'
import { wantsCsv } from './measurements.js'

const KINDS = INCIDENT_KINDS

interface Query {
  from?: string
  to?: string
  kind?: (typeof KINDS)[number]
  region?: string
  state?: IncidentState
  limit: number
  format?: 'json' | 'csv'
}

export const incidentRoutes: FastifyPluginAsync<{ store: Store }> = async (app, { store }) => {
  app.get<{ Querystring: Query }>(
    '/v1/incidents',
    {
      schema: {
        summary: 'Incidents overlapping a time window, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { type: 'string', format: 'date-time' },
            to: { type: 'string', format: 'date-time' },
            kind: { type: 'string', enum: KINDS },
            region: { type: 'string', minLength: 1, maxLength: 200 },
            state: { type: 'string', enum: [...INCIDENT_STATES] },
            limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 100 },
            format: { type: 'string', enum: ['json', 'csv'], description: 'csv also with Accept: text/csv' },
          },
        },
      },
    },
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
          kind: query.kind as never,
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
        kind: query.kind as never,
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
