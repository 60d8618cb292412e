// GET /v1/measurements: stored probe results by target, vantage, region, kind, source and time, newest first,
// paged with an opaque cursor; as JSON, or as CSV streamed from a database cursor (format=csv or
// Accept: text/csv) with the next page's cursor in the Link header.
import { Readable } from 'node:stream'
import { MEASUREMENT_CSV_HEADER, measurementCsvRow } from '@vigil/reports'
import { measurementPageEnd, queryMeasurements, type Store, streamMeasurements } from '@vigil/store'
import type { FastifyPluginAsync } from 'fastify'

interface Query {
  target?: string
  vantage?: string
  region?: string
  kind?: string
  source?: 'vigil' | 'ooni'
  from?: string
  to?: string
  limit: number
  cursor?: string
  format?: 'json' | 'csv'
}

const scopeName = { type: 'string', minLength: 1, maxLength: 200 } as const

export const measurementRoutes: FastifyPluginAsync<{ store: Store; maxPageSize: number }> = async (
  app,
  { store, maxPageSize },
) => {
  app.get<{ Querystring: Query }>(
    '/v1/measurements',
    {
      schema: {
        summary: 'Probe measurements, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            target: { ...scopeName, description: 'target id, e.g. social/facebook' },
            vantage: { ...scopeName, description: 'vantage id' },
            region: { ...scopeName, description: 'region the measurement speaks for' },
            kind: {
              type: 'string',
              pattern: '^[a-z0-9_]{1,64}$',
              description:
                "Vigil's probe kind (dns, tcp, tls, http, https) or an OONI test name (telegram, ...)",
            },
            source: {
              type: 'string',
              enum: ['vigil', 'ooni'],
              description: "vigil: Vigil's own probes; ooni: imported OONI measurements. Both when absent",
            },
            from: { type: 'string', format: 'date-time', description: 'inclusive, RFC 3339' },
            to: { type: 'string', format: 'date-time', description: 'exclusive, RFC 3339' },
            limit: { type: 'integer', minimum: 1, maximum: maxPageSize, default: 100 },
            cursor: { type: 'string', maxLength: 100, description: 'the `next` value of the previous page' },
            format: { type: 'string', enum: ['json', 'csv'], description: 'csv also with Accept: text/csv' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              measurements: { type: 'array', items: { type: 'object', additionalProperties: true } },
              next: { type: ['string', 'null'] },
            },
          },
        },
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
        reply.type('text/csv; charset=utf-8')
        return reply.send(
          Readable.from(
            (async function* () {
              yield MEASUREMENT_CSV_HEADER
              for await (const batch of streamMeasurements(store.sql, filter))
                yield batch.map(measurementCsvRow).join('')
            })(),
          ),
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
