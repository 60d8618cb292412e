// GET /v1/export/measurements and /v1/export/incidents: every row of a time range as CSV, oldest first,
// streamed from a database cursor (what `vigil export` writes), unlike the paged newest-first query routes.
import { Readable } from 'node:stream'
import {
  INCIDENT_CSV_HEADER,
  incidentCsvRow,
  MEASUREMENT_CSV_HEADER,
  measurementCsvRow,
} from '@vigil/reports'
import { type Store, streamIncidents, streamMeasurements } from '@vigil/store'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { z } from 'zod'
import { instantParam, zodRoutes } from '../zod.js'

const range = z.strictObject({
  from: instantParam('inclusive, RFC 3339'),
  to: instantParam('exclusive, RFC 3339'),
})
type Query = z.infer<typeof range>

/** Rows per batch read from the cursor. */
const BATCH = 2_000

export const exportRoutes: FastifyPluginAsync<{ store: Store }> = async (fastify, { store }) => {
  const app = zodRoutes(fastify)
  const checkRange = (query: Query, reply: FastifyReply) => {
    const from = new Date(query.from)
    const to = new Date(query.to)
    if (from >= to) {
      reply
        .code(400)
        .send({ error: 'bad_request', message: 'querystring/from must be before querystring/to' })
      return undefined
    }
    return { from, to }
  }

  app.get(
    '/v1/export/measurements',
    { schema: { summary: 'Measurements of a time range as CSV, oldest first', querystring: range } },
    async (request, reply) => {
      const filter = checkRange(request.query, reply)
      if (!filter) return reply
      reply.type('text/csv; charset=utf-8')
      return reply.send(
        Readable.from(
          (async function* () {
            yield MEASUREMENT_CSV_HEADER
            for await (const batch of streamMeasurements(store.sql, filter, {
              ascending: true,
              batchSize: BATCH,
            }))
              yield batch.map(measurementCsvRow).join('')
          })(),
        ),
      )
    },
  )

  app.get(
    '/v1/export/incidents',
    { schema: { summary: 'Incidents overlapping a time range as CSV, oldest first', querystring: range } },
    async (request, reply) => {
      const filter = checkRange(request.query, reply)
      if (!filter) return reply
      reply.type('text/csv; charset=utf-8')
      return reply.send(
        Readable.from(
          (async function* () {
            yield INCIDENT_CSV_HEADER
            for await (const batch of streamIncidents(store.sql, filter, {
              ascending: true,
              batchSize: BATCH,
            }))
              yield batch.map(incidentCsvRow).join('')
          })(),
        ),
      )
    },
  )
}
