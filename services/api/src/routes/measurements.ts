// GET /v1/measurements: stored probe results by target, vantage, region, kind, source and time, newest first,
// paged with an opaque cursor; as JSON, or as CSV streamed from a database cursor (format=csv or
// Accept: text/csv) with the next page's cursor in the Link header.
import { Readable } from 'node:stream'
import { apiErrorSchema, MEASUREMENT_SOURCES } from '@vigil/model'
import { MEASUREMENT_CSV_HEADER, measurementCsvRow } from '@vigil/reports'
import { measurementPageEnd, queryMeasurements, type Store, streamMeasurements } from '@vigil/store'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { z } from 'zod'
import { instantParam, listFormat, pageLimit, scopeName, zodRoutes } from '../zod.js'

export const measurementQuerySchema = (maxPageSize: number) =>
  z.strictObject({
    target: scopeName().optional().describe('target id, e.g. social/facebook'),
    vantage: scopeName().optional().describe('vantage id'),
    region: scopeName().optional().describe('region the measurement speaks for'),
    kind: z
      .string()
      .regex(/^[a-z0-9_]{1,64}$/)
      .optional()
      .describe("Vigil's probe kind (dns, tcp, tls, http, https) or an OONI test name (telegram, ...)"),
    source: z
      .enum(MEASUREMENT_SOURCES)
      .optional()
      .describe(
        'vigil: the local prober; agent: uploads of in-country agents; ooni: imported OONI measurements. All when absent',
      ),
    from: instantParam('inclusive, RFC 3339').optional(),
    to: instantParam('exclusive, RFC 3339').optional(),
    limit: pageLimit(maxPageSize),
    cursor: z.string().max(100).optional().describe('the `next` value of the previous page'),
    format: listFormat.optional(),
  })

const measurementsPage = z.object({
  measurements: z.array(z.record(z.string(), z.unknown())),
  next: z.string().nullable(),
})

export const measurementRoutes: FastifyPluginAsync<{ store: Store; maxPageSize: number }> = async (
  fastify,
  { store, maxPageSize },
) => {
  const app = zodRoutes(fastify)
  app.get(
    '/v1/measurements',
    {
      schema: {
        summary: 'Probe measurements, newest first',
        querystring: measurementQuerySchema(maxPageSize),
        response: { 200: measurementsPage, 400: apiErrorSchema },
      },
    },
    async (request, reply) => {
      const query = request.query
      const from = query.from === undefined ? undefined : new Date(query.from)
      const to = query.to === undefined ? undefined : new Date(query.to)
      if (from && to && from >= to) {
        return reply
          .code(400)
          .send({ error: 'bad_request', message: 'querystring/from must be before querystring/to' })
      }
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
      if (after === null) {
        return reply
          .code(400)
          .send({ error: 'bad_request', message: 'querystring/cursor is not a cursor this api gave out' })
      }
      if (wantsCsv(query.format, request.headers.accept)) {
        const filter = {
          target: query.target,
          vantage: query.vantage,
          region: query.region,
          kind: query.kind,
          source: query.source,
          from,
          to,
          after,
          limit: query.limit,
        }
        const end = await measurementPageEnd(store.sql, filter)
        if (end) {
          const next = encodeCursor(end)
          const params = new URLSearchParams(request.query as unknown as Record<string, string>)
          params.set('cursor', next)
          params.set('format', 'csv')
          reply.header('vigil-next-cursor', next)
          reply.header('link', `</v1/measurements?${params.toString()}>; rel="next"`)
        }
        return sendCsv(
          reply as FastifyReply,
          (async function* () {
            yield MEASUREMENT_CSV_HEADER
            for await (const batch of streamMeasurements(store.sql, filter))
              yield batch.map(measurementCsvRow).join('')
          })(),
        )
      }
      const rows = await queryMeasurements(store.sql, {
        target: query.target,
        vantage: query.vantage,
        region: query.region,
        kind: query.kind,
        source: query.source,
        from,
        to,
        after,
        limit: query.limit + 1,
      })
      const page = rows.slice(0, query.limit)
      return {
        measurements: page.map((row) => ({
          id: row.id,
          measuredAt: row.measuredAt.toISOString(),
          receivedAt: row.receivedAt.toISOString(),
          vantage: row.vantageId,
          target: row.targetId,
          kind: row.kind,
          region: row.region,
          asn: row.asn,
          ok: row.ok,
          failure: row.failure,
          durationMs: row.durationMs,
          details: row.details,
          source: row.source,
        })),
        next: rows.length > query.limit ? encodeCursor(page[page.length - 1]!) : null,
      }
    },
  )
}

/**
 * Streams CSV text (a header, then rows as the database cursor yields them) as the answer. The route's
 * response schema describes its JSON answer; a stream is sent as is, never through that schema.
 */
export function sendCsv(reply: FastifyReply, text: AsyncIterable<string>): never {
  reply.type('text/csv; charset=utf-8')
  // Returned so that Fastify waits for the stream; typed `never` so a route typed by its JSON response
  // schema accepts it.
  return reply.send(Readable.from(text)) as never
}

/** CSV when asked for by name, or by an Accept header that prefers it and no format is given. */
export function wantsCsv(format: 'json' | 'csv' | undefined, accept: string | undefined): boolean {
  if (format !== undefined) return format === 'csv'
  return accept !== undefined && /(^|,)\s*text\/csv\b/i.test(accept)
}

// A cursor names the last row of a page by its sort key, so the next page starts right after it.
function encodeCursor(row: { measuredAt: Date; id: number }): string {
  return Buffer.from(`${row.measuredAt.toISOString()}|${row.id}`).toString('base64url')
}

function decodeCursor(cursor: string): { measuredAt: Date; id: number } | null {
  const match = /^(\d{4}-\d{2}-\d{2}T[\d:.]+Z)\|(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString())
  if (!match) return null
  const measuredAt = new Date(match[1]!)
  return Number.isNaN(measuredAt.getTime()) ? null : { measuredAt, id: Number(match[2]) }
}
