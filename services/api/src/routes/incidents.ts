// GET /v1/incidents: incidents overlapping a time window, by kind, region and state, newest first, each
// with its acknowledgement; as JSON, or as CSV streamed from a database cursor (format=csv or Accept:
// text/csv). POST and DELETE /v1/incidents/:id/ack: an operator acknowledges an open incident or
// withdraws the acknowledgement.
import { Readable } from 'node:stream'
import { apiErrorSchema, INCIDENT_KINDS, INCIDENT_STATES } from '@vigil/model'
import { INCIDENT_CSV_HEADER, incidentCsvRow } from '@vigil/reports'
import {
  ACK_COMMENT_MAX,
  type Acknowledgement,
  acknowledgeIncident,
  acknowledgementsOf,
  queryIncidents,
  type Store,
  streamIncidents,
  unacknowledgeIncident,
} from '@vigil/store'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { z } from 'zod'
import type { Principal } from '../access.js'
import { idParams, instantParam, listFormat, pageLimit, scopeName, zodRoutes } from '../zod.js'
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

const ackBody = z
  .strictObject({
    comment: z
      .string()
      .min(1)
      .max(ACK_COMMENT_MAX)
      .optional()
      .describe(`what is being done, at most ${ACK_COMMENT_MAX} characters`),
  })
  // A request without a body is an acknowledgement without a comment.
  .nullish()

export const acknowledgementSchema = z.object({
  by: z.string().describe('the name of the API key that acknowledged'),
  at: z.string().describe('RFC 3339'),
  comment: z.string().nullable(),
  level: z.string().describe('the incident level acknowledged; a higher level clears the acknowledgement'),
})

/** An acknowledgement as the api shows it. */
export function acknowledgementJson(ack: Acknowledgement): z.infer<typeof acknowledgementSchema> {
  return { by: ack.by, at: ack.at.toISOString(), comment: ack.comment, level: ack.level }
}

/** Who a principal is, as an acknowledgement records it: the key's name, never its secret. */
export function actorName(principal: Principal | null): string {
  if (principal?.kind === 'key' || principal?.kind === 'session') return principal.name
  return 'local administrator'
}

/**
 * Acknowledges incident `id` for the principal; answers 200 with the acknowledgement, 404 for an unknown
 * incident, 409 for a resolved one. Shared by the api route and the board's form.
 */
export async function acknowledgeFor(
  store: Store,
  principal: Principal | null,
  id: number,
  comment: string | undefined,
  now: Date,
): Promise<{ status: 200; body: z.infer<typeof acknowledgementSchema> } | AckRefusal> {
  const result = await acknowledgeIncident(store.sql, {
    incidentId: id,
    by: actorName(principal),
    apiKeyId: principal?.kind === 'key' || principal?.kind === 'session' ? principal.keyId : null,
    comment: comment ?? null,
    at: now,
  })
  if (result.outcome === 'acknowledged') {
    return { status: 200, body: acknowledgementJson(result.acknowledgement) }
  }
  return refusal(result.outcome, id)
}

export interface AckRefusal {
  status: 404 | 409
  body: { error: string; message: string }
}

function refusal(outcome: 'not_found' | 'resolved', id: number): AckRefusal {
  return outcome === 'not_found'
    ? { status: 404, body: { error: 'not_found', message: `no incident with id ${id}` } }
    : {
        status: 409,
        body: { error: 'conflict', message: `incident ${id} is resolved; there is nothing to acknowledge` },
      }
}

/** Withdraws the acknowledgement of incident `id`: 204, or 404/409 as for acknowledging. */
export async function unacknowledgeFor(store: Store, id: number): Promise<{ status: 204 } | AckRefusal> {
  const result = await unacknowledgeIncident(store.sql, id)
  return result.outcome === 'unacknowledged' ? { status: 204 } : refusal(result.outcome, id)
}

export const incidentRoutes: FastifyPluginAsync<{ store: Store; now?: () => Date }> = async (
  fastify,
  options,
) => {
  const { store } = options
  const now = options.now ?? (() => new Date())
  const app = zodRoutes(fastify)
  const send = (reply: FastifyReply, answer: { status: number; body?: unknown }) =>
    reply.code(answer.status).send(answer.body)

  app.post(
    '/v1/incidents/:id/ack',
    {
      schema: {
        summary: 'Acknowledge an open incident (reminders about it stop until it resolves or escalates)',
        params: idParams,
        body: ackBody,
        response: { 200: acknowledgementSchema, 404: apiErrorSchema, 409: apiErrorSchema },
      },
    },
    async (request, reply) =>
      send(
        reply,
        await acknowledgeFor(store, request.principal, request.params.id, request.body?.comment, now()),
      ),
  )

  app.delete(
    '/v1/incidents/:id/ack',
    {
      schema: {
        summary: 'Withdraw the acknowledgement of an open incident',
        params: idParams,
        response: { 404: apiErrorSchema, 409: apiErrorSchema },
      },
    },
    async (request, reply) => send(reply, await unacknowledgeFor(store, request.params.id)),
  )

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
      const acks = await acknowledgementsOf(
        store.sql,
        incidents.map((incident) => incident.id),
      )
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
          acknowledgement: ((ack) => (ack ? acknowledgementJson(ack) : null))(acks.get(incident.id)),
        })),
      }
    },
  )
}
